/**
 * The callback adapter over real transports: node:net and node:http's
 * `upgrade` on 127.0.0.1 (with `writeBuffer(stream)` from the Node
 * adapter), and WHATWG streams (with `connection.writeBuffer`).
 */
import http from 'node:http';
import net from 'node:net';
import { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ClientGroup, PreparedMessage, bindHandler, type Client, type Handler } from '../../lib/adapters/callbacks/index.js';
import { attach, handleUpgrade, streamSocket, writeBuffer } from '../../lib/adapters/node/index.js';
import { runOverStreams } from '../../lib/adapters/streams/index.js';
import { Driver, type DriverOptions } from '../../lib/index.js';
import { clientFrame, Op, parseHead, requestHead } from '../helpers/index.js';
import { Cleanup, listen, once, readUntil, tcpConnect } from '../interop/support.js';
import { LoggingHandler } from './support.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** A node:net server whose connections are bound to `handler` in `group`. */
async function callbackServer(
  handler: Handler,
  group = new ClientGroup(),
  options: DriverOptions = {},
): Promise<{ port: number; group: ClientGroup }> {
  const server = cleanup.server(
    net.createServer((tcp) => {
      const driver = attach(Driver.server(streamSocket(tcp), options), tcp);
      driver.on('connect', () => driver.start());
      group.bind(driver, handler, writeBuffer(tcp));
    }),
  );
  return { port: await listen(server), group };
}

/** A `ws` client that has opened, and the messages and close it gets. */
async function wsClient(url: string) {
  const socket = new WebSocket(url);
  cleanup.add(() => socket.terminate());
  const messages: Array<string | Uint8Array> = [];
  socket.on('message', (data, isBinary) => messages.push(isBinary ? new Uint8Array(data as Buffer) : String(data)));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  await once(socket, 'open');
  return { socket, messages, closed };
}

const echo: Handler = {
  onMessage: (client, data) => void client.write(data),
};

/** A Duplex whose writes complete only when the test releases them. */
function heldDuplex(highWaterMark = 16) {
  const held: Array<() => void> = [];
  const stream = new Duplex({
    highWaterMark,
    read() {},
    write(_chunk, _encoding, done) {
      held.push(() => done());
    },
  });
  return { stream, release: () => held.shift()?.() };
}

describe('writeBuffer(stream)', () => {
  it("reports the stream's writableLength, and a flush after each streamSocket write completes", async () => {
    const { stream, release } = heldDuplex();
    const socket = streamSocket(stream);
    const buffer = writeBuffer(stream);
    const seen: number[] = [];
    buffer.onFlush(() => seen.push(buffer.pending()));
    // The connection's first write goes at once (writeAlone), then the tick's first; the third is
    // held to the end of the tick (tick-coalescer.ts): not yet offered, not pending.
    socket.write(new Uint8Array(5));
    socket.write(new Uint8Array(3));
    socket.write(new Uint8Array(2));
    expect(buffer.pending()).toBe(8);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(buffer.pending()).toBe(10);
    release();
    await expect.poll(() => seen).toEqual([5]);
    release();
    await expect.poll(() => seen).toEqual([5, 2]);
    release();
    await expect.poll(() => seen).toEqual([5, 2, 0]);
  });

  it("hears of other writes through Node's drain, once the buffer went past highWaterMark", async () => {
    const { stream, release } = heldDuplex(4);
    const buffer = writeBuffer(stream);
    let flushes = 0;
    buffer.onFlush(() => flushes++);
    stream.write(new Uint8Array(10)); // straight to the stream, not through streamSocket
    release();
    await expect.poll(() => flushes).toBe(1);
    expect(buffer.pending()).toBe(0);
  });

  it('stops calling a listener once it is removed, and reports 0 for a destroyed stream', async () => {
    const { stream, release } = heldDuplex();
    const socket = streamSocket(stream);
    const buffer = writeBuffer(stream);
    let kept = 0;
    let removed = 0;
    buffer.onFlush(() => kept++);
    buffer.onFlush(() => removed++)();
    socket.write(new Uint8Array(2));
    release();
    await expect.poll(() => kept).toBe(1);
    expect(removed).toBe(0);
    socket.write(new Uint8Array(2));
    stream.destroy();
    expect(buffer.pending()).toBe(0);
  });
});

