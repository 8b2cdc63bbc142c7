/**
 * Wires a driver to a Node stream: what the stream reads goes to
 * `driver.parse()`, the end of the stream tells the driver the transport
 * is gone, and the end of the WebSocket connection ends the stream.
 *
 * @module
 */
import type { Duplex } from 'node:stream';
import type { BackpressuredDriver } from './backpressure.js';
import type { DeadlineDriver } from './deadline-timer.js';
import { Attachment, attachmentOfDriver } from './attachment.js';
import type { AttachOptions } from './options.js';

/** What {@link attach} needs of a driver; every wsdriver driver has it. */
export interface AttachableDriver extends BackpressuredDriver, DeadlineDriver {
  /** Which end this is: a client waits for the server to close the TCP connection first (RFC 6455 §7.1.1). */
  readonly role: 'server' | 'client';
  /** Receives every chunk the stream reads; takes ownership of it. */
  parse(bytes: Uint8Array): void;
  /**
   * Called when the stream ends or closes (`close` 1006 if no close
   * handshake completed), or fails: then with the stream's error, which the
   * driver reports as a `TRANSPORT_ERROR` `error` event before `close`.
   */
  transportClosed(cause?: unknown): void;
}

/** Default {@link AttachOptions.closeTimeout}. */
export const DEFAULT_CLOSE_TIMEOUT = 30_000;
/** Default {@link AttachOptions.handshakeTimeout}. */
export const DEFAULT_HANDSHAKE_TIMEOUT = 30_000;

/** The adapter's timing options, defaults filled in. */
export interface CheckedAttachOptions {
  readonly closeTimeout: number;
  readonly handshakeTimeout: number;
  readonly pingInterval: number;
  readonly pingTimeout: number;
}

/** Checks the adapter's own options; throws on a bad value. */
export function checkAttachOptions(options: AttachOptions): CheckedAttachOptions {
  const duration = (key: keyof AttachOptions, fallback: number): number => {
    const value = options[key] ?? fallback;
    if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
      throw new RangeError(`option '${key}' must be a finite number of milliseconds, 0 or more`);
    }
    return value;
  };
  const pingInterval = duration('pingInterval', 0);
  return {
    closeTimeout: duration('closeTimeout', DEFAULT_CLOSE_TIMEOUT),
    handshakeTimeout: duration('handshakeTimeout', DEFAULT_HANDSHAKE_TIMEOUT),
    pingInterval,
    pingTimeout: duration('pingTimeout', pingInterval),
  };
}

/**
 * Drops the transport under a driver made by `attach`, `handleUpgrade` or
 * `connect` at once: no close frame, no waiting. The driver reports
 * `close` with 1006. False if the driver is not attached (or already gone).
 */
export function terminate(driver: object): boolean {
  const stream = attachmentOfDriver(driver)?.stream;
  if (stream === undefined || stream.destroyed) return false;
  // Bytes sent before this call may still be held corked (the cork per
  // read in attach, or the tick coalescer): they go first, as they would
  // have without it.
  while (stream.writableCorked > 0) stream.uncork();
  stream.destroy();
  return true;
}

/**
 * Connects `driver` and `stream` both ways and returns the driver. The
 * driver must write to this stream (see {@link streamSocket}); `attach`
 * handles the reading side and the stream's lifetime:
 *
 * - each chunk read is passed to `driver.parse()`, which takes ownership
 *   of it (Node hands every read a fresh Buffer, so this is safe); the
 *   stream is corked meanwhile, so what the driver writes while it
 *   handles that read leaves as one writev when `parse()` returns, or at
 *   the end of the tick (on a TCP socket with nothing buffered, the read's
 *   first frame goes out at once and the rest is held behind it; at most
 *   64 KiB is held, and held bytes do not
 *   count in `bufferedAmount`: held-bytes.ts; end a connection with
 *   {@link terminate}, which hands them on, not `stream.destroy()`);
 * - the stream ending or closing calls `driver.transportClosed()`
 *   (`close` with 1006 if no close handshake completed); the stream
 *   failing (a reset, a refused connection, a TLS error) calls
 *   `driver.transportClosed(error)`: the driver emits `error`
 *   (`TRANSPORT_ERROR`, 1006, `cause` the stream's error), then `close`
 *   with 1006 and the error's message as the reason;
 * - when the driver emits `close`, the stream is ended after the bytes
 *   already written. A server ends it at once (RFC 6455 §7.1.1: the server
 *   closes the TCP connection first); a client that closed cleanly waits
 *   for the server to do so. Either side destroys the stream if the peer
 *   has not closed its side after `closeTimeout` ms;
 * - once this side has sent its close frame, the peer has `closeTimeout` ms
 *   to answer with its own before the stream is destroyed (`close` 1006).
 *
 * Call it before any data can arrive (right after the stream is made or
 * handed over). It turns Nagle's algorithm off on TCP sockets, as a
 * message-oriented protocol wants, and resumes a paused stream.
 */
export function attach<D extends AttachableDriver>(driver: D, stream: Duplex, options: AttachOptions = {}): D {
  const settings = checkAttachOptions(options);
  const attachment = attachChecked(driver, stream, settings);
  attachment.startDeadlines(settings);
  attachment.armDeadline();
  return driver;
}

/**
 * What {@link attach} does, with settings already checked, except turning
 * on the driver's deadlines: the caller calls `startDeadlines(settings)`
 * and then `armDeadline()` when they are sure to be wanted. `handleUpgrade`
 * does so after `start()`, which opens a connection (and so ends its
 * handshake deadline) as a rule: then an open connection without
 * keepalive gets no deadline clock and no Node timer at all.
 */
export function attachChecked(driver: AttachableDriver, stream: Duplex, settings: CheckedAttachOptions): Attachment {
  if (stream.readableEncoding !== null) {
    throw new TypeError('the stream has an encoding set; a driver needs the raw bytes');
  }
  if (stream.readableObjectMode) throw new TypeError('the stream is in object mode; a driver needs bytes');

  const attachment = new Attachment(driver, stream, settings);
  (stream as { setNoDelay?: (noDelay: boolean) => unknown }).setNoDelay?.(true);
  stream.resume();
  if (driver.isPaused) stream.pause();
  // A stream handed over after its peer ended or closed it: no event will come.
  if (stream.destroyed) driver.transportClosed();
  else if (stream.readableEnded) attachment.ended();
  return attachment;
}
