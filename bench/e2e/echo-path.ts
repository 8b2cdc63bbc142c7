/**
 * The echo server's own work per message, without the kernel: a server
 * connection over a Node `Duplex` whose reads are frames pushed in and
 * whose `write()` only counts, for wsdriver (`handleUpgrade`) and ws with
 * its add-ons, side by side. `wsdriver` echoes text as ws does, as its
 * checked bytes (`decodeText: false`, `text(bytes)`), as the end-to-end
 * servers do; `wsdriver-strings` decodes each text message to a string and
 * encodes it back, as an application that reads text does. What is left is the per-message path the
 * end-to-end echo pays on top of the raw TCP line: stream events, the
 * adapter, parsing, unmasking, UTF-8, the message event, encoding and the
 * stream's write bookkeeping.
 *
 *   npx tsx --expose-gc bench/e2e/echo-path.ts [--reps=N] [--sizes=16,4096] [--only=wsdriver,ws]
 *
 * (`--only` measures one implementation, to profile it with `node --cpu-prof`.)
 * Each frame is pushed in reads of at most 64 KiB, as Node reads a socket
 * (`--read=N` for another size).
 *
 * CPU time (user + system, `process.cpuUsage()`) per message, not wall
 * time: another process on the machine slows the wall clock, not this.
 * The implementations alternate, and each figure is the median over the
 * repetitions, with the lowest and highest beside it.
 *
 * @module
 */
import { createRequire } from 'node:module';
import { Duplex } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { BUILT_ENTRY, ensureBuilt } from '../built.js';
import { median } from '../stats.js';
import { KEY, clientFrame } from './wire.js';

const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const REPS = Number(args.find((a) => a.startsWith('--reps='))?.slice(7) ?? 7);
const KiB = 1024;
const SIZES = (args.find((a) => a.startsWith('--sizes='))?.slice(8).split(',') ?? [16, 4 * KiB, 64 * KiB, 1024 * KiB]).map(Number);
const ONLY = args.find((a) => a.startsWith('--only='))?.slice(7).split(',');
const READ = Number(args.find((a) => a.startsWith('--read='))?.slice(7) ?? 64 * KiB);
/** Bytes echoed per measurement, so each size runs a comparable time. */
const VOLUME = 64 * 1024 * KiB;

ensureBuilt();
const { Driver } = (await import(pathToFileURL(BUILT_ENTRY).href)) as typeof import('../../lib/index.js');
const node = (await import(pathToFileURL(BUILT_ENTRY.replace(/index\.js$/, 'adapters/node/index.js')).href)) as typeof import('../../lib/adapters/node/index.js');
const { WebSocket } = require('ws') as typeof import('ws');

/** A socket stand-in: `write()` completes at once and counts bytes; reads are pushed by the caller. */
class CountingSocket extends Duplex {
  written = 0;
  constructor() {
    super({ read() {} });
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.written += chunk.length;
    done();
  }
  override _writev(chunks: { chunk: Buffer }[], done: () => void): void {
    for (const { chunk } of chunks) this.written += chunk.length;
    done();
  }
  // What ws and the adapter call on a net.Socket.
  setNoDelay(): this {
    return this;
  }
  setTimeout(): this {
    return this;
  }
}

type Echo = (socket: CountingSocket) => void;

