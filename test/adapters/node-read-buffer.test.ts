/**
 * Reads into one shared buffer (lib/adapters/node/read-buffer.ts): sockets
 * the Node adapter sets up itself (`handleUpgrade`, the server object, a
 * client over TCP) read into a buffer the adapter reuses once the
 * connection is open, over real loopback sockets, with `ws` as the peer.
 * Every message must arrive exact however many connections share the
 * buffer, and pause/resume, end, reset, destroy and `terminate` must
 * behave as on a socket of Node's own.
 */
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer as WsServer } from 'ws';
import type { ServerSideDriver } from '../../lib/index.js';
import { attach, connect, handleUpgrade, streamSocket, terminate, WebSocketServer } from '../../lib/adapters/node/index.js';
import { Driver } from '../../lib/index.js';
import { READ_BUFFER_SIZE, readIntoSharedBuffer, readsIntoSharedBuffer } from '../../lib/adapters/node/read-buffer.js';
import { Cleanup, listen, next, once, patternBytes } from '../interop/support.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

interface Upgraded {
  driver: ServerSideDriver;
  socket: net.Socket;
}

/** An HTTP server whose upgrades go to `handleUpgrade`; each connection's driver and socket, as they come. */
async function upgradeServer(setup: (driver: ServerSideDriver) => void = echo, options: { decodeText?: boolean } = {}): Promise<{ url: string; next(): Promise<Upgraded> }> {
  const made: Upgraded[] = [];
  const waiting: Array<(u: Upgraded) => void> = [];
  const server = cleanup.server(http.createServer());
  server.on('upgrade', (request, socket, head) => {
    const driver = handleUpgrade(request, socket, head, { maxLength: 8 * 1024 * 1024, ...options });
    setup(driver);
    const upgraded = { driver, socket: socket as net.Socket };
    const waiter = waiting.shift();
    if (waiter) waiter(upgraded);
    else made.push(upgraded);
  });
  const port = await listen(server);
  return {
    url: `ws://127.0.0.1:${port}/`,
    next: () => (made.length > 0 ? Promise.resolve(made.shift()!) : new Promise((resolve) => waiting.push(resolve))),
  };
}

function echo(driver: ServerSideDriver): void {
  driver.on('message', (event) => void (typeof event.data === 'string' ? driver.text(event.data) : driver.binary(event.data)));
}

/** A `ws` client, open; its messages as they come. */
async function wsClient(url: string): Promise<{ ws: WebSocket; messages: Array<Buffer | string>; nextMessage(): Promise<Buffer | string> }> {
  const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
  cleanup.add(() => ws.terminate());
  const messages: Array<Buffer | string> = [];
  const waiting: Array<() => void> = [];
  ws.on('message', (data, isBinary) => {
    messages.push(isBinary ? (data as Buffer) : data.toString());
    waiting.shift()?.();
  });
  await once(ws as unknown as NodeJS.EventEmitter, 'open');
  return {
    ws,
    messages,
    nextMessage: async () => {
      const seen = messages.length;
      while (messages.length === seen) await new Promise<void>((resolve) => waiting.push(resolve));
      return messages[seen]!;
    },
  };
}

/** A connection to `server` whose socket reads into the shared buffer: switched at its first read after open (one message echoed). */
async function switched(server: Awaited<ReturnType<typeof upgradeServer>>): Promise<{ client: Awaited<ReturnType<typeof wsClient>>; driver: ServerSideDriver; socket: net.Socket }> {
  const client = await wsClient(server.url);
  const { driver, socket } = await server.next();
  client.ws.send('first');
  await client.nextMessage();
  expect(readsIntoSharedBuffer(socket)).toBe(true);
  return { client, driver, socket };
}

async function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Each message compared with the one expected: a list of trues when all match (Buffers compared at once, not byte by byte). */
function matches(got: ReadonlyArray<Buffer | Uint8Array | string>, want: ReadonlyArray<Buffer | string>): boolean[] {
  expect(got.length).toBe(want.length);
  return want.map((expected, i) => {
    const actual = got[i]!;
    if (typeof expected === 'string' || typeof actual === 'string') return actual === expected;
    return Buffer.compare(Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength), expected) === 0;
  });
}

function allTrue(list: readonly boolean[]): boolean[] {
  return list.map(() => true);
}

function pattern(length: number, seed: number): Buffer {
  return Buffer.from(patternBytes(length, seed));
}

