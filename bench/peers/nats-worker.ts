/**
 * NATS JetStream producer for the peer comparison, in a worker thread.
 *
 * Pattern: pipelined async publish — `nc.publish(subject, payload, { reply:
 * inbox })` to a subject the stream captures, with `windowMessages`
 * publishes awaiting their PubAck; each PubAck (a JSON reply on the inbox,
 * checked for an error) lets one more go. This is what `nats bench --js`
 * and Go's `PublishAsync` do; nats.js `js.publish()` awaits each ack with a
 * per-call promise, timer and stack trace and is several times slower.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { connect, createInbox } from 'nats';
import { AckCounter, type LoadTiming } from '../lib/worker.js';
import { StampedPayloads } from '../lib/stamp.js';

export interface NatsWorkerInput extends LoadTiming { url: string; subject: string; valueBytes: number; windowMessages: number; stampValues?: boolean }

const errorByte = 'e'.charCodeAt(0); // {"error":…} vs {"stream":…}

async function run(input: NatsWorkerInput): Promise<void> {
  const nc = await connect({ servers: input.url });
  const inbox = createInbox();
  const fixed = new Uint8Array(input.valueBytes).fill(0x61);
  const stamped = new StampedPayloads(input.valueBytes);
  const payload = (): Uint8Array => (input.stampValues ? stamped.next() : fixed);
  const counter = new AckCounter(input);
  let outstanding = 0;
  await new Promise<void>((resolve, reject) => {
    nc.subscribe(inbox, {
      callback: (error, msg) => {
        if (error) return reject(error);
        if (msg.data[2] === errorByte) return reject(new Error(`PubAck error: ${new TextDecoder().decode(msg.data)}`));
        outstanding--;
        if (counter.add(1)) {
          outstanding++;
          nc.publish(input.subject, payload(), { reply: inbox });
        } else if (outstanding === 0) resolve();
      },
    });
    for (; outstanding < input.windowMessages; outstanding++) nc.publish(input.subject, payload(), { reply: inbox });
  });
  await nc.drain();
  parentPort!.postMessage(counter.result());
}

void run(workerData as NatsWorkerInput);
