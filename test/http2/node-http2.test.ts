/**
 * WebSocket over HTTP/2 with node:http2 on loopback, in plaintext (h2c) and
 * over TLS (h2, a certificate made with openssl at test time): the
 * wsdriver client (connectHttp2) against the wsdriver server
 * (handleHttp2Stream).
 */
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CloseEvent, FramingClientDriver, FramingServerDriver, ProtocolError } from '../../lib/index.js';
import { connectHttp2, handleHttp2Stream, perMessageDeflate, type NodeDriverOptions } from '../../lib/adapters/node/index.js';
import { bindHandler, type Client } from '../../lib/adapters/callbacks/index.js';
import { selfSignedCertificate, type Certificate } from '../proxy/support/certificate.js';
import { OPENSSL, peerAvailable } from '../helpers/peers.js';

const MiB = 1024 * 1024;
let certificate: Certificate;

const opensslHere = peerAvailable(OPENSSL);

beforeAll(async () => {
  if (!opensslHere) return;
  certificate = await selfSignedCertificate();
}, 60_000);

/** Things to undo after each test, in reverse order. */
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const task of cleanups.splice(0).reverse()) await task();
});
afterAll(async () => {
  for (const task of cleanups.splice(0).reverse()) await task();
});

interface Transport {
  readonly name: string;
  readonly scheme: 'ws' | 'wss';
  createServer(settings: http2.Settings): http2.Http2Server;
  connect(port: number): http2.ClientHttp2Session;
}

const TRANSPORTS: readonly Transport[] = [
  {
    name: 'h2c (plaintext)',
    scheme: 'ws',
    createServer: (settings) => http2.createServer({ settings }),
    connect: (port) => http2.connect(`http://127.0.0.1:${port}`),
  },
  {
    name: 'h2 over TLS',
    scheme: 'wss',
    createServer: (settings) => http2.createSecureServer({ key: certificate.key, cert: certificate.cert, settings }),
    connect: (port) => http2.connect(`https://127.0.0.1:${port}`, { ca: certificate.cert }),
  },
];

interface ServerSetup {
  port: number;
  drivers: FramingServerDriver[];
  /** Streams the server saw, and HTTP/2 sessions (connections) it accepted. */
  streams: http2.ServerHttp2Stream[];
  sessions: number;
}

/**
 * An HTTP/2 server on 127.0.0.1:0 whose WebSocket streams echo every
 * message; `enableConnectProtocol` as given. `onStream` may answer a
 * stream itself by returning false.
 */
async function echoServer(
  transport: Transport,
  options: { enableConnectProtocol?: boolean; driver?: NodeDriverOptions; setup?: (driver: FramingServerDriver) => void; onStream?: (stream: http2.ServerHttp2Stream) => boolean } = {},
): Promise<ServerSetup> {
  const server = transport.createServer({ enableConnectProtocol: options.enableConnectProtocol ?? true });
  const setup: ServerSetup = { port: 0, drivers: [], streams: [], sessions: 0 };
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    setup.sessions++;
    sessions.add(session);
  });
  server.on('stream', (stream, headers) => {
    setup.streams.push(stream);
    if (options.onStream?.(stream) === false) return;
    const driver = handleHttp2Stream(stream, headers, options.driver);
    driver.on('error', () => {});
    // By type, not by value: with decodeText: false text arrives as bytes and goes back as text.
    driver.on('message', (event) => (event.type === 'text' ? driver.text(event.data) : driver.binary(event.data as Uint8Array)));
    options.setup?.(driver);
    setup.drivers.push(driver);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  setup.port = (server.address() as AddressInfo).port;
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const session of sessions) session.destroy();
        server.close(() => resolve());
      }),
  );
  return setup;
}

/** A client session to the server, destroyed after the test. */
async function session(transport: Transport, port: number): Promise<http2.ClientHttp2Session> {
  const session = transport.connect(port);
  session.on('error', () => {});
  cleanups.push(() => session.destroy());
  return session;
}

