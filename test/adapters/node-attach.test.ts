/**
 * The Node adapter's `attach` and `streamSocket`, over real sockets on
 * 127.0.0.1: raw TCP peers that write exact bytes, so what goes over the
 * wire, and when TCP is ended, can be checked.
 */
import net from 'node:net';
import { Duplex, PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { Driver, ProtocolError, type HttpServerDriver } from '../../lib/index.js';
import { attach, streamSocket, terminate } from '../../lib/adapters/node/index.js';
import { Op, clientFrame, closePayload, concat, decodeFrames, parseHead, readClosePayload, requestHead, serverFrame, responseHead, acceptFor } from '../helpers/index.js';
import { Cleanup, Inbox, listen, next, once, readToEnd, readUntil, tcpConnect, wsdriverServer } from '../interop/support.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** True once `bytes` hold a whole HTTP head and `frames` whole frames after it. */
function hasHeadAndFrames(frames: number) {
  return (bytes: Buffer) => {
    const end = bytes.indexOf('\r\n\r\n');
    if (end < 0) return false;
    try {
      return decodeFrames(bytes.subarray(end + 4)).length >= frames;
    } catch {
      return false; // a frame is still arriving
    }
  };
}

const echo = (driver: HttpServerDriver) => {
  driver.on('connect', () => driver.start());
  driver.on('message', (event) => (typeof event.data === 'string' ? driver.text(event.data) : driver.binary(event.data)));
};

describe('streamSocket', () => {
  it('writes each chunk the driver produces to the stream, in order: the first of a tick at once, the rest at its end', async () => {
    const stream = new PassThrough();
    const socket = streamSocket(stream);
    // The connection's first write (the handshake's head) is no write of a tick (tick-coalescer.ts, writeAlone).
    socket.write(Uint8Array.of(0));
    expect([...(stream.read() as Buffer)]).toEqual([0]);
    await new Promise<void>((resolve) => setImmediate(resolve));
    socket.write(Uint8Array.of(1, 2));
    expect(stream.writableCorked).toBe(0);
    socket.write(Uint8Array.of(3));
    socket.write(Uint8Array.of(4, 5));
    // Held until the end of the tick; held, not unsent: bufferedAmount leaves them out (held-bytes.ts).
    expect(stream.writableCorked).toBe(1);
    expect(stream.writableLength).toBe(3);
    expect(socket.bufferedAmount).toBe(0);
    expect([...(stream.read() as Buffer)]).toEqual([1, 2]);
    await new Promise<void>((resolve) => process.nextTick(resolve));
    expect(stream.writableCorked).toBe(0);
    expect([...(stream.read() as Buffer)]).toEqual([3, 4, 5]);
  });

  it('does not hold a write that is the only one of its tick', async () => {
    const stream = new PassThrough();
    const socket = streamSocket(stream);
    for (let i = 0; i < 3; i++) {
      socket.write(Uint8Array.of(i));
      expect(stream.writableCorked).toBe(0);
      expect([...(stream.read() as Buffer)]).toEqual([i]);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  });

  it('hands a tick\'s writes to a TCP socket as one writev, and stops holding them past 64 KiB', async () => {
    const server = cleanup.server(net.createServer());
    const accepted = once<net.Socket>(server, 'connection');
    const port = await listen(server);
    const peer = await tcpConnect(cleanup, port);
    const tcp = await accepted;
    const calls: string[] = [];
    const instance = tcp as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
    for (const method of ['_write', '_writev'] as const) {
      const original = instance[method].bind(tcp);
      instance[method] = (chunks: unknown, ...rest: unknown[]) => {
        calls.push(method === '_writev' ? `writev ${(chunks as unknown[]).length}` : 'write');
        return original(chunks, ...rest);
      };
    }
    const socket = streamSocket(tcp);
    const received: Buffer[] = [];
    peer.on('data', (chunk: Buffer) => received.push(chunk));
    // The first write (a handshake's head) goes alone, outside any tick's coalescing.
    socket.write(Uint8Array.of(100));
    await new Promise<void>((resolve) => setImmediate(resolve));
    calls.length = 0;
    for (let i = 0; i < 10; i++) socket.write(Uint8Array.of(i));
    expect(calls).toEqual(['write']);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(calls).toEqual(['write', 'writev 9']);
    await expect.poll(() => Buffer.concat(received).length).toBe(11);
    expect([...Buffer.concat(received)]).toEqual([100, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);

    // A burst past the limit goes out at once rather than at the end of the tick.
    calls.length = 0;
    socket.write(new Uint8Array(10));
    socket.write(new Uint8Array(70 * 1024));
    expect(tcp.writableCorked).toBe(0);
    expect(calls).toEqual(['write', 'write']);
    // Later writes of the same tick are held again, up to the limit, and leave together at its end.
    socket.write(Uint8Array.of(1));
    socket.write(Uint8Array.of(2));
    expect(tcp.writableCorked).toBe(1);
    expect(calls).toEqual(['write', 'write']);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(tcp.writableCorked).toBe(0);
    expect(calls).toEqual(['write', 'write', 'writev 2']);
  });

  it("writes a TCP socket's first bytes (a handshake's head) at once, scheduling no end of tick for them", async () => {
    // Every accept writes its 101 so: a tick's end scheduled for it would cost each accept a nextTick.
    const server = cleanup.server(net.createServer());
    const accepted = once<net.Socket>(server, 'connection');
    const port = await listen(server);
    const peer = await tcpConnect(cleanup, port);
    const tcp = await accepted;
    const received: Buffer[] = [];
    peer.on('data', (chunk: Buffer) => received.push(chunk));
    const socket = streamSocket(tcp);
    const scheduled: string[] = [];
    const nextTick = process.nextTick;
    process.nextTick = ((callback: (...args: unknown[]) => void, ...args: unknown[]) => {
      scheduled.push(callback.name);
      nextTick(callback, ...args);
    }) as typeof process.nextTick;
    try {
      socket.write(Uint8Array.of(1, 2));
      expect(tcp.writableCorked).toBe(0);
      expect(scheduled.filter((name) => name.includes('endTick'))).toEqual([]);
      // A second write of that tick still goes straight to the stream, and the coalescing starts with it.
      socket.write(Uint8Array.of(3));
      expect(tcp.writableCorked).toBe(0);
      expect(scheduled.filter((name) => name.includes('endTick'))).toHaveLength(1);
    } finally {
      process.nextTick = nextTick;
    }
    await expect.poll(() => Buffer.concat(received).length).toBe(3);
    expect([...Buffer.concat(received)]).toEqual([1, 2, 3]);
  });

  it('drops writes once the stream has ended, without an error', () => {
    const stream = new PassThrough();
    const errors: unknown[] = [];
    stream.on('error', (error) => errors.push(error));
    stream.end();
    const socket = streamSocket(stream);
    expect(() => socket.write(Uint8Array.of(1))).not.toThrow();
    expect(errors).toEqual([]);
  });

  it('carries the url and env it is given, and none when given none', () => {
    const env = { REQUEST_METHOD: 'GET' };
    const socket = streamSocket(new PassThrough(), { url: 'ws://example.com/', env });
    expect(socket.url).toBe('ws://example.com/');
    expect(socket.env).toBe(env);
    const bare = streamSocket(new PassThrough());
    expect([bare.url, bare.env, bare.bufferedAmount, typeof bare.write]).toEqual([undefined, undefined, 0, 'function']);
  });

  it('shares write and bufferedAmount between sockets (a server holds many)', () => {
    const one = streamSocket(new PassThrough());
    const other = streamSocket(new PassThrough());
    expect(one.write).toBe(other.write);
    expect(Object.keys(one)).not.toContain('write');
  });
});

describe('attach: a server driver, while connecting', () => {
  it('answers a request written in one piece with frames right behind it, losing none', async () => {
    const server = await wsdriverServer(cleanup, {}, echo);
    const tcp = await tcpConnect(cleanup, server.port);
    tcp.write(concat(requestHead({ host: `127.0.0.1:${server.port}` }), clientFrame(Op.TEXT, 'in the same chunk')));
    const reply = await readUntil(tcp, hasHeadAndFrames(1));
    const head = parseHead(reply);
    expect(head.status).toBe(101);
    expect(head.headers['sec-websocket-accept']).toBe(acceptFor('dGhlIHNhbXBsZSBub25jZQ=='));
    const [frame] = decodeFrames(head.rest);
    expect(frame).toMatchObject({ opcode: Op.TEXT, masked: false });
    expect(Buffer.from(frame!.payload).toString()).toBe('in the same chunk');
  });

  it('answers a request and frames that arrive one byte per TCP write', async () => {
    const server = await wsdriverServer(cleanup, {}, echo);
    const tcp = await tcpConnect(cleanup, server.port);
    tcp.setNoDelay(true);
    const bytes = concat(requestHead(), clientFrame(Op.BINARY, Uint8Array.of(0, 1, 2, 255)));
    for (const byte of bytes) {
      tcp.write(Uint8Array.of(byte));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const head = parseHead(await readUntil(tcp, hasHeadAndFrames(1)));
    expect(head.status).toBe(101);
    expect([...decodeFrames(head.rest)[0]!.payload]).toEqual([0, 1, 2, 255]);
  });

  it('writes a 400 for a request that is not a WebSocket handshake, then ends TCP', async () => {
    const server = await wsdriverServer(cleanup, {}, echo);
    const tcp = await tcpConnect(cleanup, server.port);
    tcp.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const reply = await readToEnd(tcp);
    expect(reply.toString('latin1')).toMatch(/^HTTP\/1\.1 400 /);
    expect(await server.closes[0]).toMatchObject({ wasClean: false });
  });

  it('writes a 431 for a head larger than maxHeadSize, then ends TCP', async () => {
    const server = await wsdriverServer(cleanup, { maxHeadSize: 1024 }, echo);
    const tcp = await tcpConnect(cleanup, server.port);
    tcp.write(requestHead({ headers: { 'X-Padding': 'x'.repeat(2000) } }));
    expect((await readToEnd(tcp)).toString('latin1')).toMatch(/^HTTP\/1\.1 431 /);
  });

  it('writes the response of reject() and ends TCP', async () => {
    const server = await wsdriverServer(cleanup, {}, (driver) => driver.on('connect', () => driver.reject(403, 'Forbidden')));
    const tcp = await tcpConnect(cleanup, server.port);
    tcp.write(requestHead());
    expect((await readToEnd(tcp)).toString('latin1')).toMatch(/^HTTP\/1\.1 403 /);
  });

  it('reports 1006 when the peer ends TCP before the request head is complete', async () => {
    const server = await wsdriverServer(cleanup, {}, echo);
    const tcp = await tcpConnect(cleanup, server.port);
    tcp.end('GET /chat HTTP/1.1\r\n');
    expect(await server.closes[0]).toEqual({ code: 1006, reason: '', wasClean: false });
  });
});

describe('attach: a server driver, when the connection ends', () => {
  async function openRaw(options = {}, attachOptions = {}) {
    const server = await wsdriverServer(cleanup, options, echo, attachOptions);
    const tcp = await tcpConnect(cleanup, server.port, { port: server.port, allowHalfOpen: true });
    tcp.write(requestHead());
    await readUntil(tcp, (bytes) => bytes.includes('\r\n\r\n'));
    return { server, tcp, driver: await server.nextDriver() };
  }

  it('answers the peer close frame with its own and then ends TCP first (RFC 6455 §7.1.1)', async () => {
    const { server, tcp } = await openRaw();
    tcp.write(clientFrame(Op.CLOSE, closePayload(4000, 'bye')));
    const rest = await readToEnd(tcp); // resolves on the server's FIN
    const frames = decodeFrames(rest);
    expect(frames.map((f) => f.opcode)).toEqual([Op.CLOSE]);
    expect(readClosePayload(frames[0]!.payload).code).toBe(4000);
    expect(await server.closes[0]).toEqual({ code: 4000, reason: 'bye', wasClean: true });
  });

  it('ends TCP once the peer answers a close() it started', async () => {
    const { tcp, driver } = await openRaw();
    let ended = false;
    tcp.on('end', () => (ended = true));
    const closeFrame = readUntil(tcp, (bytes) => decodeFrames(bytes).length === 1);
    driver.close(3001, 'later');
    expect(readClosePayload(decodeFrames(await closeFrame)[0]!.payload)).toEqual({ code: 3001, reason: 'later' });
    expect(ended).toBe(false); // still waiting for the answer
    tcp.write(clientFrame(Op.CLOSE, closePayload(3001)));
    await once(tcp, 'end');
  });

  it('sends a close frame with 1002 and ends TCP when the peer breaks the protocol', async () => {
    const { server, tcp } = await openRaw();
    tcp.write(serverFrame(Op.TEXT, 'unmasked'));
    const frames = decodeFrames(await readToEnd(tcp));
    expect(readClosePayload(frames[0]!.payload).code).toBe(1002);
    expect(await server.closes[0]).toMatchObject({ code: 1002, wasClean: false });
  });

  it('reports 1006, not clean, when the peer ends TCP with no close frame', async () => {
    const { server, tcp } = await openRaw();
    tcp.end();
    expect(await server.closes[0]).toEqual({ code: 1006, reason: '', wasClean: false });
  });

  it('reports a connection reset mid-connection as a TRANSPORT_ERROR error, then 1006 with its message', async () => {
    const { server, tcp, driver } = await openRaw();
    const errors: ProtocolError[] = [];
    driver.on('error', (error) => errors.push(error));
    tcp.resetAndDestroy();
    const closed = await server.closes[0]!;
    expect(errors.map((error) => error.code)).toEqual(['TRANSPORT_ERROR']);
    expect(errors[0]!.closeCode).toBe(1006);
    const cause = errors[0]!.cause as NodeJS.ErrnoException;
    expect(cause.code).toBe('ECONNRESET');
    expect(closed).toEqual({ code: 1006, reason: cause.message, wasClean: false });
  });

  it('destroys the connection after closeTimeout when the peer never closes its side', async () => {
    let serverSide: net.Socket | null = null;
    const server = await wsdriverServer(cleanup, {}, (driver, tcp) => {
      echo(driver);
      serverSide = tcp;
    }, { closeTimeout: 20 });
    const tcp = await tcpConnect(cleanup, server.port, { port: server.port, allowHalfOpen: true });
    tcp.write(requestHead());
    await readUntil(tcp, (bytes) => bytes.includes('\r\n\r\n'));
    const serverClosed = once(serverSide!, 'close');
    tcp.write(clientFrame(Op.CLOSE, closePayload(1000)));
    await readToEnd(tcp); // the server's FIN; this peer does not end its side
    expect(tcp.writableEnded).toBe(false);
    await serverClosed; // the server gave up waiting and destroyed its socket
  });
});

describe('attach: a client driver', () => {
  /** A server whose TCP side the test controls: it never ends TCP by itself. */
  async function manualServer() {
    const accepted: Array<{ tcp: net.Socket; driver: HttpServerDriver }> = [];
    const waiting: Array<() => void> = [];
    const server = cleanup.server(
      net.createServer({ allowHalfOpen: true }, (tcp) => {
        const driver = Driver.server({ write: (bytes) => void (tcp.writable && tcp.write(bytes)) });
        driver.on('connect', () => driver.start());
        tcp.on('data', (chunk) => driver.parse(chunk));
        accepted.push({ tcp, driver });
        for (const wake of waiting.splice(0)) wake();
      }),
    );
    const port = await listen(server);
    const nextAccepted = async () => {
      while (accepted.length === 0) await new Promise<void>((resolve) => waiting.push(resolve));
      return accepted.shift()!;
    };
    return { port, nextAccepted };
  }

  async function openClient(port: number, attachOptions = {}) {
    const tcp = cleanup.stream(net.connect({ port, host: '127.0.0.1' }));
    const driver = attach(Driver.client(streamSocket(tcp, { url: `ws://127.0.0.1:${port}/` })), tcp, attachOptions);
    tcp.once('connect', () => driver.start());
    await next(driver, 'open');
    return { tcp, driver };
  }

  it('after a clean close, waits for the server to end TCP, then ends its side', async () => {
    const { port, nextAccepted } = await manualServer();
    const { tcp, driver } = await openClient(port);
    const peer = await nextAccepted();
    const serverSaw = next(peer.driver, 'close');
    const closed = next(driver, 'close');
    driver.close(1000, 'done');
    expect(await closed).toEqual({ code: 1000, reason: '', wasClean: true });
    await serverSaw;
    expect(tcp.writableEnded).toBe(false); // the server closes TCP first
    const clientEnded = once(peer.tcp, 'end');
    const clientClosed = once(tcp, 'close');
    peer.tcp.end();
    await clientEnded;
    await clientClosed;
  });

  it('destroys the connection after closeTimeout when the server never ends TCP', async () => {
    const { port, nextAccepted } = await manualServer();
    const { tcp, driver } = await openClient(port, { closeTimeout: 20 });
    const peer = await nextAccepted();
    const clientClosed = once(tcp, 'close');
    driver.close();
    await clientClosed;
    expect(peer.tcp.writableEnded).toBe(false);
  });

  it('ends TCP at once when the server breaks the protocol', async () => {
    const { port, nextAccepted } = await manualServer();
    const { driver } = await openClient(port);
    const peer = await nextAccepted();
    const error = next(driver, 'error');
    const clientEnded = once(peer.tcp, 'end');
    peer.tcp.write(clientFrame(Op.TEXT, 'masked, from a server'));
    expect((await error).code).toBe('MASKED_FRAME');
    await clientEnded;
  });

  it('reads a response and frames that arrive in the same chunk', async () => {
    const server = cleanup.server(
      net.createServer((tcp) => {
        tcp.once('data', (request: Buffer) => {
          const key = /Sec-WebSocket-Key: (\S+)/i.exec(request.toString('latin1'))![1]!;
          tcp.write(concat(responseHead({ key }), serverFrame(Op.TEXT, 'right behind the 101')));
        });
      }),
    );
    const port = await listen(server);
    const tcp = cleanup.stream(net.connect({ port, host: '127.0.0.1' }));
    const driver = attach(Driver.client(streamSocket(tcp, { url: `ws://127.0.0.1:${port}/` })), tcp);
    tcp.once('connect', () => driver.start());
    expect(await new Inbox(driver).take(1)).toEqual(['right behind the 101']);
  });
});

describe('attach: misuse', () => {
  it('throws when the stream has an encoding set, since the driver needs bytes', () => {
    const stream = new PassThrough();
    stream.setEncoding('utf8');
    expect(() => attach(Driver.server(streamSocket(stream)), stream)).toThrow(TypeError);
  });

  it('throws on a closeTimeout that is not a non-negative number', () => {
    const stream = new PassThrough();
    expect(() => attach(Driver.server(streamSocket(stream)), stream, { closeTimeout: -1 })).toThrow(RangeError);
    expect(() => attach(Driver.server(streamSocket(stream)), stream, { closeTimeout: NaN })).toThrow(RangeError);
  });

  it('reports 1006 at once for a stream already destroyed', async () => {
    const stream = new PassThrough();
    stream.destroy();
    const driver = Driver.server(streamSocket(stream));
    const closed = next(driver, 'close');
    attach(driver, stream);
    expect(await closed).toEqual({ code: 1006, reason: '', wasClean: false });
  });
  it('reports 1006 and closes TCP for a half-open socket whose peer ended before attach', async () => {
    // node:http hands over half-open sockets: the peer's FIN may have been read already.
    const server = cleanup.server(net.createServer({ allowHalfOpen: true }));
    const accepted = new Promise<net.Socket>((resolve) => server.on('connection', resolve));
    const port = await listen(server);
    const tcp = await tcpConnect(cleanup, port);
    const tcpClosed = once(tcp, 'close');
    const socket = await accepted;
    socket.resume();
    tcp.end();
    await once(socket, 'end');
    socket.pause();
    expect(socket.readableEnded && !socket.destroyed).toBe(true);
    const driver = Driver.server(streamSocket(socket));
    const closed = next(driver, 'close');
    attach(driver, socket);
    expect(await closed).toEqual({ code: 1006, reason: '', wasClean: false });
    await tcpClosed;
  });
});

/** A stream that records each write the stream machinery makes: one entry per `_write` or `_writev`, with its chunks. */
class RecordingStream extends Duplex {
  readonly calls: Buffer[][] = [];
  constructor() {
    super({ read() {} });
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.calls.push([chunk]);
    done();
  }
  override _writev(chunks: { chunk: Buffer }[], done: () => void): void {
    this.calls.push(chunks.map((each) => each.chunk));
    done();
  }
}

/** A server driver attached to a RecordingStream, past its handshake, with what the stream recorded cleared. */
async function openOverRecordingStream(setup: (driver: HttpServerDriver, stream: RecordingStream) => void) {
  const stream = new RecordingStream();
  const driver = Driver.server(streamSocket(stream));
  driver.on('connect', () => driver.start());
  setup(driver, stream);
  attach(driver, stream);
  stream.push(requestHead());
  await once(driver, 'open');
  // The stream reads what is pushed from the next tick on.
  await new Promise((resolve) => setImmediate(resolve));
  stream.calls.length = 0;
  return { driver, stream };
}

describe('attach: what the driver writes while it handles one read', () => {
  it('reaches the stream as one writev: a large binary echo is its header and its payload, by reference', async () => {
    const received: Uint8Array[] = [];
    const { stream } = await openOverRecordingStream((driver) => {
      driver.on('message', ({ data }) => {
        received.push(data as Uint8Array);
        driver.binary(data as Uint8Array);
      });
    });
    const payload = Uint8Array.from({ length: 64 * 1024 }, (_, i) => (i * 7) & 0xff);
    stream.push(clientFrame(Op.BINARY, payload));
    expect(received).toHaveLength(1);
    expect(stream.calls).toHaveLength(1);
    const [header, body] = stream.calls[0]!;
    expect(stream.calls[0]).toHaveLength(2);
    expect(decodeFrames(concat(header!, body!))).toMatchObject([{ opcode: Op.BINARY, masked: false, payload }]);
    // The message's own bytes went out: no copy was made to join them.
    expect(body!.buffer).toBe(received[0]!.buffer);
  });

  it('answers every message of a read in one writev, in order', async () => {
    const { stream } = await openOverRecordingStream((driver) => {
      driver.on('message', ({ data }) => driver.text(`re: ${data as string}`));
    });
    stream.push(concat(clientFrame(Op.TEXT, 'one'), clientFrame(Op.TEXT, 'two'), clientFrame(Op.TEXT, 'three')));
    // The tick coalescer (tick-coalescer.ts) may hold them to the end of the tick; still one writev.
    await new Promise((resolve) => process.nextTick(resolve));
    expect(stream.calls).toHaveLength(1);
    const frames = decodeFrames(concat(...stream.calls[0]!));
    expect(frames.map((frame) => Buffer.from(frame.payload).toString())).toEqual(['re: one', 're: two', 're: three']);
  });

  it('leaves the stream uncorked: a send outside a read is written at once', async () => {
    const { driver, stream } = await openOverRecordingStream(() => {});
    stream.push(clientFrame(Op.PING, 'are you there'));
    expect(stream.writableCorked).toBe(0);
    expect(decodeFrames(concat(...stream.calls.flat()))).toMatchObject([{ opcode: Op.PONG }]);
    stream.calls.length = 0;
    // Later: in a tick of its own, where nothing else was written.
    await new Promise((resolve) => setImmediate(resolve));
    driver.text('later');
    expect(stream.calls).toHaveLength(1);
    expect(decodeFrames(stream.calls[0]![0]!)).toMatchObject([{ opcode: Op.TEXT }]);
  });

  it('still writes what was sent before terminate() in the same handler, then drops the stream', async () => {
    const { stream } = await openOverRecordingStream((driver) => {
      driver.on('message', () => {
        driver.text('last words');
        terminate(driver);
      });
    });
    stream.push(clientFrame(Op.TEXT, 'go away'));
    expect(stream.destroyed).toBe(true);
    expect(decodeFrames(concat(...stream.calls.flat())).map((frame) => Buffer.from(frame.payload).toString())).toEqual(['last words']);
  });

  it("still writes a reply sent before the application's own stream.end() in the same handler", async () => {
    const { stream } = await openOverRecordingStream((driver) => {
      driver.on('message', () => {
        driver.text('goodbye');
        stream.end();
      });
    });
    stream.push(clientFrame(Op.TEXT, 'hang up'));
    await once(stream, 'finish');
    expect(decodeFrames(concat(...stream.calls.flat())).map((frame) => Buffer.from(frame.payload).toString())).toEqual(['goodbye']);
  });
});
