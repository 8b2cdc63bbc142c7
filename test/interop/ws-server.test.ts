/**
 * A wsdriver client (`Driver.client` over node:net, through the Node
 * adapter's `connect`) against a `ws` server, on 127.0.0.1.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import type { DriverOptions, HybiClientDriver } from '../../lib/index.js';
import { connect } from '../../lib/adapters/node/index.js';
import { Cleanup, Inbox, next, once, patternBytes } from './support.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const SIZES = [0, 125, 126, 65535, 65536, 1024 * 1024];

interface WsServer {
  url: string;
  /** The server side of the next connection. */
  nextPeer(): Promise<WebSocket>;
}

/** A ws server on 127.0.0.1:0 that echoes every message unless told otherwise. */
async function wsServer(options: { echo?: boolean; protocols?: string[]; maxPayload?: number } = {}): Promise<WsServer> {
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    perMessageDeflate: false,
    ...(options.maxPayload !== undefined ? { maxPayload: options.maxPayload } : {}),
    handleProtocols: (offered) => options.protocols?.find((p) => offered.has(p)) ?? false,
  });
  cleanup.add(
    () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  );
  await once(server, 'listening');
  const peers: WebSocket[] = [];
  const waiting: Array<(peer: WebSocket) => void> = [];
  server.on('connection', (peer) => {
    // ws reports the faults it closes for (say maxPayload) as 'error' events.
    peer.on('error', () => {});
    if (options.echo !== false) peer.on('message', (data, isBinary) => peer.send(data, { binary: isBinary }));
    const waiter = waiting.shift();
    if (waiter) waiter(peer);
    else peers.push(peer);
  });
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/path?q=1`,
    nextPeer: () => {
      const peer = peers.shift();
      return peer ? Promise.resolve(peer) : new Promise((resolve) => waiting.push(resolve));
    },
  };
}

/** A wsdriver client, open. */
async function client(url: string, options: DriverOptions = {}): Promise<HybiClientDriver> {
  const driver = connect(url, options);
  cleanup.add(() => driver.transportClosed());
  await next(driver, 'open');
  return driver;
}

/** What the ws server's side reports when the connection closes. */
function peerClosed(peer: WebSocket): Promise<{ code: number; reason: string; wasClean: boolean }> {
  return new Promise((resolve) =>
    peer.addEventListener('close', (event) => resolve({ code: event.code, reason: event.reason, wasClean: event.wasClean })),
  );
}

describe('wsdriver client → ws server: opening handshake', () => {
  it('opens with status 101 and the response headers, and agrees on the subprotocol ws picks', async () => {
    const server = await wsServer({ protocols: ['chat'] });
    const driver = await client(server.url, { protocols: ['chat.v2', 'chat'] });
    const peer = await server.nextPeer();
    expect(driver.statusCode).toBe(101);
    expect(driver.headers['upgrade']).toBe('websocket');
    expect(driver.protocol).toBe('chat');
    expect(peer.protocol).toBe('chat');
    expect(driver.readyState).toBe(1);
  });

  it('opens with no subprotocol when it offers none', async () => {
    const server = await wsServer({ protocols: ['chat'] });
    const driver = await client(server.url);
    expect(driver.protocol).toBeNull();
    expect((await server.nextPeer()).protocol).toBe('');
  });
});

describe('wsdriver client → ws server: messages', () => {
  it('gets its text back, including characters outside the BMP', async () => {
    const server = await wsServer();
    const driver = await client(server.url);
    const inbox = new Inbox(driver);
    const texts = ['', 'hello', 'héllo wörld ✓ 😀 𝄞'.repeat(100)];
    for (const text of texts) expect(driver.text(text)).toBe(true);
    expect(await inbox.take(3)).toEqual(texts);
  });

  it.each(SIZES)('gets a binary message of %i bytes back, byte for byte', async (size) => {
    const server = await wsServer({ echo: false });
    const driver = await client(server.url);
    const peer = await server.nextPeer();
    const inbox = new Inbox(driver);
    const payload = patternBytes(size, size);
    const received = new Promise<{ data: Buffer; isBinary: boolean }>((resolve) =>
      peer.once('message', (data: Buffer, isBinary) => resolve({ data, isBinary })),
    );
    driver.binary(payload);
    const atServer = await received;
    expect(atServer.isBinary).toBe(true);
    expect(atServer.data.equals(Buffer.from(payload))).toBe(true);
    peer.send(atServer.data);
    const [echoed] = await inbox.take(1);
    expect(echoed).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(echoed as Uint8Array).equals(Buffer.from(payload))).toBe(true);
  });

  it('sends messages in fragments of fragmentSize that ws reassembles', async () => {
    const server = await wsServer({ echo: false });
    const driver = await client(server.url, { fragmentSize: 1000 });
    const peer = await server.nextPeer();
    const received: Array<string | Buffer> = [];
    peer.on('message', (data: Buffer, isBinary) => received.push(isBinary ? data : data.toString('utf8')));
    const text = 'ä€😀'.repeat(5000);
    const payload = patternBytes(1024 * 1024 + 1);
    driver.text(text);
    driver.binary(payload);
    await new Promise<void>((resolve) => peer.on('message', () => received.length === 2 && resolve()));
    expect(received[0]).toBe(text);
    expect((received[1] as Buffer).equals(Buffer.from(payload))).toBe(true);
  });

  it('reassembles messages ws sends in fragments, with a character split across them and a ping between', async () => {
    const server = await wsServer({ echo: false });
    const driver = await client(server.url);
    const peer = await server.nextPeer();
    const inbox = new Inbox(driver);
    const pinged = next(driver, 'ping');
    const text = Buffer.from('start 😀 end', 'utf8');
    const cut = text.indexOf(0xf0) + 1;
    peer.send(text.subarray(0, cut), { binary: false, fin: false });
    peer.ping('between');
    peer.send(text.subarray(cut), { binary: false, fin: true });
    const payload = patternBytes(150_000);
    peer.send(payload.subarray(0, 65_536), { binary: true, fin: false });
    peer.send(payload.subarray(65_536, 65_537), { binary: true, fin: false });
    peer.send(payload.subarray(65_537), { binary: true, fin: true });
    const [first, second] = await inbox.take(2);
    expect(first).toBe('start 😀 end');
    expect(Buffer.from(second as Uint8Array).equals(Buffer.from(payload))).toBe(true);
    expect(Buffer.from((await pinged).data).toString()).toBe('between');
  });

  it('queues messages sent before the handshake completes and sends them once open', async () => {
    const server = await wsServer({ echo: false });
    const driver = connect(server.url);
    cleanup.add(() => driver.transportClosed());
    expect(driver.text('early')).toBe(true);
    expect(driver.binary(new Uint8Array([9, 8, 7]))).toBe(true);
    const peer = await server.nextPeer();
    const received: unknown[] = [];
    await new Promise<void>((resolve) =>
      peer.on('message', (data: Buffer, isBinary) => {
        received.push(isBinary ? [...data] : data.toString());
        if (received.length === 2) resolve();
      }),
    );
    expect(received).toEqual(['early', [9, 8, 7]]);
  });
});

describe('wsdriver client → ws server: ping and pong', () => {
  it('runs the ping() callback when ws answers, and ws reports the payload', async () => {
    const server = await wsServer();
    const driver = await client(server.url);
    const peer = await server.nextPeer();
    const atServer = once<Buffer>(peer, 'ping');
    const pong = next(driver, 'pong');
    await new Promise<void>((resolve, reject) => expect(driver.ping('beat', (error) => (error ? reject(error) : resolve()))).toBe(true));
    expect((await atServer).toString()).toBe('beat');
    expect(Buffer.from((await pong).data).toString()).toBe('beat');
  });

  it('answers a ws ping with a pong carrying the same payload', async () => {
    const server = await wsServer();
    const driver = await client(server.url);
    const peer = await server.nextPeer();
    const pinged = next(driver, 'ping');
    const pong = once<Buffer>(peer, 'pong');
    peer.ping(Buffer.from([0, 1, 2, 255]));
    expect([...(await pong)]).toEqual([0, 1, 2, 255]);
    expect([...(await pinged).data]).toEqual([0, 1, 2, 255]);
  });

  it('sends an unsolicited pong that ws reports', async () => {
    const server = await wsServer();
    const driver = await client(server.url);
    const peer = await server.nextPeer();
    const pong = once<Buffer>(peer, 'pong');
    expect(driver.pong('hi')).toBe(true);
    expect((await pong).toString()).toBe('hi');
  });
});

describe('wsdriver client → ws server: closing', () => {
  it.each([
    [1000, 'done'],
    [1001, 'leaving'],
    [3000, ''],
    [4999, 'private use ✓'],
  ])('the client closes with %i: ws reports code and reason, and both sides are clean', async (code, reason) => {
    const server = await wsServer();
    const driver = await client(server.url);
    const peer = await server.nextPeer();
    const atServer = peerClosed(peer);
    const closed = next(driver, 'close');
    expect(driver.close(code, reason)).toBe(true);
    expect(await atServer).toEqual({ code, reason, wasClean: true });
    // ws echoes the code and the reason.
    expect(await closed).toEqual({ code, reason, wasClean: true });
  });

  it.each([
    [1000, 'bye'],
    [1001, 'server going down'],
    [3000, 'x'.repeat(123)],
    [4999, ''],
  ])('ws closes with %i: the client reports code and reason and echoes the code', async (code, reason) => {
    const server = await wsServer();
    const driver = await client(server.url);
    const peer = await server.nextPeer();
    const atServer = peerClosed(peer);
    const closed = next(driver, 'close');
    peer.close(code, reason);
    expect(await closed).toEqual({ code, reason, wasClean: true });
    expect(await atServer).toEqual({ code, reason: '', wasClean: true });
  });

  it('ws closing with no status code is reported as 1005', async () => {
    const server = await wsServer();
    const driver = await client(server.url);
    const peer = await server.nextPeer();
    const closed = next(driver, 'close');
    const atServer = peerClosed(peer);
    peer.close();
    expect(await closed).toEqual({ code: 1005, reason: '', wasClean: true });
    expect(await atServer).toEqual({ code: 1005, reason: '', wasClean: true });
  });

  it('fails the connection with 1009 when ws sends more than maxLength, and ws is told', async () => {
    const server = await wsServer({ echo: false });
    const driver = await client(server.url, { maxLength: 1000 });
    const peer = await server.nextPeer();
    const atServer = peerClosed(peer);
    const error = next(driver, 'error');
    const closed = next(driver, 'close');
    peer.send(new Uint8Array(1001));
    expect(await error).toMatchObject({ code: 'MESSAGE_TOO_LONG', closeCode: 1009 });
    expect(await closed).toMatchObject({ code: 1009, wasClean: false });
    expect((await atServer).code).toBe(1009);
  });

  it('is closed with 1009 by ws when it sends more than ws accepts', async () => {
    const server = await wsServer({ maxPayload: 100 });
    const driver = await client(server.url);
    const closed = next(driver, 'close');
    driver.binary(new Uint8Array(101));
    expect(await closed).toMatchObject({ code: 1009, wasClean: true });
  });

  it('reports 1006, not clean, when ws drops the TCP connection', async () => {
    const server = await wsServer();
    const driver = await client(server.url);
    const closed = next(driver, 'close');
    (await server.nextPeer()).terminate();
    expect(await closed).toEqual({ code: 1006, reason: '', wasClean: false });
  });
});
