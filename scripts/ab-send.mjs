// A/B of wsdriver builds on one in-process send row, in ONE process: each
// build is loaded (with its wsdriver/node entry, as bench/implementations.ts
// loads it) and driven by its own copy of the bench's send path (the
// SinkSocket server or the client-server pair, the counting or copying sink),
// made with `new Function` so no two builds share JIT feedback. Repetitions
// are interleaved build by build (the first build rotates), each a full GC
// then whole passes until MIN_MS of this process's CPU time (user + system)
// is spent; a pass is 1 MiB of messages, as in the bench. Printed: median
// CPU ns per message [range], and the median of the per-repetition speed
// ratios to the first build [range].
//
//   node --expose-gc scripts/ab-send.mjs 'send client text 16 B' 21 before=/other/checkout/dist after=dist
//
// Rows: `send server|client text|binary <n> B|KiB|MiB[, copying sink]`.
// SINK=node has the sink do what Node's Writable does with a Uint8Array that
// is not a Buffer (a Buffer view over its ArrayBuffer), as a net.Socket
// write would. MIN_MS (default 30) sets the CPU time per repetition.
// Used for bench/analysis.md, "Issue 10's dropped rows".

import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const [row, repsArg, ...builds] = process.argv.slice(2);
const reps = Number(repsArg);
const parsed = /^send (server|client) (text|binary) (\d+) (B|KiB|MiB)(, copying sink)?$/.exec(row ?? '');
if (parsed === null || !(reps > 0) || builds.length === 0) {
  console.error("usage: node --expose-gc scripts/ab-send.mjs 'send server binary 16 B' REPS name=DIST [name=DIST ...]");
  process.exit(2);
}
if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');
const [, role, kind, n, unit, copying] = parsed;
const size = Number(n) * { B: 1, KiB: 1024, MiB: 1024 * 1024 }[unit];
const sinkKind = copying ? 'copy' : (process.env.SINK ?? 'count');
const minNs = Number(process.env.MIN_MS ?? 30) * 1e6;
// As bench/workloads.ts: whole messages of about 1 MiB a pass, 64 distinct ones.
const count = Math.max(4, Math.round((1024 * 1024) / size));
const distinct = Math.min(count, 64);

// Seeded payloads: random bytes, or JSON-like ASCII text.
let seed = 0x9e3779b9;
const next = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
};
const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 {}[]:,"._-';
const messages = Array.from({ length: distinct }, () =>
  kind === 'binary'
    ? Uint8Array.from({ length: size }, () => next() & 0xff)
    : Array.from({ length: size }, () => ALPHABET[next() % ALPHABET.length]).join(''),
);

// The bench's send path, as source, so each build gets functions of its own.
const HARNESS = `
  const [Driver, role, sinkKind, toBuffer] = arguments;
  const REQUEST = new TextEncoder().encode('GET /chat HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\\r\\nSec-WebSocket-Version: 13\\r\\n\\r\\n');
  const state = { written: 0 };
  const RING = new Uint8Array(4 * 1024 * 1024).fill(1);
  let ringAt = 0;
  const sinks = {
    count: (bytes) => { state.written += bytes.length; },
    node: (bytes) => { state.written += toBuffer(bytes).length; },
    copy: (bytes) => {
      state.written += bytes.length;
      for (let at = 0; at < bytes.length; ) {
        if (ringAt === RING.length) ringAt = 0;
        const take = Math.min(bytes.length - at, RING.length - ringAt);
        RING.set(at === 0 && take === bytes.length ? bytes : bytes.subarray(at, at + take), ringAt);
        ringAt += take;
        at += take;
      }
    },
  };
  const write = sinks[sinkKind];
  class SinkSocket {
    sink = null;
    write(bytes) { if (this.sink !== null) this.sink(bytes); }
  }
  let sender;
  if (role === 'server') {
    const socket = new SinkSocket();
    const driver = Driver.server(socket, {});
    driver.on('connect', () => driver.start());
    driver.parse(REQUEST.slice());
    if (driver.readyState !== 1) throw new Error('server did not open');
    socket.sink = write;
    sender = { text: (m) => void driver.text(m), binary: (m) => void driver.binary(m) };
  } else {
    let toClient = () => {};
    let sink = () => {};
    const server = Driver.server({ write: (bytes) => toClient(bytes) });
    server.on('connect', () => server.start());
    const client = Driver.client({ url: 'ws://127.0.0.1/chat', write: (bytes) => sink(bytes) });
    sink = (bytes) => server.parse(bytes.slice());
    toClient = (bytes) => client.parse(bytes.slice());
    client.start();
    if (client.readyState !== 1) throw new Error('client did not open');
    sink = write;
    sender = { text: (m) => void client.text(m), binary: (m) => void client.binary(m) };
  }
  const sendAll = (kind, count, messages) => {
    const distinct = messages.length;
    if (kind === 'text') for (let i = 0; i < count; i++) sender.text(messages[i % distinct]);
    else for (let i = 0; i < count; i++) sender.binary(messages[i % distinct]);
  };
  return { state, sendAll };
`;

const { default: Stream } = await import('node:stream');
const runs = [];
for (const spec of builds) {
  const [name, dist] = spec.split('=');
  const root = resolve(dist);
  const { Driver } = await import(pathToFileURL(`${root}/esm/index.js`).href);
  await import(pathToFileURL(`${root}/esm/adapters/node/index.js`).href);
  runs.push({ name, ...new Function(HARNESS)(Driver, role, sinkKind, Stream._uint8ArrayToBuffer), samples: [] });
}

const cpuNs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) * 1000;
};
const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * CPU ns per pass, over whole passes: a large-message pass is about a
 * microsecond, cpuUsage's resolution, and reading the clock (a system
 * call) costs more than that, so it is read every 16 passes.
 */
function passes(run, least) {
  const start = cpuNs();
  let done = 0;
  for (;;) {
    run.state.written = 0;
    run.sendAll(kind, count, messages);
    if (run.state.written === 0) throw new Error(`${run.name} wrote nothing`);
    done++;
    if (done % 16 === 0 && cpuNs() - start >= least) return (cpuNs() - start) / done;
  }
}

for (const run of runs) passes(run, 100e6);
for (let rep = 0; rep < reps; rep++) {
  for (let k = 0; k < runs.length; k++) {
    const run = runs[(rep + k) % runs.length];
    globalThis.gc();
    run.samples.push(passes(run, minNs) / count);
  }
}
const first = runs[0];
for (const run of runs) {
  const ratios = run.samples.map((ns, i) => first.samples[i] / ns);
  const range = (values, digits) => `[${Math.min(...values).toFixed(digits)}-${Math.max(...values).toFixed(digits)}]`;
  console.log(
    `${row} (${sinkKind} sink)  ${run.name.padEnd(8)} ${median(run.samples).toFixed(1).padStart(9)} ns/msg ${range(run.samples, 1)}  speed vs ${first.name}: ${median(ratios).toFixed(2)} ${range(ratios, 2)}`,
  );
}
