/**
 * Flow control in the Node adapters over real sockets on 127.0.0.1: the
 * handshake deadline (408), keepalive against a peer that never answers,
 * backpressure both ways, and terminate().
 */
import http from 'node:http';
import net from 'node:net';
import { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { Driver, type HttpServerDriver } from '../../lib/index.js';
import { attach, connect, streamSocket, terminate, WebSocketServer } from '../../lib/adapters/node/index.js';
import { clientFrame, decodeFrames, Op, readClosePayload, requestHead } from '../helpers/index.js';
import { Cleanup, listen, next, readToEnd, readUntil, tcpConnect, wsdriverServer } from '../interop/support.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const start = (driver: HttpServerDriver) => driver.on('connect', () => driver.start());

/** A raw client that completed the handshake; returns the bytes after the head as they come. */
async function openRaw(port: number): Promise<net.Socket> {
  const tcp = await tcpConnect(cleanup, port);
  tcp.write(requestHead());
  await readUntil(tcp, (bytes) => bytes.includes('\r\n\r\n'));
  return tcp;
}


/**
 * A rack-style server driver (maxBufferedBytes 100) attached to a transport
 * that takes each write on the next turn, never above Node's 16 KiB mark here.
 */
function slowRackDriver() {
  const stream = new Duplex({
    read() {},
    write(_chunk, _encoding, callback) {
      setImmediate(callback);
    },
  });
  const env = { REQUEST_METHOD: 'GET', HTTP_HOST: 'example.com', HTTP_UPGRADE: 'websocket', HTTP_CONNECTION: 'Upgrade', HTTP_SEC_WEBSOCKET_KEY: 'dGhlIHNhbXBsZSBub25jZQ==', HTTP_SEC_WEBSOCKET_VERSION: '13' };
  const driver = attach(Driver.rack(streamSocket(stream, { env }), { maxBufferedBytes: 100 }), stream);
  return { stream, driver };
}
describe('the handshake deadline in attach', () => {
  it('answers a head trickling past handshakeTimeout with 408 and ends TCP', async () => {
    const server = await wsdriverServer(cleanup, {}, start, { handshakeTimeout: 150 });
    const tcp = await tcpConnect(cleanup, server.port);
    tcp.write('GET /chat HTTP/1.1\r\n');
    const trickle = setInterval(() => tcp.writable && tcp.write('X'), 20);
    cleanup.add(() => clearInterval(trickle));
    const reply = await readToEnd(tcp);
    clearInterval(trickle);
    expect(reply.toString('latin1')).toMatch(/^HTTP\/1\.1 408 /);
    expect(await server.closes[0]).toMatchObject({ code: 1006, wasClean: false });
  });

  it('is on by default (30 s): the deadline is armed as soon as the driver is attached', async () => {
    const server = await wsdriverServer(cleanup, {}, start);
    const tcp = await tcpConnect(cleanup, server.port);
    const driver = await server.nextDriver();
    const deadline = driver.deadline;
    expect(deadline).not.toBeNull();
    expect(deadline! - Date.now()).toBeGreaterThan(25_000);
    expect(deadline! - Date.now()).toBeLessThanOrEqual(30_000);
    tcp.destroy();
  });
});

describe('keepalive in attach', () => {
  it('pings an idle peer, and on a missed pong sends close 1011 and destroys TCP at once', async () => {
    const server = await wsdriverServer(cleanup, {}, start, { pingInterval: 60, pingTimeout: 60 });
    const tcp = await openRaw(server.port);
    // This peer reads but never answers.
    const rest = await readToEnd(tcp);
    const frames = decodeFrames(rest);
    expect(frames.map((f) => f.opcode)).toEqual([Op.PING, Op.CLOSE]);
    expect(readClosePayload(frames[1]!.payload).code).toBe(1011);
    expect(await server.closes[0]).toMatchObject({ code: 1011, wasClean: false });
  });

  it('keeps a peer that answers its pings', async () => {
    const server = await wsdriverServer(cleanup, {}, start, { pingInterval: 40 });
    const tcp = await openRaw(server.port);
    let pings = 0;
    tcp.on('data', (chunk: Buffer) => {
      for (const frame of decodeFrames(chunk)) {
        if (frame.opcode === Op.PING) {
          pings++;
          tcp.write(clientFrame(Op.PONG, frame.payload));
        }
      }
    });
    const driver = await server.nextDriver();
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (pings >= 3) {
          clearInterval(check);
          resolve();
        }
      }, 10);
    });
    expect(driver.readyState).toBe(1);
  });
});

