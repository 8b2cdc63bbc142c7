/**
 * The echo server's own work per message, without the kernel: a server
 * connection over a Node `Duplex` whose reads are frames pushed in and
 * whose `write()` only counts, for wsdriver (`handleUpgrade`) and ws with
 * its add-ons, side by side. What is left is the per-message path the
 * end-to-end echo pays on top of the raw TCP line: stream events, the
 * adapter, parsing, unmasking, UTF-8, the message event, encoding and the
 * stream's write bookkeeping.
 *
 *   npx tsx --expose-gc bench/e2e/echo-path.ts [--reps=N] [--sizes=16,4096] [--only=wsdriver]
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
const ONLY = args.find((a) => a.startsWith('--only='))?.slice(7);
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

const echoes: Record<string, Echo> = {
  wsdriver(socket) {
    const request = {
      method: 'GET',
      url: '/',
      httpVersion: '1.1',
      headers: { host: 'localhost', upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': KEY, 'sec-websocket-version': '13' },
    };
    const driver = node.handleUpgrade(request as never, socket, new Uint8Array(0), { maxLength: 64 * 1024 * KiB });
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
  for (let i = 0; i < Math.min(count, 200); i++) for (const read of readsOf(frame)) socket.push(read);
  (globalThis as { gc?: () => void }).gc?.();
  const before = socket.written;
  const start = process.cpuUsage();
  for (let i = 0; i < count; i++) for (const read of i < reads.length ? reads[i]! : readsOf(frame)) socket.push(read);
  const used = process.cpuUsage(start);
  if (socket.written - before < count * size) throw new Error(`echoed ${socket.written - before} bytes of ${count * size}`);
  socket.destroy();
  return (used.user + used.system) / count;
}

console.log(`echo path, CPU µs per message (median of ${REPS}, low-high); Node ${process.version}`);
console.log('| size | wsdriver | ws | wsdriver / ws |');
console.log('| ---: | ---: | ---: | ---: |');
for (const size of SIZES) {
  const count = Math.max(200, Math.min(200_000, Math.floor(VOLUME / size)));
  const samples: Record<string, number[]> = { wsdriver: [], ws: [] };
  const ratios: number[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    const order = ONLY !== undefined ? [ONLY] : rep % 2 === 0 ? ['wsdriver', 'ws'] : ['ws', 'wsdriver'];
    const got: Record<string, number> = { wsdriver: NaN, ws: NaN };
    for (const name of order) got[name] = await measure(echoes[name]!, size, count);
    samples.wsdriver!.push(got.wsdriver!);
    samples.ws!.push(got.ws!);
    ratios.push(got.wsdriver! / got.ws!);
  }
  const cell = (xs: number[]) => `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)})`;
  console.log(`| ${size >= KiB ? `${size / KiB} KiB` : `${size} B`} | ${cell(samples.wsdriver!)} | ${cell(samples.ws!)} | ${cell(ratios)} |`);
}
