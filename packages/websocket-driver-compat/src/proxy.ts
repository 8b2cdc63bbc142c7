/**
 * websocket-driver's proxy object, from `client.proxy(url)`: an old-style
 * stream the application pipes to and from the socket until the proxy has
 * answered the CONNECT request. It emits the request as `data`, takes the
 * answer through `write()`, then emits `connect` (or `error`) and ends.
 * The engine's `HttpProxy` builds the request and reads the answer.
 *
 * @module
 */
import { Stream } from 'node:stream';
import type { HttpProxy } from '../../../lib/index.js';
import { asBuffer } from './base.js';
import { ConnectEvent } from './events.js';

/** The proxy stream; see the module comment. */
export class ProxyStream extends Stream {
  readable = true;
  writable = true;
  /** The proxy's status code, once it has answered. */
  statusCode: number | undefined;
  /** The proxy's response headers by lower-case name, once it has answered. */
  headers: Record<string, string> | undefined;
  readonly #proxy: HttpProxy;
  #started = false;
  #paused = false;
  /** True until the proxy has answered: the engine's writes are the CONNECT request. @internal */
  carriesOutput = true;

  /** @internal */
  constructor(proxy: HttpProxy, originHref: string) {
    super();
    this.#proxy = proxy;
    proxy.on('connect', () => {
      this.#answered();
      this.emit('connect', new ConnectEvent());
      this.end();
    });
    proxy.on('error', () => {
      this.#answered();
      this.emit('error', new Error("Can't establish a connection to the server at " + originHref));
      this.end();
    });
  }

  #answered(): void {
    this.carriesOutput = false;
    this.statusCode = this.#proxy.statusCode ?? undefined;
    this.headers = { ...this.#proxy.headers };
  }

  /**
   * Adds a header to the CONNECT request; false once sent. CR or LF throws;
   * a header the proxy request sets itself is ignored.
   */
  setHeader(name: string, value: unknown): boolean {
    if (this.#started) return false;
    if (value === undefined) return true;
    try {
      this.#proxy.setHeader(String(name), String(value));
    } catch (error) {
      if (/[\r\n]/.test(String(name)) || /[\r\n]/.test(String(value))) throw error;
    }
    return true;
  }

  /** Sends the CONNECT request as `data`. */
  start(): boolean {
    if (this.#started) return false;
    this.#started = true;
    this.#proxy.start();
    return true;
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.emit('drain');
  }

  /** The proxy's answer, from the socket. */
  write(chunk: Buffer | Uint8Array): boolean {
    if (!this.writable) return false;
    this.#proxy.parse(chunk);
    return !this.#paused;
  }

  end(chunk?: Buffer | Uint8Array): void {
    if (!this.writable) return;
    if (chunk !== undefined) this.write(chunk);
    this.readable = this.writable = false;
    this.emit('close');
    this.emit('end');
  }

  destroy(): this {
    this.end();
    return this;
  }

  /** The CONNECT request, out as `data`. @internal */
  emitOutput(bytes: Uint8Array): void {
    if (this.readable) this.emit('data', asBuffer(bytes));
  }
}
