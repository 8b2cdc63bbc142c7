/**
 * The load generator: its own process, raw `net` sockets, frames encoded
 * once before each run, so that it costs little beside the server it
 * drives; run.ts reports its CPU beside the server's. It stays up for the
 * whole benchmark and takes one workload at a time over IPC.
 *
 * What keeps it cheap: every socket reads through `onread` into one shared
 * buffer (no `Buffer` and no stream event per read), replies and plain
 * broadcasts are counted by their bytes against the one frame they must
 * repeat, every byte checked with one `memcmp` per read
 * ({@link RepeatedFrameCounter}), an echo request is written straight to
 * the socket's handle, without the Writable machinery (direct-writes.ts),
 * and a broadcast's completion is counted, not searched for
 * ({@link BroadcastTally}); the clock is read once per round trip and per
 * broadcast, never per delivery.
 *
 * At the instants the server must be measured (the start and end of a
 * timed window, connections held open), it sends `checkpoint` and waits for
 * `continue`: run.ts samples the server's CPU and memory in between.
 *
 * @module
 */
import net from 'node:net';
import { BroadcastTally } from './broadcast-tally.js';
import { directWriter } from './direct-writes.js';
import { perMessage, readTally, snapshot } from './loadgen-diagnostics.js';
import { Samples } from './samples.js';
import { CONNECT_CONCURRENCY, type LoadResult, type RunRequest, SETTLE_LIMIT_MS, type Workload } from './shared.js';
import { clientFrame, FrameScanner, handshakeRequest, RepeatedFrameCounter, RepeatedFrames, serverFrame } from './wire.js';

const TEXT = 0x1;
const BINARY = 0x2;
const HEAD_END = Buffer.from('\r\n\r\n');
/** The most one read takes from a socket; a busy client reads everything queued for it at once. */
const READ_SIZE = 256 * 1024;
/**
 * The one buffer every socket reads into: a read's bytes are handled
 * before the next read starts (one thread), so nothing is allocated per
 * read. Whatever must outlive a read is copied out of it.
 */
const READ_BUFFER = Buffer.allocUnsafe(READ_SIZE);

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

/** Handles the first `length` bytes of the shared read buffer. */
type Reader = (bytes: Buffer, length: number) => void;

/** Bytes nobody waits for (idle and partial workloads: the server has no reason to send any) are dropped. */
const ignore: Reader = () => {};

/** A socket and whatever currently reads what arrives on it. */
class Connection {
  read: Reader = ignore;
  constructor(readonly socket: net.Socket) {}
}

/** Opens one connection and, unless raw, completes the handshake; resolves once it is open. */
function open(port: number, raw: boolean, request: Buffer): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({
      port,
      host: '127.0.0.1',
      onread: {
        buffer: READ_BUFFER,
        callback: (length: number, bytes: Uint8Array) => {
          readTally.reads++;
          readTally.bytes += length;
          connection.read(bytes as Buffer, length);
          return true; // keep reading
        },
      },
    });
    const connection = new Connection(socket);
    socket.setNoDelay(true);
    socket.once('error', reject);
    const opened = () => {
      socket.off('error', reject);
      socket.on('error', () => {});
      connection.read = ignore;
      resolve(connection);
    };
    const fail = (message: string) => {
      socket.destroy();
      reject(new Error(message));
    };
    if (raw) {
      // The raw server's one byte in place of a handshake response.
      connection.read = (_, length) => (length === 1 ? opened() : fail('the raw server sent more than its accept byte'));
      return;
    }
    let head = Buffer.alloc(0);
    connection.read = (bytes, length) => {
      head = Buffer.concat([head, bytes.subarray(0, length)]);
      const end = head.indexOf(HEAD_END);
      if (end < 0) return;
      if (!head.subarray(0, 12).toString().startsWith('HTTP/1.1 101')) return fail(`handshake refused: ${head.subarray(0, end).toString()}`);
      if (end + 4 < head.length) return fail('bytes after the handshake response');
      opened();
    };
    socket.once('connect', () => socket.write(request));
  });
}

/** Opens `count` connections, `CONNECT_CONCURRENCY` at a time. */
async function openAll(port: number, raw: boolean, count: number, deflate: boolean): Promise<Connection[]> {
  const request = handshakeRequest(deflate);
  const connections: Connection[] = [];
  let next = 0;
  const lane = async () => {
    while (next < count) {
      next++;
      connections.push(await open(port, raw, request));
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONNECT_CONCURRENCY, count) }, lane));
  return connections;
}

