/**
 * The WebAssembly SIMD masking kernel: 16 bytes per instruction, 64 per
 * loop turn. Its source is `mask-simd.wat` beside this file; the bytes below
 * are that module, assembled by hand (161 bytes, small enough for the
 * synchronous compile that browsers allow on the main thread).
 *
 * WebAssembly cannot see the caller's ArrayBuffers, so data is copied into
 * the module's one 64 KiB page, masked there and copied back; for buffers
 * of a few hundred bytes and more, that still beats a JavaScript word loop
 * several times over (see bench/). Where WebAssembly or its SIMD proposal is
 * missing, or a content security policy forbids compiling, `loadSimdMask`
 * returns null and masking stays in JavaScript.
 *
 * @module
 */

// prettier-ignore
const MODULE_BYTES = [
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x07, 0x01, 0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x00, // type: (i32 i32 i32) -> ()
  0x02, 0x0f, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x00, // import env.memory, min 0
  0x03, 0x02, 0x01, 0x00, // one function of type 0
  0x07, 0x08, 0x01, 0x04, 0x6d, 0x61, 0x73, 0x6b, 0x00, 0x00, // export "mask"
  0x0a, 0x6f, 0x01, 0x6d, // code: one body of 109 bytes
  0x02, 0x01, 0x7f, 0x01, 0x7b, // locals: $end i32, $keys v128
  0x20, 0x02, 0xfd, 0x11, 0x21, 0x04, // $keys = i32x4.splat($key)
  0x20, 0x00, 0x20, 0x01, 0x6a, 0x21, 0x03, // $end = $at + $length
  0x02, 0x40, 0x20, 0x00, 0x20, 0x03, 0x4f, 0x0d, 0x00, // block; br_if $at >= $end
  0x03, 0x40, // loop
  0x20, 0x00, 0x20, 0x00, 0xfd, 0x00, 0x00, 0x00, 0x20, 0x04, 0xfd, 0x51, 0xfd, 0x0b, 0x00, 0x00, // [at+0] ^= keys
  0x20, 0x00, 0x20, 0x00, 0xfd, 0x00, 0x00, 0x10, 0x20, 0x04, 0xfd, 0x51, 0xfd, 0x0b, 0x00, 0x10, // [at+16] ^= keys
  0x20, 0x00, 0x20, 0x00, 0xfd, 0x00, 0x00, 0x20, 0x20, 0x04, 0xfd, 0x51, 0xfd, 0x0b, 0x00, 0x20, // [at+32] ^= keys
  0x20, 0x00, 0x20, 0x00, 0xfd, 0x00, 0x00, 0x30, 0x20, 0x04, 0xfd, 0x51, 0xfd, 0x0b, 0x00, 0x30, // [at+48] ^= keys
  0x20, 0x00, 0x41, 0xc0, 0x00, 0x6a, 0x22, 0x00, 0x20, 0x03, 0x49, 0x0d, 0x00, // br_if ($at += 64) < $end
  0x0b, 0x0b, 0x0b, // end loop, block, function
];

/** Bytes in the kernel's working page. */
export const SIMD_BLOCK = 65536;

/** The kernel: `memory` is its working page; `mask(at, length, key)` needs length % 64 === 0. */
export interface SimdMask {
  readonly memory: Uint8Array;
  readonly mask: (at: number, length: number, key: number) => void;
}

/** The raw module bytes (for tests). */
export function simdModuleBytes(): Uint8Array<ArrayBuffer> {
  return new Uint8Array(MODULE_BYTES);
}

/**
 * Instantiates the kernel, or returns null where WebAssembly SIMD cannot
 * run: no WebAssembly (`wasm.Memory` of undefined), no SIMD (the module
 * does not compile) and a policy that forbids compiling all throw here.
 */
export function loadSimdMask(): SimdMask | null {
  try {
    const wasm = (globalThis as { WebAssembly: typeof WebAssembly }).WebAssembly;
    const memory = new wasm.Memory({ initial: 1, maximum: 1 });
    const instance = new wasm.Instance(new wasm.Module(simdModuleBytes()), { env: { memory } });
    const mask = instance.exports['mask'] as (at: number, length: number, key: number) => void;
    return { memory: new Uint8Array(memory.buffer), mask };
  } catch {
    return null;
  }
}