function upgraded(socket: CountingSocket, decodeText: boolean) {
  const request = {
    method: 'GET',
    url: '/',
    httpVersion: '1.1',
    headers: { host: 'localhost', upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': KEY, 'sec-websocket-version': '13' },
  };
  return node.handleUpgrade(request as never, socket, new Uint8Array(0), { maxLength: 64 * 1024 * KiB, decodeText });
}

const echoes: Record<string, Echo> = {
  wsdriver(socket) {
    const driver = upgraded(socket, false);
    driver.on('message', ({ data, type }) => (type === 'text' ? driver.text(data) : driver.binary(data as Uint8Array)));
    driver.start();
  },
  'wsdriver-strings'(socket) {
    const driver = upgraded(socket, true);
    driver.on('message', ({ data }) => (typeof data === 'string' ? driver.text(data) : driver.binary(data)));
    driver.start();
  },
  ws(socket) {
    const ws = new WebSocket(null as never, undefined, {});
    // What WebSocketServer does with an upgraded socket (not in ws's types).
    const upgraded = ws as unknown as { setSocket(socket: Duplex, head: Buffer, options: object): void };
    upgraded.setSocket(socket, Buffer.alloc(0), { allowSynchronousEvents: true, maxPayload: 64 * 1024 * KiB });
    ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
  },
};

/** CPU microseconds per message echoing `count` frames of `size` bytes, one read per frame. */
async function measure(echo: Echo, size: number, count: number): Promise<number> {
  const socket = new CountingSocket();
  echo(socket);
  // The stream starts flowing on the next tick; from then on a push is read at once.
  await new Promise(setImmediate);
  const payload = Buffer.alloc(size, 'x');
  const frame = clientFrame(size >= 64 * KiB ? 2 : 1, payload);
  // Each read is a fresh Buffer, as a socket's are (the driver takes ownership of what it reads).
  const readsOf = (bytes: Buffer) => Array.from({ length: Math.ceil(bytes.length / READ) }, (_, i) => Buffer.from(bytes.subarray(i * READ, (i + 1) * READ)));
  const reads = Array.from({ length: Math.min(count, 256) }, () => readsOf(frame));
  for (let i = 0; i < Math.min(count, 200); i++) {
    for (const read of readsOf(frame)) socket.push(read);
    await new Promise(process.nextTick);
  }
  (globalThis as { gc?: () => void }).gc?.();
  const before = socket.written;
  // The ticks' work runs between reads, as it does after each read from a
  // socket (write callbacks, the end-of-tick uncork): without these turns a
  // loop of pushes keeps every message reachable from the tick queue until
  // it ends (64 MiB of them at 64 KiB), and measures that garbage instead.
  const turnEvery = Math.max(1, Math.floor((256 * KiB) / size));
  const start = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    for (const read of i < reads.length ? reads[i]! : readsOf(frame)) socket.push(read);
    if (i % turnEvery === turnEvery - 1) await new Promise(process.nextTick);
  }
  const used = process.cpuUsage(start);
  if (socket.written - before < count * size) throw new Error(`echoed ${socket.written - before} bytes of ${count * size}`);
  socket.destroy();
  return (used.user + used.system) / count;
}

const names = ONLY ?? Object.keys(echoes);
console.log(`echo path, CPU µs per message (median of ${REPS}, low-high); Node ${process.version}`);
console.log(`| size | ${names.join(' | ')} | ${names.filter((n) => n !== 'ws').map((n) => `${n} / ws`).join(' | ')} |`);
console.log(`| ---: |${' ---: |'.repeat(names.length * 2 - (names.includes('ws') ? 1 : 0))}`);
for (const size of SIZES) {
  const count = Math.max(200, Math.min(200_000, Math.floor(VOLUME / size)));
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const ratios: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let rep = 0; rep < REPS; rep++) {
    // Rotated, so that no implementation always runs first.
    const order = names.map((_, i) => names[(i + rep) % names.length]!);
    const got: Record<string, number> = {};
    for (const name of order) got[name] = await measure(echoes[name]!, size, count);
    for (const name of names) {
      samples[name]!.push(got[name]!);
      if (names.includes('ws')) ratios[name]!.push(got[name]! / got.ws!);
    }
  }
  const cell = (xs: number[]) => `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)})`;
  const ratioCells = names.includes('ws') ? names.filter((n) => n !== 'ws').map((n) => cell(ratios[n]!)) : [];
  console.log(`| ${size >= KiB ? `${size / KiB} KiB` : `${size} B`} | ${names.map((n) => cell(samples[n]!)).join(' | ')} | ${ratioCells.join(' | ')} |`);
}
