// End to end through a real HTTP proxy: Debian's tinyproxy on 127.0.0.1,
// a wsdriver client over node:net (and node:tls for wss:), `ws` servers
// behind it. The client is wired exactly as the README shows.
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { Driver, httpProxy, type CloseEvent, type HttpProxy, type HybiClientDriver, type ProtocolError } from '../../lib/index.js';
import { selfSignedCertificate, type Certificate } from './support/certificate.js';
import { freePort, startTinyproxy, type Tinyproxy } from './support/tinyproxy.js';
import { OPENSSL, peerAvailable, TINYPROXY } from '../helpers/peers.js';

const peersHere = peerAvailable(TINYPROXY) && peerAvailable(OPENSSL);

const AUTH = { user: 'wsdriver', password: 'se.cret-1' };

interface Peer {
  readonly port: number;
  /** The handshake requests the server received. */
  readonly requests: IncomingMessage[];
  close(): Promise<void>;
}

/** A `ws` echo server; over TLS when given a certificate. */
async function echoServer(certificate?: Certificate): Promise<Peer> {
  const requests: IncomingMessage[] = [];
  let wss: WebSocketServer;
  let httpsServer: https.Server | null = null;
  if (certificate) {
    httpsServer = https.createServer({ key: certificate.key, cert: certificate.cert });
    wss = new WebSocketServer({ server: httpsServer });
    httpsServer.listen(0, '127.0.0.1');
    await once(httpsServer, 'listening');
  } else {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
  }
  wss.on('connection', (socket, request) => {
    requests.push(request);
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
  const address = (httpsServer ?? wss).address() as net.AddressInfo;
  return {
    port: address.port,
    requests,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      if (httpsServer) await new Promise<void>((resolve) => httpsServer.close(() => resolve()));
    },
  };
}

/** A client connection through a proxy, with its events as promises. */
interface Session {
  driver: HybiClientDriver;
  proxy: HttpProxy;
  /** The transport the driver writes to once the tunnel is open. */
  transport(): net.Socket;
  /** Resolves on open; rejects with the error (or close) that came instead. */
  opened: Promise<void>;
  closed: Promise<CloseEvent>;
  proxyErrors: ProtocolError[];
  nextMessage(): Promise<string | Uint8Array>;
}

const sockets = new Set<net.Socket>();

/** Connects as the README does: proxy.parse() on TCP data, TLS on connect for wss:. */
function dial(target: string, proxyUrl: string, options: { ca?: string; startEarly?: boolean } = {}): Session {
  const url = new URL(target);
  let driver!: HybiClientDriver;
  const proxyErrors: ProtocolError[] = [];
  const messages: Array<string | Uint8Array> = [];
  const waiting: Array<(message: string | Uint8Array) => void> = [];

  const tcp = new net.Socket();
  sockets.add(tcp);
  let transport: net.Socket = tcp;
  driver = Driver.client({ url: target, write: (bytes) => transport.write(bytes) });
  const proxy = httpProxy(driver, proxyUrl);
  tcp.connect(proxy.port, proxy.host);

  const toProxy = (bytes: Uint8Array) => proxy.parse(bytes);
  tcp.on('data', toProxy);
  proxy.on('connect', () => {
    if (url.protocol === 'wss:') {
      // From here on TCP carries TLS: the TLS socket reads it, not us.
      tcp.off('data', toProxy);
      const host = url.hostname;
      const secure = tls.connect({ socket: tcp, host, ca: options.ca, ...(net.isIP(host) === 0 ? { servername: host } : {}) });
      sockets.add(secure);
      transport = secure;
      secure.on('data', (bytes) => driver.parse(bytes));
      secure.on('error', () => driver.transportClosed());
      secure.on('close', () => driver.transportClosed());
    }
    driver.start();
  });
  proxy.on('error', (error) => {
    proxyErrors.push(error);
    tcp.destroy();
  });
  tcp.on('error', () => driver.transportClosed());
  tcp.on('close', () => driver.transportClosed());

  driver.on('message', ({ data }) => {
    const copy = typeof data === 'string' ? data : Uint8Array.from(data);
    const next = waiting.shift();
    if (next) next(copy);
    else messages.push(copy);
  });
  const closed = new Promise<CloseEvent>((resolve) => driver.on('close', resolve));
  const opened = new Promise<void>((resolve, reject) => {
    let failure: ProtocolError | null = null;
    driver.on('error', (error) => (failure ??= error));
    driver.on('open', () => resolve());
    driver.on('close', (event) => reject(failure ?? new Error(`closed before open: ${event.code}`)));
  });
  // Tests that only await `closed` leave this rejection unobserved.
  opened.catch(() => {});
  if (options.startEarly) driver.start();
  proxy.start();
  return {
    driver,
    proxy,
    transport: () => transport,
    opened,
    closed,
    proxyErrors,
    nextMessage: () =>
      messages.length > 0 ? Promise.resolve(messages.shift()!) : new Promise((resolve) => waiting.push(resolve)),
  };
}

/** Sends a text and a binary message and expects both back, then closes cleanly. */
async function echoAndClose(session: Session): Promise<void> {
  await session.opened;
  session.driver.text('héllo through the proxy');
  session.driver.binary(Uint8Array.of(0, 1, 2, 253, 254, 255));
  expect(await session.nextMessage()).toBe('héllo through the proxy');
  expect(await session.nextMessage()).toEqual(Uint8Array.of(0, 1, 2, 253, 254, 255));
  session.driver.close(1000, 'done');
  expect(await session.closed).toEqual({ code: 1000, reason: 'done', wasClean: true });
}

let certificate: Certificate;
let plain: Peer;
let secure: Peer;
let deadPort: number;
let openProxy: Tinyproxy;
let authProxy: Tinyproxy;

beforeAll(async () => {
  if (!peersHere) return;
  certificate = await selfSignedCertificate();
  [plain, secure] = await Promise.all([echoServer(), echoServer(certificate)]);
  deadPort = await freePort();
  [openProxy, authProxy] = await Promise.all([
    startTinyproxy({ connectPorts: [plain.port, secure.port, deadPort] }),
    startTinyproxy({ connectPorts: [plain.port, secure.port], basicAuth: AUTH }),
  ]);
});

afterEach(() => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
});

