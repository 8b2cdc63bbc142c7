/**
 * A WebSocketStream-shaped API over any driver, on any transport: the shape
 * Chromium ships and undici 7 implements (`opened` → `{ readable,
 * writable, protocol, extensions }`, `closed` → `{ closeCode, reason }` or
 * a rejection on an unclean close, `close({ closeCode, reason })`), with
 * backpressure carried by the streams: a reader that does not pull pauses
 * the driver (so the adapters stop reading the transport), and a writer's
 * `write()` settles once the message has been handed to the socket,
 * waiting for `drain` when the driver refuses it for `maxBufferedBytes`.
 * Also `messages(stream)`, an async iterator of the messages.
 *
 * Text kept as bytes (`decodeText: false`) needs the message type to be told
 * from binary: `webSocketStream(driver, { withType: true })` makes every
 * chunk read a {@link TypedMessage} (`{ data, type }`, as the driver's
 * `message` event), and the writable side takes a `TypedMessage` too, so
 * `{ data: bytes, type: 'text' }` sends UTF-8 bytes as text.
 *
 * Portable: no Node module, so it runs in browsers, workers, Deno and Bun.
 *
 * @module
 */
import type { DriverEventMap } from '../../events.js';
import type { Listener } from '../../emitter.js';
import type { NegotiatedExtension } from '../../extensions/extension.js';

/** What {@link webSocketStream} needs of a driver; every RFC 6455 wsdriver driver has it. */
export interface StreamableDriver {
  /** Read to resolve `opened` at once for a driver already open. */
  readonly readyState: number;
  /** Becomes `protocol` in `opened` (`''` for none). */
  readonly protocol: string | null;
  /** Become `extensions` in `opened`, as a header value. */
  readonly extensions: readonly NegotiatedExtension[];
  /** Used for `message`. */
  on<K extends keyof DriverEventMap>(type: K, listener: Listener<DriverEventMap[K]>): unknown;
  /** Used for `open`, `close` and `drain`. */
  once<K extends keyof DriverEventMap>(type: K, listener: Listener<DriverEventMap[K]>): unknown;
  /** Sends a string written to `writable`, or the bytes of a `{ data, type: 'text' }` chunk. */
  text(message: string | Uint8Array, done?: (error?: Error) => void): boolean;
  /** Sends bytes written to `writable`. */
  binary(message: Uint8Array, done?: (error?: Error) => void): boolean;
  /** Used by `close()` and by cancelling or closing the streams. */
  close(code?: number, reason?: string): boolean;
  /** Called when the reader is behind. */
  pause(): void;
  /** Called when the reader pulls. */
  resume(): void;
}

/**
 * A message with its type, as the driver's `message` event has it: what the
 * readable side yields with `withType`, and what the writable side takes to
 * send bytes as text.
 */
export interface TypedMessage {
  /** A string (text), or bytes: binary, or UTF-8 text with `decodeText: false`. */
  readonly data: string | Uint8Array;
  /** The message's type (opcode). */
  readonly type: 'text' | 'binary';
}

/** What the writable side takes: a string is sent as text, bytes as binary, a {@link TypedMessage} as its `type` says. */
export type WebSocketStreamChunk = string | ArrayBuffer | ArrayBufferView | TypedMessage;

/** Options of {@link webSocketStream}. */
export interface WebSocketStreamOptions {
  /**
   * True: every chunk read is a {@link TypedMessage} (`{ data, type }`)
   * rather than the bare data. Needed with `decodeText: false`, where text
   * arrives as bytes: without it, such a message errors the readable side
   * (a `TypeError`) and closes the connection with 1011.
   */
  readonly withType?: boolean;
}

/** What `opened` resolves to; `M` is what the readable side yields. */
export interface WebSocketStreamOpenInfo<M = string | Uint8Array> {
  /** The messages received: strings for text, `Uint8Array` for binary, or each as a {@link TypedMessage} with `withType`. */
  readonly readable: ReadableStream<M>;
  /** Messages to send: a string is sent as text, bytes (`ArrayBuffer` or a view) as binary, a {@link TypedMessage} as its `type` says. */
  readonly writable: WritableStream<WebSocketStreamChunk>;
  /** The agreed subprotocol, or `''`. */
  readonly protocol: string;
  /** The agreed extensions as a `Sec-WebSocket-Extensions` value, or `''`. */
  readonly extensions: string;
}

