/**
 * On Node, buffers the engine writes in full are allocated without their
 * zero fill (`Buffer.allocUnsafeSlow`: an ArrayBuffer of its own, exactly
 * the size asked): a received 64 KiB message gathered from two chunks then
 * costs one copy instead of a fill and a copy (lib/frame/fresh-bytes.ts).
 * The first buffer past malloc's initial mmap threshold also moves that
 * threshold up, so large messages reuse freed memory rather than fault in
 * fresh pages (malloc-threshold.ts).
 * Called by this adapter's entry point as it loads.
 *
 * @module
 */
import { useUnfilledMemory } from '../../frame/fresh-bytes.js';
import { raiseMallocThreshold } from './malloc-threshold.js';

// Below this, a zero-filled array costs no more (measured on Node 20).
const UNFILLED_FROM = 4096;
// glibc's initial mmap threshold: a buffer from this size is one malloc
// maps on its own, and the first moves malloc's thresholds. (Not 64 KiB: a
// send slab is 64 KiB, so every process that sends would move them.)
const MAPPED_FROM = 128 * 1024;

/** Has the core allocate buffers it writes in full with `Buffer.allocUnsafeSlow`. */
export function useNodeUnfilledMemory(): void {
  useUnfilledMemory((size) => {
    if (size < UNFILLED_FROM) return new ArrayBuffer(size);
    if (size >= MAPPED_FROM) raiseMallocThreshold();
    return Buffer.allocUnsafeSlow(size).buffer as ArrayBuffer;
  });
}
