/**
 * On Node, the frames the engine builds are Buffers from the start: a
 * stream's `write()` turns any other Uint8Array into a Buffer view of it,
 * a second object for every frame written (the slab's views of small
 * frames, the buffers of large ones). Called by this adapter's entry point
 * as it loads.
 *
 * @module
 */
import { nodeBuffer } from './builtins.js';
import { useOutgoingBytes, type ByteView } from '../../frame/send-slab.js';

const { Buffer } = nodeBuffer();

/** Has the core make its outgoing bytes as Node Buffers, where Node's own Buffer class is reachable. */
export function useNodeOutgoingBuffers(): void {
  // `Buffer[Symbol.species]` is the class Node makes Buffers with (a Uint8Array subclass sharing Buffer.prototype).
  const View = (Buffer as unknown as { [Symbol.species]?: { prototype?: unknown } })[Symbol.species];
  if (typeof View !== 'function' || View.prototype !== Buffer.prototype) return;
  // Not zero-filled: every byte of a frame is written before it is handed on.
  useOutgoingBytes({ View: View as unknown as ByteView, allocate: (size) => Buffer.allocUnsafeSlow(size) });
}
