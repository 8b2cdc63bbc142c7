/**
 * On Node, buffers the engine writes in full are allocated without their
 * zero fill (`Buffer.allocUnsafeSlow`: an ArrayBuffer of its own, exactly
 * the size asked): a received 64 KiB message gathered from two chunks then
 * costs one copy instead of a fill and a copy (lib/frame/fresh-bytes.ts).
 * Called by this adapter's entry point as it loads.
 *
 * @module
 */
import { useUnfilledMemory } from '../../frame/fresh-bytes.js';

// Below this, a zero-filled array costs no more (measured on Node 20).
const UNFILLED_FROM = 4096;

/** Has the core allocate buffers it writes in full with `Buffer.allocUnsafeSlow`. */
export function useNodeUnfilledMemory(): void {
  useUnfilledMemory((size) => (size < UNFILLED_FROM ? new ArrayBuffer(size) : (Buffer.allocUnsafeSlow(size).buffer as ArrayBuffer)));
}
