/**
 * runOverHandlerSocket (wsdriver/sockets): a socket whose write() takes only
 * part of what it is given, as Bun's do. Here the socket is a scripted one
 * that takes at most `window` bytes per call until drained; the Bun test in
 * test/runtimes/ runs the real thing.
 */
import { describe, expect, it } from 'vitest';
import { Driver, type HybiClientDriver, type ProtocolError } from '../../lib/index.js';
import { runOverHandlerSocket, type HandlerSocketConnection } from '../../lib/adapters/sockets/index.js';
import { acceptFor } from '../helpers/index.js';

/** A socket that accepts `window` bytes between drains, and records what it took. */
class NarrowSocket {
  taken: number[] = [];
  room: number;
  ended = false;
  constructor(readonly window: number) {
    this.room = window;
  }
  write(bytes: Uint8Array): number {
    if (this.ended) return -1;
    const n = Math.min(this.room, bytes.length);
    this.room -= n;
    for (let i = 0; i < n; i++) this.taken.push(bytes[i]!);
    return n;
  }
  end(): void {
    this.ended = true;
  }
  /** Makes room again and tells the connection, as a drain handler would. */
  drain(connection: HandlerSocketConnection<unknown>): void {
    this.room = this.window;
    connection.drain();
  }
}

function pattern(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 13 + 1) & 255);
}

describe('runOverHandlerSocket', () => {
  it('queues what write() did not take and sends it, in order, on drain', () => {
    const socket = new NarrowSocket(1000);
    const connection = runOverHandlerSocket(socket, (s) => Driver.server(s));
    const server = connection.driver;
    const received: Array<string | Uint8Array> = [];
    // A client in memory: its output is parsed by the server at once.
    const client: HybiClientDriver = Driver.client({ url: 'ws://x.test/', write: (bytes) => connection.data(bytes.slice()) });
    client.on('message', (event) => received.push(event.data));
    server.on('connect', () => server.start());
    client.start();
    // Feed the server's handshake response to the client as the socket takes it.
    const feed = () => {
      const bytes = Uint8Array.from(socket.taken.splice(0));
      if (bytes.length > 0) client.parse(bytes);
    };
    feed();
    socket.drain(connection);
    feed();
    expect(client.readyState).toBe(1);

    const message = pattern(10_000);
    server.binary(message);
    server.text('after');
    expect(connection.bufferedAmount()).toBeGreaterThan(9_000);
    let flushes = 0;
    connection.writeBuffer.onFlush(() => flushes++);
    for (let turn = 0; turn < 20 && connection.bufferedAmount() > 0; turn++) {
      feed();
      socket.drain(connection);
    }
    feed();
    expect(connection.bufferedAmount()).toBe(0);
    expect(flushes).toBeGreaterThanOrEqual(10);
    expect(received.length).toBe(2);
    expect(Buffer.from(received[0] as Uint8Array).equals(Buffer.from(message))).toBe(true);
    expect(received[1]).toBe('after');
  });

  it('ends the socket only once the queue, close frame included, has gone out', () => {
    const socket = new NarrowSocket(4);
    const connection = runOverHandlerSocket(socket, (s) => Driver.client(s), { url: 'ws://x.test/' });
    connection.driver.start(); // the request head: far more than 4 bytes
    connection.driver.close(); // before open: the driver ends at once
    expect(socket.ended).toBe(false);
    for (let turn = 0; turn < 1000 && !socket.ended; turn++) socket.drain(connection);
    expect(socket.ended).toBe(true);
    expect(new TextDecoder().decode(Uint8Array.from(socket.taken))).toMatch(/^GET \/ HTTP\/1\.1\r\n[^]*\r\n\r\n$/);
  });

  it('reports 1006 when the socket closes first, and drops what was queued', () => {
    const socket = new NarrowSocket(0);
    const connection = runOverHandlerSocket(socket, (s) => Driver.client(s), { url: 'ws://x.test/' });
    const closes: number[] = [];
    connection.driver.on('close', (event) => closes.push(event.code));
    connection.driver.start();
    expect(connection.bufferedAmount()).toBeGreaterThan(0);
    connection.closed();
    connection.closed();
    expect(closes).toEqual([1006]);
    expect(connection.bufferedAmount()).toBe(0);
    connection.drain();
    expect(socket.taken).toEqual([]);
    expect(socket.ended).toBe(false);
  });

  it('a socket that fails still ends the driver with 1006, once', () => {
    const socket = new NarrowSocket(1 << 20);
    const connection = runOverHandlerSocket(socket, (s) => Driver.client(s), { url: 'ws://x.test/' });
    const closes: Array<{ code: number; wasClean: boolean }> = [];
    connection.driver.on('error', () => {});
    connection.driver.on('close', ({ code, wasClean }) => closes.push({ code, wasClean }));
    connection.driver.start();
    connection.closed(new Error('ECONNRESET'));
    connection.closed();
    expect(closes).toEqual([{ code: 1006, wasClean: false }]);
  });

  it('closed(error) reports the error as TRANSPORT_ERROR, then close 1006 with its message', () => {
    const socket = new NarrowSocket(1 << 20);
    const connection = runOverHandlerSocket(socket, (s) => Driver.client(s), { url: 'ws://x.test/' });
    const events: string[] = [];
    const errors: ProtocolError[] = [];
    connection.driver.on('error', (error) => {
      events.push('error');
      errors.push(error);
    });
    const closes: Array<{ code: number; reason: string; wasClean: boolean }> = [];
    connection.driver.on('close', (event) => {
      events.push('close');
      closes.push(event);
    });
    connection.driver.start();
    const cause = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    connection.closed(cause);
    expect(events).toEqual(['error', 'close']);
    expect(errors[0]).toMatchObject({ code: 'TRANSPORT_ERROR', closeCode: 1006, message: 'read ECONNRESET' });
    expect(errors[0]!.cause).toBe(cause);
    expect(closes).toEqual([{ code: 1006, reason: 'read ECONNRESET', wasClean: false }]);
  });
});