describe('callbacks over node:net on 127.0.0.1', () => {
  it('echoes text as text and binary as binary to a ws client, then reports its close', async () => {
    const closes: number[] = [];
    const { port } = await callbackServer({ ...echo, onClose: (_client, event) => void closes.push(event.code) });
    const peer = await wsClient(`ws://127.0.0.1:${port}/`);
    peer.socket.send('hello');
    peer.socket.send(Uint8Array.of(0, 1, 255));
    await expect.poll(() => peer.messages.length).toBe(2);
    expect(peer.messages).toEqual(['hello', Uint8Array.of(0, 1, 255)]);
    peer.socket.close(4000, 'done');
    expect((await peer.closed).code).toBe(4000);
    await expect.poll(() => closes).toEqual([4000]);
  });

  it('with decodeText: false, echoes text kept as bytes as text with write(data, type), binary as binary', async () => {
    const seen: Array<[string, boolean]> = [];
    const echoTyped: Handler = {
      onMessage(client, data, type) {
        seen.push([type, data instanceof Uint8Array]);
        client.write(data, type);
      },
    };
    const { port } = await callbackServer(echoTyped, new ClientGroup(), { decodeText: false });
    const peer = await wsClient(`ws://127.0.0.1:${port}/`);
    peer.socket.send('héllo 😀');
    peer.socket.send(Uint8Array.of(0, 1, 255));
    peer.socket.send('');
    await expect.poll(() => peer.messages.length).toBe(3);
    expect(peer.messages).toEqual(['héllo 😀', Uint8Array.of(0, 1, 255), '']);
    expect(seen).toEqual([
      ['text', true],
      ['binary', true],
      ['text', true],
    ]);
  });

  it('with decodeText: false, relays text kept as bytes to every client as text: a broadcast of new PreparedMessage(data, type)', async () => {
    const group = new ClientGroup();
    const relay: Handler = {
      onMessage: (_client, data, type) => void group.broadcast(new PreparedMessage(data, type)),
    };
    const { port } = await callbackServer(relay, group, { decodeText: false });
    const a = await wsClient(`ws://127.0.0.1:${port}/`);
    const b = await wsClient(`ws://127.0.0.1:${port}/`);
    a.socket.send('héllo ✓');
    await expect.poll(() => b.messages.length).toBe(1);
    b.socket.send(Uint8Array.of(1, 2));
    await expect.poll(() => a.messages.length).toBe(2);
    await expect.poll(() => b.messages.length).toBe(2);
    for (const peer of [a, b]) expect(peer.messages).toEqual(['héllo ✓', Uint8Array.of(1, 2)]);
  });

  it("hands a connection reset to onClose: 1006, not clean, the reset's message as the reason", async () => {
    const closes: Array<{ code: number; reason: string; wasClean: boolean }> = [];
    const { port } = await callbackServer({ ...echo, onClose: (_client, event) => void closes.push(event) });
    const tcp = await tcpConnect(cleanup, port, { port });
    tcp.write(requestHead());
    await readUntil(tcp, (bytes) => bytes.includes('\r\n\r\n'));
    tcp.resetAndDestroy();
    await expect.poll(() => closes.length).toBe(1);
    expect(closes[0]).toMatchObject({ code: 1006, wasClean: false });
    expect(closes[0]!.reason).toContain('ECONNRESET');
  });

  it('reports pending bytes while the peer does not read, then onDrained once all are flushed', async () => {
    const chunk = new Uint8Array(256 * 1024).fill(0x61);
    const seen: { pendingAtWrite: number; pendingAtDrain: number | null; written: number } = {
      pendingAtWrite: 0,
      pendingAtDrain: null,
      written: 0,
    };
    let drains = 0;
    const { port } = await callbackServer({
      onOpen(client) {
        // Write until the kernel's buffers are full and Node starts buffering. From the next
        // tick: what is written while a read is handled (onOpen runs in the handshake's) waits
        // in the stream's cork until the read is done, so pending() would count it at once.
        setImmediate(() => {
          for (let i = 0; i < 400 && client.pending() === 0; i++) {
            client.write(chunk);
            seen.written += chunk.length;
          }
          seen.pendingAtWrite = client.pending();
        });
      },
      onDrained(client) {
        drains++;
        seen.pendingAtDrain = client.pending();
      },
    });
    const tcp = await tcpConnect(cleanup, port);
    tcp.write(requestHead({ host: `127.0.0.1:${port}` }));
    // Read the 101 only, then stop reading so the server's writes back up.
    const head = await readUntil(tcp, (bytes) => bytes.includes('\r\n\r\n'));
    expect(parseHead(head).status).toBe(101);
    tcp.pause();
    await expect.poll(() => seen.pendingAtWrite).toBeGreaterThan(0);
    expect(drains).toBe(0);

    let received = head.length - head.indexOf('\r\n\r\n') - 4;
    tcp.on('data', (bytes: Buffer) => (received += bytes.length));
    tcp.resume();
    await expect.poll(() => drains, { timeout: 10_000 }).toBe(1);
    expect(seen.pendingAtDrain).toBe(0);
    // Every message was written in full: payload plus a 10-byte header each.
    await expect.poll(() => received, { timeout: 10_000 }).toBe(seen.written + (seen.written / chunk.length) * 10);
  });

  it('shuts every connection down: the goodbye, then 1001, then onClose for each', async () => {
    const closes: number[] = [];
    const { port, group } = await callbackServer({
      onShutdown: (client) => void client.write('server going away'),
      onClose: (_client, event) => void closes.push(event.code),
    });
    const peers = [await wsClient(`ws://127.0.0.1:${port}/`), await wsClient(`ws://127.0.0.1:${port}/`)];
    await expect.poll(() => group.size).toBe(2);
    await group.shutdown();
    expect(closes).toEqual([1001, 1001]);
    for (const peer of peers) {
      expect(await peer.closed).toEqual({ code: 1001, reason: '' });
      expect(peer.messages).toEqual(['server going away']);
    }
  });

  it('after shutdown, a new connection gets 1001 as soon as it opens', async () => {
    const { port, group } = await callbackServer({ onShutdown: (client) => void client.write('closed for the night') });
    await group.shutdown(1001, 'closed');
    const peer = await wsClient(`ws://127.0.0.1:${port}/`);
    expect(await peer.closed).toEqual({ code: 1001, reason: 'closed' });
    expect(peer.messages).toEqual(['closed for the night']);
  });
});