function next<K extends 'open' | 'close' | 'error'>(driver: FramingClientDriver | FramingServerDriver, type: K) {
  return new Promise<K extends 'close' ? CloseEvent : K extends 'error' ? ProtocolError : object>((resolve) =>
    driver.once(type, resolve as never),
  );
}

/** Resolves with the next `count` messages the driver receives. */
function messages(driver: FramingClientDriver, count: number): Promise<Array<string | Uint8Array>> {
  const received: Array<string | Uint8Array> = [];
  return new Promise((resolve) => {
    const listener = (event: { data: string | Uint8Array }) => {
      received.push(typeof event.data === 'string' ? event.data : Uint8Array.from(event.data));
      if (received.length === count) {
        driver.off('message', listener);
        resolve(received);
      }
    };
    driver.on('message', listener);
  });
}

function streamClosed(stream: http2.Http2Stream): Promise<void> {
  return stream.closed ? Promise.resolve() : new Promise((resolve) => stream.once('close', () => resolve()));
}

function pattern(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 7 + (i >> 10)) & 0xff;
  return out;
}

/** Sends a raw request on `session` and reads the answer: status, headers and body text. */
function rawRequest(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders): Promise<{ headers: http2.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: false });
    let body = '';
    let response: http2.IncomingHttpHeaders = {};
    stream.setEncoding('utf8');
    stream.on('response', (h) => (response = h));
    stream.on('data', (chunk: string) => (body += chunk));
    stream.on('end', () => {
      stream.close();
      resolve({ headers: response, body });
    });
    stream.on('error', reject);
  });
}

