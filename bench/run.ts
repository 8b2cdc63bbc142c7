/**
 * The side-by-side benchmark: wsdriver, ws with its native addons, ws
 * without them, and websocket-driver, each in its own process, run
 * interleaved (A B C A B C …) over several repetitions; medians and ratios
 * to ws-with-addons, next to two limits measured in the same run
 * (`Uint8Array.prototype.set` of the same bytes, and bufferutil's unmask).
 *
 *   npm run bench                    full run; writes bench/RESULTS.md and bench/results.json
 *   npm run bench -- --quick         under a minute; prints only
 *   npm run bench -- --filter=recv   only workloads whose name contains "recv"; several
 *                                    alternatives separated by "|" (--filter='text 1 MiB|binary 16 B')
 *   npm run bench -- --json=FILE     also write the figures as JSON (see spread.ts)
 *   --reps=N --min-ms=N --warmup-ms=N --volume-mib=N   override the run's shape
 *   --only=wsdriver,ws               only these implementations (and anchors) run
 *   --default-malloc                 leave glibc's malloc tuning alone (see STEADY_MALLOC)
 *   --fresh-workers                  with --compat: a new pair of workers for each row (see freshWorkers)
 *   --twin=ws                        a second worker of this implementation: the ratio of two processes
 *                                    running the same code, row by row (the harness's own noise floor)
 *   --processes=N                    N worker processes per implementation (3; 1 with --quick),
 *                                    a row's repetitions spread over them (see PROCESSES)
 *   --clock=cpu                      time passes by the worker's CPU time (user + system), not
 *                                    wall time: for a machine others share (never published)
 *   --under-tsx                      run the workers under tsx, as before session 10 (see plain-script.ts)
 *   --compat                         the compat package (packages/websocket-driver-compat, as
 *                                    built) against websocket-driver 0.8.0 only, on the receive
 *                                    and send rows of COMPAT_WORKLOADS; writes its section of
 *                                    bench/RESULTS.md unless another option changes the run
 *
 * Each implementation runs in several worker processes (PROCESSES). For
 * each workload, every process first runs one untimed pass on a
 * fresh connection, checking that exactly the expected messages (or frames)
 * came out; any mismatch aborts the run. Then each warms up a connection of
 * its own for the workload (untimed passes), and the repetitions follow,
 * interleaved, an implementation's in its processes in turn: each is a full
 * GC, then timed passes on that warm connection until at least `--min-ms`
 * of work is timed. A repetition's figure is its
 * bytes over its summed time; the row's figure is the median repetition.
 *
 * @module
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBuilt, ensureCompatBuilt } from './built.js';
import { plainScript } from './plain-script.js';
import { repetitionTurns } from './schedule.js';
import type { RunRequest, RunResult } from './worker.js';
import { median, medianOf, pairedRatios, ratioOf, type ResultRow, type RunFile } from './stats.js';
import { WORKLOADS, type Workload } from './workloads.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const option = (key: string): string | undefined => args.find((a) => a.startsWith(`--${key}=`))?.slice(key.length + 3);
const numberOption = (key: string, fallback: number): number => {
  const value = option(key);
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!(n > 0)) throw new RangeError(`--${key} must be a positive number, got ${value}`);
  return n;
};
const filter = option('filter');
const clock = option('clock') ?? 'wall';
if (clock !== 'wall' && clock !== 'cpu') throw new RangeError(`--clock must be wall or cpu, got ${clock}`);
/** Whether a workload is in the run: its name contains one of --filter's "|"-separated parts. */
const selected = (id: string): boolean => filter === undefined || filter.split('|').some((part) => id.includes(part));
const jsonFile = option('json');
const MiB = 1024 * 1024;
/** Payload bytes per pass (whole messages, at least 4 of them). */
const VOLUME = numberOption('volume-mib', quick ? 0.5 : 1) * MiB;
/** Interleaved repetitions per implementation; the median is reported. */
const REPS = Math.round(numberOption('reps', quick ? 3 : 9));
/** Timed work per repetition, at least: passes are repeated until it is reached. */
const MIN_MS = numberOption('min-ms', quick ? 15 : 30);
/**
 * Untimed passes before the first repetition, on the connection the
 * repetitions use. The first ~50 ms of a workload run at a fraction of the
 * steady speed (V8's heap and the process's memory growing to fit it).
 */
