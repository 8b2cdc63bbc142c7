/**
 * Small helpers for the dependants tests: a queue of events to await one
 * at a time, servers on ephemeral ports, and closing what a test opened.
 */
import type { EventEmitter } from 'node:events';
import type { Server, Socket } from 'node:net';

/** Collects values as they come and hands them out in order. */
export class Inbox<T> {
  readonly #items: T[] = [];
  readonly #waiting: Array<(item: T) => void> = [];

  push(item: T): void {
    const waiter = this.#waiting.shift();
    if (waiter !== undefined) waiter(item);
    else this.#items.push(item);
  }

  /** The next value; rejects after `ms`. */
  next(ms = 5000): Promise<T> {
    const item = this.#items.shift();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const at = this.#waiting.indexOf(waiter);
        if (at >= 0) this.#waiting.splice(at, 1);
        reject(new Error(`nothing arrived within ${ms} ms`));
      }, ms);
      const waiter = (value: T) => {
        clearTimeout(timer);
        resolve(value);
      };
      this.#waiting.push(waiter);
    });
  }
}

/** Resolves with the first event of `type` (its first argument); rejects after `ms`. */
export function once<T = unknown>(emitter: EventEmitter | { once(type: string, f: (value: T) => void): unknown }, type: string, ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${type}' within ${ms} ms`)), ms);
    (emitter as { once(type: string, f: (value: T) => void): unknown }).once(type, (value: T) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

/** Listens on 127.0.0.1, port 0; resolves with the port. */
export function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    });
  });
}

/** Sockets a server accepted, so a test can end upgraded ones too. */
const accepted = new WeakMap<Server, Set<Socket>>();

/** Starts recording the sockets `server` accepts (call before listen). */
export function track<S extends Server>(server: S): S {
  const sockets = new Set<Socket>();
  accepted.set(server, sockets);
  const add = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  server.on('connection', add);
  return server;
}

/** Closes a server and destroys every socket it accepted that is still open. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    for (const socket of accepted.get(server) ?? []) socket.destroy();
  });
}
