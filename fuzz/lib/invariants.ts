/**
 * What must hold after every `parse()` call, whatever the input: the rules
 * of the "Invariants" list, checked on a driver's recorded events,
 * its readyState, the memory it holds and the bytes it wrote.
 */
import { decodeFrames, type RecordedEvent } from '../../test/helpers/index.js';

/** A broken invariant: the fuzz runner prints it with the input. */
export class InvariantError extends Error {
  override readonly name = 'InvariantError';
}

export function ensure(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantError(message);
}

/** Anything with `parse()`, `readyState` and `retainedBytes`. */
export interface Parsing {
  parse(bytes: Uint8Array): void;
  readonly readyState: number;
  readonly retainedBytes: number;
}

/** `parse()` that turns an exception into a broken invariant. */
export function parseOrFail(driver: Parsing, chunk: Uint8Array): void {
  try {
    driver.parse(chunk);
  } catch (error) {
    throw new InvariantError(`parse() threw: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
}

/**
 * The shape every event log must have: `connect` and `open` at most once
 * and first; at most one `error`, immediately followed by the one `close`,
 * whose code is the error's close code; nothing after `close`; a legal
 * readyState that is 3 exactly when `close` has fired.
 */
export function checkEventLog(events: readonly RecordedEvent[], readyState: number): void {
  ensure([0, 1, 2, 3].includes(readyState), `readyState ${readyState} is not 0-3`);
  const count = (type: RecordedEvent['type']) => events.filter((e) => e.type === type).length;
  ensure(count('connect') <= 1, 'connect fired more than once');
  ensure(count('open') <= 1, 'open fired more than once');
  ensure(count('error') <= 1, `error fired ${count('error')} times`);
  ensure(count('close') <= 1, `close fired ${count('close')} times`);
  const closeAt = events.findIndex((e) => e.type === 'close');
  ensure(closeAt < 0 || closeAt === events.length - 1, `events after close: ${events.slice(closeAt + 1).map((e) => e.type).join(', ')}`);
  ensure((closeAt >= 0) === (readyState === 3), `readyState ${readyState} but close ${closeAt >= 0 ? 'fired' : 'did not fire'}`);
  const errorAt = events.findIndex((e) => e.type === 'error');
  if (errorAt >= 0) {
    const error = events[errorAt] as Extract<RecordedEvent, { type: 'error' }>;
    const close = events[errorAt + 1];
    ensure(close?.type === 'close', `error ${error.code} not followed by close`);
    ensure(close.code === error.closeCode, `error ${error.code} says close code ${error.closeCode}, close event says ${close.code}`);
    ensure(!close.wasClean, 'a failed connection reported wasClean');
  }
  const openAt = events.findIndex((e) => e.type === 'open');
  const firstData = events.findIndex((e) => e.type === 'message' || e.type === 'ping' || e.type === 'pong');
  ensure(firstData < 0 || (openAt >= 0 && openAt < firstData), 'a message, ping or pong before open');
}

/**
 * The frames a driver wrote after its handshake: whole frames only, masked
 * exactly when the driver is a client, and nothing after a close frame.
 */
export function checkWrittenFrames(bytes: Uint8Array, role: 'server' | 'client'): ReturnType<typeof decodeFrames> {
  let frames: ReturnType<typeof decodeFrames>;
  try {
    frames = decodeFrames(bytes);
  } catch (error) {
    throw new InvariantError(`the driver wrote a broken frame: ${(error as Error).message}`);
  }
  const closeAt = frames.findIndex((f) => f.opcode === 8);
  ensure(closeAt < 0 || closeAt === frames.length - 1, `the driver wrote ${frames.length - closeAt - 1} frame(s) after its close frame`);
  for (const f of frames) {
    ensure(f.masked === (role === 'client'), `a ${role} wrote a${f.masked ? ' masked' : 'n unmasked'} frame`);
    ensure(f.fin || f.opcode < 8, 'the driver fragmented a control frame');
  }
  return frames;
}

/**
 * The memory a driver may hold for a partial message: about twice the
 * message limit plus a fixed allowance (see ByteAccumulator), plus one
 * copy block.
 */
export function retainedLimit(maxLength: number, maxHeadSize = 16 * 1024): number {
  return 2 * maxLength + 64 * 1024 + 16 * 1024 + maxHeadSize;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function describeBytes(bytes: Uint8Array, limit = 64): string {
  const hex = Array.from(bytes.subarray(0, limit), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return bytes.length > limit ? `${hex} … (${bytes.length} bytes)` : hex;
}
