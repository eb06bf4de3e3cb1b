/**
 * The physical reference: the least a durable broker must do on this
 * machine. A WebSocket server (the same `ws` + bufferutil as actormq) that
 * appends every binary message's bytes to one file, runs one fdatasync per
 * group of messages that arrived while the previous sync ran, and then
 * answers each message with its 4-byte sequence number — nothing else (no
 * decoding, no validation, no index, no offsets).
 *
 * Run as a child process: `node reference-server.js <dataDir>`; prints
 * `listening on ws://127.0.0.1:PORT` once ready.
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';

interface Pending { socket: WebSocket; sequence: number }

const file = fs.openSync(join(process.argv[2] ?? '.', 'reference.log'), 'a');
let position = 0;
/** Appended, waiting for the next sync; bounded by the clients' windows. */
let waiting: Pending[] = [];
let syncing = false;

function startSync(): void {
  if (syncing || waiting.length === 0) return;
  syncing = true;
  const covered = waiting;
  waiting = [];
  fs.fdatasync(file, (error) => {
    if (error) throw error;
    syncing = false;
    for (const { socket, sequence } of covered) {
      const ack = Buffer.allocUnsafe(4);
      ack.writeUInt32BE(sequence >>> 0);
      socket.send(ack);
    }
    startSync();
  });
}

const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 16 * 1024 * 1024 });
server.on('connection', (socket) => {
  let sequence = 0;
  socket.on('message', (data: Buffer) => {
    let written = 0;
    while (written < data.length) written += fs.writeSync(file, data, written, data.length - written, position + written);
    position += data.length;
    waiting.push({ socket, sequence: sequence++ });
    startSync();
  });
});
server.on('listening', () => {
  const address = server.address() as { port: number };
  process.stdout.write(`listening on ws://127.0.0.1:${address.port}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  fs.closeSync(file);
  process.exit(0);
});
