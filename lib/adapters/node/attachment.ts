/**
 * What {@link attach} keeps for one connection, made lean because a server
 * holds many idle ones: one object, and no closure of its own. The stream
 * and driver listeners are plain functions shared by every connection:
 * each is called with its stream or driver as `this` and finds the
 * attachment from it (a symbol on the stream, a WeakMap for the driver).
 * Node timers run only while a deadline does (their callbacks are shared
 * too: `setTimeout` passes them the attachment).
 *
 * It does three jobs, all on the same few fields:
 * - the stream's lifetime: chunks to `driver.parse()`, the stream's end,
 *   failure or close to `driver.transportClosed()`, the driver's `close` to
 *   the stream's end (and its destruction after `closeTimeout`);
 * - backpressure both ways (docs/flow-control.md): the stream draining or
 *   emptying tells the driver (`transportDrained()`), the driver's
 *   `pause`/`resume` stop and restart reading;
 * - the driver's deadlines (`useDeadlines`/`deadline`/`tick`): a timer armed
 *   for the next one, until `close`.
 *
 * @module
 */
import type { Duplex } from 'node:stream';
import type { Listener } from '../../emitter.js';
import type { CloseEvent, DriverEventMap } from '../../events.js';
import type { ProtocolError } from '../../errors.js';
import { borrowInput } from '../../frame/borrowed-input.js';
import { holdRead, releaseRead, unsentBytes } from './held-bytes.js';
import { mayShareReadBuffer, pauseSharedReads, READ_BUFFER_SIZE, readIntoSharedBuffer } from './read-buffer.js';
import { withinReadBudget } from './read-budget.js';
import { deadlineKeeper, type DeadlineKeeper, type DeadlineSettings } from '../../connection/deadlines.js';

/** What an {@link Attachment} needs of a driver; every wsdriver driver has it. */
export interface AttachedDriver {
  readonly role: 'server' | 'client';
  /** Every wsdriver driver has it; a driver without it is never given borrowed input. */
  readonly readyState?: number;
  parse(bytes: Uint8Array): void;
  transportClosed(cause?: unknown): void;
  transportDrained(): void;
  readonly isPaused: boolean;
  useDeadlines(keeper: DeadlineKeeper, now: number): void;
  readonly deadline: number | null;
  tick(now: number): void;
  on<K extends keyof DriverEventMap>(type: K, listener: Listener<DriverEventMap[K]>): unknown;
}

/** The settings of one attachment, checked, defaults filled in. */
export interface AttachmentSettings extends Required<Pick<DeadlineSettings, 'handshakeTimeout' | 'pingInterval' | 'pingTimeout'>> {
  readonly closeTimeout: number;
}

type Timer = ReturnType<typeof setTimeout>;

const attachmentKey = Symbol('wsdriver.attachment');
type AttachedStream = Duplex & { [attachmentKey]?: Attachment };

const attachmentsByDriver = new WeakMap<object, Attachment>();

/** The attachment `attach` made for `driver`, if any. */
export function attachmentOfDriver(driver: object): Attachment | undefined {
  return attachmentsByDriver.get(driver);
}

/** The attachment of `stream`, if `attach` set one up and the stream has not closed. */
function attachmentOf(stream: Duplex): Attachment | undefined {
  return (stream as AttachedStream)[attachmentKey];
}

/** Called by `streamSocket` when one of its writes to `stream` has been flushed. */
export function flushedAttached(stream: Duplex): void {
  // A send refused for a maxBufferedBytes below the stream's high-water
  // mark waits for the buffer to empty, which Node's `drain` does not report.
  const attachment = attachmentOf(stream);
  if (attachment !== undefined) attachment.flushed();
}

/**
 * Told when an attached driver opens and closes, after the attachment's own
 * work: the server object tracks its connections so, with one function
 * for all of them instead of two listeners (and two arrays) per driver.
 */
export interface ConnectionWatcher {
  connectionEvent(driver: object, event: 'open' | 'close'): void;
}

/** What an attachment has seen, as bits of one number. */
const enum Seen {
  /** The peer ended its side of the stream. */
  PeerEnded = 1,
  /** The driver reported an error (only the first counts). */
  Error = 2,
  /** That first error was a keepalive failure: the peer is not waited for. */
  PongTimeout = 4,
  /** The driver closed: no deadline runs any more. */
  Closed = 8,
  /** The stream's reads are to go to the shared read buffer once they may (read-buffer.ts). */
  ShareReads = 16,
}

