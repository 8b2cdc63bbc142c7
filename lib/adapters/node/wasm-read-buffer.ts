/**
 * The shared read buffer (read-buffer.ts) made of WebAssembly memory, with
 * a SIMD masking kernel of its own over it, so a masked piece of a read is
 * unmasked where it lies and copied out once.
 *
 * Why: the core's kernel can only see its own one-page memory, so a piece
 * of an ordinary read costs three passes on its way into a message (copy
 * into the kernel's page, XOR, copy out: `applyMaskTo`'s "trip"), where ws
 * costs two (its join, then a native XOR in place). Here the read is in
 * the kernel's memory: one XOR in place and one copy into the message's
 * exact buffer (bench/analysis.md, "Large binary, session 10"). A piece
 * unmasked in place (text, frames handed on in pieces) needs no copy at all.
 *
 * Why a kernel instance of its own rather than the core's: the core's
 * memory is one page, made at first use wherever wsdriver runs (a browser
 * too); a read region in it would cost every runtime 256 KiB. Here the
 * memory is exactly the read buffer's size, made with the first socket
 * that reads into it, and its `maximum` is its size, so it can never grow:
 * growing would detach every view of it, among them the one Node's
 * `onread` holds. The module is the core's (mask-simd.ts): two instances
 * of 161 bytes.
 *
 * Unmasking the read in place writes over bytes the parser has consumed:
 * the read is borrowed input (lib/frame/borrowed-input.ts), which no one
 * reads again once its frame is parsed. Where WebAssembly or its SIMD is
 * missing or refused, the buffer is a plain one and masking stays the core's.
 *
 * @module
 */
import { simdModuleBytes } from '../../frame/mask-simd.js';
import { useMasking } from '../../frame/mask.js';

// Below this the core's loops win (its own SIMD threshold: mask.ts).
const IN_READ_FROM = 256;
const PAGE = 65536;

type Kernel = (at: number, length: number, key: number) => void;

/**
 * A read buffer of `size` bytes: WebAssembly memory whose masking the core
 * then hands to a kernel over it, or, where that cannot be made (or `size`
 * is not a whole number of 64 KiB pages: a benchmark's read size), a
 * plain buffer.
 */
export function newReadBuffer(size: number): Uint8Array {
  let memory: WebAssembly.Memory;
  let kernel: Kernel;
  if (size % PAGE !== 0) return new Uint8Array(size);
  try {
    const wasm = (globalThis as { WebAssembly: typeof WebAssembly }).WebAssembly;
    memory = new wasm.Memory({ initial: size / PAGE, maximum: size / PAGE });
    kernel = new wasm.Instance(new wasm.Module(simdModuleBytes()), { env: { memory } }).exports['mask'] as Kernel;
  } catch {
    return new Uint8Array(size);
  }
  // The memory cannot grow (its maximum is its size), so its ArrayBuffer is
  // this one for good: kept, not read again per piece (`.buffer` is a call
  // into V8's runtime each time, about 12 ns).
  const memoryBuffer = memory.buffer;
  const read = new Uint8Array(memoryBuffer);
  const inRead = (bytes: Uint8Array): boolean => bytes.length >= IN_READ_FROM && bytes.buffer === memoryBuffer;
  useMasking((inPlace, into) => [
    (data, key, phase) => {
      if (!inRead(data)) return inPlace(data, key, phase);
      unmask(kernel, read, data.byteOffset, data.length, key, phase);
      return true;
    },
    (source, target, offset, key, phase) => {
      if (!inRead(source)) return into(source, target, offset, key, phase);
      // The whole piece, then one copy: the read is in L2 (256 KiB), and
      // this beat 16 KiB blocks XORed and copied in turn (bench/analysis.md).
      unmask(kernel, read, source.byteOffset, source.length, key, phase);
      target.set(source, offset);
    },
  ]);
  return read;
}

/** XORs `read[at, at + length)` in place with the key from key byte `phase` (RFC 6455 §5.3). */
function unmask(kernel: Kernel, read: Uint8Array, at: number, length: number, key: Uint8Array, phase: number): void {
  const whole = length & ~63;
  // WebAssembly is little-endian: the key's bytes from `phase`, first byte lowest.
  kernel(at, whole, key[phase & 3]! | (key[(phase + 1) & 3]! << 8) | (key[(phase + 2) & 3]! << 16) | (key[(phase + 3) & 3]! << 24));
  for (let i = at + whole, end = at + length; i < end; i++) read[i] = read[i]! ^ key[(phase + i - at) & 3]!;
}