describe('handleUpgrade: reads into the shared buffer once open', () => {
  it('switches after the first read, and echoes every message exact, small to 3 MiB, binary, text and fragmented', async () => {
    const server = await upgradeServer();
    const client = await wsClient(server.url);
    const { socket } = await server.next();
    client.ws.send('first');
    expect(await client.nextMessage()).toBe('first');
    expect(readsIntoSharedBuffer(socket)).toBe(true);

    const sent: Array<Buffer | string> = [];
    for (const size of [0, 1, 125, 126, 4096, 65535, 65536, 70000, 1024 * 1024, 3 * 1024 * 1024 + 3]) {
      sent.push(pattern(size, size & 0xff), 'é€😀'.repeat(size >> 4));
    }
    for (const message of sent) client.ws.send(message);
    // Fragments: a message in three frames, binary and text.
    const parts = [pattern(10, 1), pattern(70000, 2), pattern(3, 3)];
    parts.forEach((part, i) => client.ws.send(part, { fin: i === parts.length - 1 }));
    sent.push(Buffer.concat(parts));
    client.ws.send('ab€', { fin: false });
    client.ws.send('cd', { fin: true });
    sent.push('ab€cd');
    await until(() => client.messages.length === sent.length + 1, 'the echoes');
    const same = matches(client.messages.slice(1), sent);
    expect(same).toEqual(allTrue(same));
  });

  it('reads of one length (one view of the buffer, reused) leave every kept message exact: binary, text as bytes, and input held while paused', async () => {
    // The adapter hands a run of equal-length reads to the driver as one view of the shared buffer (attachment.ts,
    // readView): what the driver keeps of each read must still be a copy, not the view the next read writes over.
    const kept: Uint8Array[] = [];
    const server = await upgradeServer((driver) => driver.on('message', (event) => void kept.push(event.data as Uint8Array)), { decodeText: false });
    const client = await wsClient(server.url);
    const { driver, socket } = await server.next();
    const sent: Buffer[] = [];
    const sendOne = async (binary: boolean, seed: number) => {
      // Every frame the same length (1,000 bytes of payload), each in a read of its own: the next is sent once this one is read.
      const payload = binary ? pattern(1000, seed) : Buffer.from(String.fromCharCode(97 + (seed % 26)).repeat(1000));
      sent.push(payload);
      client.ws.send(payload, { binary });
      await until(() => kept.length === sent.length, 'the message');
    };
    await sendOne(true, 0);
    expect(readsIntoSharedBuffer(socket)).toBe(true);
    for (let i = 1; i < 40; i++) await sendOne(i % 2 === 0, i);
    // Paused: the reads' bytes are held (copied) until resume, each read the same length.
    driver.pause();
    for (let i = 40; i < 50; i++) {
      const payload = pattern(1000, i);
      sent.push(payload);
      client.ws.send(payload);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    driver.resume();
    await until(() => kept.length === sent.length, 'the held messages');
    const same = kept.map((bytes, i) => Buffer.compare(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), sent[i]!) === 0);
    expect(same).toEqual(allTrue(same));
  });

  it('keeps 40 connections apart: every read of each goes through the one buffer, and every echo is exact', async () => {
    const server = await upgradeServer();
    const clients = await Promise.all(Array.from({ length: 40 }, () => wsClient(server.url)));
    const sockets = await Promise.all(clients.map(() => server.next()));
    const expected = clients.map(() => [] as Buffer[]);
    // Several rounds of fragmented messages, each fragment sent a few
    // milliseconds after the last, so each arrives in a read of its own
    // while the other connections' reads go through the buffer between.
    for (let round = 0; round < 4; round++) {
      const parts = clients.map((_, c) => [pattern(100 + c, c + round), pattern(3000 * (c % 5) + 1, round), pattern(20000 + round, c)]);
      for (let i = 0; i < 3; i++) {
        clients.forEach((client, c) => client.ws.send(parts[c]![i]!, { fin: i === 2 }));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      clients.forEach((_, c) => expected[c]!.push(Buffer.concat(parts[c]!)));
    }
    await until(() => clients.every((client, c) => client.messages.length === expected[c]!.length), 'every echo', 15000);
    clients.forEach((client, c) => {
      const same = matches(client.messages, expected[c]!);
      expect(same).toEqual(allTrue(same));
    });
    expect(sockets.every(({ socket }) => readsIntoSharedBuffer(socket))).toBe(true);
  });

  it("a driver's pause stops the socket's reads once the stream's buffer is full (the kernel holds the rest) and resume reads it all, exact", async () => {
    const server = await upgradeServer();
    const { client, driver, socket } = await switched(server);
    driver.pause();
    const before = socket.bytesRead;
    const big = pattern(4 * 1024 * 1024, 9);
    client.ws.send(big);
    client.ws.send('after');
    await new Promise((resolve) => setTimeout(resolve, 300));
    // As for a socket of Node's own: reads go on into the stream's buffer
    // until it is full, then stop; the rest of the 4 MiB waits in the kernel.
    const readWhilePaused = socket.bytesRead - before;
    expect(readWhilePaused).toBeLessThanOrEqual(4 * 64 * 1024);
    expect(socket.readableLength).toBe(readWhilePaused);
    const handle = (socket as unknown as { _handle: { reading: boolean } })._handle;
    expect(handle.reading).toBe(false);
    expect(driver.retainedBytes).toBe(0);
    driver.resume();
    await until(() => client.messages.length === 3, 'the echoes after resume');
    expect(matches(client.messages.slice(1), [big, 'after'])).toEqual([true, true]);
    // Back on the shared buffer once the stream's own is empty.
    client.ws.send('again');
    await until(() => client.messages.length === 4, 'the echo after switching back');
    expect(client.messages[3]).toBe('again');
    expect(readsIntoSharedBuffer(socket) && socket.readableLength === 0).toBe(true);
  });

  for (const how of ['end', 'reset'] as const) {
    it(`a paused driver still hears the peer's ${how} (close 1006), as a socket of Node's own does`, async () => {
      const server = await upgradeServer();
      const { client, driver, socket } = await switched(server);
      const closed = next(driver, 'close');
      driver.pause();
      await new Promise((resolve) => setTimeout(resolve, 20));
      const raw = (client.ws as unknown as { _socket: net.Socket })._socket;
      if (how === 'end') raw.end();
      else raw.resetAndDestroy();
      expect((await closed).code).toBe(1006);
      await until(() => socket.destroyed, 'the socket to close');
    });
  }

  it('the peer ending its side ends the connection (close 1006, the socket closed)', async () => {
    const server = await upgradeServer();
    const { client, driver, socket } = await switched(server);
    const closed = next(driver, 'close');
    (client.ws as unknown as { _socket: net.Socket })._socket.end();
    expect((await closed).code).toBe(1006);
    await until(() => socket.destroyed, 'the socket to close');
  });

  it('a clean close handshake still completes', async () => {
    const server = await upgradeServer();
    const { client, driver, socket } = await switched(server);
    const closed = next(driver, 'close');
    client.ws.close(1000, 'bye');
    const event = await closed;
    expect([event.code, event.reason, event.wasClean]).toEqual([1000, 'bye', true]);
  });

  it('a reset by the peer reaches the driver (close 1006)', async () => {
    const server = await upgradeServer();
    const { client, driver, socket } = await switched(server);
    const closed = next(driver, 'close');
    (client.ws as unknown as { _socket: net.Socket })._socket.resetAndDestroy();
    expect((await closed).code).toBe(1006);
  });

  it('terminate() and destroy() end a switched socket', async () => {
    const server = await upgradeServer();
    for (const end of ['terminate', 'destroy'] as const) {
      const { client, driver, socket } = await switched(server);
      const closed = next(driver, 'close');
      if (end === 'terminate') expect(terminate(driver)).toBe(true);
      else socket.destroy();
      expect((await closed).code).toBe(1006);
      await once(client.ws as unknown as NodeJS.EventEmitter, 'close');
    }
  });

  it('a protocol error on a switched socket fails the connection with its close code', async () => {
    const server = await upgradeServer();
    const { client, driver, socket } = await switched(server);
    const closed = next(driver, 'close');
    // An unmasked frame from a client (RFC 6455 §5.1), written past ws.
    (client.ws as unknown as { _socket: net.Socket })._socket.write(Buffer.from([0x82, 0x01, 0x00]));
    expect((await closed).code).toBe(1002);
  });
});

describe('the other ways in', () => {
  it('the server object switches its connections too', async () => {
    const drivers: object[] = [];
    const wss = new WebSocketServer({ handler: (driver) => (drivers.push(driver), echo(driver as unknown as ServerSideDriver)) });
    const server = cleanup.server(http.createServer());
    wss.serve(server);
    const port = await listen(server);
    const client = await wsClient(`ws://127.0.0.1:${port}/`);
    client.ws.send('first');
    await client.nextMessage();
    const big = pattern(300_000, 4);
    client.ws.send(big);
    expect(matches([await client.nextMessage()], [big])).toEqual([true]);
    // The server object's connection is its attachment's stream.
    const { attachmentOfDriver } = await import('../../lib/adapters/node/attachment.js');
    expect(readsIntoSharedBuffer(attachmentOfDriver(drivers[0]!)!.stream)).toBe(true);
  });

  it('a client over TCP (connect) switches once open and reads every message exact', async () => {
    const http1 = cleanup.server(http.createServer());
    const wss = new WsServer({ server: http1, perMessageDeflate: false });
    cleanup.add(() => wss.close());
    const sent = [pattern(5, 1), pattern(100_000, 2), 'é'.repeat(40_000), pattern(2 * 1024 * 1024, 3)];
    wss.on('connection', (ws) => ws.on('message', () => sent.forEach((m) => ws.send(m))));
    const port = await listen(http1);
    const client = connect(`ws://127.0.0.1:${port}/`, { maxLength: 8 * 1024 * 1024 });
    cleanup.add(() => terminate(client));
    const received: Array<string | Uint8Array> = [];
    client.on('message', (event) => void received.push(event.data));
    await next(client, 'open');
    client.text('go');
    await until(() => received.length === sent.length, 'the messages');
    expect(matches(received, sent)).toEqual([true, true, true, true]);
    const { attachmentOfDriver } = await import('../../lib/adapters/node/attachment.js');
    expect(readsIntoSharedBuffer(attachmentOfDriver(client)!.stream)).toBe(true);
  });

  it("a user's own socket given to attach() keeps its data events", async () => {
    const sockets: net.Socket[] = [];
    const server = cleanup.server(
      net.createServer((tcp) => {
        sockets.push(tcp);
        const driver = Driver.server(streamSocket(tcp));
        driver.on('connect', () => driver.start());
        echo(driver as unknown as ServerSideDriver);
        attach(driver, tcp);
      }),
    );
    const port = await listen(server);
    const client = await wsClient(`ws://127.0.0.1:${port}/`);
    client.ws.send(pattern(1000, 1));
    await client.nextMessage();
    client.ws.send(pattern(1000, 2));
    await client.nextMessage();
    expect(readsIntoSharedBuffer(sockets[0]!)).toBe(false);
  });

  it('a socket with a data listener of its own is not switched, and keeps getting every read', async () => {
    const seen: Buffer[] = [];
    const server = await upgradeServer();
    const client = await wsClient(server.url);
    const { socket } = await server.next();
    socket.on('data', (chunk: Buffer) => seen.push(chunk));
    client.ws.send('first');
    await client.nextMessage();
    client.ws.send('second');
    await client.nextMessage();
    expect(readsIntoSharedBuffer(socket)).toBe(false);
    expect(seen.length).toBeGreaterThan(0);
    // And asked directly: the caller's listener is not the only one.
    expect(readIntoSharedBuffer(socket, () => undefined)).toBe('later');
  });
});

describe('no per-connection memory', () => {
  it('every switched socket reads into the same 256 KiB buffer', async () => {
    const server = await upgradeServer();
    const buffers = new Set<unknown>();
    for (let i = 0; i < 5; i++) {
      const client = await wsClient(server.url);
      const { socket } = await server.next();
      client.ws.send('x');
      await client.nextMessage();
      const kBuffer = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'kBuffer')!;
      buffers.add((socket as unknown as Record<symbol, unknown>)[kBuffer]);
    }
    expect(buffers.size).toBe(1);
    expect((([...buffers][0]) as Uint8Array).byteLength).toBe(256 * 1024);
  });
});

