/**
 * The load generator: its own process, raw `net` sockets, frames encoded
 * once before each run, so that it costs little beside the server it
 * drives; run.ts reports its CPU beside the server's. It stays up for the
 * whole benchmark and takes one workload at a time over IPC.
 *
 * At the instants the server must be measured (the start and end of a
 * timed window, connections held open), it sends `checkpoint` and waits for
 * `continue`: run.ts samples the server's CPU and memory in between.
 *
 * @module
 */
import net from 'node:net';
import { CONNECT_CONCURRENCY, type LoadResult, type RunRequest, type Workload } from './shared.js';
import { clientFrame, FrameScanner, handshakeRequest, serverFrame } from './wire.js';

const TEXT = 0x1;
const BINARY = 0x2;
const HEAD_END = Buffer.from('\r\n\r\n');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function checkpoint(label: string): Promise<void> {
  return new Promise((resolve) => {
    const onMessage = (message: { type: string; label?: string }) => {
      if (message.type !== 'continue' || message.label !== label) return;
      process.off('message', onMessage);
      resolve();
    };
    process.on('message', onMessage);
    process.send!({ type: 'checkpoint', label });
  });
}

/** Opens one connection and, unless raw, completes the handshake; resolves once it is open. */
function open(port: number, raw: boolean, request: Buffer): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.setNoDelay(true);
    socket.once('error', reject);
    socket.once('connect', () => {
      if (raw) {
        // The raw server's one byte in place of a handshake response.
        socket.once('data', (chunk: Buffer) => {
          socket.off('error', reject);
          socket.on('error', () => {});
          if (chunk.length !== 1) return reject(new Error('the raw server sent more than its accept byte'));
          socket.pause();
          resolve(socket);
        });
        return;
      }
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf(HEAD_END);
        if (end < 0) return;
        socket.off('data', onData);
        socket.off('error', reject);
        socket.on('error', () => {});
        if (!head.subarray(0, 12).toString().startsWith('HTTP/1.1 101')) {
          socket.destroy();
          return reject(new Error(`handshake refused: ${head.subarray(0, end).toString()}`));
        }
        if (end + 4 < head.length) {
          socket.destroy();
          return reject(new Error('bytes after the handshake response'));
        }
        socket.pause();
        resolve(socket);
      };
      socket.on('data', onData);
      socket.write(request);
    });
  });
}

/** Opens `count` connections, `CONNECT_CONCURRENCY` at a time. */
async function openAll(port: number, raw: boolean, count: number, deflate: boolean): Promise<net.Socket[]> {
  const request = handshakeRequest(deflate);
  const sockets: net.Socket[] = [];
  let next = 0;
  const lane = async () => {
    while (next < count) {
      next++;
      sockets.push(await open(port, raw, request));
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONNECT_CONCURRENCY, count) }, lane));
  return sockets;
}

/**
 * Warm-up, then the timed window between the `start` and `end`
 * checkpoints (run.ts samples the server at each); `timing` marks the
 * window for the caller's counters. Returns its length and this process's
 * CPU time (user + system, µs) over it.
 */
async function timedWindow(workload: { readonly warmupMs: number; readonly windowMs: number }, timing: (on: boolean) => void): Promise<{ windowMs: number; cpu: number }> {
  await sleep(workload.warmupMs);
  await checkpoint('start');
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  timing(true);
  await sleep(workload.windowMs);
  timing(false);
  const windowMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  await checkpoint('end');
  return { windowMs, cpu: cpu.user + cpu.system };
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

async function echo(sockets: net.Socket[], raw: boolean, workload: Extract<Workload, { type: 'echo' }>): Promise<Partial<LoadResult>> {
  const payload = Buffer.alloc(workload.size, 'x');
  const opcode = workload.binary ? BINARY : TEXT;
  const request = raw ? payload : clientFrame(opcode, payload);
  const expectedReply = raw ? payload : serverFrame(opcode, payload);
  const expected = expectedReply.length;
  let running = true;
  let timing = false;
  let outstanding = 0;
  let completed = 0;
  let samples = new Float64Array(1 << 16);
  const record = (ms: number) => {
    if (completed === samples.length) {
      const larger = new Float64Array(samples.length * 2);
      larger.set(samples);
      samples = larger;
    }
    samples[completed++] = ms;
  };
  let checked: Promise<void> = Promise.resolve();
  for (const [index, socket] of sockets.entries()) {
    let received = 0;
    let sentAt = 0;
    // The first reply on the first connection is compared byte for byte.
    let firstReply: Buffer[] | null = index === 0 ? [] : null;
    if (firstReply !== null) {
      checked = new Promise((resolve, reject) => {
        socket.on('data', function check(chunk: Buffer) {
          firstReply!.push(chunk);
          const got = Buffer.concat(firstReply!);
          if (got.length < expected) return;
          socket.off('data', check);
          firstReply = null;
          if (!got.subarray(0, expected).equals(expectedReply)) reject(new Error('the echoed frame is not the expected bytes'));
          else resolve();
        });
      });
    }
    const send = () => {
      sentAt = performance.now();
      outstanding++;
      socket.write(request);
    };
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      while (received >= expected) {
        received -= expected;
        outstanding--;
        if (timing) record(performance.now() - sentAt);
        if (running) send();
      }
    });
    socket.resume();
    send();
  }
  await checked;
  const { windowMs, cpu } = await timedWindow(workload, (on) => (timing = on));
  running = false;
  const deadline = performance.now() + 5000;
  while (outstanding > 0 && performance.now() < deadline) await sleep(5);
  const sorted = samples.subarray(0, completed).sort();
  return {
    messages: completed,
    windowMs,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    p999: percentile(sorted, 0.999),
    cpu,
  };
}

