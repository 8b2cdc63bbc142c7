/**
 * permessage-deflate against `ws` (its `perMessageDeflate` option) on
 * 127.0.0.1, both directions: ws client → wsdriver server, and wsdriver
 * client → ws server, each with an echo on the far side. For every
 * parameter combination: what was negotiated, many small messages and
 * 1 MiB ones arriving intact, and fewer bytes on the wire than payload;
 * 16 MiB messages with and without context takeover.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer, type PerMessageDeflateOptions as WsDeflateOptions } from 'ws';
import type { ExtensionParams } from '../../lib/index.js';
import type { PerMessageDeflateOptions } from '../../lib/adapters/node/index.js';
import { Cleanup, deflateClient, deflateEchoServer, Inbox, jsonBytes, jsonText, MiB, once } from './support.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

type Message = string | Uint8Array;

/** The messages each combination exchanges: many small ones, then 1 MiB of text and of binary. */
function workload(seed: number): Message[] {
  const messages: Message[] = [];
  for (let i = 0; i < 300; i++) messages.push(jsonText(80 + ((i * 37) % 400), seed * 1000 + i));
  messages.push(jsonText(MiB, seed), jsonBytes(MiB, seed));
  return messages;
}

/** Index of the first message that differs (-1 if none); faster than a deep equal on MiB of data. */
function firstDifference(got: readonly Message[], sent: readonly Message[]): number {
  if (got.length !== sent.length) return Math.min(got.length, sent.length);
  for (let i = 0; i < sent.length; i++) {
    const a = got[i]!;
    const b = sent[i]!;
    if (typeof a === 'string' || typeof b === 'string' ? a !== b : Buffer.compare(a, b) !== 0) return i;
  }
  return -1;
}

function payloadBytes(messages: readonly Message[]): number {
  return messages.reduce((sum, m) => sum + (typeof m === 'string' ? Buffer.byteLength(m) : m.length), 0);
}

/** A ws client connected to `port`, its messages in an inbox (text as string, binary as bytes). */
async function wsClient(port: number, options: WsDeflateOptions | false) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: options });
  cleanup.add(() => ws.terminate());
  const inbox = new Inbox<Message>();
  ws.on('message', (data: Buffer, isBinary: boolean) => inbox.push(isBinary ? new Uint8Array(data) : data.toString('utf8')));
  await once(ws, 'open');
  return { ws, inbox };
}

/** A ws echo server with `options` on 127.0.0.1:0; resolves with its port and the server-side sockets' TCP. */
async function wsEchoServer(options: WsDeflateOptions) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: options, maxPayload: 64 * MiB });
  cleanup.add(() => new Promise<void>((resolve) => {
    for (const client of wss.clients) client.terminate();
    wss.close(() => resolve());
  }));
  wss.on('connection', (socket) => socket.on('message', (data: Buffer, isBinary: boolean) => socket.send(data, { binary: isBinary })));
  await once(wss, 'listening');
  return (wss.address() as net.AddressInfo).port;
}

interface Combination {
  readonly name: string;
  /** The ws side's perMessageDeflate options (threshold 0 is added: compress every message). */
  readonly ws: WsDeflateOptions;
  /** wsdriver's permessage-deflate options. */
  readonly wsdriver: PerMessageDeflateOptions;
  /** The parameters the server's response carries. */
  readonly agreed: ExtensionParams;
}

