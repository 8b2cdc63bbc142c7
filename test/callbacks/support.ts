/**
 * Test doubles for the callback adapter: a handler that logs every call,
 * and a write buffer that counts what a driver writes until the test
 * says it was flushed.
 */
import type { Client, Handler, WriteBuffer } from '../../lib/adapters/callbacks/index.js';
import type { CloseEvent } from '../../lib/index.js';
import type { RecordingSocket } from '../helpers/index.js';

/** One callback call, as logged. */
export type Call =
  | { name: 'open' }
  | { name: 'message'; data: string | Uint8Array }
  | { name: 'drained' }
  | { name: 'shutdown' }
  | { name: 'close'; code: number; reason: string; wasClean: boolean };

/**
 * A handler that logs each call (binary data copied), then runs the
 * matching hook if the test set one.
 */
export class LoggingHandler implements Handler {
  readonly calls: Call[] = [];
  readonly clients: Client[] = [];
  hooks: {
    open?: (client: Client) => void;
    message?: (client: Client, data: string | Uint8Array) => void;
    drained?: (client: Client) => void;
    shutdown?: (client: Client) => void;
    close?: (client: Client, event: CloseEvent) => void;
  } = {};

  onOpen(client: Client): void {
    this.#log(client, { name: 'open' });
    this.hooks.open?.(client);
  }

  onMessage(client: Client, data: string | Uint8Array): void {
    this.#log(client, { name: 'message', data: typeof data === 'string' ? data : data.slice() });
    this.hooks.message?.(client, data);
  }

  onDrained(client: Client): void {
    this.#log(client, { name: 'drained' });
    this.hooks.drained?.(client);
  }

  onShutdown(client: Client): void {
    this.#log(client, { name: 'shutdown' });
    this.hooks.shutdown?.(client);
  }

  onClose(client: Client, event: CloseEvent): void {
    this.#log(client, { name: 'close', code: event.code, reason: event.reason, wasClean: event.wasClean });
    this.hooks.close?.(client, event);
  }

  /** The call names, in order. */
  get names(): string[] {
    return this.calls.map((call) => call.name);
  }

  #log(client: Client, call: Call): void {
    this.clients.push(client);
    this.calls.push(call);
  }
}

/**
 * A {@link WriteBuffer} over a recording socket: every byte the driver
 * writes is pending until `flush()` (all of it, or `bytes`), which then
 * notifies the listeners as a real transport would after a write
 * completes.
 */
export class CountingBuffer implements WriteBuffer {
  #pending = 0;
  readonly #listeners = new Set<() => void>();

  constructor(socket: RecordingSocket) {
    const forward = socket.onWrite;
    socket.onWrite = (bytes) => {
      this.#pending += bytes.length;
      forward?.(bytes);
    };
  }

  pending(): number {
    return this.#pending;
  }

  onFlush(listener: () => void): () => void {
    const wrapped = () => listener();
    this.#listeners.add(wrapped);
    return () => this.#listeners.delete(wrapped);
  }

  /** Listeners still registered. */
  get listeners(): number {
    return this.#listeners.size;
  }

  /** Marks `bytes` (default: everything) flushed and notifies the listeners. */
  flush(bytes = this.#pending): void {
    this.#pending -= Math.min(bytes, this.#pending);
    for (const listener of [...this.#listeners]) listener();
  }
}
