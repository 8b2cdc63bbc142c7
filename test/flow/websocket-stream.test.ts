/**
 * The WebSocketStream-shaped API over a wsdriver driver, with undici 7's
 * WebSocketStream as the shape oracle: both talk to the same ws echo
 * server on 127.0.0.1 and must look and behave alike. Then backpressure
 * through the streams, and the async iterator.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketStream } from 'undici';
import { WebSocketServer } from 'ws';
import { connect } from '../../lib/adapters/node/index.js';
import { messages, webSocketStream, type WebSocketStreamLike } from '../../lib/adapters/streams/index.js';
import { Cleanup } from '../interop/support.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

process.removeAllListeners('warning'); // undici's "WebSocketStream is experimental"

async function echoServer(onConnection?: (socket: import('ws').WebSocket) => void): Promise<{ url: string; wss: WebSocketServer }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  cleanup.add(() => new Promise((resolve) => wss.close(() => resolve(undefined))));
  await new Promise((resolve) => wss.once('listening', resolve));
  wss.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => socket.send(isBinary ? data : String(data)));
    onConnection?.(socket);
  });
  return { url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}/`, wss };
}

function ours(url: string, options = {}): WebSocketStreamLike {
  const driver = connect(url, options);
  cleanup.add(() => driver.close());
  return webSocketStream(driver);
}

function theirs(url: string): WebSocketStreamLike {
  return new WebSocketStream(url) as unknown as WebSocketStreamLike;
}

/** What a WebSocketStream shows after an echo of a text and a binary message and a clean close. */
async function observe(stream: WebSocketStreamLike) {
  const opened = await stream.opened;
  const shape = {
    keys: Object.keys(opened).sort(),
    readable: opened.readable instanceof ReadableStream,
    writable: opened.writable instanceof WritableStream,
    protocol: typeof opened.protocol,
    extensions: typeof opened.extensions,
  };
  const writer = opened.writable.getWriter();
  await writer.write('hello');
  await writer.write(new Uint8Array([1, 2, 3]));
  writer.releaseLock();
  const reader = opened.readable.getReader();
  const first = (await reader.read()).value;
  const second = (await reader.read()).value;
  reader.releaseLock();
  stream.close({ closeCode: 4000, reason: 'bye' });
  const closed = await stream.closed;
  return { shape, first, second: second instanceof Uint8Array ? [...second] : second, secondType: second?.constructor.name, closed };
}

describe('the WebSocketStream shape, against undici 7', () => {
  it('opened, readable, writable, protocol, extensions and closed look and behave the same', async () => {
    const { url } = await echoServer();
    const [mine, oracle] = await Promise.all([observe(ours(url)), observe(theirs(url))]);
    expect(mine).toEqual(oracle);
    expect(mine.first).toBe('hello');
    expect(mine.closed).toEqual({ closeCode: 4000, reason: 'bye' });
  });

  it('closed rejects with a WebSocketError carrying 1006 on an unclean close, as undici does', async () => {
    const { url, wss } = await echoServer();
    const streams = [ours(url), theirs(url)];
    await Promise.all(streams.map((stream) => stream.opened));
    for (const client of wss.clients) client.terminate();
    const errors = await Promise.all(streams.map((stream) => stream.closed.then(() => null, (error: { name: string; closeCode: number }) => error)));
    expect(errors.map((error) => [error?.name, error?.closeCode])).toEqual([
      ['WebSocketError', 1006],
      ['WebSocketError', 1006],
    ]);
  });
});

