/**
 * A driver's two old-style (`Stream.prototype.pipe`) streams, as
 * websocket-driver models a connection:
 *
 * - `io` faces the transport: `write(bytes)` parses them, and every byte
 *   the driver sends comes out as a `data` event (each handshake head and
 *   each whole frame one chunk);
 * - `messages` faces the application: `write(message)` sends it (a string
 *   as text, anything else as binary), and each message received comes
 *   out as a `data` event.
 *
 * Flow control is advisory, as in websocket-driver: `pause()` makes the
 * other side's `write()` return false, `resume()` emits `drain`.
 *
 * @module
 */
import { Stream } from 'node:stream';

/** What the streams drive: the compat driver's methods. */
export interface StreamDriver {
  parse(bytes: Buffer | Uint8Array): void;
  text(message: string): boolean;
  binary(message: Buffer | Uint8Array): boolean;
  readonly io: IO;
  readonly messages: Messages;
}

/** The transport side; see the module comment. */
export class IO extends Stream {
  readable = true;
  writable = true;
  /** @internal */
  _paused = false;
  readonly #driver: StreamDriver;

  constructor(driver: StreamDriver) {
    super();
    this.#driver = driver;
  }

  /** The transport we write to is backed up: the application's writes report it too. */
  pause(): void {
    this._paused = true;
    this.#driver.messages._paused = true;
  }

  resume(): void {
    this._paused = false;
    this.emit('drain');
    const messages = this.#driver.messages;
    messages._paused = false;
    messages.emit('drain');
  }

  /** Bytes from the transport, for the parser; false asks the source to wait. */
  write(chunk: Buffer | Uint8Array): boolean {
    if (!this.writable) return false;
    this.#driver.parse(chunk);
    return !this._paused;
  }

  /** The transport ended: no more messages will come, so `messages` ends. */
  end(chunk?: Buffer | Uint8Array): void {
    if (!this.writable) return;
    if (chunk !== undefined) this.write(chunk);
    this.writable = false;
    const messages = this.#driver.messages;
    if (messages.readable) {
      messages.readable = messages.writable = false;
      messages.emit('end');
    }
  }

  destroy(): this {
    this.end();
    return this;
  }
}

/** The application side; see the module comment. */
export class Messages extends Stream {
  readable = true;
  writable = true;
  /** @internal */
  _paused = false;
  readonly #driver: StreamDriver;

  constructor(driver: StreamDriver) {
    super();
    this.#driver = driver;
  }

  /** The application is backed up: ask the transport to wait. */
  pause(): void {
    this.#driver.io._paused = true;
  }

  resume(): void {
    this.#driver.io._paused = false;
    this.#driver.io.emit('drain');
  }

  /** A message to send: a string as text, bytes as binary. */
  write(message: string | Buffer | Uint8Array): boolean {
    if (!this.writable) return false;
    if (typeof message === 'string') this.#driver.text(message);
    else this.#driver.binary(message);
    return !this._paused;
  }

  /**
   * One of possibly many sources piped in has ended; the connection stays
   * open (as in websocket-driver).
   */
  end(message?: string | Buffer | Uint8Array): void {
    if (message !== undefined) this.write(message);
  }

  destroy(): this {
    return this;
  }
}