/** One connection's glue between its driver and its stream; see the module comment. */
export class Attachment {
  declare readonly driver: AttachedDriver;
  declare readonly stream: Duplex;
  declare watcher: ConnectionWatcher | null;
  declare private readonly closeTimeout: number;
  /** {@link Seen} flags, in one field. */
  declare private seen: number;
  declare private closeTimer: Timer | null;
  declare private deadlineTimer: Timer | null;
  declare private deadlineAt: number | null;

  constructor(driver: AttachedDriver, stream: Duplex, settings: AttachmentSettings) {
    // Every field set here, none by an initializer: see BaseDriver.
    this.driver = driver;
    this.stream = stream;
    this.watcher = null;
    this.closeTimeout = settings.closeTimeout;
    this.seen = 0;
    this.closeTimer = null;
    this.deadlineTimer = null;
    this.deadlineAt = null;
    (stream as AttachedStream)[attachmentKey] = this;
    attachmentsByDriver.set(driver, this);
    // A keepalive failure is the only error that changes what happens next.
    if (settings.pingInterval > 0) driver.on('error', onDriverError);
    driver.on('pause', onDriverPause);
    driver.on('resume', onDriverResume);
    driver.on('open', onDriverOpen);
    driver.on('closing', onDriverClosing);
    driver.on('close', onDriverClose);
    stream.on('data', onStreamData);
    stream.on('end', onStreamEnd);
    stream.on('error', onStreamError);
    stream.on('drain', onStreamDrain);
    stream.on('close', onStreamClose);
  }

  /**
   * For a socket the adapter set up itself (an upgrade, a client's TCP
   * connection): once the connection is open, its reads go into the
   * shared read buffer, parsed as borrowed input (read-buffer.ts). A user's
   * own stream given to `attach` keeps its `data` events, and so does a
   * driver whose `maxPausedBytes` is under the shared buffer's size: a
   * driver paused mid-read holds the rest of that read, and a whole shared
   * read would then fail an honest peer with 1009 where Node's own 64 KiB
   * reads do not.
   */
  shareReads(): void {
    if (mayShareReadBuffer(this.stream) && pausedLimitOf(this.driver) >= READ_BUFFER_SIZE) this.seen |= Seen.ShareReads;
  }

  /** A read came as a `data` event: switches to the shared read buffer if wanted and possible now. */
  dataRead(): void {
    if ((this.seen & Seen.ShareReads) === 0) return;
    const driver = this.driver;
    // Only once open: the head parsers (the client's response) are done with their input.
    const state = driver.readyState ?? 3;
    if (state === 0) return;
    // The hixie drafts' parsers keep views of their input: never borrowed.
    const version = (driver as { readonly version?: unknown }).version;
    const draft = typeof version === 'string' && version.startsWith('hixie');
    if (state === 1 && !draft && readIntoSharedBuffer(this.stream, onSharedRead) === 'later') return;
    this.seen &= ~Seen.ShareReads;
  }

  /** Turns the driver's deadlines on; the timer for the first is armed by `armDeadline()`. */
  startDeadlines(settings: AttachmentSettings): void {
    this.driver.useDeadlines(keeperFor(settings), Date.now());
  }

  /** The driver's `error`: only the first counts. */
  errored(error: ProtocolError): void {
    if ((this.seen & Seen.Error) !== 0) return;
    this.seen |= Seen.Error | (error.code === 'PONG_TIMEOUT' ? Seen.PongTimeout : 0);
  }

  /** The driver's `closing`: this side sent its close frame, the peer has `closeTimeout` to answer. */
  closing(): void {
    // The core starts no timer: a peer that never answers our close frame
    // would leave the connection in `closing` for good.
    this.destroyLater();
    this.tick();
  }

  /** The driver's `close`: the stream is ended (or dropped), the deadlines stop. */
  closed(event: CloseEvent): void {
    this.clearCloseTimer();
    this.seen |= Seen.Closed;
    this.armDeadline();
    const stream = this.stream;
    if (stream.destroyed) return;
    if ((this.seen & Seen.PongTimeout) !== 0) {
      // The close frame was written; a peer that stopped answering will not read it.
      stream.end();
      stream.destroy();
      return;
    }
    if (this.driver.role === 'client' && event.wasClean && (this.seen & Seen.PeerEnded) === 0) {
      // RFC 6455 §7.1.1: after a clean close the client waits for the
      // server to close the TCP connection, and closes it itself only if
      // that does not happen in reasonable time.
      this.destroyLater();
      return;
    }
    stream.end();
    this.destroyLater();
  }

