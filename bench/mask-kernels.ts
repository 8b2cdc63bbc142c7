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
 *   an unmask in place (trip or 64-bit), and ws's way (`allocUnsafe`, a copy,
 *   bufferutil). Sources cycle through 8 MiB, as fresh socket reads do.
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
const { loadSimdMask } = (await import(pathToFileURL(`${frameDir}mask-simd.js`).href)) as typeof import('../lib/frame/mask-simd.js');
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
  const calls = Math.max(20, Math.round(1e8 / size / 1000));
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
  const sources = Array.from({ length: Math.max(4, (8 << 20) / size) }, (_, i) => Buffer.allocUnsafeSlow(size).fill(i));
  let next = 0;
  const source = (): Buffer => sources[next++ % sources.length]!;
  const fresh = (): Uint8Array => new Uint8Array(Buffer.allocUnsafeSlow(size).buffer);
  report('into a fresh buffer', size, {
    'applyMaskTo (trip into it)': () => applyMaskTo(source(), fresh(), 0, KEY, 0),
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
