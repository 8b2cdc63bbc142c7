/**
 * Fuzz target `differential`: the same byte streams parsed by wsdriver and
 * by ws's receiver (`ws/lib/receiver.js`, driven directly, synchronously).
 *
 * Valid streams (unmutated conversations) must give the same messages,
 * pings, pongs and close on both sides. Mutated streams may be read
 * differently; each kind of disagreement is recorded with the side RFC
 * 6455 supports, and a disagreement of a kind not listed in KNOWN fails
 * the run, so a new one gets looked at.
 */
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { split } from '../../test/helpers/index.js';
import { type RecordedEvent } from '../../test/helpers/index.js';
import { chunkSizes } from '../lib/frame-streams.js';
import { ensure, sameBytes } from '../lib/invariants.js';
import { frameCase, runDriver, wireOf, type FrameCase } from './frames.js';
import type { FuzzTarget } from './target.js';

const require = createRequire(import.meta.url);
const wsRoot = dirname(require.resolve('ws'));
// ws exports only its root; the receiver is loaded by path, as ws itself does.
const Receiver = require(join(wsRoot, 'lib/receiver.js')) as new (options: object) => WsReceiver;
const { kStatusCode } = require(join(wsRoot, 'lib/constants.js')) as { kStatusCode: symbol };

interface WsReceiver {
  on(event: string, listener: (...args: never[]) => void): void;
  _write(chunk: Buffer, encoding: string, callback: (error?: Error | null) => void): void;
}

type Seen =
  | { type: 'message'; data: string | Uint8Array }
  | { type: 'ping' | 'pong'; data: Uint8Array }
  | { type: 'close'; code: number; reason: string }
  | { type: 'error'; closeCode: number; code: string };

/** Parses `wire` with ws's receiver, fed in the given chunks. */
export function runWs(role: 'server' | 'client', maxLength: number, chunks: readonly Uint8Array[]): Seen[] {
  const seen: Seen[] = [];
  const receiver = new Receiver({ isServer: role === 'server', maxPayload: maxLength, skipUTF8Validation: false });
  receiver.on('message', (data: Buffer, isBinary: boolean) => {
    seen.push({ type: 'message', data: isBinary ? Uint8Array.from(data) : data.toString('utf8') });
  });
  receiver.on('ping', (data: Buffer) => seen.push({ type: 'ping', data: Uint8Array.from(data) }));
  receiver.on('pong', (data: Buffer) => seen.push({ type: 'pong', data: Uint8Array.from(data) }));
  receiver.on('conclude', (code: number, reason: Buffer) => seen.push({ type: 'close', code, reason: reason.toString('utf8') }));
  // Stream-level 'error' events are not used: _write reports errors to its callback.
  receiver.on('error', () => {});
  for (const chunk of chunks) {
    let failed: Error | null = null;
    receiver._write(Buffer.from(chunk), 'buffer', (error) => {
      failed = error ?? null;
    });
    if (failed !== null) {
      const error = failed as Error & { code?: string } & Record<symbol, number>;
      seen.push({ type: 'error', closeCode: error[kStatusCode] ?? 0, code: error.code ?? '' });
      break;
    }
    if (seen.some((s) => s.type === 'close')) break;
  }
  return seen;
}

function fromDriver(events: readonly RecordedEvent[]): Seen[] {
  const seen: Seen[] = [];
  for (const e of events) {
    if (e.type === 'message' || e.type === 'ping' || e.type === 'pong') seen.push({ type: e.type, data: e.data } as Seen);
    else if (e.type === 'error') seen.push({ type: 'error', closeCode: e.closeCode, code: e.code });
    else if (e.type === 'close' && e.wasClean) seen.push({ type: 'close', code: e.code, reason: e.reason });
  }
  return seen;
}

function same(a: Seen, b: Seen): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'close' && b.type === 'close') return a.code === b.code && a.reason === b.reason;
  if (a.type === 'error' && b.type === 'error') return a.closeCode === b.closeCode;
  const x = (a as { data: string | Uint8Array }).data;
  const y = (b as { data: string | Uint8Array }).data;
  return typeof x === 'string' ? x === y : typeof y !== 'string' && sameBytes(x, y);
}

/** Kinds of disagreement seen on invalid streams, and which side RFC 6455 supports. */
export const KNOWN: Record<string, string> = {
  NON_MINIMAL_LENGTH:
    'wsdriver fails (1002) a length not in the minimal number of bytes; ws reads it. RFC 6455 §5.2: "the minimal number of bytes MUST be used" — wsdriver follows the RFC.',
  LENGTH_OUT_OF_RANGE:
    'a 64-bit length with its top bit set: wsdriver closes 1002, ws 1009. RFC 6455 §5.2: "the most significant bit MUST be 0", a protocol error — wsdriver follows the RFC.',
  INVALID_UTF8_EARLY:
    'wsdriver fails (1007) as soon as a text message cannot be UTF-8, ws only at its end (so ws may first meet another fault of the message, or wait for more). RFC 6455 §8.1 requires failing on invalid UTF-8 and allows failing early — both conform; wsdriver fails sooner.',
  TWO_FAULTS_ONE_FRAME:
    'both fail at the same frame but name different faults (say a new data frame inside a fragmented message that is also over maxLength: wsdriver checks the length first, 1009; ws the opcode, 1002). RFC 6455 does not order the checks — both conform.',
  PARTIAL_HEADER_CHECKED_EARLY:
    'the stream ends inside a frame header (or a 1-byte close payload) that is already invalid: ws fails on the first two bytes, wsdriver reads the whole header (at most 14 bytes) first and was still waiting. The frame is invalid either way (RFC 6455 §5.2, §5.5.1) — both conform; ws fails sooner.',
};

const disagreements = new Map<string, number>();
let compared = 0;