  /** The stream ended: the peer is done, so are we. */
  ended(): void {
    this.seen |= Seen.PeerEnded;
    this.driver.transportClosed();
    // For streams that allow half-open connections.
    if (this.stream.writable) this.stream.end();
  }

  /** The stream closed: nothing more comes from it or goes to it. */
  streamClosed(): void {
    this.clearCloseTimer();
    const stream = this.stream;
    stream.off('data', onStreamData);
    stream.off('end', onStreamEnd);
    stream.off('error', onStreamError);
    stream.off('drain', onStreamDrain);
    stream.off('close', onStreamClose);
    (stream as AttachedStream)[attachmentKey] = undefined;
    this.driver.transportClosed();
  }

  /** A write to the stream has flushed: the driver hears of it once nothing it wrote is unsent. */
  flushed(): void {
    const stream = this.stream;
    // An empty buffer is the usual case after a flush: no need to ask what is held.
    if (stream.writableLength === 0 || unsentBytes(stream) === 0) this.driver.transportDrained();
  }

  /** Tells the driver the time, then arms the timer for its next deadline. */
  tick(): void {
    // A driver without a deadline has nothing to act on, and with no timer
    // armed there is none to disarm: every connection `handleUpgrade`
    // opens without keepalive (its deadlines are turned on after `open`),
    // which would otherwise read the clock and enter the driver for nothing.
    if (this.deadlineTimer === null && this.driver.deadline === null) return;
    this.driver.tick(Date.now());
    this.armDeadline();
  }

  /** Keeps one timer armed for the driver's next deadline, none once the connection is over. */
  armDeadline(): void {
    const at = (this.seen & Seen.Closed) !== 0 ? null : this.driver.deadline;
    if (at === this.deadlineAt && this.deadlineTimer !== null) return;
    if (this.deadlineTimer !== null) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = null;
    this.deadlineAt = at;
    if (at === null) return;
    this.deadlineTimer = setTimeout(deadlineDue, Math.max(0, at - Date.now()), this);
    // The transport keeps the process alive while it is open; the timer need not.
    this.deadlineTimer.unref?.();
  }

  /** The deadline timer fired. */
  deadlineDue(): void {
    this.deadlineTimer = null;
    this.deadlineAt = null;
    this.tick();
  }

  // Public methods, not #private ones: a class with private methods costs each instance a field more.

  /** Destroys the stream after `closeTimeout`, unless that is already arranged. */
  destroyLater(): void {
    if (this.closeTimer !== null || this.stream.destroyed) return;
    this.closeTimer = setTimeout(destroyStream, this.closeTimeout, this.stream);
    this.closeTimer.unref?.();
  }

  clearCloseTimer(): void {
    if (this.closeTimer !== null) clearTimeout(this.closeTimer);
    this.closeTimer = null;
  }
}

/** The driver's `maxPausedBytes` (its resolved options are not public: read here only to choose how to read). */
function pausedLimitOf(driver: AttachedDriver): number {
  return (driver as unknown as { readonly options: { readonly maxPausedBytes: number } }).options.maxPausedBytes;
}

// Shared by every attached driver; the driver calls them with itself as `this`.
function onDriverError(this: AttachedDriver, error: ProtocolError): void {
  attachmentOfDriver(this)?.errored(error);
}
function onDriverPause(this: AttachedDriver): void {
  const attachment = attachmentOfDriver(this);
  const stream = attachment?.stream;
  if (stream === undefined || stream.destroyed) return;
  // A socket reading into the shared buffer keeps reading (so it hears
  // the peer leave) into its own buffer, and switches back after resume.
  if (pauseSharedReads(stream)) attachment!.shareReads();
  else stream.pause();
}
function onDriverResume(this: AttachedDriver): void {
  const stream = attachmentOfDriver(this)?.stream;
  if (stream !== undefined && !stream.destroyed) stream.resume();
}
// A deadline that starts with an event is measured from the next tick.
function onDriverOpen(this: AttachedDriver): void {
  const attachment = attachmentOfDriver(this);
  if (attachment === undefined) return;
  attachment.tick();
  attachment.watcher?.connectionEvent(this, 'open');
}
function onDriverClosing(this: AttachedDriver): void {
  attachmentOfDriver(this)?.closing();
}
function onDriverClose(this: AttachedDriver, event: CloseEvent): void {
  const attachment = attachmentOfDriver(this);
  if (attachment === undefined) return;
  attachment.closed(event);
  attachment.watcher?.connectionEvent(this, 'close');
}

