/**
 * Run by object-shapes.test.ts in a child process started with
 * --allow-natives-syntax --expose-gc: makes connections the way users make
 * them, one at a time with a full GC before each (so none is alive when V8
 * ends slack tracking for their classes), takes each through a handshake, a
 * text and a binary message each way and a close, and prints, per object,
 * `%HasFastProperties` for each connection. Each `make` returns only once
 * its connection is over on both ends, so nothing of it stays reachable.
 */
import http from 'node:http';
import net from 'node:net';
import { Driver, framingDriver, type FramingClientDriver, type FramingServerDriver, type Socket } from '../../lib/index.js';
import { enableDrafts } from '../../lib/drafts/index.js';
import { bindHandler } from '../../lib/adapters/callbacks/index.js';
import { attach, perMessageDeflate, streamSocket, WebSocketServer } from '../../lib/adapters/node/index.js';
import { attachmentOfDriver } from '../../lib/adapters/node/attachment.js';
import type { Extension } from '../../lib/extensions/extension.js';

// eslint-disable-next-line @typescript-eslint/no-implied-eval -- V8's own answer needs natives syntax, which only a Function body can hold here.
const hasFastProperties = new Function('object', 'return %HasFastProperties(object)') as (object: object) => boolean;
const gc = (globalThis as { gc?: () => void }).gc!;
const ROUNDS = 10;

type Objects = Record<string, object>;
const result: Record<string, boolean[]> = {};

async function check(make: () => Objects | Promise<Objects>): Promise<void> {
  let last: Array<[string, WeakRef<object>]> = [];
  for (let i = 0; i < ROUNDS; i++) {
    // Microtasks and immediates the last connection queued hold it until they run.
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    const alive = last.filter(([, ref]) => ref.deref() !== undefined).map(([name]) => name);
    if (alive.length > 0) throw new Error(`still reachable from the last connection (slack tracking would see it): ${alive.join(', ')}`);
    last = await round(make);
  }
}

// A function of its own, so that no suspended frame of `check` holds the objects.
async function round(make: () => Objects | Promise<Objects>): Promise<Array<[string, WeakRef<object>]>> {
  const made = Object.entries(await make());
  for (const [name, object] of made) (result[name] ??= []).push(hasFastProperties(object));
  return made.map(([name, object]) => [name, new WeakRef(object)]);
}

/** An in-memory socket whose writes go to `peer()`'s `parse`. */
function wire(peer: () => { parse(bytes: Uint8Array): void }, info: Partial<Socket> = {}): Socket {
  return { ...info, write: (bytes: Uint8Array) => (peer().parse(bytes.slice()), true) };
}

interface Sender {
  text(text: string): boolean;
  binary(data: Uint8Array): boolean;
  close(): boolean;
}

/** A text and a binary message each way, then a close. */
function exchange(a: Sender, b: Sender): void {
  a.text('hello');
  a.binary(new Uint8Array(16));
  b.text('hello');
  b.binary(new Uint8Array(16));
  a.close();
}

/** The `close` event of a driver or a socket. */
function closeOf(emitter: { on(event: 'close', listener: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => emitter.on('close', () => resolve()));
}

/** A session factory's products, recorded: the extension as given, sessions kept in `made`. */
function recording(extension: Extension, made: object[]): Extension {
  return {
    ...extension,
    createClientSession: (options) => {
      const session = extension.createClientSession?.(options);
      if (session) made.push(session);
      return session;
    },
    createServerSession: (offers, options) => {
      const session = extension.createServerSession?.(offers, options);
      if (session) made.push(session);
      return session;
    },
  } as Extension;
}

/** `Driver.server` and `Driver.client` in memory, with permessage-deflate and a bound handler on the server. */
async function serverAndClient(): Promise<Objects> {
  const sessions: object[] = [];
  const client = Driver.client(wire(() => server, { url: 'ws://127.0.0.1/' }));
  const server = Driver.server(wire(() => client));
  server.addExtension(recording(perMessageDeflate(), sessions));
  client.addExtension(recording(perMessageDeflate(), sessions));
  const binding = bindHandler(server, { onMessage: (c, data) => void c.write(data) });
  server.on('connect', () => server.start());
  const closed = Promise.all([closeOf(server), closeOf(client)]);
  client.start();
  exchange(client, server);
  await closed;
  return {
    'Driver.server': server,
    'Driver.client': client,
    BoundClient: binding.client,
    'DeflateSession (server)': sessions[1] ?? {},
    'DeflateSession (client)': sessions[0] ?? {},
    // The driver's extensions and their negotiation (a private field: no public name reaches it).
    ExtensionStack: (server as unknown as { extensionStack: object }).extensionStack,
  };
}

/** `Driver.rack` over a request parsed elsewhere (a Rack env). */
function rack(): Objects {
  let head = '';
  const capture: Socket = {
    write: (bytes) => {
      head += new TextDecoder().decode(bytes);
      return true;
    },
  };
  // A client's request, as an HTTP server would have parsed it.
  const probe = Driver.client({ ...capture, url: 'ws://127.0.0.1/chat' });
  probe.start();
  const env: Record<string, string> = { REQUEST_METHOD: 'GET', PATH_INFO: '/chat', QUERY_STRING: '' };
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) env[`HTTP_${line.slice(0, colon).toUpperCase().replaceAll('-', '_')}`] = line.slice(colon + 1).trim();
  }
  const server = Driver.rack(wire(() => probe, { env }));
  server.start();
  server.text('hello');
  server.binary(new Uint8Array(16));
  server.close();
  return { 'Driver.rack': server };
}

