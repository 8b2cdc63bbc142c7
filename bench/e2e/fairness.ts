/**
 * One bulk connection against many small ones: does a peer streaming
 * large messages as fast as the server takes them delay everyone else's
 * replies? (issue 13; bench/analysis.md, "Fairness, session 10".)
 *
 *   npm run bench:fairness -- [--reps=3] [--bulk=0,1,4] [--small=100]
 *     [--window=4000] [--only=wsdriver,wsdriver-nobudget,wsdriver-64k,ws,raw]
 *     [--in-flight=8] [--warmup=1500] [--turns] [--under-tsx]
 *
 * Each run starts one echo server (bench/e2e/server.ts, `handleUpgrade`
 * for wsdriver) and two client processes of this script, so that neither
 * client's own event loop is what delays the other's, all as plain
 * JavaScript (bench/plain-script.ts; `--under-tsx`: under tsx):
 * - `bulk`: N connections, each keeping `--in-flight` masked 1 MiB binary
 *   frames on their way (a new one written as each echo arrives), so the
 *   server's socket always has megabytes ready to read;
 * - `small`: `--small` connections doing 16 B binary ping-pong, one
 *   message outstanding each, whose round trips in the timed window give
 *   p50 / p99 / p99.9.
 * The servers compared: wsdriver as built (256 KiB shared reads, at most
 * READ_BUDGET in a row per turn: lib/adapters/node/read-budget.ts);
 * `wsdriver-nobudget`, 256 KiB reads without the budget (E2E_READ_BUDGET=0,
 * session 9); `wsdriver-64k`, 64 KiB reads without it (E2E_READ_BUFFER,
 * session 8); `wsdriver-budget256k` and `wsdriver-budget2m`, other
 * budgets (two reads and nine reads of 256 KiB per turn); ws; and the raw
 * TCP echo (`raw`: no framing; Node's own 64 KiB reads).
 * Runs are interleaved: every server once per repetition, in turn.
 *
 * Reported per run: the small connections' round trips, the bulk echo's
 * MiB/s, and the server's CPU per second of window; then medians per
 * server over the repetitions, with the load average.
 *
 * @module
 */
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import { loadavg } from 'node:os';
import { ensureBuilt } from '../built.js';
import { ask, nextMessage, prepareScripts, spawnScript } from './children.js';
import { Samples } from './samples.js';
import type { ServerConfig, ServerStats } from './shared.js';
import type { TurnSummary } from './turn-diagnostics.js';
import { clientFrame, handshakeRequest, RepeatedFrameCounter, RepeatedFrames, serverFrame } from './wire.js';

const MiB = 1024 * 1024;
const BINARY = 0x2;
const BULK_SIZE = MiB;
const SMALL_SIZE = 16;
const HEAD_END = Buffer.from('\r\n\r\n');
/** The most one client read takes: as bench/e2e/loadgen.ts. */
const READ_SIZE = 256 * 1024;

type Kind = 'wsdriver' | 'wsdriver-nobudget' | 'wsdriver-64k' | 'wsdriver-budget256k' | 'wsdriver-budget2m' | 'ws' | 'raw';

/** How each server kind is started: server.ts's configuration and environment. */
const SERVERS: Record<Kind, { readonly config: ServerConfig; readonly env: NodeJS.ProcessEnv }> = {
  wsdriver: { config: { kind: 'wsdriver', mode: 'echo' }, env: {} },
  // Session 9's reads: 256 KiB, no budget (up to 32 in a row).
  'wsdriver-nobudget': { config: { kind: 'wsdriver', mode: 'echo' }, env: { E2E_READ_BUDGET: '0' } },
  // Session 8's reads: 64 KiB, no budget (up to 2 MiB in a turn, as Node's own reads and ws).
  'wsdriver-64k': { config: { kind: 'wsdriver', mode: 'echo' }, env: { E2E_READ_BUFFER: String(64 * 1024), E2E_READ_BUDGET: '0' } },
  'wsdriver-budget256k': { config: { kind: 'wsdriver', mode: 'echo' }, env: { E2E_READ_BUDGET: String(256 * 1024) } },
  'wsdriver-budget2m': { config: { kind: 'wsdriver', mode: 'echo' }, env: { E2E_READ_BUDGET: String(2 * MiB) } },
  ws: { config: { kind: 'ws', mode: 'echo' }, env: {} },
  raw: { config: { kind: 'raw', mode: 'echo' }, env: {} },
};

// ---------------------------------------------------------------- clients

