/**
 * The side-by-side benchmark: wsdriver, ws with its native addons, ws
 * without them, and websocket-driver, each in its own process, run
 * interleaved (A B C A B C …) over several repetitions; medians and ratios
 * to ws-with-addons, next to two limits measured in the same run
 * (`Uint8Array.prototype.set` of the same bytes, and bufferutil's unmask).
 *
 *   npm run bench                 full run; writes bench/RESULTS.md
 *   npm run bench -- --quick      under a minute; prints only
 *   npm run bench -- --filter=recv   only workloads whose name contains "recv"
 *
 * Every workload is first run once untimed per implementation, checking
 * that exactly the expected messages came out; any mismatch aborts the run.
 *
 * @module
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBuilt } from './built.js';
import type { RunRequest, RunResult } from './worker.js';
import { WORKLOADS, type Workload } from './workloads.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const filter = args.find((a) => a.startsWith('--filter='))?.slice('--filter='.length);
const MiB = 1024 * 1024;
const VOLUME = quick ? 2 * MiB : 8 * MiB;
const REPS = quick ? 3 : 7;
const IDLE_CONNECTIONS = quick ? 2_000 : 10_000;
const PEAK_SIZE = quick ? 16 * MiB : 64 * MiB;

const IMPLEMENTATIONS = ['wsdriver', 'ws', 'ws-no-addons', 'websocket-driver'] as const;
const ANCHORS = ['memcpy', 'bufferutil-unmask'] as const;
type Name = (typeof IMPLEMENTATIONS)[number] | (typeof ANCHORS)[number];
const REFERENCE = 'ws';

function envFor(name: Name): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.WS_NO_BUFFER_UTIL;
  delete env.WS_NO_UTF_8_VALIDATE;
  if (name === 'ws-no-addons') {
    env.WS_NO_BUFFER_UTIL = '1';
    env.WS_NO_UTF_8_VALIDATE = '1';
  }
  return env;
}

interface Worker {
  readonly name: Name;
  readonly child: ChildProcess;
  run(request: RunRequest): Promise<RunResult>;
}

async function startWorker(name: Name): Promise<Worker> {
  const child = fork(join(here, 'worker.ts'), [name], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    env: envFor(name),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<{ bufferutil: boolean | null }>((resolve, reject) => {
    child.once('message', (message) => resolve(message as { bufferutil: boolean | null }));
    child.once('exit', (code) => reject(new Error(`${name} worker exited with ${code}`)));
  });
  if (name === 'ws' && ready.bufferutil !== true) throw new Error('ws is not using bufferutil: the native addon did not load');
  if (name === 'ws-no-addons' && ready.bufferutil !== false) throw new Error('ws-no-addons is still using bufferutil');
  return {
    name,
    child,
    run: (request) =>
      new Promise((resolve, reject) => {
        const onExit = (code: number | null) => reject(new Error(`${name} worker exited with ${code}`));
        child.once('exit', onExit);
        child.once('message', (message) => {
          child.off('exit', onExit);
          resolve(message as RunResult);
        });
        child.send(request);
      }),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

interface Row {
  readonly workload: Workload;
  /** Median ns of the timed pass, by name. */
  readonly ns: Partial<Record<Name, number>>;
  /** Payload bytes per pass. */
  readonly bytes: number;
  readonly messages: number;
}

async function measure(workers: Worker[], workload: Workload): Promise<Row> {
  const active = workers.filter((w) => workload.direction === 'receive' || !(ANCHORS as readonly string[]).includes(w.name));
  // Untimed first pass: warms each implementation up and checks its output.
  let bytes = 0;
  let messages = 0;
  for (const worker of active) {
    const result = await worker.run({ workload: workload.id, volume: VOLUME, verify: true });
    if (result.error !== undefined) throw new Error(`${worker.name} failed "${workload.id}": ${result.error}`);
    if (!(ANCHORS as readonly string[]).includes(worker.name)) {
      bytes = result.bytes;
      messages = result.messages;
    }
  }
  const samples = new Map<Name, number[]>();
  for (let rep = 0; rep < REPS; rep++) {
    // Rotate who goes first, so no implementation always follows the same one.
    for (let k = 0; k < active.length; k++) {
      const worker = active[(rep + k) % active.length]!;
      const result = await worker.run({ workload: workload.id, volume: VOLUME, verify: false });
      if (result.error !== undefined) throw new Error(`${worker.name} failed "${workload.id}": ${result.error}`);
      (samples.get(worker.name) ?? samples.set(worker.name, []).get(worker.name)!).push(result.ns);
    }
  }
  const ns: Partial<Record<Name, number>> = {};
  for (const [name, values] of samples) ns[name] = median(values);
  return { workload, ns, bytes, messages };
}

interface MemoryFigures {
  readonly idle: Record<string, { heap: number; arrayBuffers: number }>;
  readonly peak: Record<string, { live: number; ratio: number; rss: number }>;
}

