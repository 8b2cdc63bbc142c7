/**
 * Where an accept's CPU goes: each server of bench/e2e/server.ts (and a
 * bare `node:http` server that writes the 101 itself, the floor) in a
 * fresh process, N handshakes opened into it from this process, and the
 * server's CPU time over those handshakes, per accept, split into its main
 * thread and its other threads (V8's compiler and GC helpers, libuv's pool)
 * from /proc; and the heap each open connection holds after a full GC.
 * CPU time rather than accepts per second, so a loaded machine
 * changes the figures little; servers interleaved, each repetition in a
 * rotated order, ratios as medians of per-repetition ratios.
 *
 *   npx tsx bench/e2e/accept-profile.ts [--n=4000] [--reps=5] [--only=wsdriver,ws] [--node-args="--max-lazy"] [--warmup=N] [--callgrind=DIR]
 *
 * `--node-args` go to every server process (V8 experiments: what the
 * helper-thread time is). `--warmup=N` opens and closes N handshakes
 * first (the steady state, past the JIT's warm-up). `--callgrind=DIR` runs
 * each server under valgrind's callgrind with collection switched on only
 * around the handshakes (bench/analysis.md, "The accept gap, measured").
 * Linux only (/proc).
 *
 * @module
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBuilt } from '../built.js';
import { median } from '../stats.js';
import { CONNECT_CONCURRENCY, LISTEN_BACKLOG, type ServerStats } from './shared.js';
import { handshakeRequest } from './wire.js';

const here = fileURLToPath(import.meta.url);
const args = process.argv.slice(2);
const option = (key: string): string | undefined => args.find((a) => a.startsWith(`--${key}=`))?.slice(key.length + 3);

/** With `--callgrind=DIR`: the server runs under callgrind, collecting only while the handshakes are opened. */
const callgrindDir = option('callgrind');
/** With `--warmup=N`: N handshakes opened and closed before the measured ones. */
const warmup = Number(option('warmup') ?? 0);

type Kind = 'wsdriver' | 'wsdriver-server' | 'ws' | 'bare';

if (args[0] === '--bare-server') bareServer();
else await main();