export interface DifferentialCase {
  frame: FrameCase;
  wsChunks: number[];
}

export const differentialCase: fc.Arbitrary<DifferentialCase> = fc.record({
  frame: frameCase.map((c) => ({ ...c, appClosesFirst: false, maxLength: Math.max(c.maxLength, 1) })),
  wsChunks: chunkSizes,
});

/**
 * Sorts a disagreement into a KNOWN kind, or names it UNCLASSIFIED.
 * `faultFrames` gives the index of the frame at which each side failed
 * (wsdriver's, ws's); it is asked only when both report an error.
 */
export function classify(driver: readonly Seen[], ws: readonly Seen[], faultFrames: () => readonly [number, number]): string | null {
  const n = Math.min(driver.length, ws.length);
  let i = 0;
  while (i < n && same(driver[i]!, ws[i]!)) i++;
  if (i === driver.length && i === ws.length) return null;
  const ours = driver[i];
  if (ours?.type === 'error') {
    if (ours.code === 'NON_MINIMAL_LENGTH' || ours.code === 'LENGTH_OUT_OF_RANGE') return ours.code;
    // ws checks the text only when the message ends: until then it may read
    // control frames, meet another fault, or wait; it must never deliver it.
    if (ours.code === 'INVALID_UTF8' && !ws.slice(i).some((s) => s.type === 'message')) return 'INVALID_UTF8_EARLY';
  }
  const theirs = ws[i];
  if (ours === undefined && theirs?.type === 'error') return 'PARTIAL_HEADER_CHECKED_EARLY';
  if (ours?.type === 'error' && theirs?.type === 'error') {
    // Different faults are excused only when found in the same frame: a fault
    // one side misses in an earlier frame is a real disagreement.
    const [oursAt, theirsAt] = faultFrames();
    if (oursAt === theirsAt) return 'TWO_FAULTS_ONE_FRAME';
    return `UNCLASSIFIED two faults in different frames: wsdriver ${ours.code} in frame ${oursAt}, ws ${theirs.code} in frame ${theirsAt}`;
  }
  return `UNCLASSIFIED at event ${i}: wsdriver ${JSON.stringify(ours ?? 'nothing')}, ws ${JSON.stringify(ws[i] ?? 'nothing')}`;
}

export function checkDifferentialCase(c: DifferentialCase): void {
  const wire = wireOf(c.frame);
  const mutated = c.frame.frameMutations.length > 0 || c.frame.byteMutations.length > 0;
  const driver = fromDriver(runDriver(c.frame, wire, { sizes: c.frame.chunkSizes }).events);
  const ws = runWs(c.frame.role, c.frame.maxLength, split(wire, { sizes: c.wsChunks }));
  compared++;
  const kind = classify(driver, ws, () => [
    frameIndexAt(wire, faultOffset(wire, (prefix) => fromDriver(runDriver(c.frame, prefix, { sizes: [Math.max(prefix.length, 1)] }).events))),
    frameIndexAt(wire, faultOffset(wire, (prefix) => runWs(c.frame.role, c.frame.maxLength, [prefix]))),
  ]);
  if (kind === null) return;
  ensure(mutated, `wsdriver and ws read a valid stream differently: ${kind}`);
  ensure(kind in KNOWN, `${kind}\n  role ${c.frame.role}, maxLength ${c.frame.maxLength}`);
  disagreements.set(kind, (disagreements.get(kind) ?? 0) + 1);
}

/**
 * The offset of the byte whose arrival makes `read` report an error: the
 * shortest failing prefix, less one. Reading is causal (a prefix's events
 * are a prefix of the whole stream's), so failing is monotonic in the
 * prefix length and a binary search finds it. -1 if `wire` never fails.
 */
export function faultOffset(wire: Uint8Array, read: (prefix: Uint8Array) => readonly Seen[]): number {
  const fails = (length: number) => read(wire.subarray(0, length)).some((seen) => seen.type === 'error');
  if (!fails(wire.length)) return -1;
  let low = 0; // does not fail (nothing read)
  let high = wire.length; // fails
  while (high - low > 1) {
    const middle = (low + high) >>> 1;
    if (fails(middle)) high = middle;
    else low = middle;
  }
  return high - 1;
}

/**
 * Which frame of `wire` holds byte `offset`, reading only the frame
 * headers' lengths (no validation: a mutated stream is still cut where
 * its headers say). An offset past the last whole frame is in the partial
 * frame after it.
 */
export function frameIndexAt(wire: Uint8Array, offset: number): number {
  let index = 0;
  let start = 0;
  while (start + 2 <= wire.length) {
    const lengthByte = wire[start + 1]! & 0x7f;
    const masked = (wire[start + 1]! & 0x80) !== 0;
    const lengthBytes = lengthByte === 126 ? 2 : lengthByte === 127 ? 8 : 0;
    let payload = lengthByte;
    if (lengthBytes > 0) {
      if (start + 2 + lengthBytes > wire.length) break;
      payload = 0;
      for (let i = 0; i < lengthBytes; i++) payload = payload * 256 + wire[start + 2 + i]!;
    }
    const end = start + 2 + lengthBytes + (masked ? 4 : 0) + payload;
    if (offset < end) return index;
    start = end;
    index++;
  }
  return index;
}

export const differentialTarget: FuzzTarget<DifferentialCase> = {
  name: 'differential',
  description: "the same streams through wsdriver and ws's receiver: same messages on valid streams, classified disagreements on invalid ones",
  arbitrary: differentialCase,
  check: checkDifferentialCase,
  summary: () =>
    `  compared ${compared} streams; disagreements:` +
    ([...disagreements].map(([k, n]) => `\n    ${k} x${n}: ${KNOWN[k]}`).join('') || ' none'),
};
