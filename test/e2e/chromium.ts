/**
 * Headless Chromium for the browser tests: Debian's package, driven by
 * playwright-core (which never downloads a browser of its own). Missing
 * Chromium fails loudly with how to install it — the project's CI installs it.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`Chromium not found at ${chromiumPath}: the browser tests drive a real headless Chromium. `
      + 'Install it with `bash scripts/install-chromium.sh` (apt-get update && apt-get install -y chromium; .ci/run does), or point CHROMIUM_PATH at one.');
  }
  return chromium.launch({ executablePath: chromiumPath, args });
}
