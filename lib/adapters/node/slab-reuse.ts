/**
 * Send slabs written again once every frame built in them has reached the
 * kernel, instead of a fresh 64 KiB ArrayBuffer every few frames.
 *
 * Why: each fresh slab is external memory to V8, and V8 counts external
 * memory allocated since its last mark-compact against the old
 * generation's limit. An echo of 4 KiB messages took a new slab every 15
 * messages, twice the external memory per message that ws allocates (ws
 * writes the payload by reference), and on a server with a small heap
 * that alone started a mark-compact after nearly every scavenge
 * (bench/analysis.md, "Echo 4 KiB, session 6").
 *
 * When a slab may be reused: the core counts the slices it hands out of a
 * slab (send-slab.ts); this module counts those whose write has completed
 * on a socket that copies what it writes to the kernel (a `net.Socket` on
 * a TCP or pipe handle: once Node calls a write's callback, nothing holds
 * its bytes any more). A slab is reused only when the two counts meet
 * after it was retired. A slice written anywhere else (another kind of
 * stream, a user's socket, a second engine) is never counted back, so its
 * slab is simply left to the garbage collector, as before.
 *
 * At most {@link SPARE_SLABS} slabs wait for reuse; more are let go.
 *
 * @module
 */
import type { Duplex } from 'node:stream';
import { nodeBuffer, nodeNet } from './builtins.js';
import { IN_NODE } from './runtime.js';
import { currentSlabBuffer, SLAB_SIZE, useSlabSource } from '../../frame/send-slab.js';

const { Buffer } = nodeBuffer();
const netSocketPrototype = nodeNet().Socket.prototype;

/** Slabs kept for reuse at most (1 MiB): past that, a returned slab is left to the garbage collector. */
export const SPARE_SLABS = 16;

/** What is known of one slab handed to the core. */
class SlabRecord {
  /** Slices whose write has completed. */
  released = 0;
  /** Slices the core handed out of it; -1 while it is still the core's current slab. */
  slices = -1;
  constructor(readonly bytes: Uint8Array<ArrayBuffer>) {}
}

// By ArrayBuffer, weakly: a slab whose slices went somewhere uncounted is
// never returned, and then nothing here keeps it alive.
const records = new WeakMap<ArrayBuffer, SlabRecord>();
const spare: SlabRecord[] = [];

function returned(record: SlabRecord): void {
  if (spare.length < SPARE_SLABS) spare.push(record);
}

/** Has the core take its send slabs from this module. Called by this adapter's entry point as it loads. */
export function useNodeSlabReuse(): void {
  useSlabSource({
    slab(): Uint8Array<ArrayBuffer> {
      const reused = spare.pop();
      if (reused !== undefined) {
        reused.released = 0;
        reused.slices = -1;
        return reused.bytes;
      }
      // Not zero-filled: a region is handed on only once written (send-slab.ts).
      // Recorded only once a slice of it reaches a socket that counts it
      // back (slabOf): a process whose frames go elsewhere pays nothing.
      return new Uint8Array(Buffer.allocUnsafeSlow(SLAB_SIZE).buffer as ArrayBuffer);
    },
    retired(buffer: ArrayBuffer, slices: number): void {
      const record = records.get(buffer);
      if (record === undefined) return;
      record.slices = slices;
      if (record.released === slices) returned(record);
    },
  });
}

// Node's TCP and Pipe handle classes, once seen.
const tcpOrPipe: [unknown, unknown] = [undefined, undefined];

/**
 * Whether a write's bytes are let go once its callback runs: a plain
 * `net.Socket` over a TCP or pipe handle (libuv copies them to the kernel).
 * Not a TLS socket, a socket over a JavaScript stream, or any other Duplex,
 * which may pass the very bytes on after calling back.
 */
export function releasesWrittenBytes(stream: Duplex): boolean {
  // libuv's promise, not node:net's: Deno's and Bun's node:net may call
  // back before the bytes are copied (denoland/deno#32814), so no reuse
  // there. The handle classes are looked up once, not once per connection.
  if (!IN_NODE || Object.getPrototypeOf(stream) !== netSocketPrototype) return false;
  const kind = (stream as { _handle?: { constructor?: unknown } | null })._handle?.constructor;
  if (kind === undefined || kind === null) return false;
  if (kind === tcpOrPipe[0] || kind === tcpOrPipe[1]) return true;
  const name = (kind as { name?: unknown }).name;
  if (name !== 'TCP' && name !== 'Pipe') return false;
  tcpOrPipe[name === 'TCP' ? 0 : 1] = kind;
  return true;
}

/**
 * The slab record of `bytes` if they are a slice of a slab this module
 * made, to pass to {@link sliceReleased} when their write completes.
 */
export function slabOf(bytes: Uint8Array): SlabRecord | undefined {
  const buffer = bytes.buffer as ArrayBuffer;
  let record = records.get(buffer);
  // A slice is written as soon as it is cut, so one of a slab not yet
  // recorded is of the current slab: its first slice written here.
  if (record === undefined && buffer === currentSlabBuffer() && buffer.byteLength === SLAB_SIZE) {
    record = new SlabRecord(new Uint8Array(buffer));
    records.set(buffer, record);
  }
  return record;
}

/** One slice of `record`'s slab has been written and let go. */
export function sliceReleased(record: SlabRecord): void {
  record.released++;
  if (record.released === record.slices) returned(record);
}

export type { SlabRecord };
