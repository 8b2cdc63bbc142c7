/**
 * What every compat driver shares: websocket-driver's façade (an
 * EventEmitter with `io` and `messages` streams, `getState()`, its method
 * signatures and event objects) over one engine driver.
 *
 * The engine does the protocol; this layer only translates: Buffers and
 * strings in and out, websocket-driver's error texts, its event order on
 * a failure (the close frame is written, then `error`, then `close`), ping
 * callbacks keyed by payload, and pongs sent before the `ping` event.
 *
 * @module
 */
import { isUtf8 } from 'node:buffer';
import { EventEmitter } from 'node:events';
import type { CloseEvent as EngineCloseEvent, DriverEventMap, Extension, Listener, ProtocolError, Socket } from '../../../lib/index.js';
import { CloseEvent, MessageEvent, OpenEvent, PingEvent, PongEvent } from './events.js';
import { withInflateCap } from './inflate-cap.js';
import { frameErrorText, legacyError } from './messages.js';
import { asWritten, checkRequest, refusal, type RequestFacts } from './rules.js';
import { bufferView } from './output.js';
import { IO, Messages, type StreamDriver } from './streams.js';

/** The engine driver calls the compat layer makes (every engine driver kind has them). */
export interface EngineDriver {
  readonly readyState: number;
  readonly version: string;
  readonly protocol: string | null;
  on<K extends keyof DriverEventMap>(type: K, listener: Listener<DriverEventMap[K]>): unknown;
  start(): boolean;
  parse(bytes: Uint8Array): void;
  text(message: string | Uint8Array): boolean;
  binary(message: Uint8Array): boolean;
  ping(message?: string | Uint8Array, callback?: () => void): boolean;
  pong(message?: string | Uint8Array): boolean;
  close(code?: number, reason?: string): boolean;
  setHeader(name: string, value: string | number): void;
  addExtension(extension: Extension): boolean;
}

const STATES = ['connecting', 'open', 'closing', 'closed'] as const;
// websocket-driver keeps one callback per ping payload, unbounded; here at most this many payloads wait.
const MAX_PING_CALLBACKS = 1024;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Replacing = new TextDecoder('utf-8', { ignoreBOM: true });

/** The bytes as a Buffer: itself if it is one (every frame the engine writes is), else a view of the same memory. */
export function asBuffer(bytes: Uint8Array): Buffer {
  if (Buffer.isBuffer(bytes)) return bytes;
  return bufferView(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength);
}

/** websocket-driver's key for a ping callback: the payload as UTF-8 text, or "null" if it is not UTF-8. */
function pingKey(payload: Uint8Array): string {
  try {
    return 'fn:' + utf8.decode(payload);
  } catch {
    return 'fn:null';
  }
}

/**
 * What websocket-driver's `text()` sends, as the engine takes it: a string,
 * or bytes (a Buffer, any Uint8Array, an array of numbers) as they are, with
 * no decode. websocket-driver sends bytes that are not UTF-8 unchecked, and
 * the peer fails the connection (1007): here each bad sequence becomes
 * U+FFFD (`text-bytes-utf8`), as a Buffer's `toString()` does.
 */
function textOf(message: unknown): string | Uint8Array {
  if (typeof message === 'string') return message;
  const bytes = message instanceof Uint8Array ? message : Array.isArray(message) ? Buffer.from(message as number[]) : null;
  if (bytes === null) return String(message);
  return isUtf8(bytes) ? bytes : utf8Replacing.decode(bytes);
}

/** Turns what websocket-driver's `binary()`/`frame()` accept into bytes. */
function bytesOf(message: unknown): Uint8Array {
  if (message instanceof Uint8Array) return message;
  if (Array.isArray(message)) return Buffer.from(message as number[]);
  if (ArrayBuffer.isView(message)) return new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
  if (message instanceof ArrayBuffer) return new Uint8Array(message);
  return Buffer.from(String(message), 'utf8');
}

/**
 * The socket a compat driver gives the engine: each write comes out of
 * `io` as one `data` chunk (`wholeFrames`: one per frame), a handshake head
 * in websocket-driver's header order (asWritten). A class rather than an
 * object literal with a closure per driver, so the engine's write call
 * always meets the same function.
 */
