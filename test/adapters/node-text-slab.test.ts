/**
 * Small text kept as bytes (`decodeText: false`) carved from shared slabs
 * under `wsdriver/node` (lib/adapters/node/text-slab.ts): each message read
 * out of a borrowed read is a view of a 32 KiB slab that is written only
 * forwards and never reused, so every message stays exactly what was
 * sent however many follow it; sizes outside the carved range, binary
 * messages and text in pieces keep ArrayBuffers of their own; and a kept
 * message holds at most one slab, measured in external memory.
 */
import http from 'node:http';
import type net from 'node:net';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { handleUpgrade } from '../../lib/adapters/node/index.js';
import { readsIntoSharedBuffer } from '../../lib/adapters/node/read-buffer.js';
import { CARVED_FROM, CARVED_UP_TO, TEXT_SLAB_SIZE } from '../../lib/adapters/node/text-slab.js';
import type { ServerSideDriver } from '../../lib/index.js';
import { BorrowedReads } from '../helpers/borrowed-reads.js';
import { Op, clientFrame, openServer } from '../helpers/index.js';
import { Cleanup, listen, once } from '../interop/support.js';

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const KiB = 1024;

/** ASCII text of `length` bytes that differs from message to message. */
function text(length: number, index: number): string {
  let out = `${index}:`;
  for (let i = 0; out.length < length; i++) out += String.fromCharCode(0x61 + ((i * 7 + index * 13) % 26));
  return out.slice(0, length);
}

/** A server driver with `decodeText: false` whose reads are borrowed from one buffer, overwritten after each `parse()` as the next socket read would. */
function borrowedServer(): { feed(frame: Uint8Array): void; messages: Array<{ data: Uint8Array; type: string }> } {
  const { driver } = openServer({ decodeText: false });
  const messages: Array<{ data: Uint8Array; type: string }> = [];
  driver.on('message', (event) => void messages.push({ data: event.data as Uint8Array, type: event.type }));
  const reads = new BorrowedReads();
  return { messages, feed: (frame) => reads.feed(driver, [frame]) };
}

const decoder = new TextDecoder();

