/**
 * faye-websocket 0.11.4 and sockjs 0.3.24, unchanged from npm, running on
 * the compat package (npm `overrides` in a scratch project, see
 * support/dependants.ts), against themselves, ws, tinyproxy, a TLS front
 * and Chromium. Each scenario of issue 12 is its own test.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WsClient, { WebSocketServer } from 'ws';
import { hasChromium, launchChromium, type LaunchedChromium } from '../helpers/chromium.js';
import { OPENSSL, TINYPROXY, peerAvailable } from '../helpers/peers.js';
import { selfSignedCertificate, type Certificate } from '../proxy/support/certificate.js';
import { startTinyproxy, type Tinyproxy } from '../proxy/support/tinyproxy.js';
import { installDependants, type Dependants } from './support/dependants.js';
import { Inbox, closeServer, listen, once, track } from './support/peers.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- faye-websocket and sockjs ship no types */
type Faye = any;

let deps: Dependants;
let Faye: Faye;
let sockjs: any;

beforeAll(async () => {
  deps = await installDependants();
  Faye = deps.require('faye-websocket');
  sockjs = deps.require('sockjs');
}, 180_000);

/** A faye-websocket server that echoes, and closes with 4002 on 'close-me'. */
async function startFayeServer(secure?: Certificate, options?: object) {
  const server = track(secure ? https.createServer({ key: secure.key, cert: secure.cert }) : http.createServer());
  const closes = new Inbox<{ code: number; reason: string }>();
  const versions: string[] = [];
  server.on('upgrade', (request, socket, body) => {
    if (!Faye.isWebSocket(request)) return socket.destroy();
    const ws = options ? new Faye(request, socket, body, [], options) : new Faye(request, socket, body);
    versions.push(ws.version);
    ws.on('message', (event: { data: string | Buffer }) => {
      if (event.data === 'close-me') ws.close(4002, 'server bye');
      else ws.send(event.data);
    });
    ws.on('close', (event: { code: number; reason: string }) => closes.push({ code: event.code, reason: event.reason }));
  });
  const port = await listen(server);
  return { server, port, closes, versions };
}

/** A faye-websocket client, resolved once open, with its messages and close in inboxes. */
async function openFayeClient(url: string, options?: object) {
  const client = new Faye.Client(url, [], options);
  const messages = new Inbox<string | Buffer>();
  const closes = new Inbox<{ code: number; reason: string }>();
  const errors: string[] = [];
  client.on('message', (event: { data: string | Buffer }) => messages.push(event.data));
  client.on('close', (event: { code: number; reason: string }) => closes.push({ code: event.code, reason: event.reason }));
  client.on('error', (event: { message: string }) => errors.push(event.message));
  await Promise.race([
    once(client, 'open', 10_000),
    once<{ code: number; reason: string }>(client, 'close', 10_000).then((event) => {
      throw new Error(`closed before open: ${event.code} ${event.reason} ${errors.join('; ')}`);
    }),
  ]);
  return { client, messages, closes, errors };
}

/** Text, binary and a ping with its callback, through an open faye client. */
async function exchange(peer: Awaited<ReturnType<typeof openFayeClient>>): Promise<void> {
  peer.client.send('héllo ✓');
  expect(await peer.messages.next()).toBe('héllo ✓');
  peer.client.send(Buffer.from([0, 1, 254, 255]));
  const binary = await peer.messages.next();
  expect(Buffer.isBuffer(binary)).toBe(true);
  expect([...(binary as Buffer)]).toEqual([0, 1, 254, 255]);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no pong')), 5000);
    expect(peer.client.ping('are you there', () => (clearTimeout(timer), resolve()))).toBe(true);
  });
}

describe('the scratch project', () => {
  it('resolves websocket-driver to the compat package for faye-websocket and sockjs', () => {
    const { createRequire } = deps.require('module') as typeof import('node:module');
    for (const dependant of ['faye-websocket', 'sockjs']) {
      const from = createRequire(deps.require.resolve(dependant));
      expect(from('websocket-driver/package.json').name).toBe('websocket-driver-compat');
      expect(typeof from('websocket-driver/lib/websocket/driver/headers')).toBe('function');
    }
    expect(deps.require('faye-websocket/package.json').version).toBe('0.11.4');
    expect(deps.require('sockjs/package.json').version).toBe('0.3.24');
  });
});

