#!/usr/bin/env bash
# Installs Debian's headless Chromium for the browser tests (the visualiser's
# end-to-end test drives it with playwright-core, which never downloads a
# browser itself). Needs root or sudo; does nothing when Chromium is there.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  /usr/bin/chromium --version 2>/dev/null || true
  exit 0
fi
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
as_root apt-get update
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
/usr/bin/chromium --version 2>/dev/null || true
