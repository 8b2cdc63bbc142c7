/**
 * Bytes the Node adapter itself holds back in a corked stream (the cork
 * per read in attachment.ts, the tick coalescer), told apart from bytes
 * the transport has been offered and not yet taken.
 *
 * A corked stream counts what it holds in `writableLength`, though the
 * kernel was never offered it. Counted as unsent, a second large reply to
 * one message would be refused by `maxBufferedBytes`, and a client whose
 * one read triggers many broadcasts would look slow to the broadcast's
 * slow-client check. What is held leaves within the same tick, so every
 * figure the driver or a broadcast reads leaves it out ({@link unsentBytes}).
 *
 * The count lives on the stream (a symbol property), as every holder of
 * the stream shares it; it is cleared whenever the stream is seen uncorked.
 *
 * A read (`attach` hands the driver one chunk) holds its writes too, with
 * one exception: when the read is one whole frame, its first write, if
 * nothing else is held or buffered, goes to the stream at once
 * ({@link firstWriteOfRead}), so a message answered by one frame (an echo,
 * a reply) takes Node's plain write and not its buffered one. Later
 * writes of that read are held again. Nothing is ever held outside the
 * stream: an application's own `end()` or `destroy()` finds every byte
 * written so far where Node's own rules expect it. A handler that calls
 * `process.exit()` leaves its read unreleased: an `exit` listener, added
 * once with the first read, hands on what that read holds.
 *
 * @module
 */
import type { Duplex } from 'node:stream';

/**
 * Bytes held at most: past them the stream is uncorked at once, so a
 * burst of large messages is not held back, and a producer that writes in
 * a loop while a read is handled still meets backpressure (what is held
 * is left out of the counts, so it must stay small).
 */
export const HOLD_LIMIT = 64 * 1024;

/**
 * The longest write that may be a frame's header alone (RFC 6455 §5.2: 2
 * bytes, 8 of extended length, a 4-byte mask): the payload of a large
 * frame follows its header in a write of its own (events.ts,
 * `Socket.wholeFrames`), and the two should leave together.
 */
const MAX_HEADER = 14;

/** Where a read is with its writes; see {@link firstWriteOfRead}. */
const enum ReadWrites {
  /** Not in a read, or past its first write. */
  None = 0,
  /** In a read, nothing written yet. */
  Untouched = 1,
  /** The first write went out without a write callback: its flush is reported when the read ends. */
  FlushUnreported = 2,
}

// The stream whose read let its first write through (firstWriteOfRead),
// until that read ends: a write to another stream meanwhile is a fan-out,
// held by the tick coalescer (tick-coalescer.ts).
let sentAtOnce: Duplex | undefined;

/** Whether a read being handled has sent its first write at once: the tick's one write at once is taken. */
export function readSentAtOnce(): boolean {
  return sentAtOnce !== undefined;
}

// The stream whose read is being handled (holdRead to releaseRead). A
// handler that calls process.exit() never returns to releaseRead: the
// `exit` listener, added with the first read, hands on what it holds.
let reading: Duplex | undefined;
let exitListened = false;

/** At process exit, in a read: what it holds goes to the stream now (libuv writes a socket's at once), or never. */
function handOnReadAtExit(): void {
  const stream = reading;
  reading = undefined;
  if (stream === undefined || stream.destroyed) return;
  while (stream.writableCorked > 0) stream.uncork();
}

const heldKey = Symbol('wsdriver.held');
const readKey = Symbol('wsdriver.read');
type HoldingStream = Duplex & { [heldKey]?: number; [readKey]?: ReadWrites };

/** Corks `stream`: what is written until {@link release} is held. */
export function hold(stream: Duplex): void {
  if (stream.writableCorked === 0) (stream as HoldingStream)[heldKey] = 0;
  stream.cork();
}

/** Undoes one {@link hold}; once no cork is left, everything held has been handed on. */
export function release(stream: Duplex): void {
  stream.uncork();
  if (stream.writableCorked === 0) (stream as HoldingStream)[heldKey] = 0;
}

/**
 * Holds what the driver writes while it handles the read `chunk` (see the
 * module comment): {@link hold} until {@link releaseRead}. Only a read that
 * is one whole frame lets its first write through: the answers to a read
 * of several frames leave together, one system call as before.
 */