const WARMUP_MS = numberOption('warmup-ms', quick ? 50 : 100);
/** A repetition has at least this many passes, however slow: its figure is the median one. */
const MIN_PASSES = quick ? 3 : 5;
/** The warm-up's passes, at least (a quick run spares the slowest implementations a few). */
const WARMUP_PASSES = quick ? 1 : MIN_PASSES;
const IDLE_CONNECTIONS = quick ? 2_000 : 10_000;
const PEAK_SIZE = quick ? 16 * MiB : 64 * MiB;
/**
 * glibc's malloc, held in its steady state for every worker alike: blocks up
 * to 32 MiB come from the heap, and freed memory is kept rather than given
 * back. By default the threshold for mapping a block on its own moves as
 * blocks are freed, and free memory at the top of the heap is returned to
 * the system past a limit that moves with it, so whether a 1 MiB buffer
 * costs 256 page faults depends on when the last GC ran: the same pass
 * measured 2× apart from one repetition to the next. `--default-malloc`
 * turns this off.
 */
const STEADY_MALLOC = args.includes('--default-malloc') ? null : 'glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296';
/** Whether this run writes bench/RESULTS.md and bench/results.json. */
const PUBLISH = !quick && filter === undefined && !args.includes('--under-tsx') && ['reps', 'min-ms', 'warmup-ms', 'volume-mib', 'only', 'clock', 'twin', 'processes'].every((key) => option(key) === undefined) && STEADY_MALLOC !== null;

const IMPLEMENTATIONS = ['wsdriver', 'ws', 'ws-no-addons', 'websocket-driver'] as const;
const ANCHORS = ['memcpy', 'bufferutil-unmask'] as const;
type Name = (typeof IMPLEMENTATIONS)[number] | (typeof ANCHORS)[number] | 'websocket-driver-compat';
/**
 * --twin=NAME: a second worker of implementation NAME, run in the rotation
 * like any other and labelled "NAME twin". The same code in two processes:
 * the median and range of its per-repetition ratios to NAME are the noise
 * floor of a ratio between two workers, row by row (bench/analysis.md,
 * "Masked binary rows, session 11"). Never published.
 */
const twin = option('twin') as Name | undefined;
/**
 * Worker processes per implementation (--processes=N, 3 unless --quick);
 * each row's repetitions go to them in turn (see measure), so no row's
 * figure is one process's luck. In one process per implementation, two
 * processes of the same code measured 0.66-1.45× each other on the masked
 * binary rows, steadily across a run's repetitions (--twin); over three
 * each, 0.81-1.14× (bench/analysis.md, "Masked binary rows, session 11").
 */
const PROCESSES = Math.round(numberOption('processes', quick ? 1 : 3));
const twinLabel = (name: Name): string => `${name} twin`;
const compatMode = args.includes('--compat');
/**
 * --fresh-workers (with --compat): each row in a new pair of workers, so
 * no row runs on code the JIT optimised for the rows before it. In one
 * worker, three earlier rows of any kind (even receive rows) took the
 * compat 16 B send from 83 to 170 ns of CPU per message, websocket-driver's
 * from about 100 to 110-150 (bench/analysis.md, "The 16 B compat send").
 */
const freshWorkers = args.includes('--fresh-workers');
/** The rows of the compat run: bytes fed to parse(), messages delivered as websocket-driver delivers them; and sending. */
const COMPAT_WORKLOADS = [
  'recv binary 16 B', 'recv binary 1 KiB', 'recv binary 64 KiB', 'recv binary 1 MiB',
  'recv text 16 B', 'recv text 1 KiB', 'recv text 64 KiB', 'recv text 1 MiB',
  'send server text 16 B', 'send server text 1 KiB', 'send server text 64 KiB', 'send server text 1 MiB',
  'send server binary 16 B', 'send server binary 1 KiB', 'send server binary 64 KiB', 'send server binary 1 MiB',
  'send client text 1 KiB', 'send client binary 1 KiB', 'send client binary 1 MiB',
];
const COMPAT_START = '<!-- compat rows: npm run bench -- --compat -->';
const COMPAT_END = '<!-- end of compat rows -->';
const REFERENCE = 'ws';

