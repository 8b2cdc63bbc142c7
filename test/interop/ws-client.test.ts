/**
 * A `ws` client against a wsdriver server (`Driver.server` over node:net,
 * wired with the Node adapter), on 127.0.0.1.
 */
import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { HttpServerDriver } from '../../lib/index.js';
import { Cleanup, Inbox, next, once, patternBytes, wsdriverServer } from './support.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const SIZES = [0, 125, 126, 65535, 65536, 1024 * 1024];

/** An echo server: every message is sent back as it came. */
function echo(driver: HttpServerDriver): void {
  driver.on('connect', () => driver.start());
  driver.on('message', (event) => {
    if (typeof event.data === 'string') driver.text(event.data);
    else driver.binary(event.data);
  });
}

/** A ws client, open, plus the messages it receives. */
async function wsClient(url: string, protocols?: string[], options: WebSocket.ClientOptions = {}) {
  const ws = new WebSocket(url, protocols, { perMessageDeflate: false, ...options });
  cleanup.add(() => ws.terminate());
  const messages: Array<{ data: Buffer; isBinary: boolean }> = [];
  const waiters: Array<() => void> = [];
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    messages.push({ data, isBinary });
    for (const wake of waiters.splice(0)) wake();
  });
  const closed = new Promise<{ code: number; reason: string; wasClean: boolean }>((resolve) =>
    ws.addEventListener('close', (event) => resolve({ code: event.code, reason: event.reason, wasClean: event.wasClean })),
  );
  await once(ws, 'open');
  const take = async () => {
    while (messages.length === 0) await new Promise<void>((resolve) => waiters.push(resolve));
    return messages.shift()!;
  };
  return { ws, take, closed };
}

describe('ws client → wsdriver server: opening handshake', () => {
  it('opens, and both sides agree on the subprotocol the server picks from the client offers', async () => {
    const server = await wsdriverServer(cleanup, { protocols: ['chat', 'chat.v2'] }, echo);
    const { ws } = await wsClient(server.url + 'room?x=1', ['chat.v2', 'chat']);
    const driver = await server.nextDriver();
    expect(ws.protocol).toBe('chat.v2');
    expect(driver.protocol).toBe('chat.v2');
    expect(driver.env).toMatchObject({ REQUEST_METHOD: 'GET', PATH_INFO: '/room', QUERY_STRING: 'x=1' });
    expect(driver.version).toBe('hybi-13');
  });

  it('agrees on no subprotocol when the client offers none', async () => {
    const server = await wsdriverServer(cleanup, { protocols: ['chat'] }, echo);
    const { ws } = await wsClient(server.url);
    expect(ws.protocol).toBe('');
    expect((await server.nextDriver()).protocol).toBeNull();
  });

  it('sends the headers set with setHeader() in its 101 response', async () => {
    const server = await wsdriverServer(cleanup, {}, (driver) => {
      echo(driver);
      driver.setHeader('X-Served-By', 'wsdriver');
    });
    const ws = new WebSocket(server.url);
    cleanup.add(() => ws.terminate());
    const response = await once<IncomingMessage>(ws, 'upgrade');
    expect(response.headers['x-served-by']).toBe('wsdriver');
  });
});

