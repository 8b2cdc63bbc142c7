// A/B of wsdriver builds on the Node adapter's receive path, in ONE process:
// masked frames parsed as borrowed input out of each build's shared read
// buffer (lib/adapters/node/read-buffer.ts: WebAssembly memory where the
// build has `sharedReadBuffer`, else a plain 256 KiB buffer, what builds
// before it read into), as the adapter parses a socket's reads. Each build
// is loaded with its wsdriver/node entry and drives its own server driver.
// A pass is about 24 MiB of frames cut into reads of the size given; each
// read is copied into the build's buffer (as the kernel would) and only
// `parse()` is timed, by this process's CPU time (user + system).
// Repetitions are interleaved build by build (the order alternates), each
// after a full GC. Printed per build: median CPU µs per message; and the
// median of the per-repetition ratios to the first build [range].
//
//   node --expose-gc scripts/ab-read.mjs 'binary 64 KiB' 262144 101 before=/other/checkout/dist after=dist
//
// Messages: `binary|text <n> B|KiB|MiB` (text is ASCII, decoded to a
// string). The last 8 messages of each build are kept alive, and the last
// is checked byte for byte. Used for bench/analysis.md, "Large binary,
// session 10".

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [message, readArg, repsArg, ...builds] = process.argv.slice(2);
const parsed = /^(binary|text) (\d+) (B|KiB|MiB)$/.exec(message ?? '');
const readSize = Number(readArg);
const reps = Number(repsArg);
if (parsed === null || !(readSize > 0 && readSize <= 256 * 1024) || !(reps > 0) || builds.length === 0) {
  console.error("usage: node --expose-gc scripts/ab-read.mjs 'binary 64 KiB' READ_BYTES REPS name=DIST [name=DIST ...]");
  process.exit(2);
}
if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');
const text = parsed[1] === 'text';
const size = Number(parsed[2]) * { B: 1, KiB: 1024, MiB: 1024 * 1024 }[parsed[3]];
const REQUEST = new TextEncoder().encode(
  'GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
);

/** Byte `i` of message `f`: ASCII for text. */
const byteOf = (i, f) => (text ? (i * 13 + f) & 127 : (i * 13 + f) & 255);

// About 24 MiB of masked frames, each with a key of its own.
const frames = Math.max(16, Math.ceil((24 << 20) / size));
const header = 2 + (size < 126 ? 0 : size < 65536 ? 2 : 8) + 4;
const stream = new Uint8Array(frames * (header + size));
for (let f = 0, at = 0; f < frames; f++, at += header + size) {
  stream[at] = text ? 0x81 : 0x82;
  if (size < 126) stream[at + 1] = 0x80 | size;
  else if (size < 65536) stream.set([0x80 | 126, size >> 8, size & 255], at + 1);
  else {
    stream[at + 1] = 0x80 | 127;
    new DataView(stream.buffer).setUint32(at + 6, size);
  }
  const key = at + header - 4;
  for (let i = 0; i < 4; i++) stream[key + i] = (f * 31 + i * 7 + 1) & 255;
  for (let i = 0; i < size; i++) stream[key + 4 + i] = byteOf(i, f) ^ stream[key + (i & 3)];
}

async function load(spec) {
  const [name, dir] = spec.split('=');
  const root = pathToFileURL(`${resolve(dir)}/esm/`).href;
  const { Driver } = await import(`${root}index.js`);
  await import(`${root}adapters/node/index.js`);
  const { borrowInput } = await import(`${root}frame/borrowed-input.js`);
  const readBuffer = await import(`${root}adapters/node/read-buffer.js`);
  const read = typeof readBuffer.sharedReadBuffer === 'function' ? readBuffer.sharedReadBuffer() : new Uint8Array(256 * 1024);
  const driver = Driver.server({ write() {} }, { maxLength: 4 << 20 });
  driver.on('connect', () => driver.start());
  driver.parse(REQUEST.slice());
  if (driver.readyState !== 1) throw new Error(`${name}: the server did not open`);
  const build = { name, driver, borrowInput, read, count: 0, kept: [] };
  driver.on('message', (event) => {
    build.count++;
    build.kept.push(event.data);
    if (build.kept.length > 8) build.kept.shift();
  });
  driver.on('error', (error) => {
    throw error;
  });
  return build;
}

/** One pass: CPU µs per message. */
function pass(build) {
  let cpu = 0;
  const before = build.count;
  for (let at = 0; at < stream.length; at += readSize) {
    const n = Math.min(readSize, stream.length - at);
    build.read.set(stream.subarray(at, at + n));
    const start = process.cpuUsage();
    const was = build.borrowInput(true);
    try {
      build.driver.parse(build.read.subarray(0, n));
    } finally {
      build.borrowInput(was);
    }
    const spent = process.cpuUsage(start);
    cpu += spent.user + spent.system;
  }
  if (build.count - before !== frames) throw new Error(`${build.name}: ${build.count - before} messages of ${frames}`);
  return cpu / frames;
}

function check(build) {
  const last = build.kept.at(-1);
  const bytes = typeof last === 'string' ? new TextEncoder().encode(last) : last;
  if (bytes.length !== size) throw new Error(`${build.name}: a message of ${bytes.length} bytes`);
  for (let i = 0; i < size; i++) if (bytes[i] !== byteOf(i, frames - 1)) throw new Error(`${build.name}: byte ${i} differs`);
}

const loaded = [];
for (const spec of builds) loaded.push(await load(spec));
for (let i = 0; i < 3; i++) for (const build of loaded) pass(build);
loaded.forEach(check);
const perMessage = loaded.map(() => []);
for (let r = 0; r < reps; r++) {
  const order = loaded.map((_, i) => i);
  if (r & 1) order.reverse();
  for (const i of order) {
    globalThis.gc();
    perMessage[i].push(pass(loaded[i]));
  }
}
loaded.forEach(check);
const median = (list) => [...list].sort((a, b) => a - b)[list.length >> 1];
console.log(`${message}, reads of ${readSize} B, ${reps} repetitions`);
loaded.forEach((build, i) => {
  const ratios = perMessage[i].map((us, r) => us / perMessage[0][r]);
  const range = `[${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}]`;
  console.log(`  ${build.name}: ${median(perMessage[i]).toFixed(2)} µs/message, CPU ${median(ratios).toFixed(3)}× ${loaded[0].name}'s ${i === 0 ? '' : range}`);
});
