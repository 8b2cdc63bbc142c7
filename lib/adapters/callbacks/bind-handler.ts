/**
 * `bindHandler`: drives a callback object (`onOpen`, `onMessage`,
 * `onDrained`, `onShutdown`, `onClose`) from a driver's events and hands
 * it a small `client` to write to, after the `rack.upgrade` proposal
 * (SPEC-WebSocket-Draft, iodine and friends), so that applications written
 * for that model run over any transport wsdriver runs over.
 *
 * The rules the proposal sets, and where they are kept:
 * - `onOpen` runs once, before any other callback;
 * - `onMessage` runs once per message, in order;
 * - `onDrained` runs when `client.pending()` has been seen above 0, or a
 *   `client.write()` was refused, and the transport's buffer is empty again;
 * - `onShutdown` runs before a shutdown closes the connection;
 * - `onClose` runs once, after the connection is over, and never while
 *   another callback is running: a close that happens inside a callback
 *   is delivered when that callback returns.
 *
 * @module
 */
import type { CloseEvent, DriverEventMap, MessageEvent } from '../../events.js';
import type { Listener } from '../../emitter.js';
import { CloseCode } from '../../errors.js';
import { ReadyState } from '../../connection/connection-state.js';
import { encodeClosePayload } from '../../frame/close-payload.js';
import { PreparedMessage } from '../../frame/prepared-message.js';
import type { RackEnv } from '../../http/request.js';
import type { WriteBuffer } from './write-buffer.js';

/** What {@link bindHandler} needs of a driver; every wsdriver driver has it. */
export interface BindableDriver {
  /** 0 connecting, 1 open, 2 closing, 3 closed, as in the WebSocket API: read when binding (an open driver gets `onOpen` at once) and by `client.isOpen()` and `client.pending()`. */
  readonly readyState: ReadyState;
  /** The agreed subprotocol, shown to the handler as `client.protocol`. */
  readonly protocol: string | null;
  /** Subscribes to the events the callbacks are driven from (`open`, `message`, `close`). */
  on<K extends keyof DriverEventMap>(type: K, listener: Listener<DriverEventMap[K]>): unknown;
  /** Unsubscribes once the connection is over, so a finished binding holds nothing. */
  off<K extends keyof DriverEventMap>(type: K, listener: Listener<DriverEventMap[K]>): unknown;
  /** Sends `client.write()` of a string as a text message, and of bytes with type `'text'`. */
  text(message: string | Uint8Array): boolean;
  /** Sends `client.write()` of bytes as a binary message. */
  binary(message: Uint8Array | ArrayBuffer | ArrayBufferView): boolean;
  /** Sends `client.write()` of a {@link PreparedMessage}; a driver without it sends the message as text or binary. */
  sendPrepared?(message: PreparedMessage): boolean;
  /** Starts the closing handshake for `client.close()` and `shutdown()`. */
  close(code?: number, reason?: string): boolean;
  /** Bytes waiting to go out; above 0 after a refused `client.write()`, `onDrained` is owed. */
  readonly bufferedAmount?: number;
  /** Stops delivery for `client.pause()`; the adapter stops reading the transport (docs/flow-control.md). */
  pause?(): void;
  /** Delivers again for `client.resume()`. */
  resume?(): void;
}

/**
 * The application's side of one connection. Every callback is optional
 * and is called as a method of the handler (`this` is the handler), so a
 * class instance, a plain object or a shared singleton all work.
 */