describe('backpressure in attach', () => {
  it('a server sending to a client that stops reading is refused past maxBufferedBytes, then drains', async () => {
    const limit = 1024 * 1024;
    const server = await wsdriverServer(cleanup, { maxBufferedBytes: limit }, start);
    const tcp = await openRaw(server.port);
    tcp.pause();
    const driver = await server.nextDriver();
    const message = new Uint8Array(64 * 1024);
    let sent = 0;
    // Offer 64 MiB; once refused, wait for drain, at most a few times, then stop.
    while (sent < 1024 && driver.binary(message)) sent++;
    expect(sent).toBeLessThan(1024);
    expect(driver.bufferedAmount).toBeLessThanOrEqual(limit + message.length);
    const drained = next(driver, 'drain');
    tcp.resume();
    await drained;
    expect(driver.binary(message)).toBe(true);
  });

  it('a send refused under a maxBufferedBytes below the stream\'s high-water mark still gets its drain', async () => {
    const { stream, driver } = slowRackDriver();
    driver.start();
    await new Promise((resolve) => setImmediate(resolve));
    expect(driver.binary(new Uint8Array(90))).toBe(true);
    expect(driver.binary(new Uint8Array(90))).toBe(false);
    await next(driver, 'drain');
    expect(driver.binary(new Uint8Array(90))).toBe(true);
    stream.destroy();
  });

  it('a send refused behind the unflushed handshake response gets its drain, and later flushes are still reported', async () => {
    // The first writes' flush callback is let go of once they have flushed
    // (an idle connection holds none): what it reports, and what the next
    // one does, must not change.
    // The 101 is a connection's first write, which goes to the stream at once even in a tick that
    // has written to another stream (tick-coalescer.ts, `writeAlone`): no turn of the loop needed first.
    const { stream, driver } = slowRackDriver();
    driver.start();
    // The 101 (about 130 bytes) is still unsent: a message is refused until it has gone.
    expect(driver.bufferedAmount).toBeGreaterThan(100);
    expect(driver.binary(new Uint8Array(90))).toBe(false);
    await next(driver, 'drain');
    expect(driver.bufferedAmount).toBe(0);
    expect(driver.binary(new Uint8Array(90))).toBe(true);
    expect(driver.binary(new Uint8Array(90))).toBe(false);
    await next(driver, 'drain');
    expect(driver.binary(new Uint8Array(90))).toBe(true);
    stream.destroy();
  });

  it('over TCP too: a handshake response left unsent behind earlier bytes still reports its flush, and nothing extra reaches the peer', async () => {
    // The first write to a TCP socket passes no callback (it is normally
    // taken at once); one left unsent gets its flush reported all the same.
    // A high-water mark above what is queued, so Node has no `drain` of its own to give.
    const server = net.createServer({ highWaterMark: 64 * 1024 * 1024 });
    cleanup.add(() => server.close());
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    const tcp = await tcpConnect(cleanup, await listen(server));
    tcp.pause();
    const socket = cleanup.stream(await accepted);
    // More than loopback's buffers hold while the peer does not read.
    const earlier = new Uint8Array(32 * 1024 * 1024);
    expect(socket.write(earlier)).toBe(true);
    const env = { REQUEST_METHOD: 'GET', HTTP_HOST: 'example.com', HTTP_UPGRADE: 'websocket', HTTP_CONNECTION: 'Upgrade', HTTP_SEC_WEBSOCKET_KEY: 'dGhlIHNhbXBsZSBub25jZQ==', HTTP_SEC_WEBSOCKET_VERSION: '13' };
    const driver = attach(Driver.rack(streamSocket(socket, { env }), { maxBufferedBytes: 100 }), socket);
    driver.start();
    expect(driver.bufferedAmount).toBeGreaterThan(earlier.length);
    expect(driver.binary(new Uint8Array(90))).toBe(false);
    const drained = next(driver, 'drain');
    const received = readUntil(tcp, (bytes) => bytes.length >= earlier.length + 4 && bytes.indexOf('\r\n\r\n', earlier.length) > 0 && bytes.length >= bytes.indexOf('\r\n\r\n', earlier.length) + 4 + 92);
    tcp.resume();
    await drained;
    expect(driver.bufferedAmount).toBe(0);
    expect(driver.binary(new Uint8Array(90))).toBe(true);
    const bytes = await received;
    const headEnd = bytes.indexOf('\r\n\r\n', earlier.length) + 4;
    expect(bytes.subarray(earlier.length, headEnd).toString('latin1')).toMatch(/^HTTP\/1\.1 101 /);
    expect(decodeFrames(bytes.subarray(headEnd)).map((frame) => frame.payload.length)).toEqual([90]);
  });

  it('stops reading TCP while the driver is paused, and reads again on resume', async () => {
    const server = await wsdriverServer(cleanup, { maxPausedBytes: 256 * 1024 }, start);
    const tcp = await openRaw(server.port);
    const driver = await server.nextDriver();
    const received: number[] = [];
    driver.on('message', (event) => received.push((event.data as Uint8Array).length));
    driver.pause();
    // 8 MiB from the peer: far more than maxPausedBytes, yet no error: TCP holds it.
    const frame = clientFrame(Op.BINARY, new Uint8Array(64 * 1024));
    for (let i = 0; i < 128; i++) tcp.write(frame);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(received).toEqual([]);
    expect(driver.retainedBytes).toBeLessThanOrEqual(256 * 1024 + 64 * 1024);
    expect(driver.readyState).toBe(1);
    driver.resume();
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (received.length === 128) {
          clearInterval(check);
          resolve();
        }
      }, 10);
    });
    expect(received.every((length) => length === 64 * 1024)).toBe(true);
  });
});

