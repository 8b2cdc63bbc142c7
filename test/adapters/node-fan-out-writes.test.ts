/**
 * Writes to several streams in one tick (a fan-out: a broadcast) are held
 * to the tick's end from each stream's first write, so a burst of
 * broadcasts issued from one read reaches every client socket as one
 * system call (tick-coalescer.ts). Counted where Node hands bytes to the
 * kernel: each server socket's `_write` / `_writev` calls, and the bytes in
 * each.
 */
import http from 'node:http';
import net from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { attachmentOfDriver } from '../../lib/adapters/node/attachment.js';
import { HOLD_LIMIT } from '../../lib/adapters/node/held-bytes.js';
import { streamSocket, terminate, WebSocketServer, type ServerDriver } from '../../lib/adapters/node/index.js';
import { Cleanup, listen, once } from '../interop/support.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Records, per socket, what reached Node's `_write` / `_writev` (a system call each on TCP): the bytes of each call. */
function recordSocketWrites() {
  const calls = new Map<net.Socket, number[]>();
  const proto = net.Socket.prototype as unknown as {
    _write(chunk: Uint8Array, encoding: string, done: () => void): void;
    _writev(chunks: { chunk: Uint8Array }[], done: () => void): void;
  };
  const { _write: write, _writev: writev } = proto;
  const note = (socket: net.Socket, bytes: number) => {
    let list = calls.get(socket);
    if (list === undefined) calls.set(socket, (list = []));
    list.push(bytes);
  };
  proto._write = function (this: net.Socket, chunk, encoding, done) {
    note(this, chunk.length);
    return write.call(this, chunk, encoding, done);
  };
  proto._writev = function (this: net.Socket, chunks, done) {
    note(this, chunks.reduce((sum, { chunk }) => sum + chunk.length, 0));
    return writev.call(this, chunks, done);
  };
  cleanup.add(() => {
    proto._write = write;
    proto._writev = writev;
  });
  return calls;
}

/** A WebSocketServer on 127.0.0.1 that broadcasts `count` copies of `message` for each message a client sends, and `clients` ws clients of it. */
async function broadcastingServer(clients: number, count: number, message: string) {
  const server = cleanup.server(http.createServer());
  const wss: WebSocketServer = new WebSocketServer({
    handler: {
      onMessage: () => {
        for (let i = 0; i < count; i++) wss.broadcast(message, { slowClient: 'queue' });
      },
    },
  }).serve(server);
  cleanup.add(() => wss.close(1001, '', { timeout: 0 }));
  const port = await listen(server);
  const peers = await Promise.all(
    Array.from({ length: clients }, async () => {
      const socket = new WebSocket(`ws://127.0.0.1:${port}`);
      cleanup.add(() => socket.terminate());
      const received: string[] = [];
      socket.on('message', (data) => received.push(String(data)));
      await once(socket, 'open');
      return { socket, received };
    }),
  );
  await expect.poll(() => wss.clients.size).toBe(clients);
  // Each client's server-side socket, to find its writes.
  const drivers = [...wss.clients];
  const sockets = drivers.map((driver: ServerDriver) => attachmentOfDriver(driver)!.stream as net.Socket);
  return { peers, sockets, drivers };
}

it('holds a second stream written in the same tick from its first write; the first stream written goes at once', async () => {
  await nextTurn();
  const streams = [new PassThrough(), new PassThrough(), new PassThrough()];
  const sockets = streams.map((stream) => streamSocket(stream));
  // Each connection's first write (the handshake's head) goes at once, however many streams the tick writes.
  sockets.forEach((socket) => socket.write(Uint8Array.of(7)));
  expect(streams.map((stream) => [stream.writableCorked, ...(stream.read() as Buffer)])).toEqual([[0, 7], [0, 7], [0, 7]]);
  await nextTurn();
  sockets.forEach((socket, i) => socket.write(Uint8Array.of(i)));
  expect(streams.map((stream) => stream.writableCorked)).toEqual([0, 1, 1]);
  expect([...(streams[0]!.read() as Buffer)]).toEqual([0]);
  // Held, not unsent: nothing the transport was offered.
  expect(sockets.map((socket) => socket.bufferedAmount)).toEqual([0, 0, 0]);
  await new Promise<void>((resolve) => process.nextTick(resolve));
  expect(streams.map((stream) => stream.writableCorked)).toEqual([0, 0, 0]);
  expect(streams.slice(1).map((stream) => [...(stream.read() as Buffer)])).toEqual([[1], [2]]);
  // A later tick that writes one stream only: at once again.
  await nextTurn();
  sockets[2]!.write(Uint8Array.of(9));
  expect(streams[2]!.writableCorked).toBe(0);
  expect([...(streams[2]!.read() as Buffer)]).toEqual([9]);
});