describe('backpressure through the streams', () => {
  it('a reader that does not pull pauses the driver; reading resumes it and nothing is lost', async () => {
    const { url } = await echoServer((socket) => {
      for (let i = 0; i < 100; i++) socket.send(`m${i}`);
    });
    const driver = connect(url);
    cleanup.add(() => driver.close());
    const stream = webSocketStream(driver);
    const { readable } = await stream.opened;
    // Paused once 16 messages wait unread (maybe in the same chunk as the handshake).
    while (!driver.isPaused) await new Promise((resolve) => setTimeout(resolve, 5));
    const reader = readable.getReader();
    const received: unknown[] = [];
    while (received.length < 100) received.push((await reader.read()).value);
    expect(received).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`));
    expect(driver.isPaused).toBe(false);
  });

  it('messages() iterates in order and ends on a clean close', async () => {
    const { url } = await echoServer((socket) => {
      socket.send('a');
      socket.send(Buffer.from([9]));
      socket.close(1000, 'done');
    });
    const received: unknown[] = [];
    for await (const message of messages(ours(url))) received.push(typeof message === 'string' ? message : [...message]);
    expect(received).toEqual(['a', [9]]);
  });

  it('messages() throws the WebSocketError of an unclean close', async () => {
    const { url } = await echoServer((socket) => {
      socket.send('a');
      setTimeout(() => socket.terminate(), 20);
    });
    const received: unknown[] = [];
    await expect(
      (async () => {
        for await (const message of messages(ours(url))) received.push(message);
      })(),
    ).rejects.toMatchObject({ name: 'WebSocketError', closeCode: 1006 });
    expect(received).toEqual(['a']);
  });
});

describe('text kept as bytes (decodeText: false) through the streams', () => {
  const utf8 = (text: string) => new TextEncoder().encode(text);

  /** A ws server that records what it receives (data and whether binary) and runs `onConnection`. */
  async function recordingServer(onConnection: (socket: import('ws').WebSocket) => void = () => {}) {
    const received: Array<[string | number[], boolean]> = [];
    const closes: number[] = [];
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    cleanup.add(() => new Promise((resolve) => wss.close(() => resolve(undefined))));
    await new Promise((resolve) => wss.once('listening', resolve));
    wss.on('connection', (socket) => {
      socket.on('message', (data: Buffer, isBinary) => received.push([isBinary ? [...data] : String(data), isBinary]));
      socket.on('close', (code) => closes.push(code));
      onConnection(socket);
    });
    return { url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}/`, received, closes };
  }

  function typedStream(url: string) {
    const driver = connect(url, { decodeText: false });
    cleanup.add(() => driver.close());
    return webSocketStream(driver, { withType: true });
  }

  it('withType: each chunk read is { data, type }, text as its UTF-8 bytes with type "text"', async () => {
    const { url } = await recordingServer((socket) => {
      socket.send('héllo 😀');
      socket.send(Buffer.from([1, 2]));
      socket.send('');
      socket.close(1000);
    });
    const got: Array<[string, number[]]> = [];
    for await (const message of messages(typedStream(url))) {
      expect(message.data).toBeInstanceOf(Uint8Array);
      got.push([message.type, [...(message.data as Uint8Array)]]);
    }
    expect(got).toEqual([
      ['text', [...utf8('héllo 😀')]],
      ['binary', [1, 2]],
      ['text', []],
    ]);
  });

  it('withType with decodeText on: text is a string, still with its type', async () => {
    const { url } = await recordingServer((socket) => {
      socket.send('hi');
      socket.send(Buffer.from([7]));
      socket.close(1000);
    });
    const driver = connect(url);
    cleanup.add(() => driver.close());
    const got: unknown[] = [];
    for await (const message of messages(webSocketStream(driver, { withType: true }))) got.push({ ...message, data: typeof message.data === 'string' ? message.data : [...message.data] });
    expect(got).toEqual([
      { data: 'hi', type: 'text' },
      { data: [7], type: 'binary' },
    ]);
  });

  it('the writable side sends { data: bytes, type: "text" } as text and { type: "binary" } as binary; bytes that are not UTF-8 reject the write, sending nothing', async () => {
    const server = await recordingServer();
    const { writable } = await typedStream(server.url).opened;
    const writer = writable.getWriter();
    const big = new Uint8Array(1000);
    big.set(utf8('ünï'), 500);
    await writer.write({ data: utf8('ünï'), type: 'text' });
    await expect(writer.write({ data: Uint8Array.of(0x61, 0xff), type: 'text' })).rejects.toThrow(TypeError);
    // The writer errored with that write; a fresh stream writes on.
    writer.releaseLock();
    const second = writable.getWriter();
    await expect(second.write({ data: utf8('x'), type: 'text' })).rejects.toThrow();
    const { writable: fresh } = await typedStream(server.url).opened;
    const freshWriter = fresh.getWriter();
    // A view with an offset into a larger buffer sends only its own bytes.
    await freshWriter.write({ data: big.subarray(500, 500 + utf8('ünï').length), type: 'text' });
    await freshWriter.write({ data: utf8('ünï'), type: 'binary' });
    await freshWriter.write({ data: 'plain', type: 'text' });
    await expect.poll(() => server.received.length).toBe(4);
    expect(server.received).toEqual([
      ['ünï', false],
      ['ünï', false],
      [[...utf8('ünï')], true],
      ['plain', false],
    ]);
  });

  it('the writable side refuses { type: "binary" } with a string and chunks of no known shape', async () => {
    const server = await recordingServer();
    const { writable } = await typedStream(server.url).opened;
    for (const bad of [{ data: 'text', type: 'binary' }, { data: utf8('a'), type: 'other' }, { data: 5, type: 'text' }, 42, null]) {
      const writer = writable.getWriter();
      await expect(writer.write(bad as never)).rejects.toThrow(TypeError);
      writer.releaseLock();
    }
  });

  it('piping the readable side to the writable side echoes text as text and binary as binary, no decode between', async () => {
    // The peer is the echo: the relay is ours, reading and writing typed chunks.
    const server = await recordingServer((socket) => {
      socket.send('ünïcödé');
      socket.send(Buffer.from([0, 255]));
      socket.send('x'.repeat(70_000));
    });
    const stream = typedStream(server.url);
    const { readable, writable } = await stream.opened;
    void readable.pipeTo(writable).catch(() => {});
    await expect.poll(() => server.received.length).toBe(3);
    expect(server.received).toEqual([
      ['ünïcödé', false],
      [[0, 255], true],
      ['x'.repeat(70_000), false],
    ]);
  });

  it('without withType, text as bytes errors the readable side with a TypeError and closes with 1011, rather than passing for binary', async () => {
    const server = await recordingServer((socket) => socket.send('text'));
    const driver = connect(server.url, { decodeText: false });
    cleanup.add(() => driver.close());
    const stream = webSocketStream(driver);
    const { readable } = await stream.opened;
    await expect(readable.getReader().read()).rejects.toThrow(/withType/);
    await expect.poll(() => server.closes).toEqual([1011]);
    await expect(stream.closed).resolves.toEqual({ closeCode: 1011, reason: 'text as bytes on a stream without withType' });
  });
});
