/**
 * One benchmark process: loads one implementation (or an anchor) and runs
 * what the parent asks for over IPC, one request at a time, so the parent
 * can interleave implementations that live in different processes.
 *
 * A request is one of three phases of a workload:
 *
 * - `verify`: one untimed pass on a fresh connection, checking every
 *   message delivered (count, length, content) or every frame written.
 * - `warmup`: untimed passes on the workload's bench connection, made here
 *   once and kept for the warm-up and every repetition, so the JIT has
 *   settled and the connection is as warm as a long-lived one.
 * - `measure`: one repetition. A full GC first (the same place for every
 *   implementation), then passes on the bench connection until at least
 *   `minPasses` passes and `minNs` of timed work are done; the median pass
 *   is the figure, the sum is reported too. Each pass's input is prepared
 *   outside the timed region; each pass's message count and byte count are
 *   still checked.
 *
 * Usage: forked by bench/run.ts with the implementation name as argv[2].
 *
 * @module
 */
import { createRequire } from 'node:module';
import { loadImplementation, wsUsesBufferutil, type Data, type Implementation, type ReceivingConnection, type SendingConnection } from './implementations.js';
import { median } from './stats.js';
import { verifyFrames } from './verify.js';
import { WORKLOADS, buildReceiveStream, headerBytes, messageCount, payloadFor, type ReceiveWorkload, type SendWorkload, type Workload } from './workloads.js';

const require = createRequire(import.meta.url);
const name = process.argv[2]!;
const ANCHORS: readonly string[] = ['memcpy', 'bufferutil-unmask'];
const implementation: Implementation | null = ANCHORS.includes(name) ? null : loadImplementation(name);

export interface RunRequest {
  readonly workload: string;
  /** Payload bytes per pass (about: a pass holds whole messages). */
  readonly volume: number;
  readonly phase: 'verify' | 'warmup' | 'measure';
  /** Keep passing until this much time is timed (warmup, measure). */
  readonly minNs: number;
  /** ...and at least this many passes. */
  readonly minPasses: number;
}

export interface RunResult {
  readonly name: string;
  readonly workload: string;
  /** Timed passes. */
  readonly passes: number;
  /** Nanoseconds of the median pass. */
  readonly medianNs: number;
  /** Nanoseconds of all the timed passes, summed. */
  readonly totalNs: number;
  /** Minor page faults inside the timed passes. */
  readonly pageFaults: number;
  /** Messages per pass. */
  readonly messages: number;
  /** Payload bytes per pass. */
  readonly bytes: number;
  readonly error?: string;
}

const decoder = new TextDecoder();
/** The timing of a request that times nothing (verify). */
const UNTIMED = { passes: 0, medianNs: 0, totalNs: 0, pageFaults: 0 } as const;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run the benchmark worker with --expose-gc');
/**
 * Wall time, or with BENCH_CLOCK=cpu the process's CPU time (user and
 * system, all threads, in µs steps): on a machine shared with other work,
 * CPU time does not count the time this process waited for a core.
 */
const now =
  process.env.BENCH_CLOCK === 'cpu'
    ? () => {
        const { user, system } = process.cpuUsage();
        return BigInt(user + system) * 1000n;
      }
    : () => process.hrtime.bigint();

// The current workload's input and bench connection, replaced when the
// workload changes (the old ones become garbage before the next GC).
interface Prepared {
  readonly workload: Workload;
  readonly volume: number;
  readonly count: number;
  /** Receive: the masked byte stream of one pass. */
  readonly stream?: Uint8Array;
  /** Receive: what the delivered messages' lengths add up to in a pass (UTF-16 units for text). */
  readonly deliveredLength: number;
  /** Send: the distinct messages a pass cycles through. */
  readonly texts: string[];
  readonly binaries: Uint8Array[];
  receiver?: ReceivingConnection;
  sender?: SendingConnection;
}
let prepared: Prepared | null = null;

/** Distinct messages a send pass cycles through. */
const DISTINCT = 64;

function prepare(workload: Workload, volume: number): Prepared {
  if (prepared?.workload === workload && prepared.volume === volume) return prepared;
  prepared = null;
  gc!();
  const count = messageCount(workload, volume);
  const distinct = Math.min(count, DISTINCT);
  if (workload.direction === 'receive') {
    let deliveredLength = count * workload.size;
    if (workload.kind === 'text') {
      const lengths = Array.from({ length: distinct }, (_, i) => decoder.decode(payloadFor(workload, i)).length);
      deliveredLength = 0;
      for (let m = 0; m < count; m++) deliveredLength += lengths[m % distinct]!;
    }
    prepared = { workload, volume, count, stream: buildReceiveStream(workload, count), deliveredLength, texts: [], binaries: [] };
  } else {
    const texts = workload.kind === 'text' ? Array.from({ length: distinct }, (_, i) => decoder.decode(payloadFor(workload, i))) : [];
    const binaries = workload.kind === 'binary' && implementation !== null ? Array.from({ length: distinct }, (_, i) => implementation.wrap(payloadFor(workload, i))) : [];
    prepared = { workload, volume, count, deliveredLength: 0, texts, binaries };
  }
  return prepared;
}