export class IoSocket implements Socket {
  readonly wholeFrames = true;
  readonly env: unknown;
  readonly url: string | undefined;
  readonly #driver: LegacyDriver;

  constructor(driver: LegacyDriver, env?: unknown, url?: string) {
    this.#driver = driver;
    this.env = env;
    this.url = url;
  }

  write(bytes: Uint8Array): void {
    // emitOutput's work, without the call: this runs once per frame.
    const io = this.#driver.io;
    if (io.readable) io.emit('data', asBuffer(asWritten(bytes)));
  }
}

/** The shared façade; see the module comment. */
export abstract class LegacyDriver extends EventEmitter implements StreamDriver {
  /** The transport side: pipe the socket into it and it into the socket. */
  readonly io: IO;
  /** The application side: messages in and out. */
  readonly messages: Messages;
  /** @internal */
  protected engine!: EngineDriver;
  /** @internal */
  protected maxLength = 2 ** 26 - 1;
  #pendingError: ProtocolError | null = null;
  #pingCallbacks = new Map<string, () => void>();

  constructor() {
    super();
    this.io = new IO(this);
    this.messages = new Messages(this);
    const messages = this.messages;
    // Protocol errors are informational: an `error` with no listener of the application's never throws.
    messages.on('error', () => {});
    this.on('message', (event: MessageEvent) => {
      if (messages.readable) messages.emit('data', event.data);
    });
    this.on('error', (error: Error) => {
      if (messages.readable) messages.emit('error', error);
    });
    this.on('close', () => {
      if (!messages.readable) return;
      messages.readable = messages.writable = false;
      messages.emit('end');
    });
  }

  /** 0 connecting, 1 open, 2 closing, 3 closed (a client is -1 until `start()`). */
  get readyState(): number {
    return this.engine.readyState;
  }

  /** `'connecting'`, `'open'`, `'closing'`, `'closed'`, or null before a client's `start()`. */
  getState(): string | null {
    return STATES[this.readyState] ?? null;
  }

  /** Sends the handshake (a server's 101 or 400, a client's request); false if it was already sent or failed. */
  start(): boolean {
    const request = this.readyState === 0 ? this.requestToCheck() : null;
    const error = request === null ? null : checkRequest(request);
    if (error === null) return this.engine.start();
    // websocket-driver's refusal: its 400, then `error` and `close` (1002),
    // and the engine ends before it wrote anything.
    this.emitOutput(refusal(error));
    this.#pendingError = error;
    this.engine.close(error.closeCode, error.message);
    return false;
  }

  /** Server side, RFC 6455 only: the request websocket-driver's checks apply to before start(); null for none. @internal */
  protected requestToCheck(): RequestFacts | null {
    return null;
  }

  /** Bytes from the transport (websocket-driver's `io.write` calls this). */
  parse(chunk: Buffer | Uint8Array): void {
    this.engine.parse(chunk);
  }

  /**
   * Sends a text message (queued until open); false once closing. Bytes
   * (a Buffer, as websocket-driver takes) are sent as they are when UTF-8.
   */
  text(message: string | Buffer | Uint8Array | number[]): boolean {
    // The engine refuses it once closing (false), as websocket-driver does: no check of our own on the hot path.
    return this.engine.text(typeof message === 'string' ? message : textOf(message));
  }

  /** Sends a binary message (queued until open); false once closing. */
  binary(message: Buffer | Uint8Array | number[] | string): boolean {
    // A Buffer, the usual argument, is passed on as it is, without a call.
    return this.engine.binary(message instanceof Uint8Array ? message : bytesOf(message));
  }

