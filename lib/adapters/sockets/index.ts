/**
 * Runs a driver over a handler-style socket: one whose bytes arrive through
 * callbacks you register (`data`, `drain`, `close`) and whose `write()`
 * returns how many bytes it took, keeping none of the rest. Bun's
 * `Bun.connect` and `Bun.listen` sockets are of this kind.
 *
 * ```ts
 * import { Driver, type HybiClientDriver } from 'wsdriver';
 * import { runOverHandlerSocket, type HandlerSocketConnection } from 'wsdriver/sockets';
 *
 * await Bun.connect<HandlerSocketConnection<HybiClientDriver>>({
 *   hostname: '127.0.0.1',
 *   port: 8080,
 *   socket: {
 *     open(socket) {
 *       socket.data = runOverHandlerSocket(socket, (s) => Driver.client(s), { url: 'ws://127.0.0.1:8080/' });
 *       socket.data.driver.on('message', (event) => console.log(event.data));
 *       socket.data.driver.start();
 *     },
 *     data: (socket, bytes) => socket.data.data(bytes),
 *     drain: (socket) => socket.data.drain(),
 *     close: (socket, error) => socket.data.closed(error),
 *   },
 * });
 * ```
 *
 * Backpressure both ways: `write()` returns false while bytes wait for
 * the socket's `drain`; while the driver is paused the socket's own
 * `pause()`/`resume()` stop reading it if it has them (else the driver holds
 * what arrives, up to `maxPausedBytes`, then fails with 1009).
 *
 * Portable: no Node module is used.
 *
 * @module wsdriver/sockets
 */
import type { Socket, SocketInfo } from '../../events.js';
import type { WriteBuffer } from '../callbacks/write-buffer.js';

/** The driver methods the adapter calls; every wsdriver driver has them. */
export interface HandlerSocketDriver {
  /** Receives each chunk the socket delivers; takes ownership of it. */
  parse(bytes: Uint8Array): void;
  /** Called once the socket has closed, with the error if it failed (`close` 1006 unless the closing handshake completed). */
  transportClosed(cause?: unknown): void;
  /** `close` ends the socket when the WebSocket connection is over; `pause`/`resume` stop and restart reading it. */
  on(type: 'close' | 'pause' | 'resume', listener: () => void): unknown;
  /** True while delivery is paused; a socket that can pause is not read meanwhile. */
  readonly isPaused?: boolean;
  /** Told when the socket has taken everything queued after a write it could not take whole (docs/flow-control.md). */
  transportDrained?(): void;
}

/** A socket whose `write()` may take only part of what it is given. */
export interface HandlerSocket {
  /** Writes what it can at once; returns the number of bytes taken (a negative or zero count: none). */
  write(bytes: Uint8Array): number;
  /** Closes the socket once written bytes are sent. */
  end(): void;
  /**
   * Stops reading: no `data` until `resume()`, so TCP flow control slows the
   * peer (Bun's sockets have it in recent versions). Without it, input that
   * arrives while the driver is paused is held by the driver, up to
   * `maxPausedBytes`, then the connection fails with 1009.
   */
  pause?(): void;
  /** Reads again after `pause()`. */
  resume?(): void;
}

/** What the socket's handlers call, and the driver. */
export interface HandlerSocketConnection<D> {
  /** The driver `makeDriver` returned. */
  readonly driver: D;
  /** Call from the socket's `data` handler: the bytes go to `driver.parse()`. */
  data(bytes: Uint8Array): void;
  /** Call from the socket's `drain` handler: writes what the socket did not take before. */
  drain(): void;
  /**
   * Call from the socket's `close` handler, with the error if it failed
   * (Bun's `close(socket, error)`): `close` 1006 unless the closing
   * handshake completed. Later calls do nothing.
   */
  closed(error?: unknown): void;
  /** Bytes the driver wrote that the socket has not taken yet. */
  bufferedAmount(): number;
  /** The same count with flush notices, for `wsdriver/callbacks`. */
  readonly writeBuffer: WriteBuffer;
}

/**
 * Makes a driver over `socket` with `makeDriver` and returns the calls for
 * the socket's handlers. What `write()` does not take is queued, in order,
 * and written from `drain()`; once the driver closes, the socket is ended
 * after the queue has gone out. Call `driver.start()` yourself.
 */
export function runOverHandlerSocket<D extends HandlerSocketDriver>(
  socket: HandlerSocket,
  makeDriver: (socket: Socket) => D,
  info: SocketInfo = {},
): HandlerSocketConnection<D> {
  const queue: Uint8Array[] = [];
  let buffered = 0;
  let ending = false;
  let gone = false;
  const flushListeners = new Set<() => void>();

  /** Writes queued bytes until the socket stops taking them; true if the queue emptied. */
  const flush = (): boolean => {
    const before = buffered;
    while (queue.length > 0 && !gone) {
      const bytes = queue[0]!;
      const taken = Math.max(socket.write(bytes), 0);
      buffered -= taken;
      if (taken < bytes.length) {
        queue[0] = bytes.subarray(taken);
        break;
      }
      queue.shift();
    }
    if (buffered !== before) for (const listener of [...flushListeners]) listener();
    return queue.length === 0;
  };

  const driverSocket: Socket = {
    // The socket contract's backpressure: false while bytes wait for the
    // socket's `drain`, which then tells the driver (transportDrained).
    write(bytes: Uint8Array): boolean {
      if (gone || bytes.length === 0) return true;
      queue.push(bytes);
      buffered += bytes.length;
      if (queue.length === 1) flush();
      return queue.length === 0;
    },
    get bufferedAmount(): number {
      return buffered;
    },
    ...(info.url !== undefined ? { url: info.url } : {}),
    ...(info.env !== undefined ? { env: info.env } : {}),
  };
  const driver = makeDriver(driverSocket);
  // Receive side (docs/flow-control.md): stop reading while delivery is paused.
  const { pause, resume } = socket;
  if (pause !== undefined && resume !== undefined) {
    driver.on('pause', () => {
      if (!gone) pause.call(socket);
    });
    driver.on('resume', () => {
      if (!gone) resume.call(socket);
    });
    if (driver.isPaused === true) pause.call(socket);
  }
  driver.on('close', () => {
    if (ending || gone) return;
    ending = true;
    if (queue.length === 0) socket.end();
  });

  return {
    driver,
    data: (bytes) => driver.parse(bytes),
    drain() {
      const empty = flush();
      if (empty && ending && !gone) socket.end();
      if (empty && !gone) driver.transportDrained?.();
    },
    closed(error?: unknown) {
      if (gone) return;
      gone = true;
      queue.length = 0;
      buffered = 0;
      driver.transportClosed(error);
    },
    bufferedAmount: () => buffered,
    writeBuffer: {
      pending: () => buffered,
      onFlush(listener) {
        const onFlush = () => listener();
        flushListeners.add(onFlush);
        return () => void flushListeners.delete(onFlush);
      },
    },
  };
}

// Types this entry point's functions take, declared elsewhere.
export type { SocketInfo } from '../../events.js';
export type { WriteBuffer } from '../callbacks/write-buffer.js';