describe('ws client → wsdriver server', () => {
  const combinations: Combination[] = [
    { name: 'defaults', ws: {}, wsdriver: {}, agreed: {} },
    { name: 'server_no_context_takeover', ws: { serverNoContextTakeover: true }, wsdriver: {}, agreed: { server_no_context_takeover: true } },
    { name: 'client_no_context_takeover', ws: { clientNoContextTakeover: true }, wsdriver: {}, agreed: { client_no_context_takeover: true } },
    { name: 'server_max_window_bits=10', ws: { serverMaxWindowBits: 10 }, wsdriver: {}, agreed: { server_max_window_bits: 10 } },
    { name: 'client_max_window_bits=9', ws: { clientMaxWindowBits: 9 }, wsdriver: {}, agreed: { client_max_window_bits: 9 } },
    {
      name: 'all four, 8-bit windows',
      ws: { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 8, clientMaxWindowBits: 8 },
      wsdriver: {},
      agreed: { server_no_context_takeover: true, client_no_context_takeover: true, server_max_window_bits: 8, client_max_window_bits: 8 },
    },
    {
      name: 'wsdriver imposes no context takeover and a 9-bit client window',
      ws: {},
      wsdriver: { noContextTakeover: true, requestNoContextTakeover: true, requestMaxWindowBits: 9, maxWindowBits: 11 },
      agreed: { server_no_context_takeover: true, client_no_context_takeover: true, client_max_window_bits: 9 },
    },
  ];

  for (const [index, combination] of combinations.entries()) {
    it(`${combination.name}: negotiated, messages echo intact, compressed both ways`, async () => {
      const server = await deflateEchoServer(cleanup, combination.wsdriver);
      const { ws, inbox } = await wsClient(server.port, { ...combination.ws, threshold: 0 });
      const { driver, tcp } = server.connections[0]!;
      expect(driver.extensions).toEqual([{ name: 'permessage-deflate', params: combination.agreed }]);
      expect(ws.extensions).toMatch(/^permessage-deflate/);

      const messages = workload(index);
      for (const message of messages) ws.send(message);
      expect(firstDifference(await inbox.take(messages.length), messages)).toBe(-1);

      const payload = payloadBytes(messages);
      // Handshake heads are a few hundred bytes; the rest is frames.
      expect(tcp.bytesRead).toBeLessThan(payload / 3);
      expect(tcp.bytesWritten).toBeLessThan(payload / 3);
      ws.close(1000);
      expect(await once(driver, 'close')).toMatchObject({ code: 1000, wasClean: true });
    }, 120_000);
  }

  for (const [what, ws] of [
    ['with context takeover', {}],
    ['without context takeover', { serverNoContextTakeover: true, clientNoContextTakeover: true }],
  ] as const) {
    it(`16 MiB text and binary messages, ${what}`, async () => {
      const server = await deflateEchoServer(cleanup);
      const { ws: client, inbox } = await wsClient(server.port, { ...ws, threshold: 0 });
      const messages: Message[] = [jsonText(16 * MiB, 3), jsonBytes(16 * MiB, 4)];
      for (const message of messages) client.send(message);
      const echoed = await inbox.take(2);
      expect(echoed[0]).toBe(messages[0]);
      expect(Buffer.compare(echoed[1] as Uint8Array, messages[1] as Uint8Array)).toBe(0);
      const { tcp } = server.connections[0]!;
      expect(tcp.bytesRead).toBeLessThan(32 * MiB / 3);
      expect(tcp.bytesWritten).toBeLessThan(32 * MiB / 3);
    }, 120_000);
  }

  it("wsdriver's context takeover makes repeated small messages cheaper than without", async () => {
    const wireFor = async (wsdriver: PerMessageDeflateOptions) => {
      const server = await deflateEchoServer(cleanup, wsdriver);
      const { ws, inbox } = await wsClient(server.port, { threshold: 0 });
      const messages = Array.from({ length: 200 }, (_, i) => jsonText(150, i % 4));
      for (const message of messages) ws.send(message);
      await inbox.take(messages.length);
      return server.connections[0]!.tcp.bytesWritten;
    };
    const withTakeover = await wireFor({});
    const withoutTakeover = await wireFor({ noContextTakeover: true });
    expect(withTakeover).toBeLessThan(withoutTakeover * 0.6);
  }, 60_000);

  it('with ws not offering permessage-deflate, messages flow uncompressed', async () => {
    const server = await deflateEchoServer(cleanup);
    const { ws, inbox } = await wsClient(server.port, false);
    expect(server.connections[0]!.driver.extensions).toEqual([]);
    ws.send('plain');
    expect(await inbox.take(1)).toEqual(['plain']);
  });
});