describe('terminate', () => {
  it('drops the transport at once: close 1006, no close frame', async () => {
    const server = await wsdriverServer(cleanup, {}, start);
    const tcp = await openRaw(server.port);
    const driver = await server.nextDriver();
    expect(terminate(driver)).toBe(true);
    expect(await server.closes[0]).toMatchObject({ code: 1006, wasClean: false });
    expect((await readToEnd(tcp)).length).toBe(0);
    expect(terminate(driver)).toBe(false);
    expect(terminate(Driver.server({ write() {} }))).toBe(false);
  });

  it('sends what was written earlier in the same tick first (held by write coalescing)', async () => {
    const server = await wsdriverServer(cleanup, {}, start);
    const tcp = await openRaw(server.port);
    const driver = await server.nextDriver();
    for (const text of ['one', 'two', 'three']) driver.text(text);
    expect(terminate(driver)).toBe(true);
    expect(decodeFrames(await readToEnd(tcp)).map((frame) => Buffer.from(frame.payload).toString())).toEqual(['one', 'two', 'three']);
  });

  it('works on a client from connect()', async () => {
    const server = await wsdriverServer(cleanup, {}, start);
    const client = connect(server.url);
    await next(client, 'open');
    terminate(client);
    expect(await next(client, 'close')).toMatchObject({ code: 1006 });
  });
});

describe('streamSocket reports the stream\'s buffer', () => {
  it('bufferedAmount is writableLength, and write returns what the stream returned', async () => {
    const server = await wsdriverServer(cleanup, {}, start);
    const tcp = await tcpConnect(cleanup, server.port);
    tcp.pause();
    const socket = streamSocket(tcp);
    let result: unknown = true;
    for (let i = 0; i < 100 && result !== false; i++) result = socket.write(new Uint8Array(64 * 1024));
    expect(result).toBe(false);
    expect(socket.bufferedAmount).toBe(tcp.writableLength);
    tcp.destroy();
    expect(socket.bufferedAmount).toBe(0);
    expect(attach).toBeTypeOf('function');
  });
});

describe('WebSocketServer passes the flow-control options to every connection', () => {
  it('pingInterval and pingTimeout: a peer that never answers gets a ping, then close 1011, and TCP is destroyed', async () => {
    const server = cleanup.server(http.createServer());
    const wss = new WebSocketServer({ pingInterval: 60, pingTimeout: 60 }).serve(server);
    cleanup.add(() => wss.close(1001, '', { timeout: 0 }));
    const port = await listen(server);
    const tcp = await tcpConnect(cleanup, port);
    tcp.write(requestHead({ host: `127.0.0.1:${port}` }));
    const bytes = await readToEnd(tcp);
    const frames = decodeFrames(bytes.subarray(bytes.indexOf('\r\n\r\n') + 4));
    expect(frames.map((f) => f.opcode)).toEqual([Op.PING, Op.CLOSE]);
    expect(readClosePayload(frames[1]!.payload).code).toBe(1011);
  });
});
