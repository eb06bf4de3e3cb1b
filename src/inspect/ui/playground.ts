/**
 * Publish a test message and tail a topic — with the actormq client itself,
 * bundled for the browser (the proof that it runs there): `producer.send`
 * to publish, `describeTopic` and `fetch` from each partition's end to tail.
 */
import type { Client, FetchedRecord, Producer } from '../../client/index.js';
import { byId, formatTime, h } from './dom.js';

/** Records kept on screen while tailing. */
const maxTailRows = 100;
/** Records shown from before the tail started, per partition. */
const tailBacklog = 5;
const tailPollMs = 250;

/** A typed value: JSON if it parses (so `{"total": 10}` travels as an object), else the text itself. */
export function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function showValue(value: unknown): string {
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function showKey(key: FetchedRecord['key']): string {
  if (key === null) return '';
  return typeof key === 'string' ? key : `<${key.length} bytes>`;
}

export class Playground {
  private tailing: { topic: string; stop: boolean } | null = null;
  private producer: { client: Client; producer: Producer } | null = null;

  constructor(private readonly client: () => Client | null) {
    byId<HTMLFormElement>('publish-form').addEventListener('submit', (event) => {
      event.preventDefault();
      void this.publish();
    });
    byId<HTMLFormElement>('tail-form').addEventListener('submit', (event) => {
      event.preventDefault();
      if (this.tailing) this.stopTail();
      else void this.tail(byId<HTMLInputElement>('tail-topic').value.trim());
    });
  }

  private async publish(): Promise<void> {
    const status = byId('publish-result');
    const client = this.client();
    if (!client) return void (status.textContent = 'not connected');
    const topic = byId<HTMLInputElement>('publish-topic').value.trim();
    const key = byId<HTMLInputElement>('publish-key').value;
    const value = parseValue(byId<HTMLTextAreaElement>('publish-value').value);
    status.textContent = 'sending…';
    try {
      if (this.producer?.client !== client) this.producer = { client, producer: client.producer() };
      const result = await this.producer.producer.send(topic, key ? { key, value } : { value });
      status.textContent = `stored at ${result.topic}/${result.partition} offset ${result.offset}`;
      status.className = 'ok';
    } catch (error) {
      status.textContent = `${(error as { code?: string }).code ?? 'error'}: ${(error as Error).message}`;
      status.className = 'error';
    }
  }

  private stopTail(): void {
    if (this.tailing) this.tailing.stop = true;
    this.tailing = null;
    byId('tail-button').textContent = 'Tail';
  }

  private async tail(topic: string): Promise<void> {
    const client = this.client();
    const output = byId('tail-output');
    if (!client || !topic) return;
    const tailing = { topic, stop: false };
    this.tailing = tailing;
    byId('tail-button').textContent = 'Stop';
    output.replaceChildren();
    try {
      const description = await client.describeTopic(topic);
      const offsets = description.partitions.map((p) => Math.max(p.startOffset, p.endOffset - tailBacklog));
      while (!tailing.stop) {
        let fetched = 0;
        for (const [partition, offset] of offsets.entries()) {
          const result = await client.fetch(topic, partition, offset);
          for (const record of result.records) this.show(output, record);
          fetched += result.records.length;
          if (result.records.length > 0) offsets[partition] = result.records.at(-1)!.offset + 1;
        }
        if (fetched === 0) await new Promise((resolve) => setTimeout(resolve, tailPollMs));
      }
    } catch (error) {
      output.prepend(h('li', { class: 'error' }, `${(error as { code?: string }).code ?? 'error'}: ${(error as Error).message}`));
      if (this.tailing === tailing) this.stopTail();
    }
  }

  private show(output: HTMLElement, record: FetchedRecord): void {
    output.prepend(h('li', { class: 'record', 'data-offset': record.offset },
      h('span', { class: 'record-where' }, `${record.topic}/${record.partition}@${record.offset}`),
      h('span', { class: 'record-time' }, formatTime(record.timestamp)),
      record.key === null ? null : h('span', { class: 'record-key' }, showKey(record.key)),
      h('span', { class: 'record-value' }, showValue(record.value)),
    ));
    while (output.children.length > maxTailRows) output.lastElementChild!.remove();
  }
}