/** Handles the first `length` bytes of the client process's shared read buffer. */
type Reader = (bytes: Buffer, length: number) => void;

const READ_BUFFER = Buffer.allocUnsafe(READ_SIZE);

/** Opens one connection and, unless raw, completes the handshake; resolves with it and a setter for its reader. */
function open(port: number, raw: boolean): Promise<{ socket: net.Socket; setReader(reader: Reader): void }> {
  return new Promise((resolve, reject) => {
    let reader: Reader = () => {};
    const socket = net.connect({
      port,
      host: '127.0.0.1',
      onread: {
        buffer: READ_BUFFER,
        callback: (length: number, bytes: Uint8Array) => {
          reader(bytes as Buffer, length);
          return true;
        },
      },
    });
    socket.setNoDelay(true);
    socket.once('error', reject);
    const opened = () => {
      socket.off('error', reject);
      socket.on('error', () => {});
      reader = () => {};
      resolve({ socket, setReader: (next) => (reader = next) });
    };
    if (raw) {
      // The raw server's one byte in place of a handshake response.
      reader = (_, length) => (length === 1 ? opened() : reject(new Error('the raw server sent more than its accept byte')));
      return;
    }
    let head = Buffer.alloc(0);
    reader = (bytes, length) => {
      head = Buffer.concat([head, bytes.subarray(0, length)]);
      const end = head.indexOf(HEAD_END);
      if (end < 0) return;
      if (!head.subarray(0, 12).toString().startsWith('HTTP/1.1 101')) return reject(new Error(`handshake refused: ${head.subarray(0, end)}`));
      opened();
    };
    socket.once('connect', () => socket.write(handshakeRequest(false)));
  });
}

interface Go {
  readonly type: 'go';
  readonly port: number;
  readonly raw: boolean;
  readonly connections: number;
  readonly inFlight: number;
}

/** Every echoed frame checked against the frame sent; a different byte ends the run. */
function checked(counter: RepeatedFrameCounter, what: string): number {
  if (counter.mismatchAt >= 0) throw new Error(`${what}: byte ${counter.mismatchAt} of the echo is not what was sent`);
  return counter.frames;
}

/** The bulk client: each connection keeps `inFlight` 1 MiB frames on their way. Answers `count` with the frames echoed so far. */
async function bulkClient(go: Go): Promise<void> {
  const payload = Buffer.alloc(BULK_SIZE, 'b');
  const request = go.raw ? payload : clientFrame(BINARY, payload);
  const expected = new RepeatedFrames(go.raw ? payload : serverFrame(BINARY, payload), READ_SIZE);
  const counters: RepeatedFrameCounter[] = [];
  const connections = await Promise.all(Array.from({ length: go.connections }, () => open(go.port, go.raw)));
  process.send!({ type: 'opened' });
  await nextParentMessage('run');
  for (const { socket, setReader } of connections) {
    const counter = new RepeatedFrameCounter(expected);
    counters.push(counter);
    setReader((bytes, length) => {
      for (let echoed = counter.push(bytes, length); echoed > 0; echoed--) socket.write(request);
    });
    for (let i = 0; i < go.inFlight; i++) socket.write(request);
  }
  process.on('message', (message: { type: string }) => {
    if (message.type === 'count') process.send!({ type: 'count', frames: counters.reduce((sum, counter, i) => sum + checked(counter, `bulk ${i}`), 0) });
  });
}

/** The small clients: 16 B ping-pong, one message outstanding each; round trips sampled between `start` and `end`. */
async function smallClient(go: Go): Promise<void> {
  const payload = Buffer.alloc(SMALL_SIZE, 's');
  const request = go.raw ? payload : clientFrame(BINARY, payload);
  const expected = new RepeatedFrames(go.raw ? payload : serverFrame(BINARY, payload), READ_SIZE);
  const connections: Awaited<ReturnType<typeof open>>[] = [];
  // A few at a time, as loadgen.ts opens them.
  for (let i = 0; i < go.connections; i += 50) connections.push(...(await Promise.all(Array.from({ length: Math.min(50, go.connections - i) }, () => open(go.port, go.raw)))));
  process.send!({ type: 'opened' });
  await nextParentMessage('run');
  const latencies = new Samples();
  const counters: RepeatedFrameCounter[] = [];
  let timing = false;
  for (const { socket, setReader } of connections) {
    const counter = new RepeatedFrameCounter(expected);
    counters.push(counter);
    let sentAt = performance.now();
    setReader((bytes, length) => {
      if (counter.push(bytes, length) === 0) return;
      const now = performance.now();
      if (timing) latencies.add(now - sentAt);
      sentAt = now;
      socket.write(request);
    });
    socket.write(request);
  }
  process.on('message', (message: { type: string }) => {
    if (message.type === 'start') {
      timing = true;
      process.send!({ type: 'started' });
    } else if (message.type === 'end') {
      timing = false;
      counters.forEach((counter, i) => checked(counter, `small ${i}`));
      const [p50, p99, p999, max] = latencies.percentiles(0.5, 0.99, 0.999, 1).map((ms) => ms ?? NaN);
      process.send!({ type: 'ended', samples: latencies.count, p50, p99, p999, max });
    }
  });
}

