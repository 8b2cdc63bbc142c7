/**
 * The masking kernels alone, by CPU time: where a large masked payload's
 * time goes (bench/analysis.md, "Large binary, session 6").
 *
 *   npx tsx bench/mask-kernels.ts [--sizes=65536,1048576] [--reps=15]
 *
 * For each size, two groups, each run interleaved (the order reversed every
 * other repetition) and reported as the median µs per call and the median
 * of per-repetition speed ratios against the library's own path:
 *
 * - in place: the library's unmask (`applyMask`: the WebAssembly trip in
 *   16 KiB blocks) against its parts (the two copies alone, the SIMD XOR
 *   alone), bufferutil's native unmask, and a 64-bit JavaScript XOR over a
 *   `BigUint64Array` (which V8 11 compiles to machine words);
 * - into a fresh buffer, as a gathered frame or a client's frame is made:
 *   `applyMaskTo` into `Buffer.allocUnsafeSlow` memory against a copy then
 *   an unmask in place (trip or 64-bit), a one-pass 64-bit masked copy
 *   (source and target 8-byte aligned alike), and ws's way (`allocUnsafe`,
 *   a copy, bufferutil). Twice: with sources cycling through 8 MiB (out of
 *   the 2 MiB L2, as bench/run.ts's chunks and payloads mostly are), and
 *   with one source used again (in cache, as a socket read just made or a
 *   payload just written is). Which of the two the source is decides
 *   whether the one-pass copy wins (bench/analysis.md, "Masking kernels,
 *   session 9").
 * - a 64 KiB read's piece (after a 14-byte header) into a fresh message:
 *   the trip from a JavaScript read buffer, against the same read held in
 *   WebAssembly memory, unmasked there in place and copied out once (a
 *   lever for the Node adapter's shared read buffer, not built), and ws's
 *   way.
 *
 * Loads the built dist/esm (run `npm run build` first). Run it under the
 * glibc tuning bench/run.ts uses (GLIBC_TUNABLES, see STEADY_MALLOC there)
 * to compare with the benchmark's rows.
 *
 * @module
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { BUILT_ENTRY } from './built.js';

const args = process.argv.slice(2);
const option = (key: string): string | undefined => args.find((a) => a.startsWith(`--${key}=`))?.slice(key.length + 3);
const SIZES = (option('sizes') ?? '65536,1048576').split(',').map(Number);
const REPS = Number(option('reps') ?? 15);

const frameDir = BUILT_ENTRY.replace(/index\.js$/, 'frame/');
const { applyMask, applyMaskTo } = (await import(pathToFileURL(`${frameDir}mask.js`).href)) as typeof import('../lib/frame/mask.js');
const { loadSimdMask, simdModuleBytes } = (await import(pathToFileURL(`${frameDir}mask-simd.js`).href)) as typeof import('../lib/frame/mask-simd.js');
const bufferUtil = createRequire(import.meta.url)('bufferutil') as {
  mask(source: Buffer, mask: Buffer, output: Buffer, offset: number, length: number): void;
};
const kernel = loadSimdMask();
if (kernel === null) throw new Error('no WebAssembly SIMD here');

const KEY = new Uint8Array([0x12, 0x34, 0x56, 0x78]);
const KEY_BUFFER = Buffer.from(KEY);
const BLOCK = 16 * 1024;

/** XOR in place with 64-bit words over the aligned middle (the "one pass in JavaScript" tried this session). */
function mask64(data: Uint8Array, key: Uint8Array, phase: number): void {
  const length = data.length;
  const head = Math.min((8 - (data.byteOffset & 7)) & 7, length);
  let i = 0;
  for (; i < head; i++) data[i] = data[i]! ^ key[(phase + i) & 3]!;
  const words = (length - head) >>> 3;
  if (words > 0) {
    const view = new BigUint64Array(data.buffer, data.byteOffset + head, words);
    const p = phase + head;
    const low = BigInt((key[p & 3]! | (key[(p + 1) & 3]! << 8) | (key[(p + 2) & 3]! << 16) | (key[(p + 3) & 3]! << 24)) >>> 0);
    const word = low | (low << 32n);
    const unrolled = words & ~7;
    let w = 0;
    for (; w < unrolled; w += 8) {
      view[w] = view[w]! ^ word;
      view[w + 1] = view[w + 1]! ^ word;
      view[w + 2] = view[w + 2]! ^ word;
      view[w + 3] = view[w + 3]! ^ word;
      view[w + 4] = view[w + 4]! ^ word;
      view[w + 5] = view[w + 5]! ^ word;
      view[w + 6] = view[w + 6]! ^ word;
      view[w + 7] = view[w + 7]! ^ word;
    }
    for (; w < words; w++) view[w] = view[w]! ^ word;
    i = head + words * 8;
  }
  for (; i < length; i++) data[i] = data[i]! ^ key[(phase + i) & 3]!;
}

