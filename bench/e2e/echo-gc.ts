/**
 * The large-message echo's full garbage collections, in-process: many
 * server connections over Node `Duplex`es whose writes complete one
 * event-loop turn later (a socket whose buffer is busy, as a loaded
 * server's are), a frame pushed to each in turn with a turn between, for
 * a fixed time. Each implementation runs in a child process of its own
 * (GC state is per process), the children alternate, and each reports:
 *
 * - messages echoed, CPU µs per message (`process.cpuUsage()`, all threads);
 * - minor page faults per message (`process.resourceUsage()`): fresh
 *   memory touched for the first time, which is most of what a large
 *   message's copy costs when malloc gives memory back between messages;
 * - mark-compacts (major GCs) and scavenges, counted by a `gc`
 *   PerformanceObserver (no V8 flags needed);
 * - external memory (`process.memoryUsage().arrayBuffers`) at the end.
 *
 *   npx tsx bench/e2e/echo-gc.ts [--reps=5] [--size=65536] [--conns=50] [--seconds=3] [--messages=N] [--ballast=MB] [--only=wsdriver,ws] [--flags=--trace-gc]
 *
 * Besides `wsdriver` (`handleUpgrade`) and `ws`, `--only` takes `core`
 * (`Driver.server` without the Node adapter, reads passed to `parse()`)
 * and `core-recv` (the same, receiving only), to tell the adapter's part
 * from the driver's.
 *
 * `--messages=N` runs a fixed number of messages instead of a fixed time
 * (with `--flags=--single-threaded-gc` the counts then vary less from
 * run to run). `--ballast=MB` keeps about that many megabytes of small
 * objects alive in each child before the run: the old generation of these
 * near-empty processes sits at about 8.4 MB, and how often V8 marks it
 * depends on its size (bench/analysis.md, "Echo, session 4").
 *
 * `--reuse-reads` (wsdriver and core only) pushes the same read buffers
 * again and again instead of a fresh Buffer per read, as a socket reading
 * into one buffer of its own would: what the young ArrayBuffer bytes of
 * the reads cost. The Node adapter does this itself on real TCP sockets
 * (lib/adapters/node/read-buffer.ts), but these stand-in Duplexes keep
 * their `data` events, so the flag is how this repro measures it. Safe
 * here only because every frame spans reads and is gathered (copied)
 * whole; ws keeps views of its reads, so it is refused.
 *
 * `--flags` passes V8/Node flags to the children (for example
 * `--trace-gc-nvp`, `--no-memory-reducer`), whose own output then passes
 * through (`--trace-gc-verbose` shows the external memory at each GC).
 *
 * How to read it: the counts follow elapsed time as much as messages (on
 * a loaded machine a run echoes 7,000 or 70,000 messages in the same 3 s),
 * so compare the per-1,000-message columns. Every scavenge here is V8's
 * "external memory pressure" one (32 MB of young ArrayBuffers), so
 * scavenges per 1,000 messages measure the ArrayBuffer bytes each message
 * allocates young (about 2 × 64 KiB: the read and the gathered message).
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { Duplex } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getHeapSpaceStatistics } from 'node:v8';
import { BUILT_ENTRY, ensureBuilt } from '../built.js';
import { median } from '../stats.js';
import { KEY, clientFrame } from './wire.js';

const args = process.argv.slice(2);
const arg = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const KiB = 1024;
const SIZE = Number(arg('size') ?? 64 * KiB);
const CONNS = Number(arg('conns') ?? 50);
const SECONDS = Number(arg('seconds') ?? 3);
const READ = 64 * KiB;

/** A socket stand-in whose writes complete one turn later; reads are pushed by the caller. */
class SlowSocket extends Duplex {
  written = 0;
  constructor() {
    super({ read() {} });
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.written += chunk.length;
    setImmediate(done);
  }
  override _writev(chunks: { chunk: Buffer }[], done: () => void): void {
    for (const { chunk } of chunks) this.written += chunk.length;
    setImmediate(done);
  }
  setNoDelay(): this {
    return this;
  }
  setTimeout(): this {
    return this;
  }
}

