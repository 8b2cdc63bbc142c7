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
  /** Sends a string written to `writable`. */
  text(message: string, done?: (error?: Error) => void): boolean;
  /** Sends bytes written to `writable`. */
  binary(message: Uint8Array, done?: (error?: Error) => void): boolean;
  /** Used by `close()` and by cancelling or closing the streams. */
  close(code?: number, reason?: string): boolean;
  /** Called when the reader is behind. */
  pause(): void;
  /** Called when the reader pulls. */
  resume(): void;
}

/** What `opened` resolves to. */
export interface WebSocketStreamOpenInfo {
  /** The messages received: strings for text, `Uint8Array` for binary. */
  readonly readable: ReadableStream<string | Uint8Array>;
  /** Messages to send: a string is sent as text, bytes (`ArrayBuffer` or a view) as binary. */
  readonly writable: WritableStream<string | ArrayBuffer | ArrayBufferView>;
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

/** The WebSocketStream shape: see the module comment. */
export interface WebSocketStreamLike {
  /** Resolves once the connection is open; rejects if it closes first. */
  readonly opened: Promise<WebSocketStreamOpenInfo>;
  /** Resolves on a clean close with its code and reason; rejects with a {@link WebSocketStreamError} on an unclean one. */
  readonly closed: Promise<Required<WebSocketCloseInfo>>;
  /** Starts the closing handshake. */
  close(info?: WebSocketCloseInfo): void;
}

/** Messages the readable side queues before it pauses the driver (a count, as the proposal's default strategy). */
const READ_HIGH_WATER_MARK = 16;

/**
 * Wraps `driver` (made by any adapter, before or after it opens) in the
 * WebSocketStream shape. Call it before the driver opens to see every message.
 */
export function webSocketStream(driver: StreamableDriver): WebSocketStreamLike {
  let controller!: ReadableStreamDefaultController<string | Uint8Array>;
  const readable = new ReadableStream<string | Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      // The reader wants more: read the transport again.
      pull() {
        driver.resume();
      },
      cancel() {
        driver.close(1000, '');
      },
    },
    { highWaterMark: READ_HIGH_WATER_MARK },
  );

  const writable = new WritableStream<string | ArrayBuffer | ArrayBufferView>({
    write: (chunk) => send(driver, chunk),
    close() {
      driver.close(1000, '');
    },
    abort() {
      driver.close(1000, '');
    },
  });

  let readableOpen = true;
  driver.on('message', (event) => {
    if (!readableOpen) return;
    controller.enqueue(event.data);
    // The reader is behind: stop reading the transport until it pulls.
    if ((controller.desiredSize ?? 1) <= 0) driver.pause();
  });

  const opened = new Promise<WebSocketStreamOpenInfo>((resolve, reject) => {
    const info = () => ({ readable, writable, protocol: driver.protocol ?? '', extensions: serializeExtensions(driver.extensions) });
    if (driver.readyState === 1 || driver.readyState === 2) resolve(info());
    else driver.once('open', () => resolve(info()));
    driver.once('close', (event) => reject(new WebSocketStreamError('the connection closed before it opened', event.code, event.reason)));
  });
  const closed = new Promise<Required<WebSocketCloseInfo>>((resolve, reject) => {
    driver.once('close', (event) => {
      readableOpen = false;
      if (event.wasClean) {
        controller.close();
        resolve({ closeCode: event.code, reason: event.reason });
      } else {
        const error = new WebSocketStreamError('unclean close', event.code, event.reason);
        controller.error(error);
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
 * and `Uint8Array`s, in order, until the connection closes cleanly; it
 * throws the `WebSocketError` of an unclean close. Not pulling pauses the
 * driver, as with the readable stream.
 */
export async function* messages(stream: WebSocketStreamLike): AsyncGenerator<string | Uint8Array, void, undefined> {
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

/** Sends one chunk, waiting for `drain` while the driver refuses it; settles once handed to the socket. */
function send(driver: StreamableDriver, chunk: string | ArrayBuffer | ArrayBufferView): Promise<void> {
  const bytes = typeof chunk === 'string' ? null : chunk instanceof ArrayBuffer ? new Uint8Array(chunk) : ArrayBuffer.isView(chunk) ? new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength) : undefined;
  if (bytes === undefined) return Promise.reject(new TypeError('write a string, an ArrayBuffer or an ArrayBufferView'));
  return new Promise<void>((resolve, reject) => {
    const attempt = () => {
      if (driver.readyState !== 1) {
        reject(new WebSocketStreamError('the connection is not open', 1006, ''));
        return;
      }
      const done = (error?: Error) => (error === undefined ? resolve() : reject(error));
      // Copied: the caller may reuse its buffer once write() resolves, and a server may hand large payloads on by reference.
      const sent = bytes === null ? driver.text(chunk as string, done) : driver.binary(bytes.slice(), done);
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