/** Cuts the stream into chunks, each in its own fresh buffer as a socket delivers them. */
function chunksOf(stream: Uint8Array, size: number, wrap: (chunk: Uint8Array) => Uint8Array): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < stream.length; at += size) chunks.push(wrap(stream.slice(at, Math.min(at + size, stream.length))));
  return chunks;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function checkMessage(workload: Workload, index: number, data: Data): string | null {
  const expected = payloadFor(workload, index);
  if (workload.kind === 'text') {
    if (typeof data !== 'string') return `message ${index} is not a string`;
    if (data !== decoder.decode(expected)) return `message ${index} differs from what was sent`;
  } else {
    if (typeof data === 'string') return `message ${index} is a string, expected bytes`;
    if (!sameBytes(data, expected)) return `message ${index} differs from what was sent`;
  }
  return null;
}

interface Timing {
  readonly passes: number;
  readonly medianNs: number;
  readonly totalNs: number;
  /** Minor page faults taken inside the timed passes (memory touched for the first time). */
  readonly pageFaults: number;
  readonly error?: string;
}

/** One pass of a workload: input made outside the timed region, then the timed work, then its check. */
interface Pass {
  setUp(): void;
  run(): void;
  /** Null if the pass moved exactly what it should have. */
  check(): string | null;
}

const pageFaults = () => process.resourceUsage().minorPageFault;

/**
 * Runs passes until both minimums are reached; stops at the first pass that
 * reports an error. The median pass is the repetition's figure: a pass that
 * met a full GC or mapped fresh memory is an outlier, not the steady state
 * (the sum is kept too).
 */
function repeat(request: RunRequest, pass: Pass): Timing {
  const times: number[] = [];
  let totalNs = 0;
  let faults = 0;
  let error: string | null = null;
  while (error === null && (times.length < request.minPasses || totalNs < request.minNs)) {
    pass.setUp();
    const faultsBefore = pageFaults();
    const start = now();
    pass.run();
    const ns = Number(now() - start);
    faults += pageFaults() - faultsBefore;
    times.push(ns);
    totalNs += ns;
    error = pass.check();
  }
  return { passes: times.length, medianNs: median(times), totalNs, pageFaults: faults, ...(error === null ? {} : { error }) };
}

// Counters of the bench connection's current pass: module-level, so the
// message handler is one small closure with nothing to allocate.
let delivered = 0;
let deliveredBytes = 0;
const countMessage = (data: Data): void => {
  delivered++;
  // Bytes for binary, UTF-16 units for text (checked against Prepared.deliveredLength).
  deliveredBytes += data.length;
};

function receiveAnchor(workload: ReceiveWorkload, request: RunRequest, input: Prepared): RunResult {
  const stream = input.stream!;
  const base = { name, workload: workload.id, messages: 0 };
  const asBuffer = (c: Uint8Array) => Buffer.from(c.buffer, c.byteOffset, c.length);
  let chunks: Uint8Array[] = [];
  const setUp = () => {
    chunks = chunksOf(stream, workload.chunk, asBuffer);
  };
  const check = () => null;
  let pass: Pass;
  if (name === 'memcpy') {
    // The memory-bandwidth line: copying the same chunks into one buffer
    // whose pages are already mapped (a fresh one would add a page fault
    // per 4 KiB, which is allocation, not bandwidth).
    const target = new Uint8Array(stream.length);
    target.fill(1);
    pass = {
      setUp,
      check,
      run() {
        let offset = 0;
        for (let i = 0; i < chunks.length; i++) {
          target.set(chunks[i]!, offset);
          offset += chunks[i]!.length;
        }
      },
    };
  } else {
    const bufferUtil = require('bufferutil') as { unmask(buffer: Uint8Array, mask: Uint8Array): void };
    const key = Buffer.from([0x12, 0x34, 0x56, 0x78]);
    pass = {
      setUp,
      check,
      run() {
        for (let i = 0; i < chunks.length; i++) bufferUtil.unmask(chunks[i]!, key);
      },
    };
  }
  if (request.phase === 'measure') gc!();
  return { ...base, ...repeat(request, pass), bytes: stream.length };
}