afterAll(async () => {
  await Promise.all([openProxy?.stop(), authProxy?.stop()]);
  await Promise.all([plain?.close(), secure?.close()]);
});

describe.skipIf(!peersHere)('through tinyproxy, ws: target', () => {
  it('reaches the echo server: messages both ways, clean close', async () => {
    const session = dial(`ws://127.0.0.1:${plain.port}/chat`, `http://127.0.0.1:${openProxy.port}`);
    await echoAndClose(session);
    expect(session.proxy.statusCode).toBe(200);
    const request = plain.requests.at(-1)!;
    expect(request.url).toBe('/chat');
    expect(request.headers.host).toBe(`127.0.0.1:${plain.port}`);
    // The proxy's credentials and CONNECT never reach the target.
    expect(request.headers['proxy-authorization']).toBeUndefined();
  });

  it('works when the driver is started before the proxy has answered', async () => {
    const session = dial(`ws://127.0.0.1:${plain.port}/early`, `http://127.0.0.1:${openProxy.port}`, { startEarly: true });
    await echoAndClose(session);
    expect(plain.requests.at(-1)!.url).toBe('/early');
  });

  it('reports a refused CONNECT (port not allowed) as an error with the status', async () => {
    const forbidden = await freePort();
    const session = dial(`ws://127.0.0.1:${forbidden}/`, `http://127.0.0.1:${openProxy.port}`);
    await expect(session.opened).rejects.toMatchObject({ code: 'PROXY_REFUSED', message: expect.stringMatching(/\b403\b/) });
    expect(session.proxyErrors.map((e) => e.code)).toEqual(['PROXY_REFUSED']);
    expect(session.proxyErrors[0]!.message).toContain(`127.0.0.1:${forbidden}`);
    expect(session.proxy.statusCode).toBe(403);
    expect((await session.closed).wasClean).toBe(false);
  });

  it('reports a target the proxy cannot reach with the proxy\'s 5xx status', async () => {
    const session = dial(`ws://127.0.0.1:${deadPort}/`, `http://127.0.0.1:${openProxy.port}`);
    await expect(session.opened).rejects.toMatchObject({ code: 'PROXY_REFUSED' });
    expect(session.proxy.statusCode).toBeGreaterThanOrEqual(500);
    expect(session.proxyErrors[0]!.message).toContain(String(session.proxy.statusCode));
  });

  it('reports a proxy that is not there as PROXY_CLOSED and a 1006 close, not a hang', async () => {
    const nobody = await freePort();
    const session = dial(`ws://127.0.0.1:${plain.port}/`, `http://127.0.0.1:${nobody}`);
    expect(await session.closed).toEqual({ code: 1006, reason: '', wasClean: false });
    expect(session.proxyErrors.map((e) => e.code)).toEqual(['PROXY_CLOSED']);
    expect(session.proxy.statusCode).toBeNull();
  });
});

