/**
 * What the engine writes, made as Node Buffers from the start: `io` emits
 * Buffers, and a view of bytes already written costs a second object per
 * frame (a quarter of the cost of sending a 16-byte message, profiled).
 *
 * This package bundles its own copy of the engine, so the setting below
 * reaches only the drivers made here. Sockets given to the engine also set
 * `wholeFrames`, so each frame is one write and so one `data` chunk
 * (docs/flow-control.md, "The socket contract").
 *
 * @module
 */
import { useOutgoingBytes } from '../../../lib/frame/send-slab.js';

type BufferClass = new (buffer: ArrayBuffer, byteOffset: number, length: number) => Buffer;

// Node's own Buffer class (`Buffer[Symbol.species]`, FastBuffer): a view
// made with it is a Buffer in every way, without Buffer.from's checks.
const species = (Buffer as unknown as { [Symbol.species]?: unknown })[Symbol.species];
const NodeBuffer: BufferClass | null =
  typeof species === 'function' && (species as { prototype?: unknown }).prototype === Buffer.prototype ? (species as BufferClass) : null;

/** Buffer.from(buffer, byteOffset, length) callable with `new` (a plain function returning an object). */
function BufferFrom(buffer: ArrayBuffer, byteOffset: number, length: number): Buffer {
  return Buffer.from(buffer, byteOffset, length);
}

/** A Buffer over `length` bytes of `buffer` from `byteOffset`, sharing the memory. */
export const bufferView: (buffer: ArrayBuffer, byteOffset: number, length: number) => Buffer =
  NodeBuffer === null ? (buffer, byteOffset, length) => Buffer.from(buffer, byteOffset, length) : (buffer, byteOffset, length) => new NodeBuffer(buffer, byteOffset, length);

useOutgoingBytes({
  // Node's own Buffer class where it is reachable; else a function `new` can call, whose returned Buffer replaces `this`.
  View: NodeBuffer ?? (BufferFrom as unknown as BufferClass),
  // Not zero-filled: the engine writes every byte of a frame before handing it on.
  allocate: (size) => Buffer.allocUnsafe(size),
});