function runReceive(workload: ReceiveWorkload, request: RunRequest): RunResult {
  const input = prepare(workload, request.volume);
  if (implementation === null) return receiveAnchor(workload, request, input);
  const stream = input.stream!;
  const base = { name, workload: workload.id, messages: input.count };
  const expectedBytes = input.count * workload.size;

  if (request.phase === 'verify') {
    // A fresh connection that checks every message it is handed.
    let messages = 0;
    let bytes = 0;
    let error: string | null = null;
    const connection = implementation.receiver(2 ** 30, (data) => {
      if (error === null) error = checkMessage(workload, messages, data);
      messages++;
      bytes += workload.kind === 'text' ? new TextEncoder().encode(data as string).length : data.length;
    });
    for (const chunk of chunksOf(stream, workload.chunk, implementation.wrap)) connection.feed(chunk);
    if (messages !== input.count) error ??= `delivered ${messages} messages, expected ${input.count}`;
    if (bytes !== expectedBytes) error ??= `delivered ${bytes} payload bytes, expected ${expectedBytes}`;
    return { ...base, ...UNTIMED, bytes, ...(error === null ? {} : { error }) };
  }

  const connection = (input.receiver ??= implementation.receiver(2 ** 30, countMessage));
  const wrap = implementation.wrap;
  let chunks: Uint8Array[] = [];
  const pass: Pass = {
    setUp() {
      // Fresh chunks each pass: parse() takes ownership and unmasks in place.
      chunks = chunksOf(stream, workload.chunk, wrap);
      delivered = 0;
      deliveredBytes = 0;
    },
    run() {
      for (let i = 0; i < chunks.length; i++) connection.feed(chunks[i]!);
    },
    check: () =>
      delivered !== input.count
        ? `delivered ${delivered} messages in a pass, expected ${input.count}`
        : deliveredBytes !== input.deliveredLength
          ? `delivered messages of total length ${deliveredBytes} in a pass, expected ${input.deliveredLength}`
          : null,
  };
  if (request.phase === 'measure') gc!();
  return { ...base, ...repeat(request, pass), bytes: expectedBytes };
}

// Bytes handed to the bench connection's write() in the current pass.
let written = 0;
const countWrite = (bytes: Uint8Array): void => {
  written += bytes.length;
};

/**
 * The copying sink's ring: each write is copied in, as the kernel copies a
 * send into the socket's buffer, wrapping to the start when it would run
 * off the end. Its pages are touched once here, so a copy costs bandwidth,
 * not page faults.
 */
const RING = new Uint8Array(4 * 1024 * 1024).fill(1);
let ringAt = 0;
const copyWrite = (bytes: Uint8Array): void => {
  written += bytes.length;
  for (let at = 0; at < bytes.length; ) {
    if (ringAt === RING.length) ringAt = 0;
    const take = Math.min(bytes.length - at, RING.length - ringAt);
    RING.set(at === 0 && take === bytes.length ? bytes : bytes.subarray(at, at + take), ringAt);
    ringAt += take;
    at += take;
  }
};

function runSend(workload: SendWorkload, request: RunRequest): RunResult {
  const base = { name, workload: workload.id };
  if (implementation === null) return { ...base, ...UNTIMED, messages: 0, bytes: 0 };
  const input = prepare(workload, request.volume);
  const { count, texts, binaries } = input;
  const distinct = Math.min(count, DISTINCT);
  const masked = workload.role === 'client';
  const expected = count * (headerBytes(workload.size, masked) + workload.size);
  const sendAll = (connection: SendingConnection): void => {
    if (workload.kind === 'text') for (let i = 0; i < count; i++) connection.text(texts[i % distinct]!);
    else for (let i = 0; i < count; i++) connection.binary(binaries[i % distinct]!);
  };

  if (request.phase === 'verify') {
    // A fresh connection whose first frames are decoded and compared.
    let total = 0;
    const captured: Uint8Array[] = [];
    const connection = implementation.sender(workload.role, (bytes) => {
      total += bytes.length;
      if (captured.length < 16) captured.push(Uint8Array.from(bytes));
    });
    sendAll(connection);
    let error: string | null = total === expected ? null : `wrote ${total} bytes, expected ${expected}`;
    if (error === null) {
      const joined = new Uint8Array(captured.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const c of captured) {
        joined.set(c, at);
        at += c.length;
      }
      error = verifyFrames(joined, masked, workload.kind === 'text' ? 1 : 2, (i) => payloadFor(workload, i % distinct));
    }
    return { ...base, ...UNTIMED, messages: count, bytes: count * workload.size, ...(error === null ? {} : { error }) };
  }

  const connection = (input.sender ??= implementation.sender(workload.role, workload.sink === 'copy' ? copyWrite : countWrite));
  const pass: Pass = {
    setUp() {
      written = 0;
    },
    run: () => sendAll(connection),
    check: () => (written === expected ? null : `wrote ${written} bytes in a pass, expected ${expected}`),
  };
  if (request.phase === 'measure') gc!();
  return { ...base, ...repeat(request, pass), messages: count, bytes: count * workload.size };
}

process.on('message', (request: RunRequest) => {
  const workload = WORKLOADS.find((w) => w.id === request.workload);
  let result: RunResult;
  try {
    if (workload === undefined) throw new Error(`unknown workload ${request.workload}`);
    result = workload.direction === 'receive' ? runReceive(workload, request) : runSend(workload, request);
  } catch (error) {
    result = { name, workload: request.workload, ...UNTIMED, messages: 0, bytes: 0, error: String((error as Error)?.stack ?? error) };
  }
  process.send!(result);
});

process.send!({ ready: true, name, bufferutil: name === 'ws' || name === 'ws-no-addons' ? wsUsesBufferutil() : null });