/** `source` XOR the key into `target` at `offset` in one pass of 64-bit words; both must be 8-byte aligned alike. */
function maskCopy64(source: Uint8Array, target: Uint8Array, offset: number, key: Uint8Array, phase: number): void {
  const length = source.length;
  const at = target.byteOffset + offset;
  if (((source.byteOffset - at) & 7) !== 0) throw new RangeError('source and target are not aligned alike');
  const head = Math.min((8 - (source.byteOffset & 7)) & 7, length);
  for (let i = 0; i < head; i++) target[offset + i] = source[i]! ^ key[(phase + i) & 3]!;
  const words = (length - head) >>> 3;
  const from = new BigUint64Array(source.buffer, source.byteOffset + head, words);
  const to = new BigUint64Array(target.buffer, at + head, words);
  const p = phase + head;
  const low = BigInt((key[p & 3]! | (key[(p + 1) & 3]! << 8) | (key[(p + 2) & 3]! << 16) | (key[(p + 3) & 3]! << 24)) >>> 0);
  const word = low | (low << 32n);
  const unrolled = words & ~15;
  let w = 0;
  for (; w < unrolled; w += 16) {
    to[w] = from[w]! ^ word;
    to[w + 1] = from[w + 1]! ^ word;
    to[w + 2] = from[w + 2]! ^ word;
    to[w + 3] = from[w + 3]! ^ word;
    to[w + 4] = from[w + 4]! ^ word;
    to[w + 5] = from[w + 5]! ^ word;
    to[w + 6] = from[w + 6]! ^ word;
    to[w + 7] = from[w + 7]! ^ word;
    to[w + 8] = from[w + 8]! ^ word;
    to[w + 9] = from[w + 9]! ^ word;
    to[w + 10] = from[w + 10]! ^ word;
    to[w + 11] = from[w + 11]! ^ word;
    to[w + 12] = from[w + 12]! ^ word;
    to[w + 13] = from[w + 13]! ^ word;
    to[w + 14] = from[w + 14]! ^ word;
    to[w + 15] = from[w + 15]! ^ word;
  }
  for (; w < words; w++) to[w] = from[w]! ^ word;
  for (let i = head + words * 8; i < length; i++) target[offset + i] = source[i]! ^ key[(phase + i) & 3]!;
}

function cpuMicros(): number {
  const used = process.cpuUsage();
  return used.user + used.system;
}

function perCall(run: () => void, calls: number): number {
  const start = cpuMicros();
  for (let i = 0; i < calls; i++) run();
  return (cpuMicros() - start) / calls;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1]!;

function report(title: string, size: number, variants: Record<string, () => void>): void {
  const names = Object.keys(variants);
  const times: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  // About 40 ms of work per figure: process.cpuUsage() counts whole microseconds.
  const calls = Math.max(50, Math.round(4e8 / size));
  for (const name of names) perCall(variants[name]!, calls);
  for (let rep = 0; rep < REPS; rep++) {
    for (const name of rep & 1 ? [...names].reverse() : names) times[name]!.push(perCall(variants[name]!, calls));
  }
  const reference = times[names[0]!]!;
  console.log(`\n${size} B, ${title} (µs per call, median of ${REPS}; speed against "${names[0]}", median and range of per-repetition ratios)`);
  for (const name of names) {
    const ratios = times[name]!.map((t, i) => reference[i]! / t);
    console.log(`  ${name.padEnd(34)} ${median(times[name]!).toFixed(2).padStart(8)}   ${median(ratios).toFixed(2)}× (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`);
  }
}