/** The floor: node:http's upgrade event, the accept key, the 101 written as one string; nothing kept. */
function bareServer(): void {
  const server = http.createServer();
  server.on('upgrade', (request: http.IncomingMessage, socket: net.Socket) => {
    const key = request.headers['sec-websocket-key'];
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
    const head = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`;
    socket.write(head);
  });
  server.listen({ port: 0, host: '127.0.0.1', backlog: LISTEN_BACKLOG }, () => {
    process.send!({ type: 'ready', port: (server.address() as net.AddressInfo).port });
  });
  process.on('message', (message: { type: string; id?: number; gc?: boolean }) => {
    if (message.type === 'exit') process.exit(0);
    if (message.type !== 'stats') return;
    if (message.gc === true) (globalThis as { gc?: () => void }).gc?.();
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    const stats: ServerStats = { cpu: cpu.user + cpu.system, atMs: Number(process.hrtime.bigint()) / 1e6, rss: memory.rss, heapUsed: memory.heapUsed, external: memory.external, arrayBuffers: memory.arrayBuffers };
    process.send!({ type: 'stats', id: message.id, stats });
  });
  process.on('disconnect', () => process.exit(0));
}

/** Clock ticks of CPU (user + system) of each thread of `pid`, the main thread's under `main`. */
function threadTicks(pid: number): { main: number; mainSystem: number; others: number } {
  let main = 0;
  let mainSystem = 0;
  let others = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    if (Number(tid) === pid) {
      main += ticks;
      mainSystem += Number(fields[12]);
    } else {
      others += ticks;
    }
  }
  return { main, mainSystem, others };
}

function nextMessage<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { type: string }) => {
      if (message.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message as T);
    };
    const onExit = (code: number | null) => reject(new Error(`server exited (${code}) before '${type}'`));
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

function spawnServer(kind: Kind, nodeArgs: string[]): ChildProcess {
  const script = kind === 'bare' ? [here, '--bare-server'] : [join(dirname(here), 'server.ts'), JSON.stringify({ kind, mode: 'echo' })];
  const env = { ...process.env };
  delete env.NODE_CHANNEL_FD;
  delete env.NODE_CHANNEL_SERIALIZATION_MODE;
  const prefix =
    callgrindDir === undefined
      ? []
      : ['valgrind', '--tool=callgrind', '--instr-atstart=no', '--smc-check=all-non-file', `--callgrind-out-file=${callgrindDir}/callgrind.${kind}.%p`];
  return spawn('bash', ['-c', 'ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"', ...prefix, process.execPath, ...nodeArgs, '--import', 'tsx', '--expose-gc', ...script], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env,
  });
}

/** Opens `count` connections, `CONNECT_CONCURRENCY` at a time, each once its 101 has arrived. */
async function openAll(port: number, count: number): Promise<net.Socket[]> {
  const request = handshakeRequest(false);
  const sockets: net.Socket[] = [];
  let next = 0;
  const open = () =>
    new Promise<net.Socket>((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1' }, () => socket.write(request));
      socket.once('error', reject);
      let head = '';
      const onData = (chunk: Buffer) => {
        head += chunk.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        socket.off('data', onData);
        if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(`refused: ${head}`));
        socket.pause();
        resolve(socket);
      };
      socket.on('data', onData);
    });
  const lane = async () => {
    while (next < count) {
      next++;
      sockets.push(await open());
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONNECT_CONCURRENCY, count) }, lane));
  return sockets;
}

interface Sample {
  /** Server CPU per accept, µs: all threads (process.cpuUsage), the main thread and the others (/proc, 10 ms ticks). */
  readonly total: number;
  readonly main: number;
  /** The main thread's system time (in the kernel), µs. */
  readonly mainSystem: number;
  readonly others: number;
  /** Wall time per accept, µs (load-dependent; for orientation only). */
  readonly wall: number;
  /** Heap per open connection after a full GC, bytes. */
  readonly heap: number;
}

async function measure(kind: Kind, count: number, nodeArgs: string[]): Promise<Sample> {
  const server = spawnServer(kind, nodeArgs);
  try {
    const { port } = await nextMessage<{ port: number }>(server, 'ready');
    // The server's bash wrapper exec'd node, so the pid is node's.
    const pid = server.pid!;
    const stats = async (gc = false): Promise<ServerStats> => {
      server.send({ type: 'stats', id: 0, gc });
      return (await nextMessage<{ stats: ServerStats }>(server, 'stats')).stats;
    };
    if (warmup > 0) {
      // Opened and closed before the measurement: what is left is the steady state, not the JIT's warm-up.
      for (const socket of await openAll(port, warmup)) socket.destroy();
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const heapBefore = (await stats(true)).heapUsed;
    const before = await stats();
    const ticksBefore = threadTicks(pid);
    if (callgrindDir !== undefined) execFileSync('callgrind_control', ['--instr=on', String(pid)]);
    const start = performance.now();
    const sockets = await openAll(port, count);
    const wall = performance.now() - start;
    if (callgrindDir !== undefined) execFileSync('callgrind_control', ['--instr=off', String(pid)]);
    const after = await stats();
    const ticksAfter = threadTicks(pid);
    const heapAfter = (await stats(true)).heapUsed;
    for (const socket of sockets) socket.destroy();
    const tickUs = 10_000 / count; // CLK_TCK is 100 on Linux
    return {
      total: (after.cpu - before.cpu) / count,
      main: (ticksAfter.main - ticksBefore.main) * tickUs,
      mainSystem: (ticksAfter.mainSystem - ticksBefore.mainSystem) * tickUs,
      others: (ticksAfter.others - ticksBefore.others) * tickUs,
      wall: (wall * 1000) / count,
      heap: (heapAfter - heapBefore) / count,
    };
  } finally {
    server.send({ type: 'exit' });
    await new Promise((resolve) => (server.exitCode !== null ? resolve(null) : server.once('exit', resolve)));
  }
}

async function main(): Promise<void> {
  ensureBuilt();
  const count = Number(option('n') ?? 4000);
  const reps = Number(option('reps') ?? 5);
  const kinds = (option('only')?.split(',') ?? ['wsdriver', 'wsdriver-server', 'ws', 'bare']) as Kind[];
  const nodeArgs = option('node-args')?.split(' ').filter(Boolean) ?? [];
  const samples = new Map<Kind, Sample[]>(kinds.map((kind) => [kind, []]));
  for (let rep = 0; rep < reps; rep++) {
    // Rotated, so no server always runs right after the same one.
    const order = kinds.map((_, i) => kinds[(i + rep) % kinds.length]!);
    for (const kind of order) samples.get(kind)!.push(await measure(kind, count, nodeArgs));
  }
  const fmt = (values: number[]) => `${median(values).toFixed(0).padStart(5)} (${Math.min(...values).toFixed(0)}-${Math.max(...values).toFixed(0)})`;
  console.log(`${count} handshakes, ${CONNECT_CONCURRENCY} at a time, ${reps} repetitions${nodeArgs.length > 0 ? `, server flags ${nodeArgs.join(' ')}` : ''}`);
  console.log('server CPU per accept, µs: median (range)');
  console.log(`${'server'.padEnd(16)} ${'all threads'.padEnd(16)} ${'main thread'.padEnd(16)} ${'of it in kernel'.padEnd(16)} ${'other threads'.padEnd(16)} ${'wall'.padEnd(16)} ${'heap/conn, B'.padEnd(18)} vs ws (all threads)`);
  const ws = samples.get('ws');
  for (const kind of kinds) {
    const list = samples.get(kind)!;
    const ratio = ws === undefined ? '' : fmt(list.map((s, i) => (100 * s.total) / ws[i]!.total)).replace(/(\d+)/g, (d) => (Number(d) / 100).toFixed(2));
    console.log(
      `${kind.padEnd(16)} ${fmt(list.map((s) => s.total)).padEnd(16)} ${fmt(list.map((s) => s.main)).padEnd(16)} ${fmt(list.map((s) => s.mainSystem)).padEnd(16)} ${fmt(list.map((s) => s.others)).padEnd(16)} ${fmt(list.map((s) => s.wall)).padEnd(16)} ${fmt(list.map((s) => s.heap)).padEnd(18)} ${ratio}`,
    );
  }
}