describe('faye-websocket on the compat package', () => {
  it('its client talks to its own server: text, binary, ping, close codes both ways', async () => {
    const server = await startFayeServer();
    try {
      const peer = await openFayeClient(`ws://127.0.0.1:${server.port}/chat`);
      expect(server.versions).toEqual(['hybi-13']);
      await exchange(peer);
      peer.client.close(4001, 'client bye');
      expect(await peer.closes.next()).toEqual({ code: 4001, reason: 'client bye' });
      expect(await server.closes.next()).toEqual({ code: 4001, reason: 'client bye' });

      const second = await openFayeClient(`ws://127.0.0.1:${server.port}/chat`);
      second.client.send('close-me');
      expect(await second.closes.next()).toEqual({ code: 4002, reason: 'server bye' });
      expect(await server.closes.next()).toEqual({ code: 4002, reason: 'server bye' });
    } finally {
      await closeServer(server.server);
    }
  });

  it('its client talks to ws: text, binary, ping, close codes both ways', async () => {
    const server = track(http.createServer());
    const wss = new WebSocketServer({ server });
    const serverCloses = new Inbox<{ code: number; reason: string }>();
    wss.on('connection', (socket) => {
      socket.on('message', (data, isBinary) => {
        if (!isBinary && data.toString() === 'close-me') socket.close(4002, 'ws bye');
        else socket.send(data, { binary: isBinary });
      });
      socket.on('close', (code, reason) => serverCloses.push({ code, reason: reason.toString() }));
    });
    const port = await listen(server);
    try {
      const peer = await openFayeClient(`ws://127.0.0.1:${port}/`);
      await exchange(peer);
      peer.client.close(4001, 'client bye');
      expect(await peer.closes.next()).toEqual({ code: 4001, reason: 'client bye' });
      expect(await serverCloses.next()).toEqual({ code: 4001, reason: 'client bye' });

      const second = await openFayeClient(`ws://127.0.0.1:${port}/`);
      second.client.send('close-me');
      expect(await second.closes.next()).toEqual({ code: 4002, reason: 'ws bye' });
      expect(await serverCloses.next()).toEqual({ code: 4002, reason: 'ws bye' });
    } finally {
      wss.close();
      await closeServer(server);
    }
  });

  it('its server talks to a ws client: text, binary, ping, close codes both ways', async () => {
    const server = await startFayeServer();
    try {
      const client = new WsClient(`ws://127.0.0.1:${server.port}/`);
      const messages = new Inbox<{ data: Buffer; isBinary: boolean }>();
      client.on('message', (data, isBinary) => messages.push({ data: data as Buffer, isBinary }));
      await once(client, 'open');
      client.send('text ✓');
      expect(await messages.next()).toEqual({ data: Buffer.from('text ✓'), isBinary: false });
      client.send(Buffer.from([9, 8, 7]));
      expect(await messages.next()).toEqual({ data: Buffer.from([9, 8, 7]), isBinary: true });
      client.ping('p');
      expect(String(await once(client, 'pong'))).toBe('p');
      const closed = new Promise<[number, string]>((resolve) => client.on('close', (code, reason) => resolve([code, reason.toString()])));
      client.close(4003, 'ws client bye');
      expect(await closed).toEqual([4003, 'ws client bye']);
      expect(await server.closes.next()).toEqual({ code: 4003, reason: 'ws client bye' });
    } finally {
      await closeServer(server.server);
    }
  });

  // The compat package bundles wsdriver's own extension negotiation and
  // pipeline (no websocket-extensions inside): faye's permessage-deflate,
  // given through faye-websocket's `extensions` option, must still plug in.
  it("with faye's permessage-deflate on both ends, and against ws's: negotiated, text and binary intact", async () => {
    const deflate = createRequire(import.meta.url)('permessage-deflate');
    const server = await startFayeServer(undefined, { extensions: [deflate] });
    const wsServer = track(http.createServer());
    const wss = new WebSocketServer({ server: wsServer, perMessageDeflate: { threshold: 0 } });
    const wsExtensions: string[] = [];
    wss.on('connection', (socket) => {
      wsExtensions.push(socket.extensions);
      socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
    });
    const wsPort = await listen(wsServer);
    try {
      for (const url of [`ws://127.0.0.1:${server.port}/chat`, `ws://127.0.0.1:${wsPort}/`]) {
        const peer = await openFayeClient(url, { extensions: [deflate] });
        expect(peer.client.headers['sec-websocket-extensions']).toMatch(/^permessage-deflate\b/);
        await exchange(peer);
        const large = 'compress me '.repeat(5_000);
        peer.client.send(large);
        expect(await peer.messages.next()).toBe(large);
        peer.client.close(4001, 'client bye');
        expect(await peer.closes.next()).toEqual({ code: 4001, reason: 'client bye' });
      }
      expect(await server.closes.next()).toEqual({ code: 4001, reason: 'client bye' });
      expect(wsExtensions).toEqual([expect.stringMatching(/^permessage-deflate\b/)]);
    } finally {
      await closeServer(server.server);
      await closeServer(wsServer);
    }
  });

  it('its EventSource streams events (it loads the Headers deep path)', async () => {
    const server = track(
      http.createServer((request, response) => {
        if (!Faye.EventSource.isEventSource(request)) return response.end('not an event stream');
        const source = new Faye.EventSource(request, response, { headers: { 'X-Stream': 'compat' }, ping: 60 });
        source.send('first event', { event: 'greeting', id: '1' });
        setTimeout(() => source.close(), 50);
      }),
    );
    const port = await listen(server);
    try {
      const body = await new Promise<{ headers: http.IncomingHttpHeaders; text: string }>((resolve, reject) => {
        http
          .get({ port, host: '127.0.0.1', path: '/events', headers: { Accept: 'text/event-stream' } }, (response) => {
            let text = '';
            response.setEncoding('utf8');
            response.on('data', (chunk: string) => (text += chunk));
            response.on('end', () => resolve({ headers: response.headers, text }));
            response.on('error', reject);
          })
          .on('error', reject);
      });
      expect(body.headers['content-type']).toBe('text/event-stream');
      expect(body.headers['x-stream']).toBe('compat');
      expect(body.text).toContain('event: greeting\r\nid: 1\r\ndata: first event\r\n\r\n');
    } finally {
      await closeServer(server);
    }
  });

  describe.skipIf(!peerAvailable(TINYPROXY) || !peerAvailable(OPENSSL))('through proxies', () => {
    let target: Awaited<ReturnType<typeof startFayeServer>>;
    let plain: Tinyproxy;
    let authenticated: Tinyproxy;
    let certificate: Certificate;
    let front: tls.Server;
    let frontPort: number;

    beforeAll(async () => {
      target = await startFayeServer();
      certificate = await selfSignedCertificate();
      [plain, authenticated] = await Promise.all([
        startTinyproxy({ connectPorts: [target.port] }),
        startTinyproxy({ connectPorts: [target.port], basicAuth: { user: 'faye', password: 'compat-1' } }),
      ]);
      // An HTTPS proxy: TLS from the client to this front, plain TCP from it to tinyproxy.
      front = tls.createServer({ key: certificate.key, cert: certificate.cert }, (secure) => {
        const upstream = net.connect(plain.port, '127.0.0.1');
        secure.pipe(upstream).pipe(secure);
        upstream.on('error', () => secure.destroy());
        secure.on('error', () => upstream.destroy());
      });
      track(front);
      front.on('secureConnection', (socket) => socket.on('error', () => {}));
      frontPort = await listen(front);
    }, 60_000);

    afterAll(async () => {
      await Promise.all([plain?.stop(), authenticated?.stop(), front && closeServer(front), target && closeServer(target.server)]);
    });

    it('its client reaches the server through tinyproxy', async () => {
      const peer = await openFayeClient(`ws://127.0.0.1:${target.port}/via-proxy`, {
        proxy: { origin: `http://127.0.0.1:${plain.port}` },
      });
      await exchange(peer);
      peer.client.close();
      expect(await peer.closes.next()).toEqual({ code: 1000, reason: '' });
    });

    it('its client reaches the server through tinyproxy with Basic auth', async () => {
      const peer = await openFayeClient(`ws://127.0.0.1:${target.port}/via-auth-proxy`, {
        proxy: { origin: `http://faye:compat-1@127.0.0.1:${authenticated.port}` },
      });
      await exchange(peer);
      peer.client.close();
      expect(await peer.closes.next()).toEqual({ code: 1000, reason: '' });
    });

    it('its client is refused by tinyproxy without the credentials: an error event', async () => {
      const client = new Faye.Client(`ws://127.0.0.1:${target.port}/`, [], {
        proxy: { origin: `http://127.0.0.1:${authenticated.port}` },
      });
      // Generous: on a loaded machine tinyproxy's 407 can take a while.
      const error = await once<{ message: string }>(client, 'error', 20_000);
      expect(error.message).toContain("Can't establish a connection to the server at ws://127.0.0.1:");
      // faye-websocket leaves the socket to the proxy (as with websocket-driver): close it here.
      client._stream?.destroy();
    });

    it('its client reaches the server through an HTTPS proxy (TLS front before tinyproxy)', async () => {
      const peer = await openFayeClient(`ws://127.0.0.1:${target.port}/via-https-proxy`, {
        proxy: { origin: `https://127.0.0.1:${frontPort}`, tls: { ca: certificate.cert } },
      });
      await exchange(peer);
      peer.client.close();
      expect(await peer.closes.next()).toEqual({ code: 1000, reason: '' });
    });
  });

  it.skipIf(!peerAvailable(OPENSSL))('its client reaches a wss: server with a certificate made at test time', async () => {
    const certificate = await selfSignedCertificate();
    const server = await startFayeServer(certificate);
    try {
      const peer = await openFayeClient(`wss://127.0.0.1:${server.port}/secure`, { tls: { ca: certificate.cert } });
      await exchange(peer);
      peer.client.close(4005, 'secure bye');
      expect(await peer.closes.next()).toEqual({ code: 4005, reason: 'secure bye' });
      expect(await server.closes.next()).toEqual({ code: 4005, reason: 'secure bye' });
    } finally {
      await closeServer(server.server);
    }
  });
});