function envFor(name: Name): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.WS_NO_BUFFER_UTIL;
  delete env.WS_NO_UTF_8_VALIDATE;
  if (name === 'ws-no-addons') {
    env.WS_NO_BUFFER_UTIL = '1';
    env.WS_NO_UTF_8_VALIDATE = '1';
  }
  if (STEADY_MALLOC) env.GLIBC_TUNABLES = STEADY_MALLOC;
  if (clock === 'cpu') env.BENCH_CLOCK = 'cpu';
  else delete env.BENCH_CLOCK;
  return env;
}

interface Worker {
  /** The implementation's name, or its twin's label (see --twin). */
  readonly name: string;
  /** The implementation it runs (a twin's too). */
  readonly implementation: Name;
  readonly child: ChildProcess;
  run(request: RunRequest): Promise<RunResult>;
}

/** The children run bundled into plain JavaScript (plain-script.ts) unless asked to run under tsx, for comparison. */
const UNDER_TSX = args.includes('--under-tsx');
/** What each child script runs as: its plain-JavaScript bundle (made once, in `main`), or the script itself under tsx. */
const launch = new Map<string, { script: string; loader: readonly string[] }>();
async function prepareScripts(scripts: readonly string[]): Promise<void> {
  for (const script of scripts) {
    launch.set(script, UNDER_TSX ? { script: join(here, script), loader: ['--import', 'tsx'] } : { script: await plainScript(join(here, script)), loader: [] });
  }
}