describe.skipIf(!opensslHere).each(TRANSPORTS)('WebSocket over $name', (transport) => {
  const urlFor = (port: number, path = '/chat') => `${transport.scheme}://127.0.0.1:${port}${path}`;

  describe('an open connection', () => {
    it('echoes text, binary and a 1 MiB message, then closes cleanly with END_STREAM both ways', async () => {
      const server = await echoServer(transport, { driver: { maxLength: 4 * MiB } });
      const client = connectHttp2(await session(transport, server.port), urlFor(server.port), { maxLength: 4 * MiB });
      const opened = next(client, 'open');
      await opened;
      expect(client.statusCode).toBe(200);
      const echoes = messages(client, 4);
      client.text('hello ✓');
      client.binary(pattern(300));
      client.binary(new Uint8Array(0));
      client.binary(pattern(MiB));
      const [text, small, empty, large] = await echoes;
      expect([text, small, empty]).toEqual(['hello ✓', pattern(300), new Uint8Array(0)]);
      // Compared as Buffers: a deep equality over a million elements is slow.
      expect(large).toBeInstanceOf(Uint8Array);
      expect(Buffer.compare(large as Uint8Array, pattern(MiB))).toBe(0);

      const serverClosed = next(server.drivers[0]!, 'close');
      const clientClosed = next(client, 'close');
      client.close(4001, 'bye');
      expect(await serverClosed).toEqual({ code: 4001, reason: 'bye', wasClean: true });
      expect(await clientClosed).toEqual({ code: 4001, reason: '', wasClean: true });
      await streamClosed(server.streams[0]!);
      // Both sides ended the stream: an orderly close, not a reset (RFC 8441 §5).
      expect(server.streams[0]!.rstCode).toBe(http2.constants.NGHTTP2_NO_ERROR);
    });

    it('with decodeText: false on both ends, text goes as UTF-8 bytes and comes back as text, told from binary by type', async () => {
      const server = await echoServer(transport, { driver: { decodeText: false } });
      const client = connectHttp2(await session(transport, server.port), urlFor(server.port), { decodeText: false });
      await next(client, 'open');
      const got: Array<[string, string]> = [];
      client.on('message', (event) => got.push([event.type, Buffer.from(event.data as Uint8Array).toString('hex')]));
      const utf8 = Buffer.from('ünï ✓');
      client.text(utf8);
      client.binary(utf8);
      client.text(new Uint8Array(0));
      await expect.poll(() => got.length).toBe(3);
      expect(got).toEqual([
        ['text', utf8.toString('hex')],
        ['binary', utf8.toString('hex')],
        ['text', ''],
      ]);
      // A client that decodes gets the same text as a string.
      const decoding = connectHttp2(await session(transport, server.port), urlFor(server.port));
      await next(decoding, 'open');
      const echoed = messages(decoding, 1);
      decoding.text(utf8);
      expect(await echoed).toEqual(['ünï ✓']);
    });

    it('closes cleanly when the server starts the closing handshake', async () => {
      const server = await echoServer(transport);
      const client = connectHttp2(await session(transport, server.port), urlFor(server.port));
      await next(client, 'open');
      const clientClosed = next(client, 'close');
      server.drivers[0]!.close(1012, 'restarting');
      expect(await clientClosed).toEqual({ code: 1012, reason: 'restarting', wasClean: true });
      await streamClosed(server.streams[0]!);
    });

    it('resets the stream with CANCEL when the peer never answers our close frame', async () => {
      const server = await echoServer(transport, { driver: { closeTimeout: 50 } });
      const h2 = await session(transport, server.port);
      // A client that completes the handshake and then stays silent.
      const silent = h2.request(
        { ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': transport.scheme === 'wss' ? 'https' : 'http', ':path': '/', ':authority': `127.0.0.1:${server.port}`, 'sec-websocket-version': '13' },
        { endStream: false },
      );
      silent.on('error', () => {});
      await new Promise((resolve) => silent.once('response', resolve));
      const driver = server.drivers[0]!;
      const closed = next(driver, 'close');
      driver.close(1001, 'going');
      expect(await closed).toMatchObject({ code: 1006, wasClean: false });
      await streamClosed(server.streams[0]!);
      expect(server.streams[0]!.rstCode).toBe(http2.constants.NGHTTP2_CANCEL);
    });

    it('reports 1006 on both ends when the HTTP/2 connection drops', async () => {
      const server = await echoServer(transport);
      const h2 = await session(transport, server.port);
      const client = connectHttp2(h2, urlFor(server.port));
      await next(client, 'open');
      const serverClosed = next(server.drivers[0]!, 'close');
      const clientClosed = next(client, 'close');
      h2.destroy();
      expect(await clientClosed).toMatchObject({ code: 1006, wasClean: false });
      expect(await serverClosed).toMatchObject({ code: 1006, wasClean: false });
    });
  });

  describe('negotiation in the HTTP/2 headers', () => {
    it('agrees on a subprotocol and on permessage-deflate, and compresses on the wire', async () => {
      let wireBytes = 0;
      const server = await echoServer(transport, {
        driver: { protocols: ['chat'] },
        setup: (driver) => driver.addExtension(perMessageDeflate()),
        onStream: (stream) => {
          stream.on('data', (chunk: Uint8Array) => (wireBytes += chunk.length));
          return true;
        },
      });
      const client = connectHttp2(await session(transport, server.port), urlFor(server.port), { protocols: ['superchat', 'chat'] });
      client.addExtension(perMessageDeflate());
      await next(client, 'open');
      const driver = server.drivers[0]!;
      expect(driver.headers['sec-websocket-extensions']).toMatch(/^permessage-deflate/);
      expect(client.headers['sec-websocket-extensions']).toMatch(/^permessage-deflate/);
      expect([client.protocol, driver.protocol]).toEqual(['chat', 'chat']);
      expect(client.extensions.map((e) => e.name)).toEqual(['permessage-deflate']);
      expect(driver.extensions.map((e) => e.name)).toEqual(['permessage-deflate']);

      const text = '{"kind":"tick","value":42}\n'.repeat(4096);
      const echo = messages(client, 1);
      client.text(text);
      expect(await echo).toEqual([text]);
      expect(wireBytes).toBeLessThan(text.length / 10);
    });

    it('sends headers set right after handleHttp2Stream() and connectHttp2()', async () => {
      const server = await echoServer(transport, { setup: (driver) => driver.setHeader('x-served-by', 'test') });
      const client = connectHttp2(await session(transport, server.port), urlFor(server.port, '/room?id=7'), { headers: { origin: 'https://app.example' } });
      client.setHeader('x-client', 'yes');
      await next(client, 'open');
      expect(client.headers['x-served-by']).toBe('test');
      const driver = server.drivers[0]!;
      expect([driver.headers['origin'], driver.headers['x-client'], driver.env!['PATH_INFO'], driver.env!['QUERY_STRING']]).toEqual([
        'https://app.example',
        'yes',
        '/room',
        'id=7',
      ]);
      expect(driver.url).toBe(urlFor(server.port, '/room?id=7'));
    });

    it('runs several WebSockets side by side on one HTTP/2 connection', async () => {
      const server = await echoServer(transport);
      const h2 = await session(transport, server.port);
      const clients = [1, 2, 3].map((n) => connectHttp2(h2, urlFor(server.port, `/ws/${n}`)));
      await Promise.all(clients.map((client) => next(client, 'open')));
      const echoes = clients.map((client) => messages(client, 1));
      clients.forEach((client, i) => client.text(`socket ${i + 1}`));
      expect(await Promise.all(echoes)).toEqual([['socket 1'], ['socket 2'], ['socket 3']]);
      // A WebSocket opened later on the same, already connected session.
      const late = connectHttp2(h2, urlFor(server.port, '/ws/4'));
      await next(late, 'open');
      const lateEcho = messages(late, 1);
      late.text('socket 4');
      expect(await lateEcho).toEqual(['socket 4']);
      expect(server.sessions).toBe(1);
      const closed = clients.map((client) => next(client, 'close'));
      clients[1]!.close();
      expect((await closed[1]!).wasClean).toBe(true);
      expect([clients[0]!.readyState, clients[2]!.readyState]).toEqual([1, 1]);
    });
  });

  describe('backpressure (docs/flow-control.md)', () => {
    /** Offers `offer()` at every turn of the event loop for `ms`; returns how many it took. */
    async function offerFor(ms: number, offer: () => boolean): Promise<number> {
      let taken = 0;
      const until = Date.now() + ms;
      while (Date.now() < until) {
        if (offer()) taken++;
        await new Promise((resolve) => setImmediate(resolve));
      }
      return taken;
    }

    it('a client that stops reading: the server stream holds at most maxBufferedBytes, sends are refused, drain follows the resume', async () => {
      const server = await echoServer(transport, { driver: { maxBufferedBytes: MiB } });
      const client = connectHttp2(await session(transport, server.port), urlFor(server.port));
      await next(client, 'open');
      let received = 0;
      client.on('message', (event) => (received += (event.data as Uint8Array).length));
      client.pause();
      const sender = server.drivers[0]!;
      const stream = server.streams[0]!;
      const chunk = new Uint8Array(64 * 1024);
      let refused = 0;
      let mostInStream = 0;
      const accepted = await offerFor(1000, () => {
        const ok = sender.binary(chunk);
        if (!ok) refused++;
        mostInStream = Math.max(mostInStream, stream.writableLength);
        return ok;
      });
      // Node's own count of bytes the stream holds, not only the driver's: bounded by maxBufferedBytes plus one message.
      expect(mostInStream).toBeLessThanOrEqual(MiB + chunk.length + 16);
      expect(sender.bufferedAmount).toBeGreaterThanOrEqual(stream.writableLength);
      expect(refused).toBeGreaterThan(0);
      // What was accepted is what the stream holds plus what HTTP/2's flow-control windows let through.
      expect(accepted * chunk.length).toBeLessThan(8 * MiB);
      const drained = new Promise((resolve) => sender.once('drain', resolve));
      client.resume();
      await drained;
      while (received < accepted * chunk.length) await new Promise((resolve) => setImmediate(resolve));
      expect(received).toBe(accepted * chunk.length);
      expect(sender.binary(chunk)).toBe(true);
    });

    it('a paused server driver stops reading the stream: the client backs up, nothing fails, everything arrives on resume', async () => {
      const server = await echoServer(transport, { setup: (driver) => driver.once('open', () => driver.pause()) });
      const client = connectHttp2(await session(transport, server.port), urlFor(server.port));
      await next(client, 'open');
      const receiver = server.drivers[0]!;
      const errors: string[] = [];
      receiver.on('error', (error) => errors.push(error.code));
      let received = 0;
      receiver.on('message', (event) => (received += (event.data as Uint8Array).length));
      let streamed = 0;
      server.streams[0]!.on('data', (chunk: Uint8Array) => (streamed += chunk.length));
      const chunk = new Uint8Array(64 * 1024);
      const accepted = await offerFor(1000, () => client.binary(chunk));
      expect(receiver.isPaused).toBe(true);
      // The server read no more than HTTP/2's window: past maxPausedBytes (1 MiB) the driver would have failed with 1009.
      expect(streamed).toBeLessThan(MiB);
      expect(errors).toEqual([]);
      expect(received).toBe(0);
      // The rest waits on the client's side, which refuses past its maxBufferedBytes (16 MiB).
      expect(client.bufferedAmount).toBeGreaterThan(8 * MiB);
      receiver.resume();
      while (received < accepted * chunk.length && errors.length === 0) await new Promise((resolve) => setImmediate(resolve));
      expect(errors).toEqual([]);
      expect(received).toBe(accepted * chunk.length);
    });

    it('wsdriver/callbacks over the stream: write() refused while the client does not read, onDrained once it does, client.pause() stops reading', async () => {
      const total = 200; // 12.5 MiB of 64 KiB messages
      const chunk = new Uint8Array(64 * 1024);
      const seen = { accepted: 0, refused: 0, drains: 0, messages: 0 };
      let bound: Client | undefined;
      const server = await echoServer(transport, {
        driver: { maxBufferedBytes: MiB },
        setup: (driver) => {
          const produce = (client: Client) => {
            while (seen.accepted < total) {
              if (!client.write(chunk)) return void seen.refused++;
              seen.accepted++;
            }
          };
          bindHandler(driver, {
            onOpen: (client) => void (bound = client),
            onMessage: (client) => {
              // The first message starts the producer; later ones are counted.
              if (seen.messages++ === 0) produce(client);
            },
            onDrained(client) {
              seen.drains++;
              produce(client);
            },
          });
        },
      });
      const client = connectHttp2(await session(transport, server.port), urlFor(server.port));
      await next(client, 'open');
      let received = 0;
      // The echo server also echoes 'go': only the binary messages are the handler's.
      client.on('message', (event) => void (typeof event.data !== 'string' && (received += event.data.length)));
      client.pause();
      client.text('go');
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(seen.refused).toBeGreaterThan(0);
      expect(seen.accepted).toBeLessThan(total);
      expect(server.streams[0]!.writableLength).toBeLessThanOrEqual(MiB + chunk.length + 10);
      client.resume();
      await expect.poll(() => received, { timeout: 10_000 }).toBe(total * chunk.length);
      expect(seen.drains).toBeGreaterThan(0);

      // Receive side: the handler pauses; the client's messages wait on its side.
      bound!.pause();
      const before = seen.messages;
      const offered = await offerFor(500, () => client.binary(chunk));
      expect(seen.messages).toBe(before);
      expect(client.bufferedAmount).toBeGreaterThan(8 * MiB);
      bound!.resume();
      await expect.poll(() => seen.messages, { timeout: 10_000 }).toBe(before + offered);
    });
  });

  describe('refusals', () => {
    it('the client sends nothing to a server without SETTINGS_ENABLE_CONNECT_PROTOCOL, and fails cleanly', async () => {
      const server = await echoServer(transport, { enableConnectProtocol: false });
      const client = connectHttp2(await session(transport, server.port), urlFor(server.port));
      const error = next(client, 'error');
      const closed = next(client, 'close');
      expect(await error).toMatchObject({ code: 'HANDSHAKE_REJECTED' });
      expect((await error).message).toMatch(/SETTINGS_ENABLE_CONNECT_PROTOCOL/);
      expect(await closed).toMatchObject({ wasClean: false });
      expect(server.streams.length).toBe(0);
    });

    it('a request with sec-websocket-version 8 is answered 400 with sec-websocket-version: 13', async () => {
      const server = await echoServer(transport);
      const answer = await rawRequest(await session(transport, server.port), {
        ':method': 'CONNECT',
        ':protocol': 'websocket',
        ':scheme': transport.scheme === 'wss' ? 'https' : 'http',
        ':path': '/chat',
        ':authority': `127.0.0.1:${server.port}`,
        'sec-websocket-version': '8',
      });
      expect(answer.headers[':status']).toBe(400);
      expect(answer.headers['sec-websocket-version']).toBe('13');
      expect(answer.body).toMatch(/sec-websocket-version/);
      expect(server.drivers[0]!.readyState).toBe(3);
    });

    it('an extended CONNECT for another protocol is answered 501', async () => {
      const server = await echoServer(transport);
      const answer = await rawRequest(await session(transport, server.port), {
        ':method': 'CONNECT',
        ':protocol': 'connect-udp',
        ':scheme': transport.scheme === 'wss' ? 'https' : 'http',
        ':path': '/udp',
        ':authority': `127.0.0.1:${server.port}`,
      });
      expect(answer.headers[':status']).toBe(501);
    });

    it('the client fails on a refusal the application answered itself (403)', async () => {
      const server = await echoServer(transport, {
        onStream: (stream) => {
          stream.respond({ ':status': 403 });
          stream.end('forbidden origin');
          return false;
        },
      });
      const client = connectHttp2(await session(transport, server.port), urlFor(server.port));
      expect(await next(client, 'error')).toMatchObject({ code: 'HANDSHAKE_UNEXPECTED_STATUS' });
      expect(client.statusCode).toBe(403);
      expect(client.readyState).toBe(3);
    });

    it('the client fails when the server resets the stream before answering', async () => {
      const server = await echoServer(transport, {
        onStream: (stream) => {
          stream.on('error', () => {});
          stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
          return false;
        },
      });
      const client = connectHttp2(await session(transport, server.port), urlFor(server.port));
      const error = await next(client, 'error');
      expect(error.code).toBe('HANDSHAKE_REJECTED');
      expect(error.message).toMatch(/before answering/);
      // Node's stream error is kept as the cause, as for every transport failure.
      expect(error.cause).toBeInstanceOf(Error);
      expect((error.cause as NodeJS.ErrnoException).code).toBe('ERR_HTTP2_STREAM_ERROR');
      expect((error.cause as Error).message).toMatch(/NGHTTP2_REFUSED_STREAM/);
    });

    it('a driver closed by the server application before the answer resets the stream with CANCEL', async () => {
      const server = await echoServer(transport, { setup: (driver) => driver.close() });
      const client = connectHttp2(await session(transport, server.port), urlFor(server.port));
      expect(await next(client, 'error')).toMatchObject({ code: 'HANDSHAKE_REJECTED' });
      await streamClosed(server.streams[0]!);
      expect(server.streams[0]!.rstCode).toBe(http2.constants.NGHTTP2_CANCEL);
    });

    it('a URL whose scheme does not match the session is a caller mistake', async () => {
      const server = await echoServer(transport);
      const h2 = await session(transport, server.port);
      await new Promise((resolve) => h2.once('connect', resolve));
      const wrong = `${transport.scheme === 'wss' ? 'ws' : 'wss'}://127.0.0.1:${server.port}/`;
      expect(() => connectHttp2(h2, wrong)).toThrow(TypeError);
      expect(() => connectHttp2(h2, `http2://127.0.0.1:${server.port}/`)).toThrow(TypeError);
    });
  });
});