export interface Handler<D extends BindableDriver = BindableDriver> {
  /** The connection is open (or was already open when bound). Runs before any other callback. */
  onOpen?(client: Client<D>): void;
  /**
   * A whole message: a string for text, a `Uint8Array` for binary. The
   * bytes are the application's to keep: unlike the `rack.upgrade`
   * proposal's recyclable buffer, wsdriver never reuses them. `type` tells
   * text from binary when the driver delivers text as bytes
   * (`decodeText: false`); `client.write(data, type)` sends such text back
   * as text.
   */
  onMessage?(client: Client<D>, data: string | Uint8Array, type: 'text' | 'binary'): void;
  /**
   * `client.pending()` was seen above 0, or a `client.write()` was refused
   * for `maxBufferedBytes`, and the transport has flushed everything since.
   */
  onDrained?(client: Client<D>): void;
  /**
   * The application is shutting down (`shutdown()` on the binding or its
   * {@link ClientGroup}). The connection is still open: a last message
   * written here goes out before the close frame.
   */
  onShutdown?(client: Client<D>): void;
  /**
   * The connection is over, for whatever reason; runs once, and only if
   * `onOpen` ran. `event` says how it ended (code, reason, clean or not).
   */
  onClose?(client: Client<D>, event: CloseEvent): void;
}

/** What the callbacks get to act on their connection. */
export interface Client<D extends BindableDriver = BindableDriver> {
  /**
   * Sends a string as a text message, bytes as a binary one, a
   * {@link PreparedMessage} as its shared frame where the connection can
   * (see `driver.sendPrepared()`). Returns false, sending nothing, once
   * the connection is closing or closed (after `close()` too), if the
   * protocol version cannot carry it (binary on a hixie draft), or while
   * the transport holds more than the driver's `maxBufferedBytes` (then
   * `onDrained` follows once it has flushed: write again there). Throws a
   * TypeError on anything else.
   *
   * `type` overrides the choice by value, as `onMessage` passes it:
   * `'text'` sends bytes as a text message (UTF-8 as they are, no encoding
   * step; a TypeError, sending nothing, if they are not UTF-8, RFC 6455
   * §5.6, whatever the state, as `driver.text()`), `'binary'` takes bytes
   * only. A {@link PreparedMessage} keeps its own type: a different `type`
   * is a TypeError.
   */
  write(data: string | Uint8Array | ArrayBuffer | ArrayBufferView | PreparedMessage, type?: 'text' | 'binary'): boolean;
  /**
   * Starts the closing handshake (default code 1000). Messages already
   * written go out first: the close frame follows them on the wire. Does
   * nothing if the connection is already closing or closed. Throws a
   * RangeError on a code that may not be sent or a reason over 123 bytes.
   */
  close(code?: number, reason?: string): void;
  /** True while the connection is open and no close has been asked for or received. */
  isOpen(): boolean;
  /**
   * Stops `onMessage` calls until `resume()`: the adapter stops reading the
   * transport, so TCP flow control slows the peer, and what was already in
   * flight is held by the driver (up to its `maxPausedBytes`, docs/flow-control.md).
   * Does nothing once closed, or over a driver that cannot pause.
   */
  pause(): void;
  /** Calls `onMessage` again after `pause()`, starting with what was held. */
  resume(): void;
  /**
   * -1 once the connection is closed; otherwise the bytes written to the
   * transport and not yet flushed (0 when bound without a
   * {@link WriteBuffer}). Seeing a value above 0 here or after a `write`
   * promises an `onDrained` call when it is back to 0.
   */
  pending(): number;
  /** The subprotocol agreed in the handshake, or null (the `rack.upgrade` draft's `protocol` is `:websocket`; this is the WebSocket API's meaning). */
  readonly protocol: string | null;
  /** A server connection's request as a Rack-style env; null on a client, or before the request arrives. */
  readonly env: RackEnv | null;
  /** The handler this client is bound to. */
  readonly handler: Handler<D>;
  /** The driver underneath, for what the callback model has no word for (`ping()`, `extensions`, `version`). */
  readonly driver: D;
}