/** An echo sockjs server under /echo, heartbeats every 200 ms; 'close-me' closes with 3001. */
async function startSockjs() {
  const server = track(http.createServer((request, response) => {
    if (request.url === '/') {
      response.writeHead(200, { 'Content-Type': 'text/html' });
      response.end('<!doctype html><title>sockjs on the compat package</title>');
    }
  }));
  const closes = new Inbox<string>();
  const echo = sockjs.createServer({ prefix: '/echo', heartbeat_delay: 200, log: () => {} });
  echo.on('connection', (connection: any) => {
    connection.on('data', (data: string) => {
      if (data === 'close-me') connection.close(3001, 'server bye');
      else connection.write(data);
    });
    connection.on('close', () => closes.push(connection.protocol));
  });
  echo.installHandlers(server);
  const port = await listen(server);
  return { server, port, closes };
}

describe('sockjs on the compat package, driven by ws', () => {
  let echo: Awaited<ReturnType<typeof startSockjs>>;
  beforeAll(async () => {
    echo = await startSockjs();
  });
  afterAll(async () => {
    await closeServer(echo.server);
  });

  it('raw /websocket: echo, close from the client', async () => {
    const client = new WsClient(`ws://127.0.0.1:${echo.port}/echo/websocket`);
    const messages = new Inbox<string>();
    client.on('message', (data) => messages.push(String(data)));
    await once(client, 'open');
    client.send('raw ✓');
    expect(await messages.next()).toBe('raw ✓');
    client.close(1000);
    expect(await echo.closes.next()).toBe('websocket-raw');
  });

  it('raw /websocket: close from the server', async () => {
    const client = new WsClient(`ws://127.0.0.1:${echo.port}/echo/websocket`);
    const closed = new Promise<[number, string]>((resolve) => client.on('close', (code, reason) => resolve([code, reason.toString()])));
    await once(client, 'open');
    client.send('close-me');
    expect(await closed).toEqual([3001, 'server bye']);
    expect(await echo.closes.next()).toBe('websocket-raw');
  });

  it('framed transport: o, a[...], heartbeats as pings, close from the client', async () => {
    const client = new WsClient(`ws://127.0.0.1:${echo.port}/echo/000/frameda1/websocket`);
    const messages = new Inbox<string>();
    client.on('message', (data) => messages.push(String(data)));
    expect(await messages.next()).toBe('o');
    client.send(JSON.stringify(['one', 'two ✓']));
    expect(await messages.next()).toBe('a["one"]');
    expect(await messages.next()).toBe('a["two ✓"]');
    // sockjs heartbeats a websocket session with a ping (faye's ping(), its callback on the pong).
    await once(client, 'ping', 3000);
    client.close(1000);
    expect(await echo.closes.next()).toBe('websocket');
  });

  it('framed transport: close from the server (sockjs closes the WebSocket itself with 1000)', async () => {
    const client = new WsClient(`ws://127.0.0.1:${echo.port}/echo/000/frameda2/websocket`);
    const messages = new Inbox<string>();
    client.on('message', (data) => messages.push(String(data)));
    const closed = new Promise<[number, string]>((resolve) => client.on('close', (code, reason) => resolve([code, reason.toString()])));
    expect(await messages.next()).toBe('o');
    client.send(JSON.stringify(['close-me']));
    expect(await messages.next()).toBe('c[3001,"server bye"]');
    expect(await closed).toEqual([1000, 'Normal closure']);
    expect(await echo.closes.next()).toBe('websocket');
  });
});