  /**
   * Sends a ping; `callback` runs when a pong with the same payload comes
   * back. As in websocket-driver, a later ping with the same payload
   * replaces the callback.
   */
  ping(message?: string | Buffer | null, callback?: () => void): boolean {
    if (this.readyState > 1) return false;
    const payload = bytesOf(message || '');
    if (typeof callback === 'function') {
      const key = pingKey(payload);
      if (!this.#pingCallbacks.has(key) && this.#pingCallbacks.size >= MAX_PING_CALLBACKS) return false;
      this.#pingCallbacks.set(key, callback);
    }
    return this.engine.ping(payload);
  }

  /** Sends an unsolicited pong; false once closing. */
  pong(message?: string | Buffer | null): boolean {
    if (this.readyState > 1) return false;
    return this.engine.pong(bytesOf(message || ''));
  }

  /**
   * Starts the closing handshake, websocket-driver's argument order:
   * `close(reason = '', code = 1000)`. Before open it ends the driver at once.
   */
  close(reason?: string | null, code?: number | null): boolean {
    return this.engine.close(Number(code || 1000), String(reason || ''));
  }

  /** websocket-driver's general sender: `type` is 'text', 'binary', 'ping', 'pong' or 'close'. */
  frame(buffer: string | Buffer | Uint8Array | number[] | number, type?: string, code?: number): boolean {
    switch (type) {
      case 'close':
        return this.close(String(buffer), code);
      case 'ping':
        return this.ping(buffer as string);
      case 'pong':
        return this.pong(buffer as string);
      case 'binary':
        return this.binary(buffer as Buffer);
      case 'text':
        return this.text(typeof buffer === 'number' ? String(buffer) : buffer);
      default:
        return typeof buffer === 'string' || typeof buffer === 'number' ? this.text(String(buffer)) : this.binary(buffer);
    }
  }

  /**
   * Adds a header to the handshake; false once it was sent. A name or
   * value with CR or LF throws (websocket-driver sends it: header
   * injection); a header the driver sets itself is ignored.
   */
  setHeader(name: string, value: unknown): boolean {
    if (this.readyState > 0) return false;
    if (value === undefined) return true;
    try {
      this.engine.setHeader(String(name), String(value));
    } catch (error) {
      if (/[\r\n]/.test(String(name)) || /[\r\n]/.test(String(value))) throw error;
    }
    return true;
  }

  /**
   * Registers a websocket-extensions extension. faye's permessage-deflate
   * is given an inflater capped at `maxLength` (see inflate-cap.ts).
   */
  addExtension(extension: Extension): boolean {
    try {
      return this.engine.addExtension(withInflateCap(extension, this.maxLength));
    } catch (error) {
      // A malformed extension throws; one added after start() is ignored, as in websocket-driver.
      if (error instanceof TypeError) throw error;
      return true;
    }
  }

  /** websocket-driver's text for an engine fault. @internal */
  protected errorText(error: ProtocolError): string {
    return frameErrorText(error);
  }

  /** False for faults websocket-driver does not report on the driver (a client's proxy refusal). @internal */
  protected reportsFault(_error: ProtocolError): boolean {
    return true;
  }

  /** Sends what the engine writes to `io` as `data` chunks. @internal */
  protected emitOutput(bytes: Uint8Array): void {
    if (this.io.readable) this.io.emit('data', asBuffer(bytes));
  }

  /** Listens to the engine driver and re-emits in websocket-driver's shapes. @internal */
  protected attach(engine: EngineDriver): void {
    this.engine = engine;
    engine.on('open', () => this.emit('open', new OpenEvent()));
    engine.on('message', (event) => {
      this.emit('message', new MessageEvent(typeof event.data === 'string' ? event.data : asBuffer(event.data)));
    });
    engine.on('ping', (event) => {
      // websocket-driver answers before it emits `ping` (the engine's own autoPong is off).
      engine.pong(event.data);
      this.emit('ping', new PingEvent(asBuffer(event.data).toString()));
    });
    engine.on('pong', (event) => {
      const key = pingKey(event.data);
      const callback = this.#pingCallbacks.get(key);
      this.#pingCallbacks.delete(key);
      if (callback !== undefined) callback();
      this.emit('pong', new PongEvent(asBuffer(event.data).toString()));
    });
    // Held until `close`: websocket-driver writes its close frame before it emits `error`.
    engine.on('error', (error) => {
      this.#pendingError ??= error;
    });
    engine.on('close', (event) => this.#closed(event));
  }

  #closed(event: EngineCloseEvent): void {
    const error = this.#pendingError;
    this.#pendingError = null;
    this.#pingCallbacks.clear();
    if (error !== null && !this.reportsFault(error)) return;
    let reason = event.reason;
    if (error !== null) {
      reason = this.errorText(error);
      this.emit('error', legacyError(reason, error));
    }
    this.emit('close', new CloseEvent(event.code, reason));
  }
}