describe('large frames', () => {
  it('a 1 MiB frame comes in reads of more than 64 KiB, and one whose first read holds a quarter of it is held in its exact buffer from there, never staged', async () => {
    const server = await upgradeServer();
    const { client, driver, socket } = await switched(server);
    // Each read's size, and what the driver holds after it (the frame's exact buffer, or a staging buffer of four times what arrived).
    const reads: Array<{ bytes: number; held: number }> = [];
    const kBufferCb = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'kBufferCb')!;
    const record = socket as unknown as Record<symbol, (this: net.Socket, nread: number, buffer: Uint8Array) => unknown>;
    const onRead = record[kBufferCb]!;
    record[kBufferCb] = function (nread, buffer) {
      const result = onRead.call(this, nread, buffer);
      reads.push({ bytes: nread, held: driver.retainedBytes });
      return result;
    };
    const MiB = 1024 * 1024;
    const sent = Array.from({ length: 12 }, (_, i) => pattern(MiB, i));
    for (const message of sent) {
      client.ws.send(message);
      // Let the kernel queue the frame before the server reads (the client and the server share this thread).
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      await client.nextMessage();
    }
    const echoed = matches(client.messages.slice(1), sent);
    expect(echoed).toEqual(allTrue(echoed));
    expect(Math.max(...reads.map((r) => r.bytes))).toBeGreaterThan(64 * 1024);
    expect(Math.max(...reads.map((r) => r.bytes))).toBeLessThanOrEqual(READ_BUFFER_SIZE);
    // Each frame's first read (the driver held nothing before it): a full
    // read brings a quarter of the frame, so the driver holds the frame's
    // exact 1 MiB from there, not a staging buffer of four times the read.
    const firstReads = reads.filter((r, i) => r.held > 0 && (i === 0 || reads[i - 1]!.held === 0));
    const fullFirstReads = firstReads.filter((r) => r.bytes === READ_BUFFER_SIZE);
    expect(fullFirstReads.length).toBeGreaterThan(0);
    expect(fullFirstReads.map((r) => r.held)).toEqual(fullFirstReads.map(() => MiB));
  });
});
