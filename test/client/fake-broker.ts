/**
 * A small broker for protocol-level client tests: a real `ws` server on
 * 127.0.0.1 that speaks the frames of src/protocol/frames.ts, keeps topics in
 * memory and applies the broker's idempotence rules (per producer and
 * partition: the last 5 batches deduplicate, any other sequence gap is
 * OUT_OF_ORDER_SEQUENCE). Tests replace any request handler to inject
 * failures, hold answers or drop sockets. Lives only in tests.
 */
import { WebSocketServer, type WebSocket } from 'ws';
import { decodeFrame, encodeFrame } from '../../src/protocol/codec.js';
import type { ErrorCode } from '../../src/protocol/errors.js';
import type { ProduceEntry, ProduceResult, WelcomeBody } from '../../src/protocol/frames.js';
import { readBatchHeader, writeBaseOffset, type BatchHeader } from '../../src/protocol/record-batch.js';

/** Thrown by a handler: answered as an error frame for the request. */
export class FakeError extends Error {
  constructor(readonly code: ErrorCode, message: string = code) {
    super(message);
  }
}

/** Returned by a handler: the request gets no answer. */
export const noAnswer = Symbol('noAnswer');

export type Frame = Record<string, any>;
export type Handler = (frame: Frame, socket: WebSocket) => unknown;

interface StoredBatch { bytes: Uint8Array; header: BatchHeader; baseOffset: number }

export class StoredPartition {
  readonly batches: StoredBatch[] = [];
  nextOffset = 0;

  /** The broker's idempotent append: dedupe against a producer's last 5 batches, reject gaps. */
  append(batch: Uint8Array): ProduceResult {
    const header = readBatchHeader(batch);
    if (header.producerId >= 0) {
      const previous = this.batches.filter((b) => b.header.producerId === header.producerId).slice(-5);
      const same = previous.find((b) => b.header.baseSequence === header.baseSequence && b.header.recordCount === header.recordCount);
      if (same) return { topic: '', partition: 0, baseOffset: same.baseOffset, duplicate: true };
      const last = previous[previous.length - 1];
      if (last && header.baseSequence !== last.header.baseSequence + last.header.recordCount) {
        return { topic: '', partition: 0, code: 'OUT_OF_ORDER_SEQUENCE', message: `expected ${last.header.baseSequence + last.header.recordCount}, got ${header.baseSequence}` };
      }
    }
    const baseOffset = this.nextOffset;
    const stored = batch.slice();
    writeBaseOffset(stored, 0, baseOffset);
    this.batches.push({ bytes: stored, header, baseOffset });
    this.nextOffset += header.recordCount;
    return { topic: '', partition: 0, baseOffset, duplicate: false };
  }
}

export class FakeBroker {
  readonly frames: Frame[] = [];
  readonly sockets = new Set<WebSocket>();
  readonly topics = new Map<string, StoredPartition[]>();
  limits: WelcomeBody['limits'] = { maxFrameBytes: 8 << 20, maxBatchBytes: 4 << 20, maxRecordsPerBatch: 100_000, maxInFlightRequests: 1024 };
  readonly handlers: Record<string, Handler>;
  private nextProducerId = 1;

  private constructor(private readonly server: WebSocketServer, readonly url: string) {
    this.handlers = {
      hello: () => ({ version: 1, brokerId: 'fake', limits: this.limits }),
      createTopic: (frame) => this.createTopic(frame.topic, frame.partitions),
      listTopics: () => ({ topics: [...this.topics].map(([name, partitions]) => ({ name, partitions: partitions.length })) }),
      describeTopic: (frame) => {
        const partitions = this.partitionsOf(frame.topic);
        return { name: frame.topic, partitions: partitions.map((p, partition) => ({ partition, startOffset: 0, endOffset: p.nextOffset, state: 'online' })), partitionsTotal: partitions.length, config: {} };
      },
      initProducer: () => ({ producerId: this.nextProducerId++, producerEpoch: 0 }),
      produce: (frame) => ({ results: frame.entries.map((entry: ProduceEntry) => this.produceEntry(entry)) }),
      fetch: (frame) => {
        const stored = this.partitionsOf(frame.topic)[frame.partition]!;
        const batches = stored.batches.filter((b) => b.baseOffset + b.header.recordCount > frame.offset).map((b) => b.bytes);
        return { records: Buffer.concat(batches), startOffset: 0, endOffset: stored.nextOffset };
      },
    };
  }

  static async start(): Promise<FakeBroker> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as { port: number };
    const broker = new FakeBroker(server, `ws://127.0.0.1:${port}`);
    server.on('connection', (socket) => broker.accept(socket));
    return broker;
  }

  /** Frames of one type, in arrival order. */
  received(type: string): Frame[] {
    return this.frames.filter((frame) => frame.type === type);
  }

  createTopic(topic: string, partitions: number): { topic: string; partitions: number; created: boolean } {
    const existing = this.topics.get(topic);
    if (existing && existing.length !== partitions) throw new FakeError('TOPIC_EXISTS');
    if (!existing) this.topics.set(topic, Array.from({ length: partitions }, () => new StoredPartition()));
    return { topic, partitions, created: !existing };
  }

  /** The default produce behaviour for one entry, for handlers that wrap it. */
  produceEntry(entry: ProduceEntry): ProduceResult {
    const stored = this.partitionsOf(entry.topic)[entry.partition];
    if (!stored) return { topic: entry.topic, partition: entry.partition, code: 'UNKNOWN_PARTITION', message: 'no such partition' };
    return { ...stored.append(entry.batch), topic: entry.topic, partition: entry.partition };
  }

  /** The batches stored in a partition, in offset order. */
  storedBatches(topic: string, partition: number): StoredBatch[] {
    return this.partitionsOf(topic)[partition]!.batches;
  }

  /** Ends every socket abruptly, as a crash or a network fault would. */
  dropAll(): void {
    for (const socket of this.sockets) socket.terminate();
  }

  sendRaw(frame: object): void {
    for (const socket of this.sockets) socket.send(encodeFrame(frame));
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private partitionsOf(topic: string): StoredPartition[] {
    const partitions = this.topics.get(topic);
    if (!partitions) throw new FakeError('UNKNOWN_TOPIC', `topic ${topic} does not exist`);
    return partitions;
  }

  private accept(socket: WebSocket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('message', async (data: Buffer) => {
      const frame = decodeFrame(data) as Frame;
      this.frames.push(frame);
      try {
        const body = await this.handlers[frame.type]!(frame, socket);
        if (body !== noAnswer) this.send(socket, { type: 'result', id: frame.id, body });
      } catch (error) {
        if (!(error instanceof FakeError)) throw error;
        this.send(socket, { type: 'error', id: frame.id, code: error.code, message: error.message });
      }
    });
  }

  private send(socket: WebSocket, frame: object): void {
    if (socket.readyState === socket.OPEN) socket.send(encodeFrame(frame));
  }
}