/** What {@link bindHandler} returns. */
export interface Binding<D extends BindableDriver = BindableDriver> {
  /** The client the handler's callbacks receive, for writing to the connection from outside them. */
  readonly client: Client<D>;
  /**
   * Announces a shutdown: calls `onShutdown` if the connection is open,
   * then closes it with `code` (default 1001 Going Away) and `reason`. A
   * connection still in its handshake is shut down as soon as it opens
   * (`onOpen`, `onShutdown`, then the close), so its peer learns why
   * rather than seeing the handshake cut. Does nothing once closed or
   * already shut down. Throws a
   * RangeError on a code that may not be sent or a reason over 123 bytes;
   * an exception from `onShutdown` is rethrown after the close is sent.
   */
  shutdown(code?: number, reason?: string): void;
}

/**
 * Binds `handler` to `driver`. If the driver is already open, `onOpen`
 * runs before this returns; if it is still in its handshake, `onOpen`
 * runs on its `open` event; a closing or closed driver gets no callbacks.
 *
 * Pass the transport's {@link WriteBuffer} (`writeBuffer(stream)` from
 * `wsdriver/node`, `connection.writeBuffer` from `wsdriver/streams`) for
 * `client.pending()` and `onDrained` to report the transport's buffer;
 * without it `pending()` is 0 while the connection lasts and `onDrained`
 * never runs, as the proposal allows.
 *
 * An exception thrown by a callback surfaces as a driver listener's does
 * (from the `parse()` call that was running); one thrown by `onDrained`,
 * which runs when the transport reports a flush, is rethrown on a
 * microtask.
 */
export function bindHandler<D extends BindableDriver>(driver: D, handler: Handler<D>, buffer?: WriteBuffer): Binding<D> {
  return new BoundClient(driver, handler, buffer, undefined).binding;
}

/** Throws a TypeError unless `data` can be written as `type` (see {@link Client.write}); text bytes are checked by `text()` itself. */
function checkWriteType(data: string | Uint8Array | ArrayBuffer | ArrayBufferView | PreparedMessage, type: unknown): void {
  if (type !== 'text' && type !== 'binary') throw new TypeError("write() type must be 'text' or 'binary'");
  const own = typeof data === 'string' ? 'text' : data instanceof PreparedMessage ? (data.text !== null ? 'text' : 'binary') : null;
  if (own !== null && own !== type) throw new TypeError(`write(data, '${type}'): data is ${own}, a string or a PreparedMessage keeps its type`);
}

/** Bytes given as an `ArrayBuffer` or any view, as a `Uint8Array` over the same memory. */
function asUint8Array(data: Uint8Array | ArrayBuffer | ArrayBufferView): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Throws unless `shutdown(code, reason)` can be sent in a close frame. */
export function checkShutdownArguments(code: number, reason: string): void {
  if (typeof reason !== 'string') throw new TypeError('shutdown() reason must be a string');
  encodeClosePayload(code, reason);
}

/**
 * One bound connection: the client the callbacks see, and the state that
 * orders the callbacks. Used by {@link bindHandler} and `ClientGroup`.
 */
export class BoundClient<D extends BindableDriver> implements Client<D> {
  readonly driver: D;
  readonly handler: Handler<D>;
  readonly binding: Binding<D>;
  readonly #buffer: WriteBuffer | undefined;
  readonly #onFinished: (() => void) | undefined;

  /** `onOpen` has run (or is running). */
  #opened = false;
  /** The driver emitted `close`; every listener is gone. */
  #closed = false;
  /** `close()` or a shutdown asked the driver to close. */
  #closeAsked = false;
  /** The shutdown asked for, done or waiting for the connection to open. */
  #shutdownAsked: { readonly code: number; readonly reason: string } | null = null;
  /** Callbacks running right now, nested; `onClose` waits for 0. */
  #depth = 0;
  #heldClose: CloseEvent | null = null;
  /** `pending()` was seen above 0: `onDrained` is owed. */
  #drainOwed = false;
  /**
   * Removes the listeners this binding added to the driver and the write
   * buffer. One field for them all: a class defined through private names
   * stays a fast-property object only up to 15 fields, brand counted
   * (test/perf/object-shapes.test.ts).
   */
  #unbind: (() => void) | null = null;