function runMemory(name: string, mode: 'idle' | 'peak', arg: number): Record<string, number> {
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', join(here, 'memory.ts'), name, mode, String(arg)], {
    env: envFor(name as Name),
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (result.status !== 0) throw new Error(`memory ${name} ${mode} failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as Record<string, number>;
}

function memoryFigures(): MemoryFigures {
  const figures: MemoryFigures = { idle: {}, peak: {} };
  for (const name of ['wsdriver', 'ws', 'websocket-driver']) {
    const idle = runMemory(name, 'idle', IDLE_CONNECTIONS);
    figures.idle[name] = { heap: idle.heapPerConnection!, arrayBuffers: idle.arrayBuffersPerConnection! };
    const peak = runMemory(name, 'peak', PEAK_SIZE);
    figures.peak[name] = { live: peak.peakLive!, ratio: peak.peakRatio!, rss: peak.rssGrowth! };
  }
  return figures;
}

// --- formatting ---

const gbps = (bytes: number, ns: number | undefined) => (ns === undefined ? '' : (bytes / ns).toFixed(2));
const ratio = (reference: number | undefined, ns: number | undefined) => (reference === undefined || ns === undefined ? '' : (reference / ns).toFixed(2) + '×');

function target(row: Row): number {
  const w = row.workload;
  if (w.direction === 'receive' && w.size <= 1024) return 1.5;
  return 1.0;
}

function table(rows: Row[]): string {
  const lines = [
    '| workload | msgs/pass | wsdriver GB/s | ws GB/s | ws no addons GB/s | websocket-driver GB/s | **wsdriver / ws** | ws no addons / ws | wsdriver / websocket-driver | target | memcpy GB/s | bufferutil unmask GB/s |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |',
  ];
  for (const row of rows) {
    const { ns, bytes } = row;
    const r = ns.ws! / ns.wsdriver!;
    const vsDriver = ns['websocket-driver']! / ns.wsdriver!;
    const met = r >= target(row) && vsDriver >= 4 ? 'met' : 'NOT met';
    lines.push(
      `| ${row.workload.id} | ${row.messages} | ${gbps(bytes, ns.wsdriver)} | ${gbps(bytes, ns.ws)} | ${gbps(bytes, ns['ws-no-addons'])} | ${gbps(bytes, ns['websocket-driver'])} | **${ratio(ns.ws, ns.wsdriver)}** | ${ratio(ns.ws, ns['ws-no-addons'])} | ${vsDriver.toFixed(1)}× | ≥ ${target(row)}× ws, ≥ 4× w-d: ${met} | ${gbps(bytes, ns.memcpy)} | ${gbps(bytes, ns['bufferutil-unmask'])} |`,
    );
  }
  return lines.join('\n');
}

function memoryTable(memory: MemoryFigures): string {
  const kib = (n: number) => (n / 1024).toFixed(2);
  const mib = (n: number) => (n / MiB).toFixed(1);
  const lines = [
    `| implementation | heap per idle connection (KiB) | array buffers per idle connection (KiB) | peak live, ${PEAK_SIZE / MiB} MiB message in 16 KiB fragments (MiB) | peak / message size | peak RSS growth (MiB) |`,
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const name of Object.keys(memory.idle)) {
    const idle = memory.idle[name]!;
    const peak = memory.peak[name]!;
    lines.push(`| ${name} | ${kib(idle.heap)} | ${kib(idle.arrayBuffers)} | ${mib(peak.live)} | ${peak.ratio.toFixed(2)}× | ${mib(peak.rss)} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const started = Date.now();
  ensureBuilt();
  const workloads = WORKLOADS.filter((w) => filter === undefined || w.id.includes(filter));
  const workers: Worker[] = [];
  try {
    for (const name of [...IMPLEMENTATIONS, ...ANCHORS]) workers.push(await startWorker(name));
    const rows: Row[] = [];
    for (const workload of workloads) {
      const row = await measure(workers, workload);
      rows.push(row);
      const { ns } = row;
      console.log(
        `${workload.id.padEnd(38)} wsdriver ${gbps(row.bytes, ns.wsdriver).padStart(6)} GB/s  ws ${gbps(row.bytes, ns.ws).padStart(6)}  ws-no-addons ${gbps(row.bytes, ns['ws-no-addons']).padStart(6)}  w-d ${gbps(row.bytes, ns['websocket-driver']).padStart(6)}  → ${ratio(ns.ws, ns.wsdriver)} ws, ${ratio(ns['websocket-driver'], ns.wsdriver)} w-d`,
      );
    }
    for (const worker of workers) worker.child.kill();
    workers.length = 0;
    const memory = filter === undefined ? memoryFigures() : null;
    const body = [
      `Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}; ${new Date().toISOString().slice(0, 10)}.`,
      `Volume per pass: ${VOLUME / MiB} MiB of payload; ${REPS} interleaved repetitions; medians. Ratios > 1 mean wsdriver is faster.`,
      '',
      table(rows),
      ...(memory === null ? [] : ['', memoryTable(memory)]),
    ].join('\n');
    console.log('\n' + body);
    console.log(`\n(${((Date.now() - started) / 1000).toFixed(0)} s)`);
    if (!quick && filter === undefined) {
      // The hand-written analysis (what limits each target not met) follows the figures.
      const analysisFile = join(here, 'analysis.md');
      const analysis = existsSync(analysisFile) ? `\n${readFileSync(analysisFile, 'utf8')}` : '';
      writeFileSync(join(here, 'RESULTS.md'), `# Benchmark results\n\n\`npm run bench\` (bench/run.ts).\n\n${body}\n${analysis}`);
      console.log('wrote bench/RESULTS.md');
    }
  } finally {
    for (const worker of workers) worker.child.kill();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