/** A close code and reason, as `closed` resolves to and `close()` takes. */
export interface WebSocketCloseInfo {
  /** The close code: sent by `close()` (default 1000), received in `closed`. */
  closeCode?: number;
  /** The reason, at most 123 bytes of UTF-8; default `''`. */
  reason?: string;
}

/** How `closed` (and `opened`, before open) reject on an unclean close; named `WebSocketError` as in the WebSocketStream proposal. */
export class WebSocketStreamError extends Error {
  /** Always `'WebSocketError'`, as in the proposal. */
  override readonly name = 'WebSocketError';
  /** The close code reported (1006 when the transport ended with no closing handshake). */
  readonly closeCode: number;
  /** The reason reported, or `''`. */
  readonly reason: string;

  constructor(message: string, closeCode: number, reason: string) {
    super(message);
    this.closeCode = closeCode;
    this.reason = reason;
  }
}

/** The WebSocketStream shape: see the module comment. `M` is what the readable side yields. */
export interface WebSocketStreamLike<M = string | Uint8Array> {
  /** Resolves once the connection is open; rejects if it closes first. */
  readonly opened: Promise<WebSocketStreamOpenInfo<M>>;
  /** Resolves on a clean close with its code and reason; rejects with a {@link WebSocketStreamError} on an unclean one. */
  readonly closed: Promise<Required<WebSocketCloseInfo>>;
  /** Starts the closing handshake. */
  close(info?: WebSocketCloseInfo): void;
}

/** Messages the readable side queues before it pauses the driver (a count, as the proposal's default strategy). */
const READ_HIGH_WATER_MARK = 16;

/**
 * Wraps `driver` (made by any adapter, before or after it opens) in the
 * WebSocketStream shape. Call it before the driver opens to see every
 * message. With `{ withType: true }` each chunk read is a
 * {@link TypedMessage}: use it with `decodeText: false`.
 */
export function webSocketStream(driver: StreamableDriver, options?: WebSocketStreamOptions & { readonly withType?: false }): WebSocketStreamLike;
export function webSocketStream(driver: StreamableDriver, options: WebSocketStreamOptions & { readonly withType: true }): WebSocketStreamLike<TypedMessage>;
export function webSocketStream(driver: StreamableDriver, options?: WebSocketStreamOptions): WebSocketStreamLike<string | Uint8Array | TypedMessage>;
export function webSocketStream(driver: StreamableDriver, options: WebSocketStreamOptions = {}): WebSocketStreamLike<string | Uint8Array | TypedMessage> {
  const withType = options.withType === true;
  let controller!: ReadableStreamDefaultController<string | Uint8Array | TypedMessage>;
  // False once the readable side was closed, errored or cancelled.
  let readableOpen = true;
  const readable = new ReadableStream<string | Uint8Array | TypedMessage>(
    {
      start(c) {
        controller = c;
      },
      // The reader wants more: read the transport again.
      pull() {
        driver.resume();
      },
      cancel() {
        readableOpen = false;
        driver.close(1000, '');
      },
    },
    { highWaterMark: READ_HIGH_WATER_MARK },
  );

  const writable = new WritableStream<WebSocketStreamChunk>({
    write: (chunk) => send(driver, chunk),
    close() {
      driver.close(1000, '');
    },
    abort() {
      driver.close(1000, '');
    },
  });

  driver.on('message', (event) => {
    if (!readableOpen) return;
    if (!withType && event.type === 'text' && typeof event.data !== 'string') {
      // Bare bytes would pass for binary: fail loudly rather than mislabel the message.
      readableOpen = false;
      controller.error(new TypeError('text arrived as bytes (decodeText: false): use webSocketStream(driver, { withType: true }) to tell it from binary'));
      driver.close(1011, 'text as bytes on a stream without withType');
      return;
    }
    controller.enqueue(withType ? { data: event.data, type: event.type } : event.data);
    // The reader is behind: stop reading the transport until it pulls.
    if ((controller.desiredSize ?? 1) <= 0) driver.pause();
  });

  const opened = new Promise<WebSocketStreamOpenInfo<string | Uint8Array | TypedMessage>>((resolve, reject) => {
    const info = () => ({ readable, writable, protocol: driver.protocol ?? '', extensions: serializeExtensions(driver.extensions) });
    if (driver.readyState === 1 || driver.readyState === 2) resolve(info());
    else driver.once('open', () => resolve(info()));
    driver.once('close', (event) => reject(new WebSocketStreamError('the connection closed before it opened', event.code, event.reason)));
  });
  const closed = new Promise<Required<WebSocketCloseInfo>>((resolve, reject) => {
    driver.once('close', (event) => {
      // A readable side already cancelled or failed takes no more calls.
      const endReadable = readableOpen;
      readableOpen = false;
      if (event.wasClean) {
        if (endReadable) controller.close();
        resolve({ closeCode: event.code, reason: event.reason });
      } else {
        const error = new WebSocketStreamError('unclean close', event.code, event.reason);
        if (endReadable) controller.error(error);
        reject(error);
      }
    });
  });
  // Rejections are for whoever awaits them; none is an unhandled error on its own.
  opened.catch(() => {});
  closed.catch(() => {});

  return {
    opened,
    closed,
    close(info: WebSocketCloseInfo = {}) {
      driver.close(info.closeCode ?? 1000, info.reason ?? '');
    },
  };
}