describe('callbacks over node:net: flow control both ways, by default (docs/flow-control.md)', () => {
  const MiB = 1024 * 1024;

  it.each([
    ['with writeBuffer(tcp)', true],
    ['bound without a write buffer', false],
  ])('%s: write() returns false past maxBufferedBytes, onDrained says when to go on; a peer that does not read stops the producer', async (_name, withBuffer) => {
    const chunk = new Uint8Array(64 * 1024).fill(0x62);
    const total = 400; // 25 MiB: more than loopback's socket buffers hold
    const seen = { accepted: 0, refused: 0, mostInSocket: 0, drains: 0 };
    const server = cleanup.server(
      net.createServer((tcp) => {
        const driver = attach(Driver.server(streamSocket(tcp), { maxBufferedBytes: MiB }), tcp);
        driver.on('connect', () => driver.start());
        // A producer that follows write()'s answer and onDrained, nothing else.
        const produce = (client: Client) => {
          while (seen.accepted < total) {
            if (!client.write(chunk)) {
              seen.refused++;
              break;
            }
            seen.accepted++;
            seen.mostInSocket = Math.max(seen.mostInSocket, tcp.writableLength);
          }
        };
        const handler: Handler = {
          onOpen: produce,
          onDrained(client) {
            seen.drains++;
            produce(client);
          },
        };
        bindHandler(driver, handler, withBuffer ? writeBuffer(tcp) : undefined);
      }),
    );
    const port = await listen(server);
    const tcp = await tcpConnect(cleanup, port);
    tcp.write(requestHead({ host: `127.0.0.1:${port}` }));
    const head = await readUntil(tcp, (bytes) => bytes.includes('\r\n\r\n'));
    tcp.pause();
    // The kernel's buffers fill, then the producer stays stopped.
    let before = -1;
    for (let i = 0; i < 50 && seen.accepted !== before; i++) {
      before = seen.accepted;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(seen.accepted).toBe(before);
    expect(seen.accepted).toBeLessThan(total);
    expect(seen.refused).toBeGreaterThan(0);
    // Node's own count of what the socket holds: the bound plus one message at most.
    expect(seen.mostInSocket).toBeLessThanOrEqual(MiB + chunk.length + 10);

    let received = head.length - head.indexOf('\r\n\r\n') - 4;
    tcp.on('data', (bytes: Buffer) => (received += bytes.length));
    tcp.resume();
    await expect.poll(() => seen.accepted, { timeout: 10_000 }).toBe(total);
    expect(seen.drains).toBeGreaterThan(0);
    // Every message arrived whole: payload plus a 10-byte header each (64 KiB needs the 64-bit length).
    await expect.poll(() => received, { timeout: 10_000 }).toBe(total * (chunk.length + 10));
  });

  it('client.pause() stops reading the socket (the ws peer backs up, nothing fails); client.resume() delivers it all', async () => {
    const clients: Client[] = [];
    const errors: string[] = [];
    let received = 0;
    const { port } = await callbackServer({
      onOpen(client) {
        clients.push(client);
        client.driver.on('error', (error) => errors.push(error.message));
        client.pause();
      },
      onMessage: (_client, data) => void (received += (data as Uint8Array).length),
    });
    const { socket } = await wsClient(`ws://127.0.0.1:${port}/`);
    await expect.poll(() => clients.length).toBe(1);
    const count = 512; // 32 MiB: more than loopback's socket buffers hold
    for (let i = 0; i < count; i++) socket.send(new Uint8Array(64 * 1024));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // Past maxPausedBytes (1 MiB) held, the driver would have failed with 1009.
    expect(errors).toEqual([]);
    expect(received).toBe(0);
    expect(socket.bufferedAmount).toBeGreaterThan(8 * MiB);
    clients[0]!.resume();
    await expect.poll(() => received, { timeout: 10_000 }).toBe(count * 64 * 1024);
    expect(errors).toEqual([]);
  });
});

describe("callbacks under node:http's upgrade event", () => {
  it('binds the driver handleUpgrade makes, with the request as env and the agreed subprotocol', async () => {
    const group = new ClientGroup();
    const opened: Array<{ path: unknown; protocol: string | null }> = [];
    const handler: Handler = {
      onOpen: (client) => void opened.push({ path: client.env?.PATH_INFO, protocol: client.protocol }),
      onMessage: (client, data) => void client.write(`echo: ${String(data)}`),
    };
    const server = cleanup.server(http.createServer((_request, response) => response.writeHead(426).end()));
    server.on('upgrade', (request, socket, head) => {
      const driver = handleUpgrade(request, socket, head, { protocols: ['chat'] });
      group.bind(driver, handler, writeBuffer(socket));
    });
    const port = await listen(server);
    const socket = new WebSocket(`ws://127.0.0.1:${port}/room/7`, ['chat']);
    cleanup.add(() => socket.terminate());
    const replies: string[] = [];
    socket.on('message', (data) => replies.push(String(data)));
    await once(socket, 'open');
    socket.send('hi');
    await expect.poll(() => replies).toEqual(['echo: hi']);
    expect(opened).toEqual([{ path: '/room/7', protocol: 'chat' }]);
    const closed = once<number>(socket, 'close');
    await group.shutdown();
    expect(await closed).toBe(1001);
  });
});

describe("handleUpgrade with decodeText: false, bound to a handler", () => {
  it('hands text to onMessage as bytes with type text, and write(data, type) sends it back as text to a ws client', async () => {
    const seen: string[] = [];
    const handler: Handler = {
      onMessage(client, data, type) {
        seen.push(`${type} ${data instanceof Uint8Array ? 'bytes' : 'string'}`);
        client.write(data, type);
      },
    };
    const server = cleanup.server(http.createServer((_request, response) => response.writeHead(426).end()));
    server.on('upgrade', (request, socket, head) => {
      bindHandler(handleUpgrade(request, socket, head, { decodeText: false }), handler, writeBuffer(socket));
    });
    const port = await listen(server);
    const peer = await wsClient(`ws://127.0.0.1:${port}/`);
    peer.socket.send('ünï ✓');
    peer.socket.send(Uint8Array.of(5));
    await expect.poll(() => peer.messages.length).toBe(2);
    expect(peer.messages).toEqual(['ünï ✓', Uint8Array.of(5)]);
    expect(seen).toEqual(['text bytes', 'binary bytes']);
  });
});

describe('callbacks over WHATWG streams', () => {
  it('counts a write as pending until the sink has taken it; no onDrained is owed unless pending was seen', async () => {
    const held: Array<() => void> = [];
    const sunk: Uint8Array[] = [];
    const readable = new ReadableStream<Uint8Array>({ start: () => {} });
    const writable = new WritableStream<Uint8Array>(
      {
        write: (chunk) =>
          new Promise<void>((resolve) =>
            held.push(() => {
              sunk.push(chunk);
              resolve();
            }),
          ),
      },
      { highWaterMark: 1024 },
    );
    const connection = runOverStreams({ readable, writable }, (socket) => Driver.client(socket), { url: 'ws://example.test/' });
    const log = new LoggingHandler();
    const { client } = bindHandler(connection.driver, log, connection.writeBuffer);
    connection.driver.start();
    await expect.poll(() => held.length).toBe(1);
    const request = connection.writeBuffer.pending();
    expect(request).toBeGreaterThan(0);
    expect(client.write('queued before open')).toBe(true); // held by the driver until open
    held.shift()!();
    await expect.poll(() => connection.writeBuffer.pending()).toBe(0);
    // Nothing asked about pending bytes yet, so no onDrained is owed.
    expect(log.names).toEqual([]);
    expect(sunk).toHaveLength(1);
    expect(sunk[0]!.length).toBe(request);
    connection.driver.close();
  });

  it('calls onDrained once every frame written has been accepted by the sink', async () => {
    const held: Array<() => void> = [];
    let toDriver!: ReadableStreamDefaultController<Uint8Array>;
    const readable = new ReadableStream<Uint8Array>({ start: (controller) => void (toDriver = controller) });
    const writable = new WritableStream<Uint8Array>({ write: () => new Promise<void>((resolve) => held.push(resolve)) });
    const connection = runOverStreams({ readable, writable }, (socket) => Driver.server(socket));
    connection.driver.on('connect', () => connection.driver.start());
    const log = new LoggingHandler();
    let seenPending = 0;
    log.hooks.open = (client: Client) => {
      client.write('one');
      client.write('two');
      seenPending = client.pending();
    };
    bindHandler(connection.driver, log, connection.writeBuffer);
    toDriver.enqueue(requestHead());
    await expect.poll(() => log.names).toEqual(['open']);
    expect(seenPending).toBeGreaterThan(0);
    // The 101, then each frame: the sink takes one write per poll.
    await expect
      .poll(() => {
        held.shift()?.();
        return log.names;
      })
      .toEqual(['open', 'drained']);
    expect(connection.writeBuffer.pending()).toBe(0);
    toDriver.close();
    await connection.done;
  });

  it('client.pause() stops reading the readable side (chunks stay queued in it); client.resume() delivers them', async () => {
    let toDriver!: ReadableStreamDefaultController<Uint8Array>;
    const readable = new ReadableStream<Uint8Array>({ start: (controller) => void (toDriver = controller) });
    const writable = new WritableStream<Uint8Array>();
    const connection = runOverStreams({ readable, writable }, (socket) => Driver.server(socket));
    connection.driver.on('connect', () => connection.driver.start());
    const log = new LoggingHandler();
    const { client } = bindHandler(connection.driver, log, connection.writeBuffer);
    toDriver.enqueue(requestHead());
    await expect.poll(() => log.names).toEqual(['open']);
    client.pause();
    for (let i = 0; i < 5; i++) toDriver.enqueue(clientFrame(Op.TEXT, `message ${i}`));
    await new Promise((resolve) => setTimeout(resolve, 50));
    // At most the one read already under way was taken; the rest waits in the stream's queue.
    expect(toDriver.desiredSize).toBeLessThanOrEqual(-3);
    expect(log.names).toEqual(['open']);
    client.resume();
    await expect.poll(() => log.names.length).toBe(6);
    expect(toDriver.desiredSize).toBe(1);
    toDriver.close();
    await connection.done;
  });
});