// The 64-bit variants must mask as the library does (at an odd phase, past their 8-byte heads).
{
  const source = Buffer.allocUnsafeSlow(100_013).fill(9).subarray(3);
  const expected = new Uint8Array(source.length + 8);
  applyMaskTo(source, expected, 3, KEY, 1);
  const copied = new Uint8Array(source.length + 8);
  maskCopy64(source, copied, 3, KEY, 1);
  const inPlace = new Uint8Array(source.length + 8);
  inPlace.set(source, 3);
  mask64(inPlace.subarray(3, 3 + source.length), KEY, 1);
  if (!Buffer.from(copied).equals(Buffer.from(expected)) || !Buffer.from(inPlace).equals(Buffer.from(expected))) throw new Error('a 64-bit variant masks wrongly');
}

for (const size of SIZES) {
  const data = Buffer.allocUnsafeSlow(size + 8).fill(7);
  const page = kernel.memory;
  report('in place', size, {
    'applyMask (trip)': () => applyMask(data.subarray(0, size), KEY, 0),
    'the trip\'s two copies alone': () => {
      for (let at = 0; at < size; at += BLOCK) {
        const block = data.subarray(at, Math.min(at + BLOCK, size));
        page.set(block, 0);
        block.set(page.subarray(0, block.length));
      }
    },
    'the trip\'s SIMD XOR alone': () => {
      for (let at = 0; at < size; at += BLOCK) kernel.mask(0, Math.min(BLOCK, size - at) & ~63, 0x78563412);
    },
    '64-bit JavaScript XOR': () => mask64(data.subarray(0, size), KEY, 0),
    'bufferutil': () => bufferUtil.mask(data, KEY_BUFFER, data, 0, size),
  });
  const fresh = (): Uint8Array => new Uint8Array(Buffer.allocUnsafeSlow(size).buffer);
  for (const [regime, count] of [
    ['sources out of cache (cycling 8 MiB)', Math.max(4, (8 << 20) / size)],
    ['one source, in cache', 1],
  ] as const) {
    const sources = Array.from({ length: count }, (_, i) => Buffer.allocUnsafeSlow(size).fill(i));
    let next = 0;
    const source = (): Buffer => sources[next++ % sources.length]!;
    report(`into a fresh buffer, ${regime}`, size, {
      'applyMaskTo (trip into it)': () => applyMaskTo(source(), fresh(), 0, KEY, 0),
      'one-pass 64-bit copy': () => maskCopy64(source(), fresh(), 0, KEY, 0),
      'copy, then trip in place': () => {
        const target = fresh();
        target.set(source());
        applyMask(target, KEY, 0);
      },
      'copy, then 64-bit XOR in place': () => {
        const target = fresh();
        target.set(source());
        mask64(target, KEY, 0);
      },
      'ws: allocUnsafe, copy, bufferutil': () => {
        const target = Buffer.allocUnsafe(size);
        target.set(source());
        bufferUtil.mask(target, KEY_BUFFER, target, 0, size);
      },
    });
  }
}

{
  // A read held in WebAssembly memory with a kernel instance of its own over it.
  const readMemory = new WebAssembly.Memory({ initial: 2, maximum: 2 });
  const { mask } = new WebAssembly.Instance(new WebAssembly.Module(simdModuleBytes()), { env: { memory: readMemory } }).exports as {
    mask(at: number, length: number, key: number): void;
  };
  const wasmRead = new Uint8Array(readMemory.buffer, 0, 65536).fill(3);
  const jsRead = Buffer.allocUnsafeSlow(65536).fill(3);
  const AT = 14;
  const LENGTH = 65536 - AT;
  const fresh = (): Uint8Array => new Uint8Array(Buffer.allocUnsafeSlow(LENGTH).buffer);
  report('piece of a read (in cache) into a fresh message', LENGTH, {
    'applyMaskTo from a JavaScript read': () => applyMaskTo(jsRead.subarray(AT, AT + LENGTH), fresh(), 0, KEY, 0),
    'SIMD in a WebAssembly read, 1 copy': () => {
      // Vectors from AT keep the key's phase: 64 is a multiple of 4.
      const whole = LENGTH & ~63;
      mask(AT, whole, 0x78563412);
      for (let i = AT + whole; i < AT + LENGTH; i++) wasmRead[i] = wasmRead[i]! ^ KEY[(i - AT) & 3]!;
      fresh().set(wasmRead.subarray(AT, AT + LENGTH));
    },
    'ws: allocUnsafe, copy, bufferutil': () => {
      const target = Buffer.allocUnsafe(LENGTH);
      target.set(jsRead.subarray(AT, AT + LENGTH));
      bufferUtil.mask(target, KEY_BUFFER, target, 0, LENGTH);
    },
  });
}