/**
 * The messages of a {@link webSocketStream} as an async iterator: strings
 * and `Uint8Array`s (or {@link TypedMessage}s with `withType`), in order,
 * until the connection closes cleanly; it throws the `WebSocketError` of an
 * unclean close. Not pulling pauses the driver, as with the readable stream.
 */
export async function* messages<M>(stream: WebSocketStreamLike<M>): AsyncGenerator<M, void, undefined> {
  const { readable } = await stream.opened;
  const reader = readable.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/** The bytes of an `ArrayBuffer` or a view, as a `Uint8Array`; undefined for anything else. */
function bytesOf(data: unknown): Uint8Array | undefined {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return undefined;
}

/** A written chunk as what to send: text (a string or UTF-8 bytes) or binary bytes; a TypeError for anything else. */
function outgoing(chunk: WebSocketStreamChunk): { readonly text: boolean; readonly data: string | Uint8Array } | TypeError {
  if (typeof chunk === 'string') return { text: true, data: chunk };
  const bytes = bytesOf(chunk);
  if (bytes !== undefined) return { text: false, data: bytes };
  const { data, type } = (chunk ?? {}) as Partial<TypedMessage>;
  if (type === 'text' && typeof data === 'string') return { text: true, data };
  const typed = type === 'text' || type === 'binary' ? bytesOf(data) : undefined;
  if (typed !== undefined) return { text: type === 'text', data: typed };
  return new TypeError("write a string, an ArrayBuffer, an ArrayBufferView, or { data, type } with type 'text' (a string or UTF-8 bytes) or 'binary' (bytes)");
}

/** Sends one chunk, waiting for `drain` while the driver refuses it; settles once handed to the socket. */
function send(driver: StreamableDriver, chunk: WebSocketStreamChunk): Promise<void> {
  const message = outgoing(chunk);
  if (message instanceof TypeError) return Promise.reject(message);
  // Copied: the caller may reuse its buffer once write() resolves, and a server may hand large payloads on by reference.
  const data = typeof message.data === 'string' ? message.data : message.data.slice();
  return new Promise<void>((resolve, reject) => {
    const attempt = () => {
      if (driver.readyState !== 1) {
        reject(new WebSocketStreamError('the connection is not open', 1006, ''));
        return;
      }
      const done = (error?: Error) => (error === undefined ? resolve() : reject(error));
      // text() throws a TypeError for bytes that are not UTF-8 (RFC 6455 §5.6): the write rejects with it, nothing sent.
      let sent: boolean;
      try {
        sent = message.text ? driver.text(data, done) : driver.binary(data as Uint8Array, done);
      } catch (error) {
        reject(error);
        return;
      }
      if (sent) return;
      // Refused for maxBufferedBytes: try again once the transport drains, or give up when it closes.
      const onDrain = () => attempt();
      driver.once('drain', onDrain);
      driver.once('close', () => reject(new WebSocketStreamError('the connection closed before the message was sent', 1006, '')));
    };
    attempt();
  });
}

/** One parameter as written in the header: a bare name for `true`. */
function paramText(key: string, value: unknown): string {
  return value === true ? key : `${key}=${String(value)}`;
}

/** Negotiated extensions as a `Sec-WebSocket-Extensions` value. */
function serializeExtensions(extensions: readonly NegotiatedExtension[]): string {
  return extensions
    .map(({ name, params }) =>
      [name, ...Object.entries(params).flatMap(([key, value]) => (Array.isArray(value) ? value : [value]).map((one) => paramText(key, one)))].join('; '),
    )
    .join(', ');
}
