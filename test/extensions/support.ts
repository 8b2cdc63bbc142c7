/**
 * Loopback plumbing for the extension interop tests: wsdriver servers and
 * clients over node:net with permessage-deflate, byte counts of what
 * crossed the wire, and clean-up.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Driver, type DriverOptions, type HttpServerDriver, type HybiClientDriver } from '../../lib/index.js';
import { attach, perMessageDeflate, streamSocket, type PerMessageDeflateOptions } from '../../lib/adapters/node/index.js';

/** Things to undo after a test, in reverse order. */
export class Cleanup {
  #tasks: Array<() => unknown> = [];

  add(task: () => unknown): void {
    this.#tasks.push(task);
  }

  async run(): Promise<void> {
    for (const task of this.#tasks.splice(0).reverse()) await task();
  }
}

/** Listens on 127.0.0.1, port 0; closes (dropping connections) on clean-up. */
export async function listen(cleanup: Cleanup, server: net.Server): Promise<number> {
  cleanup.add(
    () =>
      new Promise<void>((resolve) => {
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/** One connection's driver with its TCP socket, whose byte counters show what crossed the wire. */
export interface Connection<D> {
  driver: D;
  tcp: net.Socket;
}

/**
 * A wsdriver echo server with permessage-deflate on 127.0.0.1:0. Every
 * message is sent back as it came (text as text, binary as binary).
 */
export async function deflateEchoServer(
  cleanup: Cleanup,
  deflate: PerMessageDeflateOptions = {},
  options: DriverOptions = {},
): Promise<{ port: number; connections: Array<Connection<HttpServerDriver>> }> {
  const connections: Array<Connection<HttpServerDriver>> = [];
  const server = net.createServer((tcp) => {
    const driver = Driver.server(streamSocket(tcp), options);
    driver.addExtension(perMessageDeflate(deflate));
    driver.on('connect', () => driver.start());
    driver.on('message', (event) => (typeof event.data === 'string' ? driver.text(event.data) : driver.binary(event.data)));
    attach(driver, tcp, { closeTimeout: 1000 });
    connections.push({ driver, tcp });
  });
  const port = await listen(cleanup, server);
  return { port, connections };
}

/** A wsdriver client with permessage-deflate, connected over its own TCP socket. */
export function deflateClient(
  cleanup: Cleanup,
  port: number,
  deflate: PerMessageDeflateOptions = {},
  options: DriverOptions = {},
): Connection<HybiClientDriver> {
  const tcp = net.connect({ host: '127.0.0.1', port });
  cleanup.add(() => tcp.destroy());
  const driver = Driver.client(streamSocket(tcp, { url: `ws://127.0.0.1:${port}/` }), options);
  driver.addExtension(perMessageDeflate(deflate));
  attach(driver, tcp, { closeTimeout: 1000 });
  tcp.once('connect', () => driver.start());
  return { driver, tcp };
}

/** Resolves with the first `type` event. */
export function once<T>(target: { once(type: string, listener: (event: T) => void): unknown }, type: string): Promise<T> {
  return new Promise((resolve) => target.once(type, resolve));
}

/** Collects messages; `take(n)` resolves once n have arrived. */
export class Inbox<T> {
  readonly items: T[] = [];
  #wake: Array<() => void> = [];

  push(item: T): void {
    this.items.push(item);
    for (const wake of this.#wake.splice(0)) wake();
  }

  async take(count: number): Promise<T[]> {
    while (this.items.length < count) await new Promise<void>((resolve) => this.#wake.push(resolve));
    return this.items.splice(0, count);
  }
}

/**
 * Compressible text like real traffic: JSON records with counters, about
 * `size` UTF-8 bytes, with some non-ASCII characters.
 */
export function jsonText(size: number, seed = 1): string {
  let text = '';
  for (let i = 0; text.length < size; i++) {
    text += `{"id":${seed * 100000 + i},"user":"user-${(i * 7) % 97}","city":"Zürich","tags":["a${i % 5}","b${i % 3}"],"ok":${i % 2 === 0}}\n`;
  }
  // Cut at a character that is one UTF-16 unit, so the text stays whole.
  return text.slice(0, size);
}

/** Bytes of the encoded text: binary with the same redundancy. */
export function jsonBytes(size: number, seed = 2): Uint8Array {
  return new TextEncoder().encode(jsonText(size, seed)).subarray(0, size);
}

export const MiB = 1024 * 1024;