describe.skipIf(!hasChromium())('sockjs on the compat package, driven by Chromium', () => {
  let echo: Awaited<ReturnType<typeof startSockjs>>;
  let browser: LaunchedChromium;
  beforeAll(async () => {
    [echo, browser] = await Promise.all([startSockjs(), launchChromium()]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    if (echo) await closeServer(echo.server);
  });

  it('raw /websocket and the framed transport, echo and close both ways', async () => {
    const page = await browser.context.newPage();
    await page.goto(`http://127.0.0.1:${echo.port}/`);
    const result = await page.evaluate(async () => {
      const open = (path: string) => new WebSocket(`ws://${location.host}${path}`);
      const next = (socket: WebSocket) => new Promise<string>((resolve) => socket.addEventListener('message', (e) => resolve(String(e.data)), { once: true }));
      const closed = (socket: WebSocket) => new Promise<string>((resolve) => socket.addEventListener('close', (e) => resolve(`${e.code} ${e.reason}`), { once: true }));
      const log: string[] = [];
      const raw = open('/echo/websocket');
      await new Promise((resolve) => raw.addEventListener('open', resolve, { once: true }));
      raw.send('from chromium ✓');
      log.push(await next(raw));
      const rawClosed = closed(raw);
      raw.send('close-me');
      log.push(await rawClosed);
      const framed = open('/echo/000/chromium/websocket');
      log.push(await next(framed));
      framed.send(JSON.stringify(['framed ✓']));
      log.push(await next(framed));
      const framedClosed = closed(framed);
      framed.close(1000, 'browser bye');
      log.push(await framedClosed);
      return log;
    });
    expect(result).toEqual(['from chromium ✓', '3001 server bye', 'o', 'a["framed ✓"]', '1000 browser bye']);
    expect(await echo.closes.next()).toBe('websocket-raw');
    expect(await echo.closes.next()).toBe('websocket');
    await page.close();
  });
});
