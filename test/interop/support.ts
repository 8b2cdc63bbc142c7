/**
 * Real sockets on loopback for interop and adapter tests: listeners on
 * port 0, wsdriver servers over node:net, waiting for events, and a
 * registry that tears everything down after each test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { Driver, type CloseEvent, type DriverEventMap, type DriverOptions, type HttpServerDriver } from '../../lib/index.js';
import { attach, streamSocket, type AttachOptions } from '../../lib/adapters/node/index.js';

/** Things to close after a test, closed in reverse order. */
export class Cleanup {
  #tasks: Array<() => unknown> = [];

  add(task: () => unknown): void {
    this.#tasks.push(task);
  }

  /** A server, closed (and its connections dropped) after the test. */
  server<S extends net.Server>(server: S): S {
    const sockets = new Set<net.Socket>();
    server.on('connection', (socket: net.Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    this.add(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => resolve());
        }),
    );
    return server;
  }

  /** A stream, destroyed after the test. */
  stream<T extends Duplex>(stream: T): T {
    this.add(() => stream.destroy());
    return stream;
  }

  /** A child process, killed (and waited for) after the test. */
  child(child: ChildProcess): ChildProcess {
    this.add(() => killChild(child));
    return child;
  }

  async run(): Promise<void> {
    const tasks = this.#tasks.reverse();
    this.#tasks = [];
    for (const task of tasks) await task();
  }
}

/** Kills a child process and resolves once it has exited. */
export function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Listens on 127.0.0.1 (or `host`), port 0; resolves with the port given. */
export function listen(server: net.Server, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Resolves with the first `type` event of an emitter-like object. */
export function once<T = unknown>(
  target: { once(type: string, listener: (event: T) => void): unknown },
  type: string,
): Promise<T> {
  return new Promise((resolve) => target.once(type, resolve));
}

/** Anything with wsdriver's typed `once`. */
export interface DriverLike {
  once<K extends keyof DriverEventMap>(type: K, listener: (event: DriverEventMap[K]) => void): unknown;
}

/** Resolves with a driver's next `type` event. */
export function next<K extends keyof DriverEventMap>(driver: DriverLike, type: K): Promise<DriverEventMap[K]> {
  return new Promise((resolve) => driver.once(type, resolve));
}

/** Collects a driver's messages; `take(n)` waits until n have arrived. */
export class Inbox {
  readonly items: Array<string | Uint8Array> = [];
  #waiters: Array<() => void> = [];

  constructor(driver: { on(type: 'message', listener: (event: DriverEventMap['message']) => void): unknown }) {
    driver.on('message', (event) => {
      // Binary messages may be views into a chunk the driver owns: copy.
      this.items.push(typeof event.data === 'string' ? event.data : event.data.slice());
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  async take(count: number): Promise<Array<string | Uint8Array>> {
    while (this.items.length < count) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    return this.items.splice(0, count);
  }
}

/** A wsdriver server over node:net, and the drivers it made. */
export interface WsdriverServer {
  port: number;
  url: string;
  /** Each connection's driver, in accept order; resolves as they come. */
  nextDriver(): Promise<HttpServerDriver>;
  /** Each connection's close event. */
  closes: Promise<CloseEvent>[];
}

/**
 * Starts a `Driver.server` per TCP connection on 127.0.0.1:0, attached with
 * the Node adapter. `setup` runs on each driver before any byte arrives;
 * by default the driver accepts on `connect`.
 */
export async function wsdriverServer(
  cleanup: Cleanup,
  options: DriverOptions = {},
  setup: (driver: HttpServerDriver, tcp: net.Socket) => void = (driver) => driver.on('connect', () => driver.start()),
  attachOptions: AttachOptions = {},
): Promise<WsdriverServer> {
  const drivers: HttpServerDriver[] = [];
  const waiting: Array<(driver: HttpServerDriver) => void> = [];
  const closes: Promise<CloseEvent>[] = [];
  const server = cleanup.server(
    net.createServer((tcp) => {
      const driver = Driver.server(streamSocket(tcp), options);
      closes.push(next(driver, 'close'));
      setup(driver, tcp);
      attach(driver, tcp, attachOptions);
      const waiter = waiting.shift();
      if (waiter) waiter(driver);
      else drivers.push(driver);
    }),
  );
  const port = await listen(server);
  return {
    port,
    url: `ws://127.0.0.1:${port}/`,
    closes,
    nextDriver: () => {
      const ready = drivers.shift();
      return ready ? Promise.resolve(ready) : new Promise((resolve) => waiting.push(resolve));
    },
  };
}

/** A TCP connection to 127.0.0.1:port, open. */
export async function tcpConnect(cleanup: Cleanup, port: number, options: net.NetConnectOpts = { port }): Promise<net.Socket> {
  const socket = cleanup.stream(net.connect({ ...options, port, host: '127.0.0.1' } as net.NetConnectOpts));
  await once(socket, 'connect');
  return socket;
}

/** A raw TCP client (Nagle off) that has sent the handshake request `head`; resolves once the response head is read. */
export async function tcpClientPastHandshake(cleanup: Cleanup, port: number, head: Uint8Array | string): Promise<net.Socket> {
  const tcp = await tcpConnect(cleanup, port);
  tcp.setNoDelay(true);
  tcp.write(head);
  await readUntil(tcp, (bytes) => bytes.includes('\r\n\r\n'));
  return tcp;
}

/** Reads from a raw socket until `done(bytesSoFar)` is true. */
export function readUntil(socket: net.Socket, done: (bytes: Buffer) => boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // A buffer that doubles as it fills: joining every chunk to all before it
    // copied 8 GiB to read 32 MiB, and timed the test out under load. It
    // starts empty: 64 KiB up front for each of memory.test.ts's 1,000
    // slow-loris sockets was 64 MiB of external memory, past that test's bound.
    let store = Buffer.alloc(0);
    let bytes = store.subarray(0, 0);
    const onData = (chunk: Buffer) => {
      if (bytes.length + chunk.length > store.length) {
        const grown = Buffer.alloc(Math.max(store.length * 2, bytes.length + chunk.length));
        grown.set(bytes);
        store = grown;
      }
      store.set(chunk, bytes.length);
      bytes = store.subarray(0, bytes.length + chunk.length);
      if (done(bytes)) finish();
    };
    const onEnd = () => finish();
    const finish = () => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', reject);
      resolve(bytes);
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', reject);
  });
}

/** Reads everything a raw socket receives until the peer ends it. */
export function readToEnd(socket: net.Socket): Promise<Buffer> {
  return readUntil(socket, () => false);
}

/** Bytes 0..length-1 in a repeating pattern, so misplaced bytes show. */
export function patternBytes(length: number, seed = 7): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed + (i >>> 8)) & 0xff;
  return bytes;
}

/** Spawns a program, collecting its stderr for failure messages. */
export function spawnPeer(cleanup: Cleanup, command: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess & { stderrText: () => string } {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  cleanup.child(child);
  return Object.assign(child, { stderrText: () => stderr });
}

/** Resolves with the first line a child prints on stdout. */
export function firstLine(child: ChildProcess & { stderrText?: () => string }): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: string) => {
      text += chunk;
      const end = text.indexOf('\n');
      if (end >= 0) {
        child.stdout!.off('data', onData);
        resolve(text.slice(0, end).trim());
      }
    };
    child.stdout!.setEncoding('utf8').on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited with ${code} before printing a line: ${child.stderrText?.() ?? ''}`)));
  });
}
