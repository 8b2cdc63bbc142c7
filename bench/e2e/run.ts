/**
 * The end-to-end server benchmark: each server under test in its own
 * process on 127.0.0.1, driven through real sockets by a load generator in
 * another process (bench/e2e/loadgen.ts), over the workloads a server
 * operator feels: idle connections, echo, broadcast (with and without
 * permessage-deflate), and many large messages still arriving.
 *
 *   npm run bench:e2e                 full run; writes the e2e section of bench/RESULTS.md and bench/e2e-results.json
 *   npm run bench:e2e -- --quick      under two minutes; prints only
 *   --filter=echo                     only workloads whose name contains "echo"
 *   --only=wsdriver,ws                only these servers (wsdriver: handleUpgrade; wsdriver-server: the WebSocketServer object)
 *   --reps=N                          repetitions (full 3, quick 1)
 *   --profile=DIR                     each server writes a V8 CPU profile of its timed window into DIR
 *   --in-flight=N                     broadcasts outstanding at once (default 32)
 *   --server-flags=F[,F]              Node flags for the server processes (`--server-flags=--trace-gc`: their GCs on stdout)
 *   --loadgen-flags=F[,F]             Node flags for the load generator (`--loadgen-flags=--perf-basic-prof`: its JIT code named for perf)
 *   --diagnose                        each server reports its event-loop delay, GC pauses and writes in the window on stderr, the load generator its reads and system calls
 *   --ballast=MB                      each server keeps about MB megabytes of long-lived objects (a server with state)
 *   --default-malloc                  leave glibc's malloc thresholds at their defaults (see STEADY_MALLOC)
 *   --under-tsx                       run the servers and the load generator under tsx, as before session 10 (see bench/plain-script.ts)
 *
 * A fresh server process serves each workload of each repetition, so the
 * memory figures of one workload are not those left by the last. The load
 * generator is one process for the whole run; when the run starts with the
 * idle workload, whose accepts are timed from the first connection, it runs
 * that workload twice unmeasured first, so that no server meets it cold. The
 * repetitions are interleaved (every server runs a workload before any runs
 * it again, in an order that rotates), and a ratio is the median of the
 * per-repetition ratios, with their lowest and highest beside it.
 *
 * @module
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBuilt } from '../built.js';
import { nextMessage, prepareScripts, spawnScript } from './children.js';
import { median } from '../stats.js';
import {
  CONNECT_CONCURRENCY,
  LISTEN_BACKLOG,
  type LoadResult,
  SETTLE_LIMIT_MS,
  type RunRequest,
  type ServerConfig,
  type ServerKind,
  type ServerStats,
  type Workload,
} from './shared.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const option = (key: string): string | undefined => args.find((a) => a.startsWith(`--${key}=`))?.slice(key.length + 3);
const filter = option('filter');
const only = option('only')?.split(',');
const REPS = Number(option('reps') ?? (quick ? 1 : 3));
const profileDir = option('profile');
const IN_FLIGHT = Number(option('in-flight') ?? 32);
const SERVER_FLAGS = option('server-flags')?.split(',') ?? [];
const LOADGEN_FLAGS = option('loadgen-flags')?.split(',') ?? [];
const DIAGNOSE = args.includes('--diagnose');
const BALLAST = option('ballast');
/** The children run bundled into plain JavaScript (plain-script.ts) unless asked to run under tsx, for comparison. */
const UNDER_TSX = args.includes('--under-tsx');
/**
 * Every server and the load generator run with the same glibc malloc
 * thresholds, the ones glibc itself moves to once a program frees a buffer
 * of about 32 MiB: with the defaults, memory V8 frees in a batch is handed
 * back to the system and each large message's buffer faults in and zeroes
 * fresh pages (bench/analysis.md, "Large binary, session 8"). What a server
 * with large messages would set; the README says so.
 */
