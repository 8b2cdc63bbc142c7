/**
 * Large buffers reused rather than faulted in afresh, where Node runs on
 * glibc.
 *
 * glibc's malloc maps a block above its mmap threshold (128 KiB to start
 * with) on its own and unmaps it when freed, and gives free memory at the
 * top of its heap back to the system past a trim threshold (twice the mmap
 * threshold). Both move up when a mapped block larger than the threshold
 * is freed, to that block's size, up to 32 MiB. A server receiving 1 MiB
 * messages only ever moves them to about 1 MiB; V8 frees the messages'
 * buffers in batches at its mark-compacts, far more than 2 MiB at a time,
 * so the heap is trimmed after each batch and every new buffer's pages are
 * faulted in and zeroed by the kernel again: about 250 page faults per
 * 1 MiB message, a fifth of the CPU per echoed message in process
 * (bench/analysis.md, "Large binary, session 8").
 *
 * {@link raiseMallocThreshold} frees one mapped block of just under 32 MiB,
 * once, as a process that had itself freed such a buffer would have: the
 * thresholds move to about 32 MiB and 64 MiB, large buffers then come
 * from the heap, and freed ones are reused. The cost is memory kept: malloc holds up to
 * 64 MiB of freed memory rather than giving it back. The block itself is
 * never written, so no page of it is ever touched; V8 counts it in
 * `external` and `arrayBuffers` until it is collected. Where malloc is not
 * glibc's, or its thresholds were set explicitly (`GLIBC_TUNABLES`,
 * `MALLOC_MMAP_THRESHOLD_`), nothing moves: the block is allocated and
 * freed, nothing more.
 *
 * @module
 */

// The largest size glibc's threshold moves to (DEFAULT_MMAP_THRESHOLD_MAX
// on 64-bit). glibc compares the block's size field, flag bits included,
// with it, so the block is kept a page and more under it.
const MMAP_THRESHOLD_MAX = 32 * 1024 * 1024;
const BLOCK = MMAP_THRESHOLD_MAX - 64 * 1024;

let raised = false;

/** Moves glibc's mmap and trim thresholds to their largest (once per process); see the module comment. */
export function raiseMallocThreshold(): void {
  if (raised) return;
  raised = true;
  // Allocated without its fill, so untouched; V8 frees it with its
  // ArrayBuffer at the next collection, and that free moves the threshold.
  Buffer.allocUnsafeSlow(BLOCK);
}