/** `framingDriver` both ways (WebSocket over HTTP/2, handshake elsewhere). */
function framing(): Objects {
  const client: FramingClientDriver = framingDriver(wire(() => server, { url: 'wss://127.0.0.1/' }), 'client');
  const server: FramingServerDriver = framingDriver(wire(() => client), 'server');
  const response = server.respond({ ':method': 'CONNECT', ':protocol': 'websocket', ...client.requestHeaders() });
  client.acceptResponse({ ':status': response.status, ...response.headers });
  client.start();
  server.start();
  exchange(client, server);
  return { 'framingDriver server': server, 'framingDriver client': client };
}

/** `Driver.server` with drafts allowed, after a hixie-75 head. */
function draft(): Objects {
  const out: Uint8Array[] = [];
  const server = Driver.server({ write: (bytes) => (out.push(bytes), true) }, { allowDrafts: true });
  server.on('connect', () => server.start());
  server.parse(new TextEncoder().encode('GET /chat HTTP/1.1\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\nHost: 127.0.0.1\r\nOrigin: http://127.0.0.1\r\n\r\n'));
  server.parse(Uint8Array.of(0x00, 0x68, 0x69, 0xff));
  server.text('hello');
  server.close();
  return { 'Driver.server (hixie-75)': server };
}

/** `attach` + `streamSocket` on both ends of a loopback TCP connection. */
async function overTcp(tcp: net.Server, port: number): Promise<Objects> {
  const accepted = new Promise<net.Socket>((resolve) => tcp.once('connection', resolve));
  const clientTcp = net.connect(port, '127.0.0.1');
  const serverTcp = await accepted;
  const serverSocket = streamSocket(serverTcp);
  const server = attach(Driver.server(serverSocket), serverTcp);
  server.on('connect', () => server.start());
  server.on('message', (event) => void server.text(String(event.data)));
  const clientSocket = streamSocket(clientTcp, { url: `ws://127.0.0.1:${port}/` });
  const client = attach(Driver.client(clientSocket), clientTcp);
  const closed = Promise.all([closeOf(server), closeOf(client), closeOf(clientTcp), closeOf(serverTcp)]);
  client.on('open', () => client.text('hello'));
  client.on('message', () => client.close());
  client.start();
  await closed;
  return {
    'attach server driver': server,
    'attach client driver': client,
    'Attachment (server)': attachmentOfDriver(server)!,
    'Attachment (client)': attachmentOfDriver(client)!,
    'streamSocket (server)': serverSocket,
    'streamSocket (client)': clientSocket,
  };
}

/** A connection to a `WebSocketServer` on a loopback `node:http` server (permessage-deflate, a callback-object handler): its driver, record and attachment. */
async function overServer(port: number, seen: unknown[]): Promise<Objects> {
  const tcp = net.connect(port, '127.0.0.1');
  const client = attach(Driver.client(streamSocket(tcp, { url: `ws://127.0.0.1:${port}/` })), tcp);
  client.addExtension(perMessageDeflate());
  const closed = Promise.all([closeOf(client), closeOf(tcp)]);
  client.on('open', () => client.text('hello'));
  client.on('message', () => client.close());
  client.start();
  await closed;
  const [served, record, servedClosed] = seen.splice(0) as [ReturnType<typeof Driver.rack>, object, Promise<unknown>];
  // The server's side (driver and socket) closes after the client's.
  await servedClosed;
  return { 'WebSocketServer driver': served, 'WebSocketServer record': record, 'WebSocketServer attachment': attachmentOfDriver(served)! };
}

enableDrafts();
await check(serverAndClient);
await check(rack);
await check(framing);
await check(draft);

const tcp = net.createServer().listen(0, '127.0.0.1');
await new Promise((r) => tcp.once('listening', r));
const tcpPort = (tcp.address() as net.AddressInfo).port;
await check(() => overTcp(tcp, tcpPort));
tcp.close();

const seen: unknown[] = [];
const wss = new WebSocketServer({
  perMessageDeflate: true,
  handler: (driver) => {
    const attachment = attachmentOfDriver(driver)!;
    seen.push(driver, attachment.watcher, Promise.all([closeOf(driver), closeOf(attachment.stream)]));
    return { onMessage: (client, data) => void client.write(data) };
  },
});
const httpServer = http.createServer();
wss.serve(httpServer);
httpServer.listen(0, '127.0.0.1');
await new Promise((r) => httpServer.once('listening', r));
const httpPort = (httpServer.address() as net.AddressInfo).port;
await check(() => overServer(httpPort, seen));
await wss.close();
httpServer.close();

console.log(JSON.stringify(result));