const STEADY_MALLOC = args.includes('--default-malloc') ? null : 'glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=67108864';
const PUBLISH =
  !quick &&
  filter === undefined &&
  only === undefined &&
  option('reps') === undefined &&
  profileDir === undefined &&
  option('in-flight') === undefined &&
  SERVER_FLAGS.length === 0 &&
  LOADGEN_FLAGS.length === 0 &&
  !DIAGNOSE &&
  BALLAST === undefined &&
  !UNDER_TSX &&
  STEADY_MALLOC !== null;
const KiB = 1024;
const MiB = 1024 * KiB;
/** Unmeasured runs of the idle workload the load generator makes before its first repetition (main, below). */
const LOADGEN_WARMUP_RUNS = 2;
/** Longest a single server's run of a workload may take before it is abandoned. */
const STEP_TIMEOUT_MS = 120_000;

const ALL_SERVERS: readonly ServerKind[] = ['wsdriver', 'wsdriver-server', 'ws', 'ws-noaddons', 'websocket-driver', 'raw'];
const SERVERS = ALL_SERVERS.filter((kind) => only === undefined || only.includes(kind));

interface Case {
  readonly name: string;
  readonly workload: Workload;
  readonly server: Omit<ServerConfig, 'kind'>;
  /** The raw TCP line has no meaning here (no framing to compare). */
  readonly noRaw?: boolean;
}

const window = (ms: number) => ({ warmupMs: quick ? 150 : 500, windowMs: quick ? ms / 4 : ms });
const IDLE = quick ? 2_000 : 10_000;
const PARTIAL = quick ? 200 : 1_000;
// Quick runs broadcast to fewer clients: a server slow with permessage-deflate then drains its backlog in time.
const BROADCAST = quick ? 500 : 1_000;
const ALL_CASES: Case[] = [
  { name: `idle ${IDLE} connections`, workload: { type: 'idle', connections: IDLE }, server: { mode: 'echo' } },
  ...[16, 4 * KiB, 64 * KiB, MiB].map(
    (size): Case => ({
      name: `echo ${label(size)} ${size >= 64 * KiB ? 'binary' : 'text'}, 200 connections`,
      workload: { type: 'echo', connections: 200, size, binary: size >= 64 * KiB, ...window(size >= MiB ? 3000 : 1500) },
      server: { mode: 'echo' },
    }),
  ),
  ...[false, true].flatMap((deflate) =>
    [16, 4 * KiB].map(
      (size): Case => ({
        name: `broadcast ${label(size)} text to ${BROADCAST}${deflate ? ', permessage-deflate' : ''}`,
        workload: { type: 'broadcast', connections: BROADCAST, size, deflate, inFlight: IN_FLIGHT, ...window(1500) },
        server: { mode: 'broadcast', broadcastSize: size, deflate },
        noRaw: deflate,
      }),
    ),
  ),
  {
    name: `${PARTIAL} partial messages (2 MiB of 60 MiB announced)`,
    workload: { type: 'partial', connections: PARTIAL, announced: 60 * MiB, sent: 2 * MiB },
    server: { mode: 'echo' },
    noRaw: true,
  },
];
const CASES = ALL_CASES.filter((c) => filter === undefined || c.name.includes(filter));

function label(size: number): string {
  return size >= MiB ? `${size / MiB} MiB` : size >= KiB ? `${size / KiB} KiB` : `${size} B`;
}

/** A child running `script` with this run's environment: glibc's malloc thresholds as STEADY_MALLOC says. */
function spawnNode(script: string, argv: string[], env: NodeJS.ProcessEnv = {}, flags: readonly string[] = []): ChildProcess {
  const childEnv = { ...process.env, ...env };
  if (STEADY_MALLOC !== null) childEnv.GLIBC_TUNABLES = STEADY_MALLOC;
  return spawnScript(script, argv, childEnv, flags);
}

let statsId = 0;
async function serverStats(server: ChildProcess, gc: boolean, label?: string): Promise<ServerStats> {
  const id = ++statsId;
  const reply = nextMessage<{ id: number; stats: ServerStats }>(server, 'stats');
  server.send({ type: 'stats', id, gc, label });
  return (await reply).stats;
}