describe('ws client → wsdriver server: messages', () => {
  it('echoes text, including characters outside the BMP', async () => {
    const server = await wsdriverServer(cleanup, {}, echo);
    const { ws, take } = await wsClient(server.url);
    const inbox = new Inbox(await server.nextDriver());
    for (const text of ['', 'hello', 'héllo wörld ✓ 😀 𝄞'.repeat(100)]) {
      ws.send(text);
      const reply = await take();
      expect(reply.isBinary).toBe(false);
      expect(reply.data.toString('utf8')).toBe(text);
    }
    expect(inbox.items).toEqual(['', 'hello', 'héllo wörld ✓ 😀 𝄞'.repeat(100)]);
  });

  it.each(SIZES)('echoes a binary message of %i bytes, byte for byte', async (size) => {
    const server = await wsdriverServer(cleanup, {}, echo);
    const { ws, take } = await wsClient(server.url);
    const inbox = new Inbox(await server.nextDriver());
    const payload = patternBytes(size, size);
    ws.send(payload);
    const [received] = await inbox.take(1);
    expect(received).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(received as Uint8Array).equals(Buffer.from(payload))).toBe(true);
    const reply = await take();
    expect(reply.isBinary).toBe(true);
    expect(reply.data.equals(Buffer.from(payload))).toBe(true);
  });

  it('reassembles a text message ws sends in fragments, with a character split across them', async () => {
    const server = await wsdriverServer(cleanup, {}, echo);
    const { ws } = await wsClient(server.url);
    const inbox = new Inbox(await server.nextDriver());
    const bytes = Buffer.from('start 😀 end', 'utf8');
    const cut = bytes.indexOf(0xf0) + 2; // inside the 4-byte sequence
    ws.send(bytes.subarray(0, cut), { binary: false, fin: false });
    ws.send(bytes.subarray(cut, cut + 1), { binary: false, fin: false });
    ws.send(bytes.subarray(cut + 1), { binary: false, fin: true });
    expect(await inbox.take(1)).toEqual(['start 😀 end']);
  });

  it('reassembles a binary message ws sends in fragments, with a ping between them', async () => {
    const server = await wsdriverServer(cleanup, {}, echo);
    const { ws } = await wsClient(server.url);
    const driver = await server.nextDriver();
    const inbox = new Inbox(driver);
    const pinged = next(driver, 'ping');
    const payload = patternBytes(200_000);
    ws.send(payload.subarray(0, 70_000), { binary: true, fin: false });
    ws.ping('between');
    ws.send(payload.subarray(70_000, 70_001), { binary: true, fin: false });
    ws.send(payload.subarray(70_001), { binary: true, fin: true });
    const [message] = await inbox.take(1);
    expect(Buffer.from(message as Uint8Array).equals(Buffer.from(payload))).toBe(true);
    expect(Buffer.from((await pinged).data).toString()).toBe('between');
  });

  it('sends large messages in fragments of fragmentSize that ws reassembles', async () => {
    const server = await wsdriverServer(cleanup, { fragmentSize: 1000 }, echo);
    const { ws, take } = await wsClient(server.url);
    const payload = patternBytes(1024 * 1024 + 1);
    ws.send(payload);
    expect((await take()).data.equals(Buffer.from(payload))).toBe(true);
    const text = 'ä€😀'.repeat(5000);
    ws.send(text);
    expect((await take()).data.toString('utf8')).toBe(text);
  });

  it('delivers messages the server queued before the handshake, in order, once open', async () => {
    const server = await wsdriverServer(cleanup, {}, (driver) => {
      driver.on('connect', () => {
        expect(driver.text('first')).toBe(true);
        expect(driver.binary(new Uint8Array([1, 2, 3]))).toBe(true);
        driver.start();
        driver.text('third');
      });
    });
    const ws = new WebSocket(server.url);
    cleanup.add(() => ws.terminate());
    const received: unknown[] = [];
    ws.on('message', (data: Buffer, isBinary: boolean) => received.push(isBinary ? [...data] : data.toString()));
    await new Promise<void>((resolve) => ws.on('message', () => received.length === 3 && resolve()));
    expect(received).toEqual(['first', [1, 2, 3], 'third']);
  });
});

describe('ws client → wsdriver server: ping and pong', () => {
  it('answers a ws ping with a pong carrying the same payload, and reports the ping', async () => {
    const server = await wsdriverServer(cleanup, {}, echo);
    const { ws } = await wsClient(server.url);
    const driver = await server.nextDriver();
    const pinged = next(driver, 'ping');
    ws.ping(Buffer.from('are you there?'));
    expect((await once<Buffer>(ws, 'pong')).toString()).toBe('are you there?');
    expect(Buffer.from((await pinged).data).toString()).toBe('are you there?');
  });

  it('runs the ping() callback when ws answers, and ws reports the ping payload', async () => {
    const server = await wsdriverServer(cleanup, {}, echo);
    const { ws } = await wsClient(server.url);
    const driver = await server.nextDriver();
    const wsPing = once<Buffer>(ws, 'ping');
    const pong = next(driver, 'pong');
    const answered = new Promise<void>((resolve, reject) => expect(driver.ping('beat 1', (error) => (error ? reject(error) : resolve()))).toBe(true));
    await answered;
    expect((await wsPing).toString()).toBe('beat 1');
    expect(Buffer.from((await pong).data).toString()).toBe('beat 1');
  });

  it('reports an unsolicited pong from ws', async () => {
    const server = await wsdriverServer(cleanup, {}, echo);
    const { ws } = await wsClient(server.url);
    const driver = await server.nextDriver();
    const pong = next(driver, 'pong');
    ws.pong('unsolicited');
    expect(Buffer.from((await pong).data).toString()).toBe('unsolicited');
  });
});