describe('wsdriver client → ws server', () => {
  const combinations: Combination[] = [
    { name: 'defaults', ws: {}, wsdriver: {}, agreed: {} },
    { name: 'client_no_context_takeover', ws: {}, wsdriver: { noContextTakeover: true }, agreed: { client_no_context_takeover: true } },
    { name: 'server_no_context_takeover', ws: {}, wsdriver: { requestNoContextTakeover: true }, agreed: { server_no_context_takeover: true } },
    { name: 'server_max_window_bits=10', ws: {}, wsdriver: { requestMaxWindowBits: 10 }, agreed: { server_max_window_bits: 10 } },
    { name: 'client_max_window_bits=9', ws: {}, wsdriver: { maxWindowBits: 9 }, agreed: { client_max_window_bits: 9 } },
    {
      name: 'all four, 8-bit windows',
      ws: {},
      wsdriver: { noContextTakeover: true, requestNoContextTakeover: true, requestMaxWindowBits: 8, maxWindowBits: 8 },
      agreed: { client_max_window_bits: 8, client_no_context_takeover: true, server_no_context_takeover: true, server_max_window_bits: 8 },
    },
    {
      name: 'ws imposes all four',
      ws: { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 9 },
      wsdriver: {},
      agreed: { server_no_context_takeover: true, client_no_context_takeover: true, server_max_window_bits: 10, client_max_window_bits: 9 },
    },
  ];

  for (const [index, combination] of combinations.entries()) {
    it(`${combination.name}: negotiated, messages echo intact, compressed both ways`, async () => {
      const port = await wsEchoServer({ ...combination.ws, threshold: 0 });
      const { driver, tcp } = deflateClient(cleanup, port, combination.wsdriver);
      const inbox = new Inbox<Message>();
      driver.on('message', (event) => inbox.push(typeof event.data === 'string' ? event.data : event.data.slice()));
      await once(driver, 'open');
      expect(driver.extensions).toEqual([{ name: 'permessage-deflate', params: combination.agreed }]);

      const messages = workload(index + 10);
      for (const message of messages) (typeof message === 'string' ? driver.text(message) : driver.binary(message));
      expect(firstDifference(await inbox.take(messages.length), messages)).toBe(-1);

      const payload = payloadBytes(messages);
      expect(tcp.bytesWritten).toBeLessThan(payload / 3);
      expect(tcp.bytesRead).toBeLessThan(payload / 3);
      driver.close();
      expect(await once(driver, 'close')).toMatchObject({ code: 1000, wasClean: true });
    }, 120_000);
  }

  for (const [what, wsdriver] of [
    ['with context takeover', {}],
    ['without context takeover', { noContextTakeover: true, requestNoContextTakeover: true }],
  ] as const) {
    it(`16 MiB text and binary messages, ${what}`, async () => {
      const port = await wsEchoServer({ threshold: 0 });
      const { driver, tcp } = deflateClient(cleanup, port, wsdriver);
      const inbox = new Inbox<Message>();
      driver.on('message', (event) => inbox.push(event.data));
      await once(driver, 'open');
      const text = jsonText(16 * MiB, 5);
      const binary = jsonBytes(16 * MiB, 6);
      driver.text(text);
      driver.binary(binary);
      const echoed = await inbox.take(2);
      expect(echoed[0]).toBe(text);
      expect(Buffer.compare(echoed[1] as Uint8Array, binary)).toBe(0);
      expect(tcp.bytesWritten).toBeLessThan(32 * MiB / 3);
      expect(tcp.bytesRead).toBeLessThan(32 * MiB / 3);
    }, 120_000);
  }

  it('a ws server with a smaller maxPayload than the inflated message closes with 1009', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: { threshold: 0 }, maxPayload: 64 * 1024 });
    // ws reports the oversized message as an error on its socket, then closes with 1009.
    wss.on('connection', (socket) => socket.on('error', () => {}));
    cleanup.add(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    await once(wss, 'listening');
    const { driver } = deflateClient(cleanup, (wss.address() as net.AddressInfo).port);
    await once(driver, 'open');
    // 1 MiB inflating from a few KB: ws must count the inflated size, as wsdriver does.
    driver.binary(new Uint8Array(MiB));
    expect(await once(driver, 'close')).toMatchObject({ code: 1009 });
  });
});