function nextParentMessage(type: string): Promise<void> {
  return new Promise((resolve) => {
    const onMessage = (message: { type: string }) => {
      if (message.type !== type) return;
      process.off('message', onMessage);
      resolve();
    };
    process.on('message', onMessage);
  });
}

// ---------------------------------------------------------------- the run

function option(name: string, fallback: string): string {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg === undefined ? fallback : arg.slice(name.length + 3);
}

/** A child running one of this folder's scripts (prepared by `prepareScripts`), with IPC. */
function spawnNode(script: string, argv: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawnScript(script, argv, { ...process.env, ...env });
}

async function serverCpu(server: ChildProcess, label: string): Promise<ServerStats> {
  return (await ask<{ stats: ServerStats }>(server, { type: 'stats', gc: false, label }, 'stats')).stats;
}

interface Result {
  readonly kind: Kind;
  readonly bulk: number;
  readonly samples: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  /** Bulk echo, MiB per second of window. */
  readonly bulkMiBs: number;
  /** Server CPU, milliseconds per second of window. */
  readonly serverCpu: number;
  /** With --turns: the server's event-loop turns' CPU time (bench/e2e/turn-diagnostics.ts). */
  readonly turns?: TurnSummary;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function runOne(kind: Kind, bulk: number, small: number, inFlight: number, warmupMs: number, windowMs: number, turns: boolean): Promise<Result> {
  const { config, env } = SERVERS[kind];
  const server = spawnNode('server.ts', [JSON.stringify(config)], turns ? { ...env, E2E_TURNS: '1' } : env);
  const children: ChildProcess[] = [server];
  try {
    const { port } = await nextMessage<{ port: number }>(server, 'ready');
    const raw = kind === 'raw';
    const smallClients = spawnNode('fairness.ts', ['small']);
    children.push(smallClients);
    await ask(smallClients, { type: 'go', port, raw, connections: small, inFlight: 1 } satisfies Go, 'opened');
    const bulkClients = bulk > 0 ? spawnNode('fairness.ts', ['bulk']) : null;
    if (bulkClients !== null) {
      children.push(bulkClients);
      await ask(bulkClients, { type: 'go', port, raw, connections: bulk, inFlight } satisfies Go, 'opened');
      bulkClients.send({ type: 'run' });
    }
    smallClients.send({ type: 'run' });
    await sleep(warmupMs);
    const cpuStart = await serverCpu(server, 'start');
    const framesStart = bulkClients === null ? 0 : (await ask<{ frames: number }>(bulkClients, { type: 'count' }, 'count')).frames;
    await ask(smallClients, { type: 'start' }, 'started');
    const start = performance.now();
    await sleep(windowMs);
    const latency = await ask<{ samples: number; p50: number; p99: number; p999: number; max: number }>(smallClients, { type: 'end' }, 'ended');
    const elapsed = performance.now() - start;
    const framesEnd = bulkClients === null ? 0 : (await ask<{ frames: number }>(bulkClients, { type: 'count' }, 'count')).frames;
    const turnSummary = turns ? nextMessage<{ summary: TurnSummary }>(server, 'turns') : null;
    const cpuEnd = await serverCpu(server, 'end');
    return {
      kind,
      bulk,
      samples: latency.samples,
      p50: latency.p50,
      p99: latency.p99,
      p999: latency.p999,
      max: latency.max,
      bulkMiBs: ((framesEnd - framesStart) * BULK_SIZE) / MiB / (elapsed / 1000),
      serverCpu: (cpuEnd.cpu - cpuStart.cpu) / 1000 / (elapsed / 1000),
      turns: turnSummary === null ? undefined : (await turnSummary).summary,
    };
  } finally {
    for (const child of children) child.kill('SIGKILL');
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const TURN_HEAD = '   turns  turn CPU ms, time-weighted p50 / p90 / p99 / max';

function turnColumns(summary: TurnSummary | undefined): string {
  if (summary === undefined) return '';
  const ms = (value: number) => value.toFixed(2);
  return `  ${String(summary.turns).padStart(6)}  ${ms(summary.p50)} / ${ms(summary.p90)} / ${ms(summary.p99)} / ${ms(summary.max)}`;
}

const fixed = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : '-');

async function main(): Promise<void> {
  const reps = Number(option('reps', '3'));
  const bulks = option('bulk', '0,1,4').split(',').map(Number);
  const small = Number(option('small', '100'));
  const inFlight = Number(option('in-flight', '8'));
  const windowMs = Number(option('window', '4000'));
  const warmupMs = Number(option('warmup', '1500'));
  // The server's turns timed (its CPU per second is then that of a loop that never waits).
  const turns = process.argv.includes('--turns');
  const kinds = option('only', 'wsdriver,wsdriver-nobudget,wsdriver-64k,ws,raw').split(',') as Kind[];
  for (const kind of kinds) if (!(kind in SERVERS)) throw new Error(`unknown server ${kind}`);
  ensureBuilt();
  await prepareScripts(['server.ts', 'fairness.ts'], process.argv.includes('--under-tsx'));
  const results: Result[] = [];
  const loads: string[] = [];
  console.log(`fairness: ${small} small connections (16 B ping-pong), bulk ${bulks.join('/')} connection(s) of 1 MiB frames, ${inFlight} in flight; ${reps} reps, window ${windowMs} ms`);
  console.log(`kind                bulk  samples   p50 ms   p99 ms  p99.9 ms   max ms  bulk MiB/s  server CPU ms/s  load${turns ? TURN_HEAD : ''}`);
  for (let rep = 0; rep < reps; rep++) {
    for (const bulk of bulks) {
      // Rotated each repetition, so no server always runs first.
      const order = kinds.map((_, i) => kinds[(i + rep) % kinds.length]!);
      for (const kind of order) {
        const load = loadavg()[0]!.toFixed(2);
        loads.push(load);
        const r = await runOne(kind, bulk, small, inFlight, warmupMs, windowMs, turns);
        results.push(r);
        console.log(
          `${kind.padEnd(18)} ${String(bulk).padStart(5)} ${String(r.samples).padStart(8)} ${fixed(r.p50).padStart(8)} ${fixed(r.p99).padStart(8)} ${fixed(r.p999).padStart(9)} ${fixed(r.max).padStart(8)} ${fixed(r.bulkMiBs, 0).padStart(11)} ${fixed(r.serverCpu, 0).padStart(16)}  ${load}${turnColumns(r.turns)}`,
        );
      }
    }
  }
  console.log(`\nmedians over ${reps} reps (load average ${loads[0]} at the start, ${loadavg()[0]!.toFixed(2)} at the end)`);
  console.log(`kind                bulk   p50 ms   p99 ms  p99.9 ms   max ms  bulk MiB/s  server CPU ms/s  CPU ms/MiB${turns ? TURN_HEAD : ''}`);
  for (const bulk of bulks) {
    for (const kind of kinds) {
      const rows = results.filter((r) => r.kind === kind && r.bulk === bulk);
      const m = (key: Exclude<keyof Result, 'kind' | 'turns'>) => median(rows.map((r) => r[key]));
      const turnMedian = (key: keyof TurnSummary) => median(rows.map((r) => r.turns?.[key] ?? NaN));
      const turnSummary = turns ? { turns: turnMedian('turns'), p50: turnMedian('p50'), p90: turnMedian('p90'), p99: turnMedian('p99'), max: turnMedian('max') } : undefined;
      console.log(
        `${kind.padEnd(18)} ${String(bulk).padStart(5)} ${fixed(m('p50')).padStart(8)} ${fixed(m('p99')).padStart(8)} ${fixed(m('p999')).padStart(9)} ${fixed(m('max')).padStart(8)} ${fixed(m('bulkMiBs'), 0).padStart(11)} ${fixed(m('serverCpu'), 0).padStart(16)} ${fixed(median(rows.map((r) => r.serverCpu / r.bulkMiBs))).padStart(11)}${turnColumns(turnSummary)}`,
      );
    }
  }
}

const role = process.argv[2];
if (role === 'bulk' || role === 'small') {
  const go = await new Promise<Go>((resolve) => process.once('message', (message: Go) => resolve(message)));
  await (role === 'bulk' ? bulkClient(go) : smallClient(go));
  process.on('disconnect', () => process.exit(0));
} else {
  await main();
}
