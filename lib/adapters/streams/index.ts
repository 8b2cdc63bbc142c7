/**
 * Runs a driver over a pair of WHATWG byte streams: anything that offers a
 * `ReadableStream<Uint8Array>` and a `WritableStream<Uint8Array>`, such as
 * Deno's TCP and TLS connections, Cloudflare's `connect()` sockets, a
 * WebTransport bidirectional stream, or Node's `Duplex.toWeb(socket)`.
 * (Bun's `Bun.connect` sockets have no streams: see `wsdriver/sockets`.)
 *
 * Portable: no Node module is used, so this runs in browsers and workers.
 *
 * @module wsdriver/streams
 */
import type { Socket, SocketInfo } from '../../events.js';
import type { WriteBuffer } from '../callbacks/write-buffer.js';

/** A bidirectional byte stream. */
export interface ByteStreamPair {
  /** The bytes the peer sends; every chunk read is handed to `driver.parse()`. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Where the driver's output goes; closed once the driver emits `close`. */
  readonly writable: WritableStream<Uint8Array>;
}

/** The driver methods the adapter calls; every wsdriver driver has them. */
export interface StreamDrivenDriver {
  /** Receives each chunk the readable side delivers; takes ownership of it. */
  parse(bytes: Uint8Array): void;
  /**
   * Called once the readable side has ended (`close` 1006 if no close
   * handshake completed), or with the error when either side failed (an
   * `error` event with `TRANSPORT_ERROR` first).
   */
  transportClosed(cause?: unknown): void;
  /** Called when the writable side is ready again after a write returned false. */
  transportDrained?(): void;
  /** While true, the readable side is not read (backpressure to the peer). */
  readonly isPaused?: boolean;
  /** Used to close the writable side when the WebSocket connection is over, and for `resume`. */
  on(type: 'close' | 'resume', listener: () => void): unknown;
}

/** What {@link runOverStreams} returns besides the driver. */
export interface StreamConnection<D> {
  /** The driver `makeDriver` returned, already reading from the streams. */
  readonly driver: D;
  /** Settles when the readable side has ended and the writer is closed. */
  readonly done: Promise<void>;
  /** Bytes handed to the writable stream that it has not yet accepted. */
  readonly bufferedAmount: () => number;
  /** The same count with flush notices, for `wsdriver/callbacks` (`client.pending()`, `onDrained`). */
  readonly writeBuffer: WriteBuffer;
  /** Drops the transport at once: both sides are aborted and the driver reports 1006. */
  readonly terminate: () => void;
}

/**
 * Makes a driver over `streams` with `makeDriver` (for example
 * `(socket) => Driver.client(socket)`), then feeds it everything the
 * readable side delivers. When the driver closes, the writable side is
 * closed; when the readable side ends, the driver is told the transport
 * closed. When either side fails (a read rejects, or the writable side
 * errors), the driver gets the error (`error` with `TRANSPORT_ERROR` and
 * the error as `cause`, then `close` 1006) and the other side is
 * cancelled. Call `driver.start()` yourself, as with any driver.
 *
 * Backpressure both ways (docs/flow-control.md): a write returns false
 * once the writable side's queue is full (`desiredSize` at 0 or below),
 * and the driver is told when it is ready again; while the driver is
 * paused, the readable side is not read, so the stream's own
 * backpressure reaches the peer.
 */