// A frame of at most 14 bytes may be a header alone, which a read never lets go at once (held-bytes.ts,
// MAX_HEADER); a longer one is what a read's first write usually is, and the sender's own socket could
// then send it at once as well as the tick's first stream: two sockets split, not one.
describe.each([
  ['a short message (13-byte frame)', 'to everyone'],
  ['a message past a frame header\'s 14 bytes', 'to everyone, and longer'],
])('over TCP, a burst of broadcasts from one read, %s', (_name, message) => {
  it.each([
    ['the first socket the broadcast reaches', 0],
    ['a later socket', 2],
  ])('reaches each client socket in one system call but one, when the sender is %s', async (_sender, sender) => {
    const { peers, sockets } = await broadcastingServer(4, 5, message);
    const calls = recordSocketWrites();
    peers[sender]!.socket.send('go');
    await expect.poll(() => peers.every(({ received }) => received.length === 5)).toBe(true);
    for (const { received } of peers) expect(received).toEqual(Array(5).fill(message));
    const perSocket = sockets.map((socket) => calls.get(socket)?.length ?? 0);
    // One write of the tick goes out at once (the tick's first stream's, or the sender's socket's as the
    // read's first), and that socket's other four follow in one writev; every other socket is written
    // once for all five (before session 8: once for the first, once for the rest).
    expect(perSocket.sort()).toEqual([1, 1, 1, 2]);
  });
});

it('hands on at most HOLD_LIMIT (and the write that passed it) per system call, every message in order', async () => {
  const message = 'x'.repeat(4096);
  // 4 KiB text frames: 4,100 bytes each on the wire; 40 of them are 160 KiB per client in one tick.
  const { peers, sockets } = await broadcastingServer(2, 40, message);
  const calls = recordSocketWrites();
  peers[1]!.socket.send('go');
  await expect.poll(() => peers.every(({ received }) => received.length === 40), { timeout: 5000 }).toBe(true);
  for (const { received } of peers) expect(received.every((text) => text === message)).toBe(true);
  for (const socket of sockets) {
    const sizes = calls.get(socket)!;
    expect(sizes.reduce((sum, bytes) => sum + bytes, 0)).toBe(40 * 4100);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(HOLD_LIMIT + 4100);
    // Corked again after each early uncork: a few large writes, not one per frame past the first 64 KiB.
    expect(sizes.length).toBeLessThanOrEqual(4);
  }
});

// Node's destroy() discards what a corked stream holds (docs/flow-control.md): the ways to end a
// connection that the docs give instead hand on every held write first.
it.each([
  ['terminate(driver)', (driver: ServerDriver) => terminate(driver)],
  ['socket.end()', (driver: ServerDriver) => attachmentOfDriver(driver)!.stream.end()],
])('a message sent to each client and %s in the same tick reaches every client', async (_name, end) => {
  const { peers, drivers } = await broadcastingServer(4, 0, '');
  await nextTurn();
  for (const driver of drivers) {
    driver.text('last words, past 14 bytes');
    end(driver);
  }
  await Promise.all(peers.map(({ socket }) => once(socket, 'close')));
  expect(peers.map(({ received }) => received)).toEqual(Array(4).fill(['last words, past 14 bytes']));
});