export function holdRead(stream: Duplex, chunk: Uint8Array): void {
  hold(stream);
  reading = stream;
  if (!exitListened) {
    exitListened = true;
    process.on('exit', handOnReadAtExit);
  }
  const holding = stream as HoldingStream;
  // A read within a read (a `data` event emitted while one is handled)
  // keeps the outer's flush to report; its own first write finds two corks and waits.
  if (holding[readKey] === ReadWrites.FlushUnreported) return;
  holding[readKey] = isOneFrame(chunk) ? ReadWrites.Untouched : ReadWrites.None;
}

/**
 * Whether `chunk` is exactly one RFC 6455 frame, by its header (§5.2: the
 * payload length in 7 bits, or 16 or 64 after them, and a 4-byte mask
 * key if the mask bit is set). A chunk that starts inside a frame reads as
 * garbage here, which costs only the choice above, never a byte.
 */
function isOneFrame(chunk: Uint8Array): boolean {
  const length = chunk.length;
  if (length < 2) return false;
  const second = chunk[1]!;
  const code = second & 0x7f;
  const mask = second & 0x80 ? 4 : 0;
  if (code < 126) return 2 + mask + code === length;
  if (code === 126) return length >= 4 && 4 + mask + ((chunk[2]! << 8) | chunk[3]!) === length;
  // A 64-bit length: one read never holds 4 GiB.
  return length >= 10 && (chunk[2]! | chunk[3]! | chunk[4]! | chunk[5]!) === 0 && 10 + mask + chunk[6]! * 0x1000000 + ((chunk[7]! << 16) | (chunk[8]! << 8) | chunk[9]!) === length;
}

/**
 * Ends {@link holdRead}: what was held is handed on. True if the read's
 * first write went out without a write callback ({@link flushUnreported}):
 * the caller reports its flush now, as the callback would have.
 */
export function releaseRead(stream: Duplex): boolean {
  const holding = stream as HoldingStream;
  const unreported = holding[readKey] === ReadWrites.FlushUnreported;
  holding[readKey] = ReadWrites.None;
  if (sentAtOnce === stream) sentAtOnce = undefined;
  if (reading === stream) reading = undefined;
  release(stream);
  return unreported;
}

/**
 * Asked before a write of `length` bytes: true if it is the first write of
 * a read and may go to the stream at once. The read's cork is then lifted
 * for it: write, then call {@link corkAgain}. Not for a write short enough
 * to be a frame's header alone, which waits for its payload; and not while
 * anything is held or buffered, which must leave first.
 */
export function firstWriteOfRead(stream: Duplex, length: number): boolean {
  const holding = stream as HoldingStream;
  if (holding[readKey] !== ReadWrites.Untouched) return false;
  holding[readKey] = ReadWrites.None;
  // Only the read's own cork: under another (the tick coalescer's, an outer read's), the write waits with the rest.
  if (length <= MAX_HEADER || stream.writableCorked !== 1 || stream.writableLength !== 0) return false;
  stream.uncork();
  sentAtOnce = stream;
  return true;
}

/** After a write that {@link firstWriteOfRead} let through: later writes of the read are held again. */
export function corkAgain(stream: Duplex): void {
  stream.cork();
}

/** The read's first write went out without a write callback and has flushed: {@link releaseRead} tells its caller to report it. */
export function flushUnreported(stream: Duplex): void {
  (stream as HoldingStream)[readKey] = ReadWrites.FlushUnreported;
}

/**
 * Records `length` bytes just written to `stream`: held if it is corked,
 * and handed on at once, every cork undone, past {@link HOLD_LIMIT}
 * (a later {@link release} of an uncorked stream does nothing).
 */
export function noteWritten(stream: Duplex, length: number): void {
  const holding = stream as HoldingStream;
  if (stream.writableCorked === 0) {
    if (holding[heldKey] !== undefined) holding[heldKey] = 0;
    return;
  }
  const held = (holding[heldKey] ?? 0) + length;
  if (held <= HOLD_LIMIT) {
    holding[heldKey] = held;
    return;
  }
  holding[heldKey] = 0;
  while (stream.writableCorked > 0) stream.uncork();
}

/** Bytes written to `stream` and not yet taken by the transport, leaving out what a cork holds. */
export function unsentBytes(stream: Duplex): number {
  if (stream.destroyed) return 0;
  const held = stream.writableCorked > 0 ? ((stream as HoldingStream)[heldKey] ?? 0) : 0;
  return Math.max(0, stream.writableLength - held);
}
