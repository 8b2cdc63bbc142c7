/**
 * Fresh buffers the engine writes in full before anyone else sees them: a
 * received message gathered or joined into one buffer, a client's masked
 * frame, a large frame built whole.
 *
 * `new Uint8Array(size)` zero-fills, which is a pass over the memory as
 * costly as the copy that follows it (about 3.8 µs for 64 KiB, measured
 * in bench/analysis.md, "Round seven"), and the portable core has no other
 * way to get memory. An embedder that can allocate without the fill (the
 * Node adapter: `Buffer.allocUnsafeSlow`) supplies it with
 * {@link useUnfilledMemory}. Each buffer is still an ArrayBuffer of its own,
 * exactly its size: a message stays a plain `Uint8Array` a user may keep
 * or transfer.
 *
 * Never for a buffer that can be seen before every byte of it is written
 * (the send slab, whose later regions are written after earlier ones are
 * handed on): its unwritten bytes would show whatever the memory held.
 *
 * @module
 */

let unfilled: ((size: number) => ArrayBuffer) | null = null;

/**
 * Sets how memory is allocated without its zero fill: `allocate(size)`
 * returns a new ArrayBuffer of exactly `size` bytes, shared with nothing
 * (it may zero-fill small ones, where that costs no more); null goes back
 * to zero-filled arrays.
 * @internal
 */
export function useUnfilledMemory(allocate: ((size: number) => ArrayBuffer) | null): void {
  unfilled = allocate;
}

/** A new buffer of `size` bytes of its own, for the caller to write in full before handing it on. */
export function freshBytes(size: number): Uint8Array<ArrayBuffer> {
  return unfilled === null ? new Uint8Array(size) : new Uint8Array(unfilled(size));
}
