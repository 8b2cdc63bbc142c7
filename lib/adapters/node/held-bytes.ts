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

const heldKey = Symbol('wsdriver.held');
type HoldingStream = Duplex & { [heldKey]?: number };

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