async function broadcast(sockets: net.Socket[], raw: boolean, workload: Extract<Workload, { type: 'broadcast' }>): Promise<Partial<LoadResult>> {
  const trigger = raw ? Buffer.from('b') : clientFrame(TEXT, Buffer.from('b'));
  const clients = sockets.length;
  // Clients that have received the k-th broadcast, by k.
  const reached: number[] = [];
  let running = true;
  let asked = 0;
  let done = 0;
  let timing = false;
  let deliveries = 0;
  // When the k-th broadcast was asked for; its latency is until the last client has it.
  const askedAt: number[] = [];
  const latencies: number[] = [];
  const ask = () => {
    askedAt[asked++] = performance.now();
    sockets[0]!.write(trigger);
  };
  const delivered = (index: number) => {
    reached[index] = (reached[index] ?? 0) + 1;
    if (timing) deliveries++;
    if (reached[index] !== clients) return;
    done++;
    if (timing) latencies.push(performance.now() - askedAt[index]!);
    if (running) ask();
  };
  for (const socket of sockets) {
    let seen = 0;
    if (raw) {
      let bytes = 0;
      socket.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        while (bytes >= workload.size) {
          bytes -= workload.size;
          delivered(seen++);
        }
      });
    } else {
      const scanner = new FrameScanner();
      socket.on('data', (chunk: Buffer) => {
        const count = scanner.push(chunk);
        for (let i = 0; i < count; i++) delivered(seen++);
      });
    }
    socket.resume();
  }
  for (let i = 0; i < workload.inFlight; i++) ask();
  const { windowMs, cpu } = await timedWindow(workload, (on) => (timing = on));
  running = false;
  // The figure is the window's; what is still in flight only has to arrive (a slow server may take long).
  const deadline = performance.now() + 30_000;
  while (done < asked && performance.now() < deadline) await sleep(5);
  if (done < asked) throw new Error(`broadcast: ${asked - done} broadcasts had not reached every client 30 s after the window`);
  // Connections still open, compressors (with permessage-deflate) made: what each connection holds.
  await checkpoint('held');
  const sorted = Float64Array.from(latencies).sort();
  return { messages: deliveries, windowMs, cpu, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
}

async function partial(sockets: net.Socket[], workload: Extract<Workload, { type: 'partial' }>): Promise<Partial<LoadResult>> {
  const frame = clientFrame(BINARY, Buffer.alloc(workload.sent, 'p'), workload.announced);
  const start = performance.now();
  await Promise.all(sockets.map((socket) => new Promise((resolve) => socket.write(frame, resolve))));
  const sendMs = performance.now() - start;
  // The kernel's buffers still hold a little; let the server read it.
  await sleep(300);
  await checkpoint('held');
  return { sendMs };
}

async function run(request: RunRequest): Promise<LoadResult> {
  const { workload, raw, port } = request;
  const started = performance.now();
  const sockets = await openAll(port, raw, workload.connections, workload.type === 'broadcast' && workload.deflate);
  const connectMs = performance.now() - started;
  try {
    let result: Partial<LoadResult>;
    if (workload.type === 'idle') {
      await checkpoint('held');
      result = {};
    } else if (workload.type === 'echo') {
      result = await echo(sockets, raw, workload);
    } else if (workload.type === 'broadcast') {
      result = await broadcast(sockets, raw, workload);
    } else {
      result = await partial(sockets, workload);
    }
    return { connectMs, ...result };
  } finally {
    for (const socket of sockets) socket.destroy();
  }
}

process.on('message', (message: RunRequest | { type: string }) => {
  if (message.type !== 'run') return;
  run(message as RunRequest).then(
    (result) => process.send!({ type: 'result', result }),
    (error: Error) => process.send!({ type: 'result', error: error.stack ?? String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send!({ type: 'ready' });