describe('text kept as bytes, read from borrowed input', () => {
  it('carves 4 KiB messages eight to a slab, each still exactly what was sent after many more', () => {
    const server = borrowedServer();
    const sent = Array.from({ length: 64 }, (_, i) => text(4 * KiB, i));
    for (const message of sent) server.feed(clientFrame(Op.TEXT, message));
    expect(server.messages.map((m) => decoder.decode(m.data))).toEqual(sent);
    expect(server.messages.every((m) => m.type === 'text' && m.data.byteLength === 4 * KiB)).toBe(true);
    const slabs = new Set(server.messages.map((m) => m.data.buffer));
    // 64 messages, eight to a 32 KiB slab (one more if a slab was begun before).
    expect(slabs.size).toBeLessThanOrEqual(9);
    for (const slab of slabs) expect(slab.byteLength).toBe(TEXT_SLAB_SIZE);
  });

  it('gives no two messages overlapping bytes: changing one changes no other', () => {
    const server = borrowedServer();
    for (let i = 0; i < 20; i++) server.feed(clientFrame(Op.TEXT, text(1000, i)));
    for (const { data } of server.messages) data.fill(0x21);
    server.feed(clientFrame(Op.TEXT, text(1000, 99)));
    expect(decoder.decode(server.messages.at(-1)!.data)).toBe(text(1000, 99));
    expect(server.messages.slice(0, 20).every(({ data }) => data.every((byte) => byte === 0x21))).toBe(true);
  });

  it('keeps an ArrayBuffer of its own, exactly its size, outside the carved range', () => {
    const server = borrowedServer();
    const sizes = [CARVED_FROM - 1, CARVED_UP_TO + 1, 16 * KiB];
    for (const size of sizes) server.feed(clientFrame(Op.TEXT, text(size, size)));
    expect(server.messages.map((m) => [m.data.byteOffset, m.data.buffer.byteLength])).toEqual(sizes.map((size) => [0, size]));
    expect(server.messages.map((m) => decoder.decode(m.data))).toEqual(sizes.map((size) => text(size, size)));
  });

  it('carves the range from its smallest to its largest size', () => {
    const server = borrowedServer();
    for (const size of [CARVED_FROM, CARVED_UP_TO]) server.feed(clientFrame(Op.TEXT, text(size, size)));
    expect(server.messages.map((m) => m.data.buffer.byteLength)).toEqual([TEXT_SLAB_SIZE, TEXT_SLAB_SIZE]);
    expect(server.messages.map((m) => decoder.decode(m.data))).toEqual([text(CARVED_FROM, CARVED_FROM), text(CARVED_UP_TO, CARVED_UP_TO)]);
  });

  it('never carves binary messages: each is exact-size and transferable', () => {
    const server = borrowedServer();
    const payload = Uint8Array.from({ length: 4 * KiB }, (_, i) => i & 0xff);
    for (let i = 0; i < 4; i++) server.feed(clientFrame(Op.BINARY, payload));
    for (const { data, type } of server.messages) {
      expect(type).toBe('binary');
      expect([data.byteOffset, data.buffer.byteLength]).toEqual([0, 4 * KiB]);
      expect(data).toEqual(payload);
    }
  });

  it('never carves text in fragments: the joined message has its own buffer', () => {
    const server = borrowedServer();
    server.feed(clientFrame(Op.TEXT, text(2 * KiB, 1), { fin: false }));
    server.feed(clientFrame(Op.CONTINUATION, text(2 * KiB, 2)));
    const { data } = server.messages[0]!;
    expect(decoder.decode(data)).toBe(text(2 * KiB, 1) + text(2 * KiB, 2));
    expect([data.byteOffset, data.buffer.byteLength]).toEqual([0, 4 * KiB]);
  });

  // Node marks a slab untransferable, as it marks its own Buffer pool: a
  // transfer list naming it copies it on Node 20 and throws DataCloneError
  // from Node 21. Either way the slab is not moved away from the others.
  const TRANSFER_THROWS = Number(process.versions.node.split('.')[0]) >= 21;
  const transferring = (move: () => void) => (TRANSFER_THROWS ? expect(move).toThrow(/DataCloneError|transfer/i) : move());

  it("transferring one message's buffer (to a worker, through structuredClone) never moves the slab: other messages of it, and later ones, stay intact", async () => {
    const a = borrowedServer();
    const b = borrowedServer();
    a.feed(clientFrame(Op.TEXT, 'x'.repeat(1000)));
    // Another connection's message, carved from the same slab.
    b.feed(clientFrame(Op.TEXT, 'y'.repeat(1000)));
    const mine = a.messages[0]!.data;
    expect(b.messages[0]!.data.buffer).toBe(mine.buffer);
    // As `worker.postMessage(bytes.buffer, [bytes.buffer])` does.
    const { port1, port2 } = new MessageChannel();
    const posted = new Promise<ArrayBuffer>((resolve) => (port2.onmessage = (event) => resolve(event.data as ArrayBuffer)));
    transferring(() => port1.postMessage(mine.buffer, [mine.buffer as ArrayBuffer]));
    if (!TRANSFER_THROWS) expect((await posted).byteLength).toBe(TEXT_SLAB_SIZE);
    port1.close();
    port2.close();
    expect(decoder.decode(mine)).toBe('x'.repeat(1000));
    expect(decoder.decode(b.messages[0]!.data)).toBe('y'.repeat(1000));
    // structuredClone with a transfer list as well; then later messages are still carved.
    transferring(() => structuredClone(mine.buffer, { transfer: [mine.buffer as ArrayBuffer] }));
    expect(decoder.decode(b.messages[0]!.data)).toBe('y'.repeat(1000));
    b.feed(clientFrame(Op.TEXT, 'z'.repeat(1000)));
    expect(decoder.decode(b.messages[1]!.data)).toBe('z'.repeat(1000));
  });

  it('a kept message holds at most one slab (external memory measured)', () => {
    const server = borrowedServer();
    const kept: Uint8Array[] = [];
    // One message of 200 kept in each 32 KiB slab (163 fit): the worst case, each kept message pins its slab alone.
    const frame = clientFrame(Op.TEXT, text(200, 0));
    gc();
    gc();
    const before = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 500 * 163; i++) {
      server.feed(frame);
      const message = server.messages.pop()!;
      if (i % 163 === 0) kept.push(message.data);
    }
    gc();
    gc();
    const held = process.memoryUsage().arrayBuffers - before;
    expect(kept.length).toBe(500);
    expect(new Set(kept.map((bytes) => bytes.buffer)).size).toBe(500);
    // 500 slabs, and nothing else of the 81,500 messages.
    expect(held).toBeGreaterThan(500 * TEXT_SLAB_SIZE * 0.9);
    expect(held).toBeLessThan(500 * TEXT_SLAB_SIZE + 256 * KiB);
  });
});

describe('over a socket reading into the shared buffer', () => {
  it('delivers every 4 KiB text message exact, the slabs shared', async () => {
    const server = cleanup.server(http.createServer());
    const received: Uint8Array[] = [];
    let upgraded: { driver: ServerSideDriver; socket: net.Socket } | undefined;
    server.on('upgrade', (request, socket, head) => {
      const driver = handleUpgrade(request, socket, head, { decodeText: false });
      driver.on('message', (event) => {
        received.push(event.data as Uint8Array);
        driver.text(event.data as Uint8Array);
      });
      upgraded = { driver, socket: socket as net.Socket };
    });
    const port = await listen(server);
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
    cleanup.add(() => ws.terminate());
    await once(ws as unknown as NodeJS.EventEmitter, 'open');
    const echoed: string[] = [];
    ws.on('message', (data) => void echoed.push(data.toString()));
    const sent = Array.from({ length: 200 }, (_, i) => text(4 * KiB, i));
    // One at a time, each after the last echo: every message a read of its own.
    for (const message of sent) {
      const seen = echoed.length;
      ws.send(message);
      while (echoed.length === seen) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(readsIntoSharedBuffer(upgraded!.socket)).toBe(true);
    expect(echoed).toEqual(sent);
    expect(received.map((bytes) => decoder.decode(bytes))).toEqual(sent);
    // The first message switched the socket to the shared buffer (read into one of Node's own); the rest were carved.
    expect(new Set(received.map((bytes) => bytes.buffer)).size).toBeLessThanOrEqual(200 / 8 + 2);
  });
});
