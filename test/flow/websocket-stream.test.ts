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
