/**
 * On Node, small text messages kept as bytes (`decodeText: false`) that
 * arrive in a borrowed read (read-buffer.ts) are copied into a shared
 * slab, each message a view of its own region, instead of each into an
 * ArrayBuffer of its own.
 *
 * Why: every ArrayBuffer is an external allocation V8 tracks one by one
 * and frees in its sweep after a scavenge; a 4 KiB echo made one per
 * message, and those copies were most of what the server's young
 * collections and the markings they start had to free (bench/analysis.md,
 * "Echo 4 KiB, session 8" and "session 9"). Carved from a 32 KiB slab,
 * eight 4 KiB messages cost one.
 *
 * A slab is only ever written forwards and never reused: a region is
 * written once, before its message is delivered, and no other message is
 * given it; the slab is freed by the garbage collector once no message's
 * view of it is alive. What this costs, and bounds:
 * - a message kept holds its whole slab: at most {@link TEXT_SLAB_SIZE}
 *   bytes, however small the message (ws's messages, views of Node's
 *   reads, can hold 64 KiB);
 * - so only messages from {@link CARVED_FROM} to {@link CARVED_UP_TO}
 *   bytes are carved: below, V8 keeps the copy in its own heap (no
 *   external allocation to save); above, few messages share a slab;
 * - `bytes.buffer` is the slab, zero-filled where no message was written
 *   yet, and it holds other messages' bytes (other connections' too): to
 *   keep such a message for long, to post it to a worker or transfer its
 *   buffer, copy it first (`bytes.slice()`). Binary messages are not
 *   carved: each stays an ArrayBuffer of its own, exactly its size.
 *
 * @module
 */
import { useTextCopies } from '../../frame/borrowed-input.js';
import { nodeWorkerThreads } from './builtins.js';

/** Bytes in one slab. */
export const TEXT_SLAB_SIZE = 32 * 1024;
/** Smallest message carved: V8 makes a typed array of up to 64 bytes inside its heap, with no ArrayBuffer to track. */
export const CARVED_FROM = 65;
/** Largest message carved: a quarter of a slab, so at least four share one. */
export const CARVED_UP_TO = TEXT_SLAB_SIZE / 4;

// The slab being carved, and where its free part starts.
let slab: Uint8Array | null = null;
let used = 0;

/** A copy of `bytes`: a view of the current slab when their size is in the carved range, else an exact copy. */
export function carveText(bytes: Uint8Array): Uint8Array {
  const length = bytes.length;
  if (length < CARVED_FROM || length > CARVED_UP_TO) return bytes.slice();
  // A slab moved away all the same (`ArrayBuffer.prototype.transfer()`) has no bytes left: start another.
  if (slab === null || used + length > TEXT_SLAB_SIZE || slab.byteLength === 0) {
    // Zero-filled: `.buffer` shows the slab's unwritten part, which must not hold stale memory.
    slab = new Uint8Array(TEXT_SLAB_SIZE);
    untransferable(slab.buffer as ArrayBuffer);
    used = 0;
  }
  const copy = slab.subarray(used, used + length);
  copy.set(bytes);
  used += length;
  return copy;
}

/**
 * Marks a slab as Node marks its own Buffer pool: a transfer list naming a
 * message's `.buffer` (`postMessage` to a worker, `structuredClone`) then
 * never moves the slab, which would empty the other messages carved from
 * it, other connections' too (found in review, session 9). Node 20 copies
 * it instead; from Node 21 the transfer throws a DataCloneError, as it
 * does for a pooled Buffer's. node:worker_threads is loaded with the
 * first slab, not at import (about 45 KB of heap).
 */
function untransferable(buffer: ArrayBuffer): void {
  const { markAsUntransferable } = nodeWorkerThreads();
  if (typeof markAsUntransferable === 'function') markAsUntransferable(buffer);
}

/** Has the core copy small borrowed text kept as bytes into shared slabs. */
export function useNodeTextSlab(): void {
  useTextCopies(carveText);
}