/**
 * Warm-up, then the timed window between the `start` and `end`
 * checkpoints (run.ts samples the server at each); `timing` marks the
 * window for the caller's counters. Returns its length and this process's
 * CPU time (user + system, µs) over it, and what it did per message in it
 * (loadgen-diagnostics.ts) once `messages()` says how many there were.
 */
async function timedWindow(
  workload: { readonly warmupMs: number; readonly windowMs: number },
  timing: (on: boolean) => void,
  messages: () => number,
): Promise<{ windowMs: number; cpu: number; diagnostics: Record<string, number> }> {
  await sleep(workload.warmupMs);
  await checkpoint('start');
  const before = snapshot();
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  timing(true);
  await sleep(workload.windowMs);
  timing(false);
  const windowMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  const diagnostics = perMessage(before, snapshot(), messages());
  await checkpoint('end');
  return { windowMs, cpu: cpu.user + cpu.system, diagnostics };
}

/** The first connection whose stream differed from the expected frames, as an error; null when none did. */
function corrupted(counters: readonly RepeatedFrameCounter[], what: string): Error | null {
  const index = counters.findIndex((counter) => counter.mismatchAt >= 0);
  if (index < 0) return null;
  return new Error(`connection ${index}: byte ${counters[index]!.mismatchAt} of what the server sent is not ${what}`);
}

async function echo(connections: Connection[], raw: boolean, workload: Extract<Workload, { type: 'echo' }>): Promise<Partial<LoadResult>> {
  const payload = Buffer.alloc(workload.size, 'x');
  const opcode = workload.binary ? BINARY : TEXT;
  const request = raw ? payload : clientFrame(opcode, payload);
  // Every reply is this frame (raw: the payload again, in whatever pieces TCP cuts it into).
  const expected = new RepeatedFrames(raw ? payload : serverFrame(opcode, payload), READ_SIZE);
  const counters: RepeatedFrameCounter[] = [];
  const latencies = new Samples();
  let running = true;
  let timing = false;
  let outstanding = 0;
  let repeated: Error | null = null;
  let writeFailed: Error | null = null;
  for (const [index, connection] of connections.entries()) {
    const counter = new RepeatedFrameCounter(expected);
    counters.push(counter);
    const write = directWriter(connection.socket, (error) => (writeFailed ??= new Error(`connection ${index}: ${error.message}`)));
    let sentAt = 0;
    // `now` is when the request is written: the clock read for the reply it follows, one read per round trip.
    const send = (now: number) => {
      sentAt = now;
      outstanding++;
      write(request);
    };
    connection.read = (bytes, length) => {
      const replies = counter.push(bytes, length);
      if (replies === 0) return;
      // One request is outstanding per connection: more than one reply is a reply sent twice.
      if (replies > 1) repeated ??= new Error(`connection ${index}: ${replies} replies to one request`);
      outstanding -= replies;
      const now = performance.now();
      if (timing) latencies.add(now - sentAt);
      if (running) send(now);
    };
    send(performance.now());
  }
  const { windowMs, cpu, diagnostics } = await timedWindow(workload, (on) => (timing = on), () => latencies.count);
  running = false;
  const settleLimitMs = workload.settleLimitMs ?? SETTLE_LIMIT_MS;
  const deadline = performance.now() + settleLimitMs;
  let failure: Error | null = null;
  while (outstanding > 0 && failure === null && performance.now() < deadline) {
    // A connection whose stream differed waits for nothing more: fail now.
    failure = corrupted(counters, 'the expected reply') ?? writeFailed;
    await sleep(5);
  }
  failure ??= corrupted(counters, 'the expected reply') ?? writeFailed ?? repeated;
  if (failure !== null) throw failure;
  if (outstanding > 0) throw new Error(`echo: ${outstanding} requests had no reply ${settleLimitMs} ms after the window`);
  const [p50, p99, p999] = latencies.percentiles(0.5, 0.99, 0.999);
  return { messages: latencies.count, windowMs, p50, p99, p999, cpu, diagnostics };
}

