/**
 * `WebSocketServer` from wsdriver/node, with real peers on 127.0.0.1: the
 * `ws` client over http, https, bare net and tls servers; Node's http2
 * client through connectHttp2 over an http2 server; raw TCP where the
 * exact bytes (or a peer that never answers) matter.
 */
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import type { CloseEvent } from '../../lib/index.js';
import { connectHttp2, WebSocketServer, type ServerDriver, type ServerOptions, type UpgradeRequest } from '../../lib/adapters/node/index.js';
import { Op, clientFrame, decodeFrames, parseHead, requestHead } from '../helpers/index.js';
import { Cleanup, listen, next, once, readToEnd, readUntil, tcpConnect } from '../interop/support.js';
import { selfSignedCertificate, type Certificate } from '../proxy/support/certificate.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

let certificate: Certificate;
beforeAll(async () => {
  certificate = await selfSignedCertificate();
}, 60_000);

const echo: ServerOptions['handler'] = {
  onMessage: (client, data) => void client.write(data),
};

/** A WebSocketServer serving a fresh http server on 127.0.0.1. */
async function httpServer(options: ServerOptions) {
  const server = cleanup.server(http.createServer((_request, response) => response.end('plain HTTP\n')));
  const wss = new WebSocketServer(options).serve(server);
  cleanup.add(() => wss.close(1001, '', { timeout: 0 }));
  const port = await listen(server);
  return { wss, port, url: `ws://127.0.0.1:${port}` };
}

/** A `ws` client: resolves once open, or with the refusal's status and headers. */
function wsClient(url: string, protocols: string[] = [], options: WebSocket.ClientOptions = {}) {
  const socket = new WebSocket(url, protocols, options);
  cleanup.add(() => socket.terminate());
  const messages: string[] = [];
  socket.on('message', (data) => messages.push(String(data)));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  const opened = new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string } | 'open'>((resolve, reject) => {
    socket.on('open', () => resolve('open'));
    socket.on('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += String(chunk)));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    });
    socket.on('error', (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error);
    });
  });
  return { socket, messages, closed, opened };
}