  constructor(driver: D, handler: Handler<D>, buffer: WriteBuffer | undefined, onFinished: (() => void) | undefined) {
    if (driver === null || typeof driver !== 'object' || typeof driver.on !== 'function') {
      throw new TypeError('bindHandler() needs a wsdriver driver');
    }
    // A function is fine too: a class whose callbacks are static methods.
    if (handler === null || (typeof handler !== 'object' && typeof handler !== 'function')) {
      throw new TypeError('bindHandler() needs a handler object');
    }
    if (buffer !== undefined && (typeof buffer.pending !== 'function' || typeof buffer.onFlush !== 'function')) {
      throw new TypeError('the write buffer must have pending() and onFlush(listener)');
    }
    this.driver = driver;
    this.handler = handler;
    this.#buffer = buffer;
    this.#onFinished = onFinished;
    this.binding = {
      client: this,
      shutdown: (code: number = CloseCode.GOING_AWAY, reason = '') => this.#shutdown(code, reason),
    };

    const readyState = driver.readyState;
    if (readyState === ReadyState.CLOSED) {
      this.#closed = true;
      return;
    }
    const onOpen = () => this.#open();
    const onMessage = (event: MessageEvent) => {
      if (this.#opened && !this.#closed) this.#invoke(() => this.handler.onMessage?.(this, event.data, event.type));
    };
    const onClose = (event: CloseEvent) => this.#finish(event);
    // The transport's flush, and the driver's own drain (after a write refused for maxBufferedBytes).
    const onFlushed = () => this.#flushed();
    driver.on('open', onOpen);
    driver.on('message', onMessage);
    driver.on('close', onClose);
    driver.on('drain', onFlushed);
    const stopFlushListener = buffer?.onFlush(onFlushed);
    this.#unbind = () => {
      driver.off('open', onOpen);
      driver.off('message', onMessage);
      driver.off('close', onClose);
      driver.off('drain', onFlushed);
      stopFlushListener?.();
    };
    // A closing driver is only followed to its close: it will never be open for this handler.
    if (readyState === ReadyState.OPEN) this.#open();
  }

  /** The driver has emitted `close` (and `onClose` has run, or was not owed). */
  get finished(): boolean {
    return this.#closed && this.#heldClose === null;
  }

  get protocol(): string | null {
    return this.driver.protocol;
  }

  get env(): RackEnv | null {
    const env = (this.driver as { env?: RackEnv | null }).env;
    return env ?? null;
  }

  write(data: string | Uint8Array | ArrayBuffer | ArrayBufferView | PreparedMessage, type?: 'text' | 'binary'): boolean {
    const isText = typeof data === 'string';
    const isPrepared = data instanceof PreparedMessage;
    if (!isText && !isPrepared && !ArrayBuffer.isView(data) && !(data instanceof ArrayBuffer)) {
      throw new TypeError('write() takes a string (sent as text), bytes (sent as binary) or a PreparedMessage');
    }
    if (type !== undefined) checkWriteType(data, type);
    // Bytes as text are checked whatever the state, as driver.text() checks
    // them (a TypeError, not false, for bytes that are not UTF-8); the driver
    // is closing or closed by now, so it only checks them and returns false.
    if (this.#closed || this.#closeAsked) return type === 'text' && !isText && !isPrepared && this.driver.text(asUint8Array(data));
    const sent = isText
      ? this.driver.text(data)
      : isPrepared
        ? this.#writePrepared(data)
        : type === 'text'
          ? this.driver.text(asUint8Array(data))
          : this.driver.binary(data);
    if (sent) this.#notePending();
    // Refused for maxBufferedBytes (bytes buffered; a driver without the
    // count has none): the driver emits drain once the transport has taken
    // it all. (A refusal for another reason, binary on a hixie draft,
    // leaves nothing buffered.)
    else if (this.driver.bufferedAmount) this.#drainOwed = true;
    return sent;
  }

  #writePrepared(message: PreparedMessage): boolean {
    if (this.driver.sendPrepared !== undefined) return this.driver.sendPrepared(message);
    return message.text !== null ? this.driver.text(message.text) : this.driver.binary(message.payload);
  }