describe('runOverHandlerSocket: flow control (docs/flow-control.md)', () => {
  it('reports what waits as bufferedAmount, refuses past maxBufferedBytes, and emits drain once the socket took it all', () => {
    const socket = new NarrowSocket(64);
    const connection = runOverHandlerSocket(socket, (s) => Driver.client(s, { maxBufferedBytes: 1000 }), { url: 'ws://example.com/' });
    const driver = connection.driver;
    const errors: string[] = [];
    driver.on('error', (error) => errors.push(error.message));
    driver.start();
    // Let the request out, then open the driver with a hand-made 101.
    while (socket.taken.length < 100 || connection.bufferedAmount() > 0) socket.drain(connection);
    const request = new TextDecoder().decode(Uint8Array.from(socket.taken));
    const key = /Sec-WebSocket-Key: (\S+)/i.exec(request)![1]!;
    const accept = acceptFor(key);
    connection.data(new TextEncoder().encode(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`));
    expect(errors).toEqual([]);
    expect(driver.readyState).toBe(1);
    const drains: number[] = [];
    driver.on('drain', () => drains.push(connection.bufferedAmount()));
    expect(driver.binary(new Uint8Array(900))).toBe(true);
    expect(driver.bufferedAmount).toBe(connection.bufferedAmount());
    expect(driver.bufferedAmount).toBeGreaterThan(800);
    expect(driver.binary(new Uint8Array(900))).toBe(false);
    while (connection.bufferedAmount() > 0) socket.drain(connection);
    expect(drains).toEqual([0]);
    expect(driver.binary(new Uint8Array(900))).toBe(true);
  });

  /** A server connection over `socket`, opened by an in-memory client whose frames go straight to it. */
  function openServer(socket: NarrowSocket, options: { maxPausedBytes?: number } = {}) {
    const connection = runOverHandlerSocket(socket, (s) => Driver.server(s, options));
    const server = connection.driver;
    const client: HybiClientDriver = Driver.client({ url: 'ws://x.test/', write: (bytes) => connection.data(bytes.slice()) });
    server.on('connect', () => server.start());
    client.start();
    while (client.readyState === 0) {
      client.parse(Uint8Array.from(socket.taken.splice(0)));
      socket.drain(connection);
    }
    return { connection, server, client };
  }

  it("stops and restarts reading through the socket's own pause() and resume(), when it has them", () => {
    const calls: string[] = [];
    const socket = Object.assign(new NarrowSocket(1 << 20), { pause: () => calls.push('pause'), resume: () => calls.push('resume') });
    const { server, client } = openServer(socket);
    const received: number[] = [];
    server.on('message', (event) => received.push((event.data as Uint8Array).length));
    server.pause();
    expect(calls).toEqual(['pause']);
    client.binary(new Uint8Array(100)); // what was in flight is held
    expect(received).toEqual([]);
    server.resume();
    expect(calls).toEqual(['pause', 'resume']);
    expect(received).toEqual([100]);
  });

  it('without pause() on the socket, holds input while paused up to maxPausedBytes, then fails with 1009', () => {
    const socket = new NarrowSocket(1 << 20);
    const { server, client } = openServer(socket, { maxPausedBytes: 10_000 });
    const errors: ProtocolError[] = [];
    server.on('error', (error) => errors.push(error as ProtocolError));
    server.pause();
    client.binary(new Uint8Array(6_000));
    expect(errors).toEqual([]);
    client.binary(new Uint8Array(6_000));
    expect(errors.map((error) => error.code)).toEqual(['PAUSED_INPUT_TOO_LARGE']);
    expect(errors[0]!.closeCode).toBe(1009);
  });
});
