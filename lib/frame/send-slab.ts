/**
 * The memory small outgoing frames are built in: a slab of 64 KiB, handed
 * out front to back, shared by every connection in the process.
 *
 * A fresh `Uint8Array` per frame costs an allocation and a zero fill
 * (about a microsecond for 1 KiB); building the frame in a slab costs the
 * bytes written, and the slab's own allocation is shared by hundreds of
 * frames. A region is never written again once claimed: the socket may
 * hold the slice it was given for as long as it likes (a slow peer's
 * queue), and what it holds keeps the whole slab alive, which is why slabs
 * are small and only frames of at most {@link SLAB_ITEM_LIMIT} bytes come
 * from them. When a slab has too little room left, the next frame starts a
 * new one; the old one is freed with the last slice of it, or, where an
 * embedder knows when every slice of it has been let go (the Node adapter,
 * for sockets that copy what they write to the kernel), written again
 * ({@link SlabSource}).
 *
 * @module
 */
import { freshBytes } from './fresh-bytes.js';

/** Bytes in a slab. */
export const SLAB_SIZE = 64 * 1024;
/** Frames up to this many bytes (header included) are built in a slab. */
export const SLAB_ITEM_LIMIT = 16 * 1024;

let slab = new Uint8Array(0);
// The slab's ArrayBuffer, kept beside it: reading `slab.buffer` for every
// view cost about 15 ns of a 16 B send's 65 (bench/analysis.md, "Issue
// 10's dropped rows").
let slabBuffer = slab.buffer as ArrayBuffer;
let used = 0;
// Slices of the current slab handed on so far (slabSlice), for a SlabSource to know when all have come back.
let slices = 0;
// True once a slice of the current slab went to a sink that does not count it back (SLICES_COUNTED).
let escaped = false;

/**
 * Set (true) on a socket that reports every slab slice written to it back
 * to the slab source itself (the Node adapter's streamSocket over TCP): a
 * slice written to any other socket, a user's wrapper around such a one
 * included, keeps its slab from reuse. @internal
 */
export const SLICES_COUNTED = Symbol('wsdriver.slicesCounted');

/**
 * Where slabs come from, when the embedder can reuse them: `slab()` returns
 * one of {@link SLAB_SIZE} bytes, fresh or reused; `retired(buffer, slices)`
 * says the slab of that ArrayBuffer will hand out nothing more, after
 * `slices` slices. The source may reuse a slab only once it knows that
 * every one of those slices has been let go by whoever it was given to
 * (a slice it never hears back about keeps its slab from reuse).
 *
 * @internal
 */
export interface SlabSource {
  slab(): Uint8Array<ArrayBuffer>;
  retired(buffer: ArrayBuffer, slices: number): void;
}

let source: SlabSource | null = null;

/** Sets where slabs come from (null: fresh memory for each, freed by the garbage collector). @internal */
export function useSlabSource(slabs: SlabSource | null): void {
  source = slabs;
}

/** A Uint8Array class (Uint8Array itself or a subclass) that views part of an ArrayBuffer. */
export type ByteView = new (buffer: ArrayBuffer, byteOffset: number, length: number) => Uint8Array;

/**
 * How outgoing bytes are made: the class slab regions are viewed as, and
 * buffers for large frames written whole. An embedder whose transport
 * wants another Uint8Array subclass (the websocket-driver compat package:
 * Node Buffers, in its own bundled copy of the engine) supplies both, so
 * what it is handed needs no second view or copy.
 *
 * @internal
 */
export interface OutgoingBytes {
  readonly View: ByteView;
  allocate(size: number): Uint8Array;
}

// A view made by the constructor itself, not a function around it: one
// call fewer on every small frame's way out.
let View: ByteView = Uint8Array;
// Unless an embedder says otherwise, fresh bytes as the core makes them (fresh-bytes.ts).
let allocate: (size: number) => Uint8Array = freshBytes;

/** Sets how outgoing bytes are made (see {@link OutgoingBytes}). @internal */
export function useOutgoingBytes(bytes: OutgoingBytes): void {
  View = bytes.View;
  allocate = bytes.allocate;
}

/** The region `start`..`end` of the current slab, to hand to `write()` once claimed. */
export function slabSlice(start: number, end: number, counted: boolean): Uint8Array {
  slices++;
  if (!counted) escaped = true;
  return new View(slabBuffer, start, end - start);
}

/** The ArrayBuffer of the slab slices are cut from now: a slice just written is one of it. @internal */
export function currentSlabBuffer(): ArrayBuffer {
  return slabBuffer;
}

/** Keeps the current slab from reuse: a region of it is read after the next {@link slabRoom}. */
export function pinSlab(): void {
  escaped = true;
}

/** A buffer for a large frame written whole; every byte of it is written before it is handed on. */
export function allocateFrame(size: number): Uint8Array {
  return allocate(size);
}

/**
 * Where `size` free bytes start in the current slab ({@link slabBytes}),
 * starting a new slab if the current one has fewer left. Nothing is
 * claimed: the caller writes there, then calls {@link claimSlab}.
 */
export function slabRoom(size: number): number {
  if (slab.length - used < size) {
    if (source !== null && slices > 0 && !escaped) source.retired(slabBuffer, slices);
    // Not zero-filled where the embedder can skip that: a region is handed on only once written.
    slab = source !== null && size <= SLAB_SIZE ? source.slab() : freshBytes(Math.max(SLAB_SIZE, size));
    slabBuffer = slab.buffer as ArrayBuffer;
    used = 0;
    slices = 0;
    escaped = false;
  }
  return used;
}

/** The current slab; valid until the next {@link slabRoom}. */
export function slabBytes(): Uint8Array {
  return slab;
}

/** Marks the current slab as used up to `end`: those bytes are never written again. */
export function claimSlab(end: number): void {
  used = end;
}