describe('WebSocketServer over node:http', () => {
  it('echoes to a ws client, keeping the open connections in clients', async () => {
    const { wss, url } = await httpServer({ handler: echo });
    const a = wsClient(`${url}/`);
    const b = wsClient(`${url}/`);
    expect(await a.opened).toBe('open');
    expect(await b.opened).toBe('open');
    await expect.poll(() => wss.clients.size).toBe(2);
    a.socket.send('hello');
    await expect.poll(() => a.messages).toEqual(['hello']);
    a.socket.close(1000);
    await a.closed;
    await expect.poll(() => wss.clients.size).toBe(1);
    for (const driver of wss.clients) expect(driver.readyState).toBe(1);
  });

  it('refuses a request that verify refuses with its status, headers and message, and never opens', async () => {
    const seen: UpgradeRequest[] = [];
    const { wss, url } = await httpServer({
      handler: echo,
      verify: async (request) => {
        seen.push(request);
        await new Promise((resolve) => setTimeout(resolve, 5));
        return request.headers['authorization'] === 'Bearer good' || { status: 401, headers: { 'WWW-Authenticate': 'Bearer realm="chat"' }, message: 'who are you?' };
      },
    });
    const refused = wsClient(`${url}/chat?room=1`);
    const answer = await refused.opened;
    expect(answer).toMatchObject({ status: 401, body: 'who are you?\n' });
    expect((answer as { headers: http.IncomingHttpHeaders }).headers['www-authenticate']).toBe('Bearer realm="chat"');
    expect(seen[0]).toMatchObject({ method: 'GET', target: '/chat?room=1', path: '/chat', httpVersion: '1.1' });
    expect(seen[0]!.remoteAddress).toBe('127.0.0.1');
    expect(wss.clients.size).toBe(0);

    const accepted = wsClient(`${url}/chat`, [], { headers: { authorization: 'Bearer good' } });
    expect(await accepted.opened).toBe('open');
  });

  it('refuses with 403 when verify returns false, and with 500 (reported to onError) when it throws', async () => {
    const errors: unknown[] = [];
    const { url } = await httpServer({
      verify: (request) => {
        if (request.path === '/throws') throw new Error('verify failed');
        return false;
      },
      onError: (error) => errors.push(error),
    });
    expect(await wsClient(`${url}/`).opened).toMatchObject({ status: 403 });
    expect(await wsClient(`${url}/throws`).opened).toMatchObject({ status: 500 });
    expect(errors).toEqual([new Error('verify failed')]);
  });

  it('answers 404 to a path the filter refuses, and 400 to an upgrade that is not a WebSocket handshake', async () => {
    const { url, port } = await httpServer({ path: '/chat', handler: echo });
    expect(await wsClient(`${url}/elsewhere`).opened).toMatchObject({ status: 404 });
    expect(await wsClient(`${url}/chat?x=1`).opened).toBe('open');

    const byFunction = await httpServer({ path: (path) => path.startsWith('/rooms/'), handler: echo });
    expect(await wsClient(`${byFunction.url}/rooms/7`).opened).toBe('open');
    expect(await wsClient(`${byFunction.url}/lobby`).opened).toMatchObject({ status: 404 });

    const tcp = await tcpConnect(cleanup, port);
    tcp.write('GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n');
    const head = parseHead(await readToEnd(tcp));
    expect(head.status).toBe(400);
  });

  it('chooses the subprotocol with handleProtocols from the offers, in the client order', async () => {
    const calls: Array<readonly string[]> = [];
    const { url } = await httpServer({
      handler: echo,
      handleProtocols: (offers, request) => {
        calls.push(offers);
        expect(request.protocols).toEqual(offers);
        return offers.includes('chat.v2') ? 'chat.v2' : null;
      },
    });
    const v2 = wsClient(`${url}/`, ['chat.v1', 'chat.v2']);
    expect(await v2.opened).toBe('open');
    expect(v2.socket.protocol).toBe('chat.v2');
    expect(calls[0]).toEqual(['chat.v1', 'chat.v2']);

    const none = wsClient(`${url}/`);
    expect(await none.opened).toBe('open');
    expect(none.socket.protocol).toBe('');
  });

  it('refuses with 500 when handleProtocols picks a protocol that was not offered', async () => {
    const errors: unknown[] = [];
    const { url } = await httpServer({ handleProtocols: () => 'other', onError: (error) => errors.push(error) });
    expect(await wsClient(`${url}/`, ['chat']).opened).toMatchObject({ status: 500 });
    expect(String(errors[0])).toMatch(/did not offer/);
  });

  it('gives each connection its own handler from a factory: per-connection state without a lookup table', async () => {
    const requests: string[] = [];
    const { url } = await httpServer({
      handler: (_driver, request) => {
        requests.push(request.target);
        let count = 0; // this connection's own state
        return { onMessage: (client) => void client.write(`${request.path} ${++count}`) };
      },
    });
    const a = wsClient(`${url}/a`);
    const b = wsClient(`${url}/b`);
    await Promise.all([a.opened, b.opened]);
    a.socket.send('x');
    a.socket.send('x');
    b.socket.send('x');
    await expect.poll(() => [a.messages, b.messages]).toEqual([['/a 1', '/a 2'], ['/b 1']]);
    expect(requests.sort()).toEqual(['/a', '/b']);
  });

  it('lets a handler function add listeners to the driver itself', async () => {
    const { url } = await httpServer({
      handler: (driver: ServerDriver) => {
        driver.on('message', (event) => driver.text(`got ${String(event.data)}`));
      },
    });
    const client = wsClient(`${url}/`);
    await client.opened;
    client.socket.send('hi');
    await expect.poll(() => client.messages).toEqual(['got hi']);
  });

  it('negotiates permessage-deflate with perMessageDeflate: true', async () => {
    const { url } = await httpServer({ handler: echo, perMessageDeflate: true });
    const client = wsClient(`${url}/`, [], { perMessageDeflate: true });
    await client.opened;
    expect(client.socket.extensions).toContain('permessage-deflate');
    client.socket.send('compress me '.repeat(100));
    await expect.poll(() => client.messages.length).toBe(1);
    expect(client.messages[0]).toBe('compress me '.repeat(100));

    const plain = await httpServer({ handler: echo });
    const other = wsClient(`${plain.url}/`, [], { perMessageDeflate: true });
    await other.opened;
    expect(other.socket.extensions).toBe('');
  });

  it('passes decodeText: false to every connection: the handler gets text as bytes with its type and writes it back as text', async () => {
    const types: string[] = [];
    const { url } = await httpServer({
      decodeText: false,
      handler: {
        onMessage(client, data, type) {
          types.push(`${type}:${data instanceof Uint8Array ? 'bytes' : 'string'}`);
          client.write(data, type);
        },
      },
    });
    const peer = new WebSocket(`${url}/`);
    cleanup.add(() => peer.terminate());
    const got: Array<[string, boolean]> = [];
    peer.on('message', (data: Buffer, isBinary) => got.push([isBinary ? data.toString('hex') : String(data), isBinary]));
    await once(peer, 'open');
    peer.send('ünï ✓');
    peer.send(Buffer.from([1, 2]));
    await expect.poll(() => got.length).toBe(2);
    expect(got).toEqual([
      ['ünï ✓', false],
      ['0102', true],
    ]);
    expect(types).toEqual(['text:bytes', 'binary:bytes']);
  });

  it('applies the driver options to every connection (maxLength)', async () => {
    const { url } = await httpServer({ handler: echo, maxLength: 10 });
    const client = wsClient(`${url}/`);
    await client.opened;
    client.socket.send('more than ten bytes');
    expect((await client.closed).code).toBe(1009);
  });

  it('closes gracefully: onShutdown, then 1001 to every client; resolves once all are closed; 503 after', async () => {
    const shutdowns: string[] = [];
    const closes: CloseEvent[] = [];
    const { wss, url } = await httpServer({
      handler: {
        onShutdown: (client) => {
          shutdowns.push('shutdown');
          client.write('bye');
        },
        onClose: (_client, event) => void closes.push(event),
      },
    });
    const a = wsClient(`${url}/`);
    const b = wsClient(`${url}/`);
    await Promise.all([a.opened, b.opened]);
    await expect.poll(() => wss.clients.size).toBe(2);
    await wss.close(1001, 'restarting', { timeout: 5000 });
    expect(shutdowns).toEqual(['shutdown', 'shutdown']);
    expect(closes.map((event) => [event.code, event.wasClean])).toEqual([[1001, true], [1001, true]]);
    expect(wss.clients.size).toBe(0);
    expect(await a.closed).toEqual({ code: 1001, reason: 'restarting' });
    expect(a.messages).toEqual(['bye']);
    // Closed: its listeners are gone, so the application's own request handler answers.
    expect(await wsClient(`${url}/`).opened).toMatchObject({ status: 200, body: 'plain HTTP\n' });
  });

  it('closes with 1001 by default; a peer that never answers is destroyed at the timeout', async () => {
    const drivers: ServerDriver[] = [];
    const { wss, port } = await httpServer({ handler: (driver) => void drivers.push(driver) });
    const answering = wsClient(`ws://127.0.0.1:${port}/`);
    await answering.opened;
    // A raw peer that completes the handshake and then never reads or answers.
    const silent = await tcpConnect(cleanup, port);
    const received: Buffer[] = [];
    silent.on('data', (chunk: Buffer) => received.push(chunk));
    silent.on('error', () => {}); // the server may reset it
    const silentEnded = once(silent, 'close');
    silent.write(requestHead({ target: '/' }));
    await expect.poll(() => wss.clients.size).toBe(2);
    const closes = drivers.map((driver) => next(driver, 'close'));

    const started = Date.now();
    await wss.close(undefined, undefined, { timeout: 200 });

    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(150);
    const events = await Promise.all(closes);
    expect(events.map((event) => event.code).sort()).toEqual([1001, 1006]);
    expect((await answering.closed).code).toBe(1001);
    // The silent peer got the close frame (1001) before it was dropped.
    await silentEnded;
    const bytes = Buffer.concat(received);
    const frames = decodeFrames(bytes.subarray(bytes.indexOf('\r\n\r\n') + 4));
    expect(frames[0]!.opcode).toBe(Op.CLOSE);
    expect((frames[0]!.payload[0]! << 8) | frames[0]!.payload[1]!).toBe(1001);
  });

  it('resolves close() at once with no connections, and checks its arguments', async () => {
    const { wss } = await httpServer({});
    expect(() => wss.close(1005)).toThrow(RangeError);
    expect(() => wss.close(1000, 'x', { timeout: -1 })).toThrow(RangeError);
    await wss.close();
  });

  it('checks its options when made: unknown keys, bad values, protocols with handleProtocols', () => {
    expect(() => new WebSocketServer({ nonsense: 1 } as ServerOptions)).toThrow(/unknown option 'nonsense'; known options: path, .*closeTimeout, handshakeTimeout, pingInterval, pingTimeout, maxLength/);
    expect(() => new WebSocketServer({ maxLength: -1 })).toThrow(RangeError);
    expect(() => new WebSocketServer({ path: 'chat' })).toThrow(TypeError);
    expect(() => new WebSocketServer({ verify: 'yes' as never })).toThrow(TypeError);
    expect(() => new WebSocketServer({ protocols: ['a'], handleProtocols: () => 'a' })).toThrow(/give one/);
    expect(() => new WebSocketServer({ perMessageDeflate: { level: 42 } })).toThrow();
    expect(() => new WebSocketServer({ closeTimeout: -5 })).toThrow(RangeError);
    expect(() => new WebSocketServer().serve({} as never)).toThrow(TypeError);
  });

  it('answers 500 to a request whose handler function throws, and reports the error', async () => {
    const errors: unknown[] = [];
    const { url } = await httpServer({
      handler: () => {
        throw new Error('handler failed');
      },
      onError: (error) => errors.push(error),
    });
    expect(await wsClient(`${url}/`).opened).toMatchObject({ status: 500 });
    expect(errors).toEqual([new Error('handler failed')]);
  });

  it('settles close() at its timeout even while a verify never returns', async () => {
    const { wss, port } = await httpServer({ handler: echo, verify: () => new Promise<boolean>(() => {}) });
    const tcp = await tcpConnect(cleanup, port);
    tcp.on('error', () => {});
    const dropped = once(tcp, 'close');
    tcp.write(requestHead({ target: '/' }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const started = Date.now();
    await wss.close(1001, '', { timeout: 100 });
    expect(Date.now() - started).toBeLessThan(2000);
    await dropped;
  });

  it('answers 503 to a request whose verify returns after close()', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let verifying!: () => void;
    const reached = new Promise<void>((resolve) => (verifying = resolve));
    const { wss, url } = await httpServer({
      handler: echo,
      verify: async () => {
        verifying();
        await held;
        return true;
      },
    });
    const client = wsClient(`${url}/`);
    await reached;
    const closing = wss.close(1001, 'bye', { timeout: 2000 });
    release();
    await closing;
    expect(await client.opened).toMatchObject({ status: 503 });
  });

  it('lets a connection still in its handshake open, then closes it with 1001, when close() comes first', async () => {
    let closing: Promise<void> | null = null;
    const wssRef: { current: WebSocketServer | null } = { current: null };
    const { wss, url } = await httpServer({
      handler: () => {
        // The driver is made but has not answered yet.
        closing ??= wssRef.current!.close(1001, 'going');
      },
    });
    wssRef.current = wss;
    const client = wsClient(`${url}/`);
    expect(await client.opened).toBe('open');
    expect(await client.closed).toEqual({ code: 1001, reason: 'going' });
    await closing;
  });

  it('does not crash when a client resets while verify runs', async () => {
    let release!: () => void;
    const verifying = new Promise<void>((resolve) => (release = resolve));
    let called!: () => void;
    const reached = new Promise<void>((resolve) => (called = resolve));
    const { wss, port } = await httpServer({
      handler: echo,
      verify: async () => {
        called();
        await verifying;
        return true;
      },
    });
    const tcp = await tcpConnect(cleanup, port);
    tcp.write(requestHead({ target: '/' }));
    await reached;
    tcp.resetAndDestroy();
    await new Promise((resolve) => setTimeout(resolve, 20));
    release();
    await wss.close(1001, '', { timeout: 100 });
    expect(wss.clients.size).toBe(0);
  });
});

describe('WebSocketServer: what a connection leaves behind', () => {
  it('closes a connection whose client half-closes while an async verify runs, and keeps no client', async () => {
    let verified!: () => void;
    const verifyReturned = new Promise<void>((resolve) => (verified = resolve));
    const opened: ServerDriver[] = [];
    const { wss, port } = await httpServer({
      closeTimeout: 500,
      verify: async () => {
        await new Promise((resolve) => setTimeout(resolve, 200));
        verified();
        return true;
      },
      handler: (driver) => void driver.on('open', () => opened.push(driver)),
    });
    const tcp = await tcpConnect(cleanup, port);
    tcp.on('error', () => {});
    const closed = once(tcp, 'close');
    // The request, then FIN: node:http keeps the half-open socket.
    tcp.end(requestHead({ target: '/' }));
    await verifyReturned;
    await closed;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(opened).toEqual([]);
    expect(wss.clients.size).toBe(0);
    // Nothing tracked: close() has nothing to wait for.
    const started = Date.now();
    await wss.close(1001, '', { timeout: 10_000 });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('reports an onShutdown that throws to onError, not as an uncaught exception, and still closes', async () => {
    const errors: unknown[] = [];
    const requests: unknown[] = [];
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    cleanup.add(() => void process.off('uncaughtException', onUncaught));
    const { wss, url } = await httpServer({
      onError: (error, request) => {
        errors.push(error);
        requests.push(request);
      },
      handler: {
        onShutdown: () => {
          throw new Error('onShutdown bug');
        },
      },
    });
    const client = wsClient(`${url}/`);
    expect(await client.opened).toBe('open');
    await expect.poll(() => wss.clients.size).toBe(1);
    await wss.close(1001, 'a', { timeout: 2000 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(errors).toEqual([new Error('onShutdown bug')]);
    // An open connection keeps no request (nor Node's IncomingMessage under it).
    expect(requests).toEqual([undefined]);
    expect(uncaught).toEqual([]);
    expect(await client.closed).toEqual({ code: 1001, reason: 'a' });
  });

  it('clears the timer that drops a refused request once its socket has closed', async () => {
    // A closeTimeout no other timer here uses, to pick out the refusal's timers.
    const closeTimeout = 12_345;
    const { port } = await httpServer({ closeTimeout, verify: () => false });
    const made: unknown[] = [];
    const cleared = new Set<unknown>();
    const realSetTimeout = globalThis.setTimeout;
    const realClearTimeout = globalThis.clearTimeout;
    const setSpy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((callback: () => void, delay?: number) => {
      const timer = realSetTimeout(callback, delay);
      if (delay === closeTimeout) made.push(timer);
      return timer;
    }) as typeof setTimeout);
    const clearSpy = vi.spyOn(globalThis, 'clearTimeout').mockImplementation(((timer: Parameters<typeof clearTimeout>[0]) => {
      cleared.add(timer);
      realClearTimeout(timer);
    }) as typeof clearTimeout);
    cleanup.add(() => {
      setSpy.mockRestore();
      clearSpy.mockRestore();
    });
    for (let i = 0; i < 3; i++) {
      const tcp = await tcpConnect(cleanup, port);
      tcp.write(requestHead({ target: '/' }));
      // The client closes its side once the 403 has come: the socket closes at both ends.
      expect(parseHead(await readToEnd(tcp)).status).toBe(403);
      await once(tcp, 'close');
    }
    await expect.poll(() => made.length).toBe(3);
    await expect.poll(() => made.filter((timer) => !cleared.has(timer)).length).toBe(0);
  });

  it('removes its listeners from an http server when close() has finished, answering 503 until then; unserve() removes them at once', async () => {
    const server = cleanup.server(http.createServer((_request, response) => response.end('plain HTTP\n')));
    const before = server.listenerCount('upgrade');
    const wss = new WebSocketServer({ handler: echo }).serve(server);
    wss.serve(server); // a second serve() of the same server adds nothing
    expect(server.listenerCount('upgrade')).toBe(before + 1);
    const port = await listen(server);
    // A peer that never answers the close frame holds close() open until its timeout.
    const silent = await tcpConnect(cleanup, port);
    silent.on('error', () => {});
    silent.write(requestHead({ target: '/' }));
    await expect.poll(() => wss.clients.size).toBe(1);
    const closing = wss.close(1001, '', { timeout: 1000 });
    expect(await wsClient(`ws://127.0.0.1:${port}/`).opened).toMatchObject({ status: 503 });
    expect(server.listenerCount('upgrade')).toBe(before + 1);
    await closing;
    expect(server.listenerCount('upgrade')).toBe(before);

    const other = cleanup.server(http.createServer());
    const second = new WebSocketServer({ handler: echo }).serve(other);
    expect(other.listenerCount('upgrade')).toBe(before + 1);
    expect(second.unserve(other)).toBe(second);
    expect(other.listenerCount('upgrade')).toBe(before);
    second.unserve(other); // not served: nothing to do
  });

  it('removes its listeners from bare net and http2 servers at close()', async () => {
    const bare = net.createServer();
    const h2 = http2.createServer();
    const counts = () => [bare.listenerCount('connection'), h2.listenerCount('stream'), h2.listenerCount('upgrade')];
    const before = counts();
    const wss = new WebSocketServer({ handler: echo }).serve(bare).serve(h2);
    expect(counts()).toEqual(before.map((count) => count + 1));
    await wss.close();
    expect(counts()).toEqual(before);
  });

  it('copies head: node:http reusing it after the upgrade event does not change what the driver reads', async () => {
    const server = cleanup.server(http.createServer());
    const wss = new WebSocketServer({ handler: echo }).serve(server);
    cleanup.add(() => wss.close(1001, '', { timeout: 0 }));
    // Runs after the server's listener: overwrites the bytes node:http handed over.
    server.on('upgrade', (_request, _socket, head: Buffer) => head.fill(0));
    const port = await listen(server);
    const tcp = await tcpConnect(cleanup, port);
    tcp.write(Buffer.concat([requestHead({ target: '/' }), clientFrame(Op.TEXT, 'read from head')]));
    const reply = parseHead(await readUntil(tcp, (bytes) => bytes.includes('read from head')));
    expect(reply.status).toBe(101);
    expect(Buffer.from(decodeFrames(reply.rest)[0]!.payload).toString()).toBe('read from head');
  });

  it('answers a second close() with the first one\'s promise, closing with the first code and reason', async () => {
    const { wss, url } = await httpServer({ handler: echo });
    const client = wsClient(`${url}/`);
    expect(await client.opened).toBe('open');
    await expect.poll(() => wss.clients.size).toBe(1);
    const first = wss.close(1001, 'a', { timeout: 2000 });
    const second = wss.close(1012, 'b', { timeout: 0 });
    expect(second).toBe(first);
    await second;
    expect(await client.closed).toEqual({ code: 1001, reason: 'a' });
  });
});

describe('WebSocketServer over https, bare net and tls servers', () => {
  it('serves an https server', async () => {
    const server = cleanup.server(https.createServer({ key: certificate.key, cert: certificate.cert }));
    const wss = new WebSocketServer({ handler: echo }).serve(server);
    cleanup.add(() => wss.close(1001, '', { timeout: 0 }));
    const port = await listen(server);
    const client = wsClient(`wss://127.0.0.1:${port}/`, [], { ca: certificate.cert });
    expect(await client.opened).toBe('open');
    client.socket.send('secure');
    await expect.poll(() => client.messages).toEqual(['secure']);
  });

  it('serves a bare net server: its requests are read for it, and a plain GET gets 426', async () => {
    const server = cleanup.server(net.createServer());
    const wss = new WebSocketServer({ handler: echo, path: '/ws' }).serve(server);
    cleanup.add(() => wss.close(1001, '', { timeout: 0 }));
    const port = await listen(server);
    const client = wsClient(`ws://127.0.0.1:${port}/ws`);
    expect(await client.opened).toBe('open');
    client.socket.send('over net');
    await expect.poll(() => client.messages).toEqual(['over net']);
    expect(await wsClient(`ws://127.0.0.1:${port}/other`).opened).toMatchObject({ status: 404 });

    const tcp = await tcpConnect(cleanup, port);
    tcp.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    const head = parseHead(await readToEnd(tcp));
    expect(head.status).toBe(426);
    expect(head.headers['upgrade']).toBe('websocket');
  });

  it('serves a bare tls server', async () => {
    const server = cleanup.server(tls.createServer({ key: certificate.key, cert: certificate.cert }));
    const wss = new WebSocketServer({ handler: echo }).serve(server);
    cleanup.add(() => wss.close(1001, '', { timeout: 0 }));
    const port = await listen(server);
    const client = wsClient(`wss://127.0.0.1:${port}/`, [], { ca: certificate.cert });
    expect(await client.opened).toBe('open');
    client.socket.send('over tls');
    await expect.poll(() => client.messages).toEqual(['over tls']);
    await wss.close();
    expect((await client.closed).code).toBe(1001);
  });
});

describe('WebSocketServer over node:http2 (RFC 8441)', () => {
  async function h2Server(options: ServerOptions) {
    // No enableConnectProtocol here: serve() turns it on.
    const server = cleanup.server(http2.createServer());
    server.on('stream', (stream, headers) => {
      // The application's own routes: everything but WebSocket requests.
      if (headers[':method'] === 'CONNECT') return;
      stream.respond({ ':status': 200 });
      stream.end('plain HTTP/2\n');
    });
    const wss = new WebSocketServer(options).serve(server);
    cleanup.add(() => wss.close(1001, '', { timeout: 0 }));
    const port = await listen(server);
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', () => {});
    cleanup.add(() => session.destroy());
    return { wss, port, session };
  }

  it('echoes over an extended CONNECT stream, with the subprotocol handleProtocols chose', async () => {
    const { wss, port, session } = await h2Server({ handler: echo, handleProtocols: (offers) => offers.at(-1) ?? null });
    const client = connectHttp2(session, `ws://127.0.0.1:${port}/chat`, { protocols: ['a', 'b'] });
    await next(client, 'open');
    expect(client.protocol).toBe('b');
    expect(wss.clients.size).toBe(1);
    const reply = next(client, 'message');
    client.text('over h2');
    expect((await reply).data).toBe('over h2');
    const closed = next(client, 'close');
    await wss.close();
    expect(await closed).toMatchObject({ code: 1001, wasClean: true });
  });

  it('refuses with verify’s status and headers, answers 404 off the path, and leaves other streams alone', async () => {
    const { port, session } = await h2Server({
      handler: echo,
      path: '/chat',
      verify: () => ({ status: 401, headers: { 'www-authenticate': 'Bearer' } }),
    });
    const refused = connectHttp2(session, `ws://127.0.0.1:${port}/chat`);
    const error = await next(refused, 'error');
    expect(error.code).toBe('HANDSHAKE_UNEXPECTED_STATUS');
    expect(refused.statusCode).toBe(401);
    expect(refused.headers?.['www-authenticate']).toBe('Bearer');

    const elsewhere = connectHttp2(session, `ws://127.0.0.1:${port}/other`);
    await next(elsewhere, 'error');
    expect(elsewhere.statusCode).toBe(404);

    const plain = session.request({ ':path': '/' });
    let body = '';
    plain.on('data', (chunk: Buffer) => (body += String(chunk)));
    await once(plain, 'end');
    expect(body).toBe('plain HTTP/2\n');
  });
});

describe('WebSocketServer.broadcast', () => {
  async function waitFor(check: () => boolean): Promise<void> {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  it('sends one message, framed once, to every open connection but the one left out, compressed or not', async () => {
    const plain = await httpServer({});
    const clients = [wsClient(plain.url), wsClient(plain.url), wsClient(plain.url)];
    for (const client of clients) expect(await client.opened).toBe('open');
    await waitFor(() => plain.wss.clients.size === 3);
    const [first] = [...plain.wss.clients];
    expect(plain.wss.broadcast('to all but one', { except: first })).toEqual({ sent: 2, skipped: 0, closed: 0 });
    expect(plain.wss.broadcast(Uint8Array.of(1, 2, 3))).toEqual({ sent: 3, skipped: 0, closed: 0 });
    await waitFor(() => clients.reduce((n, c) => n + c.messages.length, 0) === 5);
    expect(clients.map((c) => c.messages.length).sort()).toEqual([1, 2, 2]);

    const deflated = await httpServer({ perMessageDeflate: { noContextTakeover: true } });
    const compressed = [wsClient(deflated.url), wsClient(deflated.url)];
    for (const client of compressed) expect(await client.opened).toBe('open');
    await waitFor(() => deflated.wss.clients.size === 2);
    expect(deflated.wss.broadcast('squeezed '.repeat(100)).sent).toBe(2);
    await waitFor(() => compressed.every((c) => c.messages.length === 1));
    for (const client of compressed) expect(client.messages).toEqual(['squeezed '.repeat(100)]);
  });

  it('delivers a burst of broadcasts issued in one tick to every client whole and in order (coalesced writes)', async () => {
    const { wss, url } = await httpServer({});
    const clients = [wsClient(url), wsClient(url), wsClient(url)];
    for (const client of clients) expect(await client.opened).toBe('open');
    await waitFor(() => wss.clients.size === 3);
    const sent: string[] = [];
    // Small and large (past the 64 KiB a socket is held corked) messages, all in one tick.
    for (let i = 0; i < 200; i++) {
      const message = i % 50 === 49 ? `${i}:${'y'.repeat(80 * 1024)}` : `${i}`;
      sent.push(message);
      expect(wss.broadcast(message, { slowClient: 'queue' }).sent).toBe(3);
    }
    await waitFor(() => clients.every((c) => c.messages.length === sent.length));
    for (const client of clients) expect(client.messages).toEqual(sent);
  });

  it("'close' closes a connection whose transport holds more than maxPending with 1008", async () => {
    const { wss, url } = await httpServer({});
    const client = wsClient(url);
    expect(await client.opened).toBe('open');
    await waitFor(() => wss.clients.size === 1);
    const [driver] = [...wss.clients];
    // Enough that the kernel's buffers fill and Node holds the rest: the client reads nothing meanwhile.
    client.socket.pause();
    for (let i = 0; i < 64; i++) driver!.binary(new Uint8Array(1024 * 1024));
    expect(wss.broadcast('late', { maxPending: 1024, slowClient: 'skip' })).toEqual({ sent: 0, skipped: 1, closed: 0 });
    expect(wss.broadcast('late', { maxPending: 1024, slowClient: 'close' })).toEqual({ sent: 0, skipped: 0, closed: 1 });
    client.socket.resume();
    expect(await client.closed).toMatchObject({ code: 1008, reason: 'too slow' });
  });
});
