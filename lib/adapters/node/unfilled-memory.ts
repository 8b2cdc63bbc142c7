/**
 * On Node, buffers the engine writes in full are allocated without their
 * zero fill (`Buffer.allocUnsafeSlow`: an ArrayBuffer of its own, exactly
 * the size asked): a received 64 KiB message gathered from two chunks then
 * costs one copy instead of a fill and a copy (lib/frame/fresh-bytes.ts).
 * Loaded for its effect by this adapter's entry point.
 *
 * @module
 */
import { useUnfilledMemory } from '../../frame/fresh-bytes.js';

useUnfilledMemory((size) => Buffer.allocUnsafeSlow(size).buffer as ArrayBuffer);