// Shared by every attached stream; Node calls them with the stream as `this`.
function onStreamData(this: Duplex, chunk: Uint8Array): void {
  const attachment = attachmentOf(this);
  if (attachment === undefined) return;
  readChunk(this, attachment, chunk);
  attachment.dataRead();
}
/**
 * A read into the shared read buffer (read-buffer.ts): parsed as borrowed
 * input, copied where kept. False (Node stops reading the socket until
 * setImmediate) once the socket has had its turn's read budget (read-budget.ts).
 */
function onSharedRead(this: Duplex, nread: number, buffer: Uint8Array): boolean {
  const attachment = attachmentOf(this);
  if (attachment === undefined) return true;
  const was = borrowInput(true);
  try {
    readChunk(this, attachment, readView(buffer, nread));
  } finally {
    borrowInput(was);
  }
  return withinReadBudget(this, nread, buffer.length);
}
// The last read's view of the shared buffer. Reads of one length (a
// stream of equal messages) reuse it rather than make a typed array per
// read: the driver keeps no view of borrowed input past `parse()`, so
// nothing holds it between reads (bench/analysis.md, "Echo 4 KiB, session 11").
let lastRead: Uint8Array | null = null;
let lastReadOf: Uint8Array | null = null;
function readView(buffer: Uint8Array, nread: number): Uint8Array {
  if (lastReadOf !== buffer || lastRead!.length !== nread) {
    lastRead = buffer.subarray(0, nread);
    lastReadOf = buffer;
  }
  return lastRead!;
}
/** One read, from either path, handed to the driver. */
function readChunk(stream: Duplex, attachment: Attachment, chunk: Uint8Array): void {
  // What the driver writes while it handles one read (a large frame's
  // header and payload, the answers to a batch of small messages) goes
  // to the kernel as one writev when the read is done (or, if the tick
  // coalescer holds it too, at the end of the tick): one system call, and
  // no header alone in a TCP segment of its own (Nagle is off). What is
  // held does not count as unsent. A read of one frame answered by one
  // frame writes it at once, maybe without a write callback; its flush is
  // reported here (held-bytes.ts).
  holdRead(stream, chunk);
  try {
    attachment.driver.parse(chunk);
  } finally {
    if (releaseRead(stream)) attachment.flushed();
  }
}
function onStreamEnd(this: Duplex): void {
  attachmentOf(this)?.ended();
}
function onStreamError(this: Duplex, error: Error): void {
  attachmentOf(this)?.driver.transportClosed(error);
}
function onStreamDrain(this: Duplex): void {
  attachmentOf(this)?.driver.transportDrained();
}
function onStreamClose(this: Duplex): void {
  attachmentOf(this)?.streamClosed();
}

function deadlineDue(attachment: Attachment): void {
  attachment.deadlineDue();
}
function destroyStream(stream: Duplex): void {
  stream.destroy();
}

// Connections attached with the same settings share one keeper (one checked
// settings object); the last settings seen are remembered.
let lastKeeper: { readonly settings: AttachmentSettings; readonly keeper: DeadlineKeeper } | null = null;

function keeperFor(settings: AttachmentSettings): DeadlineKeeper {
  const last = lastKeeper;
  if (
    last !== null &&
    last.settings.handshakeTimeout === settings.handshakeTimeout &&
    last.settings.pingInterval === settings.pingInterval &&
    last.settings.pingTimeout === settings.pingTimeout
  ) {
    return last.keeper;
  }
  // The close deadline is the attachment's own (it ends the stream), not the driver's.
  const { handshakeTimeout, pingInterval, pingTimeout } = settings;
  const keeper = deadlineKeeper({ handshakeTimeout, pingInterval, pingTimeout });
  lastKeeper = { settings, keeper };
  return keeper;
}