export function runOverStreams<D extends StreamDrivenDriver>(
  streams: ByteStreamPair,
  makeDriver: (socket: Socket) => D,
  info: SocketInfo = {},
): StreamConnection<D> {
  const writer = streams.writable.getWriter();
  let buffered = 0;
  let flushListeners: Set<() => void> | null = null;
  const flushed = (bytes: Uint8Array) => {
    buffered -= bytes.length;
    if (flushListeners !== null) for (const listener of [...flushListeners]) listener();
  };
  let writerClosed = false;
  const closeWriter = () => {
    if (writerClosed) return;
    writerClosed = true;
    writer.close().catch(() => {
      // The peer may already have gone; nothing is left to flush.
    });
  };
  let waitingForReady = false;
  const socket: Socket = {
    write(bytes: Uint8Array): boolean {
      if (writerClosed) return true;
      buffered += bytes.length;
      writer.write(bytes).then(
        () => flushed(bytes),
        () => flushed(bytes),
      );
      const size = writer.desiredSize;
      if (size === null || size > 0) return true;
      if (!waitingForReady) {
        waitingForReady = true;
        writer.ready.then(
          () => {
            waitingForReady = false;
            driver.transportDrained?.();
          },
          () => {
            // The sink failed: writer.closed reports it.
          },
        );
      }
      return false;
    },
    get bufferedAmount(): number {
      return buffered;
    },
    ...(info.url !== undefined ? { url: info.url } : {}),
    ...(info.env !== undefined ? { env: info.env } : {}),
  };
  const driver = makeDriver(socket);
  driver.on('close', closeWriter);
  const reader = streams.readable.getReader();
  // The writable side failing (the peer reset, a sink error) ends the
  // connection as a failed read does; the read side is cancelled.
  writer.closed.catch((error: unknown) => {
    writerClosed = true;
    driver.transportClosed(error);
    reader.cancel(error).catch(() => {
      // Already ended or failed: nothing more to read either way.
    });
  });
  let terminated: (() => void) | null = null;
  const stopped = new Promise<void>((resolve) => (terminated = resolve));
  const done = pump(reader, driver, stopped).finally(closeWriter);
  const terminate = () => {
    terminated?.();
    writerClosed = true;
    writer.abort().catch(() => {});
  };
  const writeBuffer: WriteBuffer = {
    pending: () => buffered,
    onFlush(listener) {
      const onFlush = () => listener();
      (flushListeners ??= new Set()).add(onFlush);
      return () => void flushListeners?.delete(onFlush);
    },
  };
  return { driver, done, bufferedAmount: () => buffered, writeBuffer, terminate };
}

/** Resolves when the driver emits `resume` and is no longer paused (at once if it is not paused). */
function whenResumed(driver: StreamDrivenDriver): Promise<void> {
  if (driver.isPaused !== true) return Promise.resolve();
  return new Promise((resolve) => {
    const onResume = () => {
      if (driver.isPaused === true) return;
      (driver as { off?: (type: 'resume', listener: () => void) => unknown }).off?.('resume', onResume);
      resolve();
    };
    driver.on('resume', onResume);
  });
}

async function pump(reader: ReadableStreamDefaultReader<Uint8Array>, driver: StreamDrivenDriver, stopped: Promise<void>): Promise<void> {
  let failure: unknown;
  const STOP = Symbol('stop');
  const stop = stopped.then(() => STOP);
  for (;;) {
    let chunk: Uint8Array;
    try {
      // Not read while the driver is paused: the stream's queue fills, and its backpressure reaches the peer.
      if (driver.isPaused === true && (await Promise.race([whenResumed(driver), stop])) === STOP) break;
      const result = await Promise.race([reader.read(), stop]);
      if (typeof result === 'symbol') break;
      const { value, done } = result;
      if (done) break;
      chunk = value;
    } catch (error) {
      // A failed read is the transport ending badly: reported with its cause below.
      failure = error ?? new Error('the readable stream failed');
      break;
    }
    try {
      driver.parse(chunk);
    } catch (error) {
      // A listener of the application's threw. The driver is consistent and
      // the stream is fine: report it as DOM EventTarget does, and go on.
      queueMicrotask(() => {
        throw error;
      });
    }
  }
  // terminate() may leave a read pending: cancelling ends it before the lock is released.
  reader.cancel().catch(() => {});
  reader.releaseLock();
  driver.transportClosed(failure);
}

export {
  messages,
  webSocketStream,
  WebSocketStreamError,
  type StreamableDriver,
  type TypedMessage,
  type WebSocketCloseInfo,
  type WebSocketStreamChunk,
  type WebSocketStreamLike,
  type WebSocketStreamOpenInfo,
  type WebSocketStreamOptions,
} from './websocket-stream.js';
// Types this entry point's functions take, declared elsewhere.
export type { SocketInfo } from '../../events.js';
export type { WriteBuffer } from '../callbacks/write-buffer.js';