async function child(name: string): Promise<void> {
  const require = createRequire(import.meta.url);
  const { WebSocket } = require('ws') as typeof import('ws');
  const node = (await import(pathToFileURL(BUILT_ENTRY.replace(/index\.js$/, 'adapters/node/index.js')).href)) as typeof import('../../lib/adapters/node/index.js');
  const { Driver } = (await import(pathToFileURL(BUILT_ENTRY).href)) as typeof import('../../lib/index.js');
  const requestHead = Buffer.from(`GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  const echo = (socket: SlowSocket) => {
    if (name === 'core' || name === 'core-recv') {
      // The driver without the Node adapter: reads go straight to parse(),
      // written bytes are held until the next turn, as the socket's are.
      let held: Uint8Array[] = [];
      const release = () => (held = []);
      const write = (bytes: Uint8Array) => {
        socket.written += bytes.length;
        if (held.length === 0) setImmediate(release);
        held.push(bytes);
        return true;
      };
      const driver = Driver.server({ write }, { maxLength: 64 * 1024 * KiB });
      driver.on('connect', () => driver.start());
      if (name === 'core') driver.on('message', ({ data }) => driver.binary(data as Uint8Array));
      else driver.on('message', ({ data }) => (socket.written += (data as Uint8Array).length));
      driver.parse(requestHead);
      socket.push = (bytes: Buffer) => (driver.parse(bytes), true);
      return;
    }
    if (name === 'ws') {
      const ws = new WebSocket(null as never, undefined, {});
      (ws as unknown as { setSocket(s: Duplex, h: Buffer, o: object): void }).setSocket(socket, Buffer.alloc(0), { allowSynchronousEvents: true, maxPayload: 64 * 1024 * KiB });
      ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
      return;
    }
    const request = {
      method: 'GET',
      url: '/',
      httpVersion: '1.1',
      headers: { host: 'localhost', upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': KEY, 'sec-websocket-version': '13' },
    };
    const driver = node.handleUpgrade(request as never, socket, new Uint8Array(0), { maxLength: 64 * 1024 * KiB, decodeText: false });
    driver.on('message', ({ data, type }) => (type === 'text' ? driver.text(data) : driver.binary(data as Uint8Array)));
    driver.start();
  };
  // Long-lived objects standing in for an application's own state: about
  // 64 bytes each (an object and a short string), 16,384 per megabyte.
  const ballast = Array.from({ length: Number(arg('ballast') ?? 0) * 16 * KiB }, (_, i) => ({ index: i, name: String(i) }));
  const sockets = Array.from({ length: CONNS }, () => new SlowSocket());
  for (const socket of sockets) echo(socket);
  await new Promise(setImmediate);
  const frame = clientFrame(2, Buffer.alloc(SIZE, 'x'));
  const reuseReads = args.includes('--reuse-reads');
  if (reuseReads && name === 'ws') throw new Error('--reuse-reads: ws keeps views of its reads');
  const reads = Array.from({ length: Math.ceil(frame.length / READ) }, (_, i) => Buffer.from(frame.subarray(i * READ, (i + 1) * READ)));
  let major = 0;
  let minor = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as unknown as { detail: { kind: number } }).detail.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) major++;
      else if (kind === constants.NODE_PERFORMANCE_GC_MINOR) minor++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  const before = sockets.reduce((sum, s) => sum + s.written, 0);
  const start = process.cpuUsage();
  const faultsBefore = process.resourceUsage().minorPageFault;
  const until = performance.now() + SECONDS * 1000;
  const limit = Number(arg('messages') ?? Infinity);
  let messages = 0;
  while (limit === Infinity ? performance.now() < until : messages < limit) {
    for (const socket of sockets) {
      // Each read a fresh Buffer, as a socket's are.
      if (reuseReads) {
        // Written again each time, as the kernel would write it (the same copy Buffer.from makes, without the allocation).
        for (let i = 0; i < reads.length; i++) {
          const read = reads[i]!;
          read.set(frame.subarray(i * READ, i * READ + read.length));
          socket.push(read);
        }
      } else for (let at = 0; at < frame.length; at += READ) socket.push(Buffer.from(frame.subarray(at, at + READ)));
      messages++;
      await new Promise(setImmediate);
    }
  }
  const used = process.cpuUsage(start);
  const faults = process.resourceUsage().minorPageFault - faultsBefore;
  // Let the last writes complete and the observer's entries arrive.
  await new Promise((resolve) => setTimeout(resolve, 50));
  observer.disconnect();
  const echoed = sockets.reduce((sum, s) => sum + s.written, 0) - before;
  if (echoed < (messages - CONNS) * SIZE) throw new Error(`echoed ${echoed} bytes for ${messages} messages`);
  const oldSpaces = getHeapSpaceStatistics().filter((space) => !space.space_name.startsWith('new'));
  const oldGenerationMB = oldSpaces.reduce((sum, space) => sum + space.space_used_size, 0) / 1e6;
  const result = { messages, cpuUs: (used.user + used.system) / messages, faults: faults / messages, major, minor, arrayBuffersMB: process.memoryUsage().arrayBuffers / 1e6, oldGenerationMB, ballast: ballast.length };
  console.log(`RESULT ${JSON.stringify(result)}`);
}

type Result = { messages: number; cpuUs: number; faults: number; major: number; minor: number; arrayBuffersMB: number; oldGenerationMB: number };

function parent(): void {
  ensureBuilt();
  const REPS = Number(arg('reps') ?? 5);
  const names = arg('only')?.split(',') ?? ['wsdriver', 'ws'];
  const flags = arg('flags')?.split(',').filter(Boolean) ?? [];
  const self = fileURLToPath(import.meta.url);
  const results: Record<string, Result[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let rep = 0; rep < REPS; rep++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + rep) % names.length]!;
      const run = spawnSync(process.execPath, [...process.execArgv, ...flags, self, `--child=${name}`, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 28 });
      const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (!line) throw new Error(`${name}: no result\n${run.stdout.slice(-2000)}`);
      if (flags.length > 0) process.stdout.write(run.stdout.replace(line, ''));
      const result = JSON.parse(line.slice(7)) as Result;
      results[name]!.push(result);
      console.log(`rep ${rep + 1} ${name}: ${result.messages} msgs, ${result.cpuUs.toFixed(1)} µs/msg, ${result.faults.toFixed(1)} page faults/msg, ${result.major} major, ${result.minor} minor GCs, ${result.arrayBuffersMB.toFixed(1)} MB arrayBuffers, old generation ${result.oldGenerationMB.toFixed(2)} MB`);
    }
  }
  const cell = (xs: number[], digits: number) => `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)})`;
  console.log(`\n${CONNS} connections, ${SIZE} B binary echo, ${Number.isFinite(Number(arg('messages'))) ? `${arg('messages')} messages` : `${SECONDS} s`} per run, ${arg('ballast') ?? 0} MB ballast, median of ${REPS} (low-high); Node ${process.version} ${flags.join(' ')}`);
  console.log('| server | messages | CPU µs / msg | page faults / msg | mark-compacts | scavenges | mark-compacts / 1,000 msgs | scavenges / 1,000 msgs |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const name of names) {
    const rs = results[name]!;
    console.log(`| ${name} | ${cell(rs.map((r) => r.messages), 0)} | ${cell(rs.map((r) => r.cpuUs), 1)} | ${cell(rs.map((r) => r.faults), 1)} | ${cell(rs.map((r) => r.major), 0)} | ${cell(rs.map((r) => r.minor), 0)} | ${cell(rs.map((r) => (1000 * r.major) / r.messages), 2)} | ${cell(rs.map((r) => (1000 * r.minor) / r.messages), 2)} |`);
  }
}

const childName = arg('child');
if (childName) await child(childName);
else parent();