async function broadcast(connections: Connection[], raw: boolean, workload: Extract<Workload, { type: 'broadcast' }>): Promise<Partial<LoadResult>> {
  const trigger = raw ? Buffer.from('b') : clientFrame(TEXT, Buffer.from('b'));
  const message = Buffer.alloc(workload.size, 'x');
  // Without permessage-deflate every broadcast is the same frame (raw: the same payload), checked byte for byte.
  const expected = new RepeatedFrames(raw ? message : serverFrame(TEXT, message), READ_SIZE);
  const counters: RepeatedFrameCounter[] = [];
  const tally = new BroadcastTally(connections.length, workload.inFlight);
  // When broadcast k was asked for, at k % capacity; its latency is until the last client has it.
  const askedAt = new Float64Array(tally.capacity);
  const latencies = new Samples();
  const asker = connections[0]!.socket;
  let running = true;
  let timing = false;
  let deliveries = 0;
  let failure: Error | null = null;
  // The window's end (asking stops there), and when the last broadcast asked for had reached every client.
  let windowEnd = 0;
  let settledAt = 0;
  const ask = () => {
    askedAt[tally.asked % tally.capacity] = performance.now();
    tally.ask();
    asker.write(trigger);
  };
  /** A client that had `before` broadcasts received `count` more. */
  const received = (before: number, count: number) => {
    if (timing) deliveries += count;
    let finished: number;
    try {
      finished = tally.received(before, count);
    } catch (error) {
      failure ??= error as Error;
      return;
    }
    if (finished === 0) return;
    const now = performance.now();
    if (timing) for (let k = tally.completed - finished; k < tally.completed; k++) latencies.add(now - askedAt[k % tally.capacity]!);
    // Asked only after the latencies are read: a new broadcast takes a finished one's slot.
    if (running) for (let i = 0; i < finished; i++) ask();
    else if (tally.completed === tally.asked) settledAt = now;
  };
  for (const connection of connections) {
    let seen = 0;
    if (workload.deflate) {
      // Compressed frames are not compared (each server's compressor has its own output); their headers are read to count them.
      const scanner = new FrameScanner();
      connection.read = (bytes, length) => {
        const count = scanner.push(bytes.subarray(0, length));
        if (count === 0) return;
        received(seen, count);
        seen += count;
      };
    } else {
      const counter = new RepeatedFrameCounter(expected);
      counters.push(counter);
      connection.read = (bytes, length) => {
        const count = counter.push(bytes, length);
        if (count === 0) return;
        received(seen, count);
        seen += count;
      };
    }
  }
  for (let i = 0; i < workload.inFlight; i++) ask();
  const { windowMs, cpu, diagnostics } = await timedWindow(
    workload,
    (on) => {
      timing = on;
      if (on) return;
      running = false;
      windowEnd = performance.now();
    },
    () => deliveries,
  );
  // The figure is the window's; what is still in flight only has to arrive. A server may take long (or never
  // finish): how long is reported, so a server that delivered nothing in the window shows why.
  const settleLimitMs = workload.settleLimitMs ?? SETTLE_LIMIT_MS;
  while (tally.completed < tally.asked && failure === null && performance.now() - windowEnd < settleLimitMs) {
    failure = corrupted(counters, 'the expected broadcast frame');
    await sleep(5);
  }
  failure ??= corrupted(counters, 'the expected broadcast frame');
  if (failure !== null) throw failure;
  const unfinished = tally.asked - tally.completed;
  const settleMs = unfinished === 0 ? Math.max(0, settledAt - windowEnd) : undefined;
  // Connections still open, compressors (with permessage-deflate) made: what each connection holds.
  await checkpoint('held');
  const [p50, p99] = latencies.percentiles(0.5, 0.99);
  return { messages: deliveries, windowMs, cpu, p50, p99, settleMs, unfinished, diagnostics };
}

async function partial(connections: Connection[], workload: Extract<Workload, { type: 'partial' }>): Promise<Partial<LoadResult>> {
  const frame = clientFrame(BINARY, Buffer.alloc(workload.sent, 'p'), workload.announced);
  const start = performance.now();
  await Promise.all(connections.map(({ socket }) => new Promise((resolve) => socket.write(frame, resolve))));
  const sendMs = performance.now() - start;
  // The kernel's buffers still hold a little; let the server read it.
  await sleep(300);
  await checkpoint('held');
  return { sendMs };
}

async function run(request: RunRequest): Promise<LoadResult> {
  const { workload, raw, port } = request;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const connections = await openAll(port, raw, workload.connections, workload.type === 'broadcast' && workload.deflate);
  const connectMs = performance.now() - started;
  const { user, system } = process.cpuUsage(cpuBefore);
  try {
    let result: Partial<LoadResult>;
    if (workload.type === 'idle') {
      // The server's CPU over the accepts, read without a GC; then its memory, after one.
      await checkpoint('connected');
      await checkpoint('held');
      result = {};
    } else if (workload.type === 'echo') {
      result = await echo(connections, raw, workload);
    } else if (workload.type === 'broadcast') {
      result = await broadcast(connections, raw, workload);
    } else {
      result = await partial(connections, workload);
    }
    return { connectMs, connectCpu: user + system, ...result };
  } finally {
    for (const { socket } of connections) socket.destroy();
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