/** Bytes process `pid` has read through system calls so far (sockets included): Linux's /proc/<pid>/io `rchar`. */
function bytesRead(pid: number): number {
  const match = /^rchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
  return match === null ? 0 : Number(match[1]);
}

/** Resolves once process `pid` has read `bytes` more than `base`, or after 20 s (then the figure is read as it is). */
async function untilRead(pid: number, base: number, bytes: number): Promise<void> {
  const deadline = performance.now() + 20_000;
  while (bytesRead(pid) - base < bytes && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}

interface Sample {
  readonly load: LoadResult;
  readonly base: ServerStats;
  readonly at: Record<string, ServerStats>;
}

async function runOne(loadgen: ChildProcess, kind: ServerKind, c: Case): Promise<Sample> {
  const config: ServerConfig = { kind, ...c.server };
  const env: NodeJS.ProcessEnv = kind === 'ws-noaddons' ? { WS_NO_BUFFER_UTIL: '1', WS_NO_UTF_8_VALIDATE: '1' } : {};
  if (DIAGNOSE) env.E2E_DIAGNOSE = '1';
  if (BALLAST !== undefined) env.E2E_BALLAST = BALLAST;
  if (profileDir !== undefined) env.E2E_PROFILE = join(profileDir, `${kind} ${c.name.split(',')[0]}.cpuprofile`.replace(/[^\w.-]+/g, '-'));
  const server = spawnNode('server.ts', [JSON.stringify(config)], env, SERVER_FLAGS);
  const exited = new Promise((resolve) => server.once('exit', resolve));
  const timer = setTimeout(() => server.kill('SIGKILL'), STEP_TIMEOUT_MS);
  try {
    const { port } = await nextMessage<{ port: number }>(server, 'ready');
    const base = await serverStats(server, true);
    const baseRead = bytesRead(server.pid!);
    const at: Record<string, ServerStats> = {};
    const onCheckpoint = (message: { type: string; label?: string }) => {
      if (message.type !== 'checkpoint') return;
      const label = message.label!;
      // Partial messages: read memory only once the server has read every byte sent (the kernel's buffers may still hold some).
      const ready = c.workload.type === 'partial' && label === 'held' ? untilRead(server.pid!, baseRead, c.workload.connections * c.workload.sent) : Promise.resolve();
      // Memory is read after a full GC; CPU without one, which would be counted in the window.
      ready.then(() => serverStats(server, label === 'held', label)).then(
        (stats) => {
          at[label] = stats;
          loadgen.send({ type: 'continue', label });
        },
        () => loadgen.send({ type: 'continue', label }),
      );
    };
    loadgen.on('message', onCheckpoint);
    try {
      const reply = nextMessage<{ result?: LoadResult; error?: string }>(loadgen, 'result');
      const request: RunRequest = { type: 'run', port, raw: kind === 'raw', workload: c.workload };
      loadgen.send(request);
      const { result, error } = await reply;
      if (error !== undefined) throw new Error(`${kind}, ${c.name}: ${error}`);
      if (DIAGNOSE && result!.diagnostics !== undefined) process.stderr.write(`diagnose loadgen against ${kind}: ${JSON.stringify(result!.diagnostics)}\n`);
      return { load: result!, base, at };
    } finally {
      loadgen.off('message', onCheckpoint);
    }
  } finally {
    clearTimeout(timer);
    if (server.connected) server.send({ type: 'exit' });
    await exited;
  }
}

/** The figures a sample gives, by name; the first is the row's headline. */
function figures(c: Case, s: Sample): Record<string, number> {
  const n = c.workload.connections;
  const { load, base, at } = s;
  if (c.workload.type === 'idle' || c.workload.type === 'partial') {
    const held = at.held!;
    const memory = {
      heapPerConnKiB: (held.heapUsed - base.heapUsed) / n / KiB,
      externalPerConnKiB: (held.external - base.external) / n / KiB,
      rssPerConnKiB: (held.rss - base.rss) / n / KiB,
    };
    if (c.workload.type === 'partial') {
      return { rssPerConnKiB: memory.rssPerConnKiB, heapPerConnKiB: memory.heapPerConnKiB, externalPerConnKiB: memory.externalPerConnKiB, sendMs: load.sendMs! };
    }
    // Accepts: the server's CPU per accept (from before the load generator
    // starts until every connection is open) beside the rate, so a rate
    // bound by something else (the load generator, the other core) shows.
    const connectSeconds = load.connectMs / 1000;
    const serverCpu = at.connected!.cpu - base.cpu;
    return {
      ...memory,
      acceptsPerSec: n / connectSeconds,
      serverCpuUsPerAccept: serverCpu / n,
      // Of it, the main thread's: what one accept holds the event loop for (the rest runs beside it, on the other core).
      serverMainCpuUsPerAccept: ((at.connected!.mainCpu ?? NaN) - (base.mainCpu ?? NaN)) / n,
      serverCpuPct: serverCpu / 1e4 / connectSeconds,
      loadgenCpuUsPerAccept: load.connectCpu / n,
    };
  }
  const seconds = load.windowMs! / 1000;
  const serverCpu = at.end!.cpu - at.start!.cpu;
  // The server's own time between reading its CPU at the two checkpoints: longer than the window when its event loop was
  // blocked and it answered late (websocket-driver with permessage-deflate to 1,000 clients), which would overstate its CPU share.
  const serverSeconds = (at.end!.atMs - at.start!.atMs) / 1000;
  const rate = load.messages! / seconds;
  const common = {
    serverCpuUsPerMsg: serverCpu / load.messages!,
    serverCpuPct: serverCpu / 1e4 / serverSeconds,
    loadgenCpuPct: load.cpu! / 1e4 / seconds,
    // Per message, the generator's own cost whatever else shares the machine: what tells whether it could keep up with a faster server.
    loadgenCpuUsPerMsg: load.cpu! / load.messages!,
  };
  if (c.workload.type === 'echo') return { msgPerSec: rate, p50: load.p50!, p99: load.p99!, p999: load.p999!, ...common };
  // After the window, every connection open and (with permessage-deflate) its zlib streams made: memory per connection, after a full GC.
  const held = at.held!;
  return {
    deliveriesPerSec: rate,
    // From asking for a broadcast until the last client has it (with the others in flight queued ahead of it).
    p50: load.p50!,
    p99: load.p99!,
    // After the window, until what was still in flight had reached every client; Infinity when it had not within the limit.
    settleMs: load.settleMs ?? Infinity,
    ...common,
    rssPerConnKiB: (held.rss - base.rss) / n / KiB,
    heapPerConnKiB: (held.heapUsed - base.heapUsed) / n / KiB,
    externalPerConnKiB: (held.external - base.external) / n / KiB,
  };
}

/** Whether a higher headline figure is better. */
const higherIsBetter = (c: Case) => c.workload.type === 'echo' || c.workload.type === 'broadcast';

async function main(): Promise<void> {
  ensureBuilt();
  await prepareScripts(['server.ts', 'loadgen.ts'], UNDER_TSX);
  const loadgen = spawnNode('loadgen.ts', [], {}, LOADGEN_FLAGS);
  await nextMessage(loadgen, 'ready');
  const startedAt = performance.now();
  const loadAtStart = loadavg()[0]!;
  const results: { name: string; figures: Record<string, Record<string, number>[]> }[] = [];
  // Whether the load generator has run a workload yet (below).
  let loadgenWarm = false;
  try {
    for (const c of CASES) {
      const servers = SERVERS.filter((kind) => !(kind === 'raw' && c.noRaw));
      const byServer: Record<string, Record<string, number>[]> = Object.fromEntries(servers.map((kind) => [kind, []]));
      // The accepts are timed from the first connection, with no warm-up of their own, and the load generator's
      // first runs are its slowest whichever server it drives (its code still being compiled: 55-65 µs of its CPU
      // per accept in the first, 45-53 in the second on a busy machine, against 40-47 after). Left in, they fell on
      // whichever server the first repetition starts with (always the first of ALL_SERVERS); they are made here and
      // thrown away, with their servers. bench/analysis.md, "Accepts, session 11".
      if (c.workload.type === 'idle' && !loadgenWarm) {
        for (let i = 0; i < LOADGEN_WARMUP_RUNS; i++) await runOne(loadgen, servers[i % servers.length]!, c);
      }
      loadgenWarm = true;
      for (let rep = 0; rep < REPS; rep++) {
        // Rotate who goes first, so no server always follows the same one.
        const order = servers.map((_, i) => servers[(i + rep) % servers.length]!);
        for (const kind of order) {
          const sample = await runOne(loadgen, kind, c);
          byServer[kind]!.push(figures(c, sample));
        }
      }
      results.push({ name: c.name, figures: byServer });
      printCase(c, byServer);
    }
  } finally {
    loadgen.disconnect();
  }
  const seconds = (performance.now() - startedAt) / 1000;
  console.log(`\n${CASES.length} workloads × ${SERVERS.length} servers × ${REPS} repetitions in ${seconds.toFixed(0)} s`);
  // Other work on the machine shows here: a load above its core count means the servers shared their CPU.
  const load = `${loadAtStart.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end`;
  console.log(`load average (1 min): ${load}`);
  if (PUBLISH) publish(results, seconds, load);
}

// A figure a server did not produce (no latency sample from a server too slow to finish one broadcast) prints blank.
const fmt = (value: number | undefined, digits = 1) =>
  value === undefined || !Number.isFinite(value)
    ? ''
    : value >= 1e6 ? `${(value / 1e6).toFixed(2)} M` : value >= 1e4 ? `${(value / 1e3).toFixed(1)} k` : value.toFixed(digits);

/** Median figure of `kind`, and its ratio to `reference`: the median of per-repetition ratios, with their range. */
function compare(byServer: Record<string, Record<string, number>[]>, kind: string, reference: string, key: string) {
  const a = byServer[kind];
  const b = byServer[reference];
  if (a === undefined || b === undefined) return undefined;
  const ratios = a.map((f, i) => f[key]! / b[i]![key]!);
  return { ratio: median(ratios), low: Math.min(...ratios), high: Math.max(...ratios) };
}

function rowsOf(c: Case, byServer: Record<string, Record<string, number>[]>): string[] {
  const keys = Object.keys(Object.values(byServer)[0]![0]!);
  const headline = keys[0]!;
  const lines = [
    `| server | ${keys.join(' | ')} | ${headline} / ws | range | ${headline} / raw |`,
    `| --- | ${keys.map(() => '---:').join(' | ')} | ---: | ---: | ---: |`,
  ];
  for (const [kind, samples] of Object.entries(byServer)) {
    const medians = keys.map((key) => median(samples.map((f) => f[key]!)));
    // A server that completed nothing in the window has no rate to compare (it is not "0× as fast": settleMs says how slow).
    const none = higherIsBetter(c) && medians[0] === 0;
    const toWs = none ? undefined : compare(byServer, kind, 'ws', headline);
    const toRaw = none ? undefined : compare(byServer, kind, 'raw', headline);
    const cells = medians.map((m, i) => (i === 0 && none ? 'none in the window' : keys[i] === 'settleMs' && m === Infinity ? `> ${SETTLE_LIMIT_MS / 1000} s` : fmt(m, m < 10 ? 2 : 1)));
    lines.push(
      `| ${kind} | ${cells.join(' | ')} | ${toWs ? `${toWs.ratio.toFixed(2)}×` : ''} | ${
        toWs && samples.length > 1 ? `${toWs.low.toFixed(2)}-${toWs.high.toFixed(2)}` : ''
      } | ${toRaw ? `${toRaw.ratio.toFixed(2)}×` : ''} |`,
    );
  }
  return [`**${c.name}** (${higherIsBetter(c) ? 'higher' : 'lower'} ${headline} is better)`, '', ...lines, ''];
}

function printCase(c: Case, byServer: Record<string, Record<string, number>[]>): void {
  console.log(`\n${rowsOf(c, byServer).join('\n')}`);
}

const START = '<!-- e2e:start -->';
const END = '<!-- e2e:end -->';

function publish(results: { name: string; figures: Record<string, Record<string, number>[]> }[], seconds: number, load: string): void {
  const machine = `${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}`;
  const date = new Date().toISOString().slice(0, 10);
  writeFileSync(join(here, '..', 'e2e-results.json'), `${JSON.stringify({ date, machine, load, repetitions: REPS, results }, null, 1)}\n`);
  const section = [
    START,
    '## End to end: servers through real sockets (`npm run bench:e2e`)',
    '',
    `Machine: ${machine}; ${date}; ${seconds.toFixed(0)} s; load average (1 min) ${load}. Each server in its own process on 127.0.0.1, run as plain JavaScript (bundled by esbuild, not under tsx: bench/plain-script.ts) (listen backlog ${LISTEN_BACKLOG}; every process with glibc's malloc thresholds at mmap 32 MiB, trim 64 MiB), a fresh one for each workload and repetition; the load generator in another process (one for the whole run, warmed by ${LOADGEN_WARMUP_RUNS} unmeasured runs of the idle workload before its first repetition) opens ${CONNECT_CONCURRENCY} connections at a time and sends frames encoded before the run; it reads every socket into one shared buffer and counts echo replies and plain broadcasts by their bytes against the one frame they repeat, every byte compared (compressed broadcasts by their frame headers); loadgenCpuUsPerMsg is its CPU per message. ${REPS} interleaved repetitions: figures are medians, a ratio is the median of per-repetition ratios, "range" their lowest and highest. Memory is read after a full GC in the server, as growth over the freshly listening process, per connection. Idle: the server's CPU per accept is from before the load generator starts until every connection is open, serverMainCpuUsPerAccept the main thread's part of it (the rest is V8's and libuv's helper threads). CPU is user + system over the timed window (serverCpuPct over the server's own time between the two checkpoints, longer when a blocked event loop answered late). Broadcast: every message goes to every client; ws, websocket-driver and raw write each socket once per message, wsdriver's Node adapter hands the writes to one socket within a tick to it as one \`writev\`; the load generator keeps ${IN_FLIGHT} broadcasts outstanding; p50 and p99 are milliseconds from asking for a broadcast until the last client has it; settleMs is how long after the window the broadcasts still in flight took to reach every client (\`> ${SETTLE_LIMIT_MS / 1000} s\`: not within that limit), and a server that completed no delivery in the window shows \"none in the window\"; rssPerConnKiB, heapPerConnKiB and externalPerConnKiB are read after the window, after a full GC, every connection still open. Partial messages: memory is read once the server has read every byte sent (its \`/proc/<pid>/io\` \`rchar\`), not when the load generator's writes are done. With permessage-deflate, wsdriver and ws bound the zlib jobs running at once (\`concurrencyLimit\`) at their default, 10. "raw" is a \`node:net\` echo of the same payload bytes with no framing: the limit line.`,
    '',
    ...results.flatMap((r) => rowsOf(CASES.find((c) => c.name === r.name)!, r.figures)),
    END,
  ].join('\n');
  const path = join(here, '..', 'RESULTS.md');
  const text = readFileSync(path, 'utf8');
  const start = text.indexOf(START);
  const updated = start < 0 ? `${text.trimEnd()}\n\n${section}\n` : `${text.slice(0, start)}${section}${text.slice(text.indexOf(END) + END.length)}`;
  writeFileSync(path, updated);
  console.log('wrote bench/RESULTS.md (e2e section) and bench/e2e-results.json');
}

await main();