describe('ws client → wsdriver server: closing', () => {
  it.each([
    [1000, 'done'],
    [1001, 'going away'],
    [3000, 'registered'],
    [4999, 'private use ✓'],
  ])('ws closes with %i: the server reports code and reason, echoes the code, and both are clean', async (code, reason) => {
    const server = await wsdriverServer(cleanup, {}, echo);
    const { ws, closed } = await wsClient(server.url);
    const driver = await server.nextDriver();
    const serverClosed = next(driver, 'close');
    ws.close(code, reason);
    expect(await serverClosed).toEqual({ code, reason, wasClean: true });
    expect(await closed).toEqual({ code, reason: '', wasClean: true });
    expect(driver.readyState).toBe(3);
  });

  it('ws closing with no status code is reported as 1005 on both sides', async () => {
    const server = await wsdriverServer(cleanup, {}, echo);
    const { ws, closed } = await wsClient(server.url);
    const serverClosed = next(await server.nextDriver(), 'close');
    ws.close();
    expect(await serverClosed).toEqual({ code: 1005, reason: '', wasClean: true });
    expect(await closed).toEqual({ code: 1005, reason: '', wasClean: true });
  });

  it.each([
    [1000, 'bye'],
    [1001, 'shutting down'],
    [3000, ''],
    [4999, 'x'.repeat(123)],
  ])('the server closes with %i: ws reports code and reason, echoes them, and both are clean', async (code, reason) => {
    const server = await wsdriverServer(cleanup, {}, echo);
    const { closed } = await wsClient(server.url);
    const driver = await server.nextDriver();
    const serverClosed = next(driver, 'close');
    expect(driver.close(code, reason)).toBe(true);
    expect(driver.readyState).toBe(2);
    expect(driver.close(1000, 'again')).toBe(false);
    expect(await closed).toEqual({ code, reason, wasClean: true });
    expect(await serverClosed).toEqual({ code, reason, wasClean: true });
  });

  it('ws sees the TCP connection end after the server answers its close', async () => {
    const server = await wsdriverServer(cleanup, {}, echo);
    const { ws } = await wsClient(server.url);
    const rawSocket = (ws as unknown as { _socket: import('node:net').Socket })._socket;
    const ended = once(rawSocket, 'end');
    ws.close(1000);
    await ended; // the server closed TCP first (RFC 6455 §7.1.1)
  });

  it('fails the connection with 1007 when ws sends a text message that is not UTF-8', async () => {
    const server = await wsdriverServer(cleanup, {}, echo);
    const { ws, closed } = await wsClient(server.url);
    const driver = await server.nextDriver();
    const error = next(driver, 'error');
    const serverClosed = next(driver, 'close');
    ws.send(Buffer.from([0x68, 0x69, 0xff]), { binary: false });
    expect((await error).code).toBe('INVALID_UTF8');
    expect((await serverClosed).code).toBe(1007);
    expect((await closed).code).toBe(1007);
  });

  it('fails the connection with 1009 when ws sends more than maxLength', async () => {
    const server = await wsdriverServer(cleanup, { maxLength: 1000 }, echo);
    const { ws, closed } = await wsClient(server.url);
    const driver = await server.nextDriver();
    const error = next(driver, 'error');
    ws.send(new Uint8Array(1001));
    expect((await error).code).toBe('MESSAGE_TOO_LONG');
    expect(await closed).toMatchObject({ code: 1009, wasClean: true });
  });

  it('reports 1006, not clean, when ws drops the TCP connection', async () => {
    const server = await wsdriverServer(cleanup, {}, echo);
    const { ws } = await wsClient(server.url);
    const serverClosed = next(await server.nextDriver(), 'close');
    ws.terminate();
    expect(await serverClosed).toEqual({ code: 1006, reason: '', wasClean: false });
  });
});