describe.skipIf(!peersHere)('through tinyproxy with Basic auth', () => {
  it('connects with the right credentials from the URL', async () => {
    const session = dial(`ws://127.0.0.1:${plain.port}/auth`, `http://${AUTH.user}:${AUTH.password}@127.0.0.1:${authProxy.port}`);
    await echoAndClose(session);
    expect(session.proxy.statusCode).toBe(200);
  });

  it('percent-decodes the credentials before sending them', async () => {
    // %2D is '-': tinyproxy compares the decoded password.
    const password = AUTH.password.replace('-', '%2D');
    const session = dial(`ws://127.0.0.1:${plain.port}/`, `http://${AUTH.user}:${password}@127.0.0.1:${authProxy.port}`);
    await echoAndClose(session);
  });

  it('fails on a wrong password, with the status and challenge readable', async () => {
    const session = dial(`ws://127.0.0.1:${plain.port}/`, `http://${AUTH.user}:wrong@127.0.0.1:${authProxy.port}`);
    const error = await session.opened.then(
      () => null,
      (e: ProtocolError) => e,
    );
    // RFC 9110 §15.5.8 says 407; tinyproxy 1.11 answers a wrong password
    // with 401 and WWW-Authenticate (and a missing one with 407).
    const status = session.proxy.statusCode!;
    expect([401, 407]).toContain(status);
    expect(error).toMatchObject({ code: 'PROXY_REFUSED', message: expect.stringContaining(` ${status} `) });
    const challenge = session.proxy.headers[status === 407 ? 'proxy-authenticate' : 'www-authenticate'];
    expect(challenge).toMatch(/^Basic\b/i);
    expect(session.proxyErrors).toEqual([error]);
  });

  it('fails with 407 with no credentials at all', async () => {
    const session = dial(`ws://127.0.0.1:${plain.port}/`, `http://127.0.0.1:${authProxy.port}`);
    await expect(session.opened).rejects.toMatchObject({ code: 'PROXY_REFUSED' });
    expect(session.proxy.statusCode).toBe(407);
    expect(session.proxy.headers['proxy-authenticate']).toMatch(/^Basic\b/i);
  });
});

describe.skipIf(!peersHere)('through tinyproxy, wss: target', () => {
  it('runs TLS inside the tunnel to a TLS ws server, checking its certificate', async () => {
    const session = dial(`wss://127.0.0.1:${secure.port}/secure`, `http://127.0.0.1:${openProxy.port}`, {
      ca: certificate.cert,
    });
    await echoAndClose(session);
    const transport = session.transport();
    expect(transport).toBeInstanceOf(tls.TLSSocket);
    expect((transport as tls.TLSSocket).authorized).toBe(true);
    expect(secure.requests.at(-1)!.url).toBe('/secure');
  });

  it('fails the connection when the certificate is not trusted', async () => {
    const session = dial(`wss://127.0.0.1:${secure.port}/`, `http://127.0.0.1:${openProxy.port}`);
    await expect(session.opened).rejects.toThrow(/closed before open: 1006/);
    expect(session.proxy.statusCode).toBe(200);
  });
});

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = join(ROOT, 'node_modules/.bin/tsx');

/** Runs a TypeScript program with tsx; resolves with its exit code and output. */
function runTsx(file: string, args: string[], env: Record<string, string>) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(TSX, [file, ...args], { env: { ...process.env, ...env }, timeout: 20_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe.skipIf(!peersHere)('the documented programs, through tinyproxy', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wsdriver-proxy-docs-'));
    const caFile = join(dir, 'ca.pem');
    await writeFile(caFile, certificate.cert);
    env = { NODE_EXTRA_CA_CERTS: caFile };
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['ws', '127.0.0.1'],
    ['wss', 'localhost'],
    ['wss', '127.0.0.1'],
  ])('examples/proxy-client.ts echoes through an authenticating proxy (%s://%s)', async (scheme, host) => {
    const port = scheme === 'ws' ? plain.port : secure.port;
    const proxyUrl = `http://${AUTH.user}:${AUTH.password}@127.0.0.1:${authProxy.port}`;
    const run = await runTsx(join(ROOT, 'examples/proxy-client.ts'), [`${scheme}://${host}:${port}/`, proxyUrl], env);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('tunnel open: 200');
    expect(run.stdout).toContain('received: Hello through the proxy');
    expect(run.stdout).toContain('closed: 1000');
    expect(run.code).toBe(0);
  });

  it('the README example runs as printed, with the URLs pointed at the test servers', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## HTTP proxies'));
    const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    expect(code).toBeDefined();
    const replacements: Array<[string, string]> = [
      ["from 'wsdriver'", `from '${join(ROOT, 'lib/index.js')}'`],
      ['wss://echo.example.com/', `wss://localhost:${secure.port}/`],
      ['http://user:secret@127.0.0.1:3128', `http://${AUTH.user}:${AUTH.password}@127.0.0.1:${authProxy.port}`],
    ];
    let program = code!;
    for (const [from, to] of replacements) {
      expect(program).toContain(from);
      program = program.replace(from, to);
    }
    const file = join(dir, 'readme-proxy.ts');
    await writeFile(file, program);
    const run = await runTsx(file, [], env);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('Hello through the proxy\n');
    expect(run.code).toBe(0);
  });
});