  close(code: number = CloseCode.NORMAL, reason = ''): void {
    if (this.#closed || this.#closeAsked) return;
    // The driver checks the arguments before it changes anything.
    this.driver.close(code, reason);
    this.#closeAsked = true;
  }

  pause(): void {
    if (!this.#closed) this.driver.pause?.();
  }

  resume(): void {
    if (!this.#closed) this.driver.resume?.();
  }

  isOpen(): boolean {
    return this.#opened && !this.#closed && !this.#closeAsked && this.driver.readyState === ReadyState.OPEN;
  }

  pending(): number {
    if (this.#closed || this.driver.readyState === ReadyState.CLOSED) return -1;
    return this.#notePending();
  }

  /** Reads the transport's buffer; a non-zero value makes `onDrained` owed. */
  #notePending(): number {
    const pending = this.#buffer?.pending() ?? 0;
    if (pending > 0) this.#drainOwed = true;
    return pending;
  }

  #open(): void {
    if (this.#opened || this.#closed) return;
    this.#opened = true;
    this.#invoke(() => this.handler.onOpen?.(this));
    if (this.#shutdownAsked !== null) {
      this.#shutDownOpen(this.#shutdownAsked);
      return;
    }
    // Bytes written before open may have drained while onOpen could not yet be followed.
    if (this.#drainOwed) this.#flushed();
  }

  #flushed(): void {
    if (!this.#drainOwed || !this.#opened || this.#closed) return;
    if ((this.#buffer?.pending() ?? 0) > 0) return;
    this.#drainOwed = false;
    try {
      this.#invoke(() => this.handler.onDrained?.(this));
    } catch (error) {
      // The transport's flush loop is not the application's call stack.
      queueMicrotask(() => {
        throw error;
      });
    }
  }

  #shutdown(code: number, reason: string): void {
    checkShutdownArguments(code, reason);
    if (this.#closed || this.#shutdownAsked !== null) return;
    this.#shutdownAsked = { code, reason };
    // Still in the handshake: #open() finishes the job.
    if (!this.#opened && this.driver.readyState === ReadyState.CONNECTING) return;
    this.#shutDownOpen(this.#shutdownAsked);
  }

  #shutDownOpen({ code, reason }: { readonly code: number; readonly reason: string }): void {
    if (this.#closed) return;
    try {
      if (this.isOpen()) this.#invoke(() => this.handler.onShutdown?.(this));
    } finally {
      // onShutdown may have closed it already (client.close(), or a write that failed it).
      if (!this.#closed && !this.#closeAsked) {
        this.#closeAsked = true;
        this.driver.close(code, reason);
      }
    }
  }

  #finish(event: CloseEvent): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#drainOwed = false;
    this.#unbind?.();
    this.#unbind = null;
    if (!this.#opened) {
      this.#onFinished?.();
      return;
    }
    // The proposal: onClose MUST NOT run while another callback is running.
    if (this.#depth > 0) this.#heldClose = event;
    else this.#deliverClose(event);
  }

  #deliverClose(event: CloseEvent): void {
    try {
      this.handler.onClose?.(this, event);
    } finally {
      this.#onFinished?.();
    }
  }

  /** Runs a callback; a close that happened meanwhile is delivered once the outermost one returns. */
  #invoke(callback: () => void): void {
    this.#depth++;
    try {
      callback();
    } finally {
      if (--this.#depth === 0 && this.#heldClose !== null) {
        const event = this.#heldClose;
        this.#heldClose = null;
        this.#deliverClose(event);
      }
    }
  }
}