async function startWorker(name: Name, label: string = name): Promise<Worker> {
  const { script, loader } = launch.get('worker.ts')!;
  const child = fork(script, [name], {
    // BENCH_WORKER_FLAGS: extra V8/Node flags for diagnosis (say --trace-gc or --trace-deopt).
    execArgv: [...loader, '--expose-gc', ...(process.env.BENCH_WORKER_FLAGS?.split(' ').filter(Boolean) ?? [])],
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
    name: label,
    implementation: name,
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

/** One workload's figures: the GB/s of each repetition, by name. */
interface Row extends ResultRow {
  readonly workload: Workload;
}

const isAnchor = (name: string) => (ANCHORS as readonly string[]).includes(name);

async function ask(worker: Worker, request: RunRequest): Promise<RunResult> {
  const result = await worker.run(request);
  if (result.error !== undefined) throw new Error(`${worker.name} failed "${request.workload}" (${request.phase}): ${result.error}`);
  return result;
}

/** One row. Workers that share a name are processes of one implementation (--processes; see schedule.ts). */
async function measure(workers: Worker[], workload: Workload): Promise<Row> {
  // The anchors are limits of receiving; sending has none to compare with.
  const active = workers.filter((w) => workload.direction === 'receive' || !isAnchor(w.implementation));
  const byName = new Map<string, Worker[]>();
  for (const worker of active) byName.set(worker.name, [...(byName.get(worker.name) ?? []), worker]);
  const groups = [...byName.values()];
  const request = { workload: workload.id, volume: VOLUME, minPasses: MIN_PASSES };
  let messages = 0;
  for (const worker of active) {
    const result = await ask(worker, { ...request, phase: 'verify', minNs: 0 });
    if (!isAnchor(worker.implementation)) messages = result.messages;
  }
  for (const worker of active) await ask(worker, { ...request, phase: 'warmup', minNs: WARMUP_MS * 1e6, minPasses: WARMUP_PASSES });
  const samples: Record<string, number[]> = {};
  const meanSamples: Record<string, number[]> = {};
  const passes: Record<string, number[]> = {};
  const pageFaults: Record<string, number[]> = {};
  for (const turns of repetitionTurns(groups.map((group) => group.length), REPS)) {
    for (const turn of turns) {
      const worker = groups[turn.implementation]![turn.process]!;
      const result = await ask(worker, { ...request, phase: 'measure', minNs: MIN_MS * 1e6 });
      (samples[worker.name] ??= []).push(result.bytes / result.medianNs);
      (meanSamples[worker.name] ??= []).push((result.bytes * result.passes) / result.totalNs);
      (passes[worker.name] ??= []).push(result.passes);
      (pageFaults[worker.name] ??= []).push(result.pageFaults);
    }
  }
  return { workload, id: workload.id, messages, samples, meanSamples, passes, pageFaults };
}

type MemoryFigures = NonNullable<RunFile['memory']>;

function runMemory(name: string, mode: 'idle' | 'peak', arg: number): Record<string, number> {
  const { script, loader } = launch.get('memory.ts')!;
  const result = spawnSync(process.execPath, [...loader, '--expose-gc', script, name, mode, String(arg)], {
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

const speed = (row: ResultRow, name: Name) => medianOf(row, name)?.toFixed(2) ?? '';
const times = (value: number | undefined, digits = 2) => (value === undefined ? '' : `${value.toFixed(digits)}×`);

function target(row: Row): number {
  const w = row.workload;
  if (w.direction === 'receive' && w.size <= 1024) return 1.5;
  return 1.0;
}

/** The lowest and highest of `name`'s per-repetition ratios to `reference`. */
function rangeOf(row: ResultRow, name: string, reference: string): string {
  const ratios = pairedRatios(row.samples[name] ?? [], row.samples[reference] ?? []);
  return ratios.length === 0 ? '' : `${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}`;
}

/** The lowest and highest of wsdriver's per-repetition ratios to ws. */
const repetitionRange = (row: ResultRow): string => rangeOf(row, 'wsdriver', REFERENCE);

function table(rows: Row[]): string {
  const lines = [
    '| workload | msgs/pass | wsdriver GB/s | ws GB/s | ws no addons GB/s | websocket-driver GB/s | **wsdriver / ws** | per-rep range | ws no addons / ws | wsdriver / websocket-driver | target | memcpy GB/s | bufferutil unmask GB/s |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |',
  ];
  for (const row of rows) {
    const r = ratioOf(row, 'wsdriver', REFERENCE);
    const vsDriver = ratioOf(row, 'wsdriver', 'websocket-driver');
    const met = r !== undefined && vsDriver !== undefined && r >= target(row) && vsDriver >= 4 ? 'met' : 'NOT met';
    lines.push(
      `| ${row.id} | ${row.messages} | ${speed(row, 'wsdriver')} | ${speed(row, 'ws')} | ${speed(row, 'ws-no-addons')} | ${speed(row, 'websocket-driver')} | **${times(r)}** | ${repetitionRange(row)} | ${times(ratioOf(row, 'ws-no-addons', REFERENCE))} | ${times(vsDriver, 1)} | ≥ ${target(row)}× ws, ≥ 4× w-d: ${met} | ${speed(row, 'memcpy')} | ${speed(row, 'bufferutil-unmask')} |`,
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

/** Receiving large binary messages against the memory-bandwidth line, in the same run. */
function bandwidthLine(rows: Row[]): string | null {
  const row = rows.find((r) => r.id === 'recv binary 1 MiB');
  const wsdriver = row && medianOf(row, 'wsdriver');
  const memcpy = row && medianOf(row, 'memcpy');
  if (row === undefined || wsdriver === undefined || memcpy === undefined) return null;
  const unmask = medianOf(row, 'bufferutil-unmask');
  return (
    `Bandwidth line (recv binary 1 MiB): wsdriver ${wsdriver.toFixed(2)} GB/s, \`Uint8Array.prototype.set\` of the same chunks ${memcpy.toFixed(2)} GB/s ` +
    `(${(memcpy / wsdriver).toFixed(2)}× wsdriver's time; target within 2.5×)` +
    (unmask === undefined ? '.' : `, bufferutil's unmask alone ${unmask.toFixed(2)} GB/s.`)
  );
}

/** The compat package against websocket-driver 0.8.0, interleaved; see --compat. */
async function compatMain(): Promise<void> {
  const started = Date.now();
  ensureCompatBuilt();
  await prepareScripts(['worker.ts']);
  const workloads = WORKLOADS.filter((w) => COMPAT_WORKLOADS.includes(w.id) && selected(w.id));
  const startPair = async () => [await startWorker('websocket-driver-compat'), await startWorker('websocket-driver')];
  const stopAll = () => Promise.all(workers.map((worker) => new Promise((resolve) => worker.child.once('exit', resolve).disconnect())));
  const workers = await startPair();
  try {
    const rows: Row[] = [];
    for (const workload of workloads) {
      if (freshWorkers && rows.length > 0) {
        await stopAll();
        workers.splice(0, workers.length, ...(await startPair()));
      }
      const row = await measure(workers, workload);
      rows.push(row);
      console.log(
        `${workload.id.padEnd(28)} compat ${speed(row, 'websocket-driver-compat').padStart(6)} GB/s  w-d ${speed(row, 'websocket-driver').padStart(6)}  → ${times(ratioOf(row, 'websocket-driver-compat', 'websocket-driver'), 1)} (reps ${compatRange(row)})  [${((Date.now() - started) / 1000).toFixed(0)} s]`,
      );
    }
    await stopAll();
    workers.length = 0;
    const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`;
    const section = [
      COMPAT_START,
      '## Through the compat package',
      '',
      `\`npm run bench -- --compat\`: websocket-driver's API (\`http(request)\`, \`parse()\` and \`io\` \`data\`, messages as websocket-driver delivers them: ` +
        `strings and Buffers) on the compat package as npm installs it (packages/websocket-driver-compat/lib/, wsdriver bundled) and on websocket-driver 0.8.0, ` +
        `interleaved, ${REPS} repetitions as above${freshWorkers ? ', each row in a fresh pair of worker processes (--fresh-workers)' : ''}. Machine: ${machine}; Node ${process.version}; ${new Date().toISOString().slice(0, 10)}. ` +
        'Targets: at least 3× on every receive row, no send row slower.',
      '',
      '| workload | compat GB/s | websocket-driver GB/s | compat / websocket-driver | per-rep range | target |',
      '| --- | ---: | ---: | ---: | --- | --- |',
      ...rows.map((row) => {
        const ratio = ratioOf(row, 'websocket-driver-compat', 'websocket-driver');
        const goal = row.workload.direction === 'receive' ? 3 : 1;
        const met = ratio === undefined ? '?' : ratio >= goal ? 'met' : 'missed';
        return `| ${row.id} | ${speed(row, 'websocket-driver-compat')} | ${speed(row, 'websocket-driver')} | **${times(ratio, 1)}** | ${compatRange(row)} | ≥ ${goal}×: ${met} |`;
      }),
      COMPAT_END,
    ].join('\n');
    console.log('\n' + section);
    if (!quick && filter === undefined && ['reps', 'min-ms', 'warmup-ms', 'volume-mib', 'clock'].every((key) => option(key) === undefined)) {
      const file = join(here, 'RESULTS.md');
      const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
      writeFileSync(file, withCompatSection(current, section));
      console.log('wrote the compat section of bench/RESULTS.md');
    }
  } finally {
    for (const worker of workers) worker.child.kill();
  }
}

/** The lowest and highest per-repetition ratio of compat to websocket-driver. */
function compatRange(row: ResultRow): string {
  const ratios = pairedRatios(row.samples['websocket-driver-compat'] ?? [], row.samples['websocket-driver'] ?? []);
  return ratios.length === 0 ? '' : `${Math.min(...ratios).toFixed(1)}-${Math.max(...ratios).toFixed(1)}`;
}

/** `text` with its compat section replaced by `section` (or `section` appended). */
function withCompatSection(text: string, section: string): string {
  const start = text.indexOf(COMPAT_START);
  const end = text.indexOf(COMPAT_END);
  if (start >= 0 && end > start) return text.slice(0, start) + section + text.slice(end + COMPAT_END.length);
  return text.trimEnd() + '\n\n' + section + '\n';
}

/**
 * A section of the current RESULTS.md between two markers, kept when the
 * full run rewrites the file: the compat rows (`--compat`) and the end-to-end
 * tables (bench/e2e/run.ts) are written by other runs.
 */
function currentSection(startMarker: string, endMarker: string): string | null {
  const file = join(here, 'RESULTS.md');
  if (!existsSync(file)) return null;
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(startMarker);
  const end = text.indexOf(endMarker);
  return start >= 0 && end > start ? text.slice(start, end + endMarker.length) : null;
}

async function main(): Promise<void> {
  const started = Date.now();
  ensureBuilt();
  await prepareScripts(['worker.ts', 'memory.ts']);
  const workloads = WORKLOADS.filter((w) => selected(w.id));
  const workers: Worker[] = [];
  try {
    const only = option('only')?.split(',');
    for (let copy = 0; copy < PROCESSES; copy++) {
      for (const name of [...IMPLEMENTATIONS, ...ANCHORS]) if (only === undefined || only.includes(name)) workers.push(await startWorker(name));
      if (twin !== undefined) workers.push(await startWorker(twin, twinLabel(twin)));
    }
    const rows: Row[] = [];
    for (const workload of workloads) {
      const row = await measure(workers, workload);
      rows.push(row);
      console.log(
        `${workload.id.padEnd(38)} wsdriver ${speed(row, 'wsdriver').padStart(6)} GB/s  ws ${speed(row, 'ws').padStart(6)}  ws-no-addons ${speed(row, 'ws-no-addons').padStart(6)}  w-d ${speed(row, 'websocket-driver').padStart(6)}  → ${times(ratioOf(row, 'wsdriver', REFERENCE))} ws (reps ${repetitionRange(row)}), ${times(ratioOf(row, 'wsdriver', 'websocket-driver'), 1)} w-d` +
          (twin === undefined ? '' : `, twin / ${twin} ${times(ratioOf(row, twinLabel(twin), twin))} (reps ${rangeOf(row, twinLabel(twin), twin)})`) +
          `  [${((Date.now() - started) / 1000).toFixed(0)} s]`,
      );
    }
    // Closing the channel lets each worker exit by itself (and write a
    // profile, if BENCH_WORKER_FLAGS asked for one).
    await Promise.all(workers.map((worker) => new Promise((resolve) => worker.child.once('exit', resolve).disconnect())));
    workers.length = 0;
    const memory = filter === undefined ? memoryFigures() : null;
    const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`;
    const date = new Date().toISOString().slice(0, 10);
    const passes = rows.flatMap((row) => Object.values(row.passes).flat());
    const bandwidth = bandwidthLine(rows);
    const body = [
      `Machine: ${machine}; Node ${process.version}; ${date}.`,
      `Each pass moves about ${VOLUME / MiB} MiB of payload (at least 4 messages). Each repetition is a full GC, then timed passes on a warm connection ` +
        `(after ${WARMUP_MS} ms of untimed warm-up) until at least ${MIN_MS} ms of work and ${MIN_PASSES} passes are timed (${Math.min(...passes)}-${Math.max(...passes)} passes, median ${median(passes)}); ` +
        `its figure is its median pass. ${REPS} interleaved repetitions, each implementation's spread over ${PROCESSES} worker process${PROCESSES === 1 ? '' : 'es'} of its own in turn: GB/s are the median repetition's; a ratio is the median of the per-repetition ratios ` +
        `(each repetition of one implementation ran right after or before the other's); "per-rep range" is the lowest and highest of them for wsdriver / ws. Ratios > 1 mean wsdriver is faster.`,
      '',
      table(rows),
      ...(bandwidth === null ? [] : ['', bandwidth]),
      ...(memory === null ? [] : ['', memoryTable(memory)]),
    ].join('\n');
    console.log('\n' + body);
    console.log(`\n(${((Date.now() - started) / 1000).toFixed(0)} s)`);
    const file: RunFile = {
      date,
      machine,
      node: process.version,
      volume: VOLUME,
      repetitions: REPS,
      minMs: MIN_MS,
      warmupMs: WARMUP_MS,
      processes: PROCESSES,
      rows: rows.map(({ id, messages, samples, meanSamples, passes: p, pageFaults }) => ({ id, messages, samples, meanSamples, passes: p, pageFaults })),
      ...(memory === null ? {} : { memory }),
    };
    if (jsonFile !== undefined) writeFileSync(jsonFile, JSON.stringify(file, null, 1) + '\n');
    if (PUBLISH) {
      // The hand-written analysis (what limits each target not met) follows the figures.
      const analysisFile = join(here, 'analysis.md');
      const analysis = existsSync(analysisFile) ? `\n${readFileSync(analysisFile, 'utf8')}` : '';
      const kept = [currentSection('<!-- e2e:start -->', '<!-- e2e:end -->'), currentSection(COMPAT_START, COMPAT_END)];
      writeFileSync(
        join(here, 'RESULTS.md'),
        `# Benchmark results\n\n\`npm run bench\` (bench/run.ts).\n\n${body}\n${analysis}` + kept.map((section) => (section === null ? '' : `\n${section}\n`)).join(''),
      );
      writeFileSync(join(here, 'results.json'), JSON.stringify(file, null, 1) + '\n');
      console.log('wrote bench/RESULTS.md and bench/results.json');
    }
  } finally {
    for (const worker of workers) worker.child.kill();
  }
}

(compatMode ? compatMain() : main()).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
