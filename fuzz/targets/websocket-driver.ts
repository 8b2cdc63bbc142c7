/**
 * Fuzz target `websocket-driver`: the same byte streams and the same API
 * calls into websocket-driver 0.8.0 and into the compat package
 * (packages/websocket-driver-compat), server side (`http(request)`) and
 * client side (`client(url)` after a real 101). Both runs are recorded as
 * one timeline each: every frame written (decoded: masking keys aside),
 * every event with its payload and `getState()` after it, every call's
 * return value.
 *
 * The timelines must be equal, or differ in a way the compat package
 * documents as a kept difference (its README, "Differences kept"). Each
 * such way is named in DIFFERENCES and checked by structure, not waved
 * through: the part before the difference must match exactly.
 */
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import compat from '../../packages/websocket-driver-compat/src/driver.js';
import { decodeFrames, split, type Chunking } from '../../test/helpers/index.js';
import {
  byteMutation,
  chunkSizes,
  encodeStream,
  frameMutation,
  maxLengths,
  mutateBytes,
  mutateFrames,
  validConversation,
  type ByteMutation,
  type FrameMutation,
  type Role,
  type StreamFrame,
} from '../lib/frame-streams.js';
import type { FuzzTarget } from './target.js';

const require = createRequire(import.meta.url);
/* eslint-disable @typescript-eslint/no-explicit-any -- websocket-driver ships no types */
const real = require('websocket-driver') as typeof compat;

/** An API call made between two chunks (`at` -1: before `start()`). */
export interface Call {
  at: number;
  method: 'text' | 'binary' | 'ping' | 'pong' | 'close';
  text: string;
  code: number;
}

export interface DriverCase {
  role: Role;
  frames: StreamFrame[];
  mutations: FrameMutation[];
  damage: ByteMutation[];
  chunking: Chunking;
  maxLength: number;
  calls: Call[];
}

const call: fc.Arbitrary<Call> = fc.record({
  at: fc.integer({ min: -1, max: 8 }),
  method: fc.constantFrom('text' as const, 'binary' as const, 'ping' as const, 'pong' as const, 'close' as const),
  text: fc.string({ maxLength: 12 }),
  code: fc.constantFrom(1000, 1001, 3000, 4999),
});

export const driverCase: fc.Arbitrary<DriverCase> = fc.record({
  role: fc.constantFrom<Role>('server', 'client'),
  frames: validConversation,
  mutations: fc.oneof({ weight: 3, arbitrary: fc.constant<FrameMutation[]>([]) }, { weight: 2, arbitrary: fc.array(frameMutation, { minLength: 1, maxLength: 2 }) }),
  damage: fc.oneof({ weight: 6, arbitrary: fc.constant<ByteMutation[]>([]) }, { weight: 1, arbitrary: fc.array(byteMutation, { minLength: 1, maxLength: 2 }) }),
  chunking: fc.oneof(fc.constant<Chunking>('whole'), fc.constant<Chunking>('bytewise'), chunkSizes.map((sizes): Chunking => ({ sizes }))),
  maxLength: maxLengths,
  calls: fc.array(call, { maxLength: 4 }),
});

/** One entry of a timeline, and for errors the engine's code (compat only). */
interface Entry {
  readonly text: string;
  readonly kind: 'write' | 'event' | 'call';
  readonly closeFrame?: boolean;
  readonly error?: string;
  readonly errorCode?: string;
  readonly threw?: boolean;
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const REQUEST = {
  method: 'GET',
  url: '/chat',
  headers: {
    host: 'example.com',
    upgrade: 'websocket',
    connection: 'Upgrade',
    'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'sec-websocket-version': '13',
  },
};

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Runs one implementation; returns its timeline. */
function runOne(lib: typeof compat, c: DriverCase, wire: Uint8Array): Entry[] {
  const timeline: Entry[] = [];
  let headWritten = false;
  let clientKey = '';
  const driver: any = c.role === 'server' ? lib.http(REQUEST, { maxLength: c.maxLength }) : lib.client('ws://example.com/chat', { maxLength: c.maxLength });
  const state = () => String(driver.getState());
  driver.io.on('data', (chunk: Buffer) => {
    if (!headWritten) {
      headWritten = true;
      const text = chunk.toString('latin1');
      const key = /Sec-WebSocket-Key: (.*)\r\n/.exec(text);
      if (key !== null) clientKey = key[1]!;
      timeline.push({ kind: 'write', text: 'head ' + text.replace(/Sec-WebSocket-Key: .*\r\n/, 'Sec-WebSocket-Key: K\r\n') });
      return;
    }
    for (const frame of decodeFrames(new Uint8Array(chunk))) {
      timeline.push({ kind: 'write', text: `frame fin=${frame.fin} rsv=${frame.rsv} op=${frame.opcode} ${hex(frame.payload)}`, closeFrame: frame.opcode === 8 });
    }
  });
  driver.on('open', () => timeline.push({ kind: 'event', text: `open ${state()}` }));
  driver.on('message', (e: any) => timeline.push({ kind: 'event', text: `message ${typeof e.data === 'string' ? 'text ' + JSON.stringify(e.data) : 'binary ' + (Buffer.isBuffer(e.data) ? hex(e.data) : 'NOT A BUFFER')} ${state()}` }));
  driver.on('ping', (e: any) => timeline.push({ kind: 'event', text: `ping ${JSON.stringify(e.data)} ${state()}` }));
  driver.on('pong', (e: any) => timeline.push({ kind: 'event', text: `pong ${JSON.stringify(e.data)} ${state()}` }));
  driver.on('error', (e: any) => timeline.push({ kind: 'event', text: `error ${e.message} ${state()}`, error: e.message, errorCode: e.code }));
  driver.on('close', (e: any) => timeline.push({ kind: 'event', text: `close ${e.code} ${JSON.stringify(e.reason)} ${state()}` }));

  const calls = (at: number) => {
    for (const k of c.calls) {
      if (k.at !== at) continue;
      let result: unknown;
      switch (k.method) {
        case 'text':
          result = driver.text(k.text);
          break;
        case 'binary':
          result = driver.binary(Buffer.from(k.text));
          break;
        case 'ping':
          result = driver.ping(k.text, () => timeline.push({ kind: 'event', text: `ping callback ${JSON.stringify(k.text)}` }));
          break;
        case 'pong':
          result = driver.pong(k.text);
          break;
        case 'close':
          result = driver.close(k.text, k.code);
          break;
      }
      timeline.push({ kind: 'call', text: `call ${k.method} -> ${String(result)} ${state()}` });
    }
  };

  calls(-1);
  driver.start();
  let input = wire;
  if (c.role === 'client') {
    const accept = createHash('sha1').update(clientKey + GUID).digest('base64');
    const head = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`;
    input = Buffer.concat([Buffer.from(head, 'latin1'), wire]);
  }
  const chunks = split(input, c.chunking);
  let threw = false;
  for (let i = 0; i < chunks.length; i++) {
    const chunk = chunks[i]!;
    try {
      if (!threw) driver.parse(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    } catch (error) {
      // websocket-driver can throw out of parse() (wsdriver never does): no more input after that.
      timeline.push({ kind: 'event', text: `threw ${(error as Error).message}`, threw: true });
      threw = true;
    }
    if (i < 9) calls(i);
  }
  for (let i = chunks.length; i < 9; i++) calls(i);
  return timeline;
}

/** Error texts of faults in a frame header, as websocket-driver words them. */
const HEADER_FAULTS = [
  'One or more reserved bits are on',
  'Unrecognized frame opcode',
  'Received fragmented control frame',
  'Received new data frame but previous continuous frame is unfinished',
  'Received unmasked frame but masking is required',
  'Received control frame having too long payload',
  'WebSocket frame length too large',
  'Received unexpected continuation frame',
];
const isHeaderFault = (text: string | undefined) => text !== undefined && HEADER_FAULTS.some((fault) => text.startsWith(fault));

/** The engine's codes for faults in a frame header (texts it words itself included). */
const ENGINE_HEADER_FAULTS = new Set([
  'RESERVED_BITS', 'RESERVED_OPCODE', 'FRAGMENTED_CONTROL_FRAME', 'CONTROL_FRAME_TOO_LONG', 'UNMASKED_FRAME', 'MASKED_FRAME',
  'NON_MINIMAL_LENGTH', 'LENGTH_OUT_OF_RANGE', 'MESSAGE_TOO_LONG', 'UNEXPECTED_CONTINUATION', 'EXPECTED_CONTINUATION',
]);
const isEngineHeaderFault = (entry: Entry | undefined) => entry !== undefined && ENGINE_HEADER_FAULTS.has(entry.errorCode ?? '');

/** The timeline up to the failure: before the close frame that precedes the error event, or before the error. */
function beforeFailure(timeline: readonly Entry[]): Entry[] | null {
  const at = timeline.findIndex((entry) => entry.error !== undefined);
  if (at < 0) return null;
  let cut = at;
  if (cut > 0 && timeline[cut - 1]!.closeFrame) cut--;
  return timeline.slice(0, cut);
}

const texts = (timeline: readonly Entry[]) => timeline.map((entry) => entry.text);
const isPrefix = (prefix: readonly Entry[], of: readonly Entry[]) => prefix.length <= of.length && prefix.every((entry, i) => entry.text === of[i]!.text);

/** Engine codes for which wsdriver fails where websocket-driver does not (yet). */
const STRICTER = new Set(['NON_MINIMAL_LENGTH', 'LENGTH_OUT_OF_RANGE', 'MASKED_FRAME', 'INVALID_UTF8', 'UNEXPECTED_CONTINUATION', 'MESSAGE_TOO_LONG', 'CONTROL_FRAME_TOO_LONG']);

/**
 * The kept differences (packages/websocket-driver-compat/README.md), each
 * a check that the two timelines differ only in that way.
 */
export const DIFFERENCES: Record<string, (ours: Entry[], theirs: Entry[]) => boolean> = {
  /**
   * wsdriver fails sooner or on more: non-minimal lengths, a length with
   * its top bit set, a masked server frame (RFC 6455 §5.1), bad UTF-8 in
   * the fragment that holds it (not at the message's end), a continuation
   * with no message or a long control frame as soon as its header is in.
   * Everything before wsdriver's failure matches.
   */
  'fails-sooner': (ours, theirs) => {
    const cut = beforeFailure(ours);
    const error = ours.find((entry) => entry.error !== undefined);
    return cut !== null && STRICTER.has(error!.errorCode!) && isPrefix(cut, theirs);
  },
  /**
   * websocket-driver fails on what wsdriver accepts or has not read yet: a
   * control frame over a small maxLength (wsdriver bounds control frames
   * by 125 bytes only), a bad first header byte before the rest of the
   * header is in (wsdriver reads the header whole). Everything before
   * websocket-driver's failure matches.
   */
  'fails-later': (ours, theirs) => {
    const cut = beforeFailure(theirs);
    const error = theirs.find((entry) => entry.error !== undefined);
    return cut !== null && isHeaderFault(error!.error) && isPrefix(cut, ours) && ours.every((entry) => entry.error === undefined || isEngineHeaderFault(entry));
  },
  /**
   * maxLength bounds data frames; control frames are bounded by RFC
   * 6455's 125 bytes only, so a close frame stays readable. websocket-driver
   * fails a ping, pong or close over a small maxLength (1009). Everything
   * before matches, and at that point wsdriver handles the control frame.
   */
  'control-frames-exempt-from-maxLength': (ours, theirs) => {
    const cut = beforeFailure(theirs);
    const error = theirs.find((entry) => entry.error !== undefined);
    if (cut === null || error!.error !== 'WebSocket frame length too large' || !isPrefix(cut, ours)) return false;
    // wsdriver reads the control frame once it is whole: calls made meanwhile (and what they sent) may come first.
    const next = ours.slice(cut.length).find((entry) => entry.kind !== 'call' && !/^frame fin=\w+ rsv=0 op=[12] /.test(entry.text));
    return next !== undefined && (/^frame fin=true rsv=0 op=(8|10) /.test(next.text) || /^(ping|pong|close) /.test(next.text));
  },
  /**
   * A fault that arrives while closing (after our close frame) still
   * fails the connection, with its error and close code; websocket-driver
   * ignores faults once closing and reads on. Everything before the fault
   * matches, and websocket-driver reports no error after it.
   */
  'errors-while-closing': (ours, theirs) => {
    const cut = beforeFailure(ours);
    const closeFrameAt = ours.findIndex((entry) => entry.closeFrame === true);
    if (cut === null || closeFrameAt < 0 || closeFrameAt >= cut.length) return false;
    return isPrefix(cut, theirs) && theirs.slice(cut.length).every((entry) => entry.error === undefined);
  },
  /**
   * A frame header that breaks several rules: each side reports the first
   * rule it checks. Same point of failure, both a header fault.
   */
  'several-faults-one-header': (ours, theirs) => {
    const a = beforeFailure(ours);
    const b = beforeFailure(theirs);
    const errorA = ours.find((entry) => entry.error !== undefined);
    const errorB = theirs.find((entry) => entry.error !== undefined);
    return a !== null && b !== null && isEngineHeaderFault(errorA) && isHeaderFault(errorB!.error) && texts(a).join('\n') === texts(b).join('\n');
  },
};

/** A kept difference after the closing handshake began: a rewrite of one timeline that removes it. */
interface AfterClose {
  readonly side: 'ours' | 'theirs';
  readonly rewrite: (timeline: Entry[]) => Entry[];
}

const firstIndex = (timeline: readonly Entry[], test: (entry: Entry) => boolean) => {
  const at = timeline.findIndex(test);
  return at < 0 ? Infinity : at;
};
const isCloseEvent = (entry: Entry) => entry.kind === 'event' && entry.text.startsWith('close ');

/**
 * Kept differences once closing has begun; several may apply to one input,
 * so each rewrites its side and the rewritten timelines must be equal.
 */
export const AFTER_CLOSE: Record<string, AfterClose> = {
  /**
   * `parse()` never throws: websocket-driver can (a frame after close()
   * before start(), say); its run reads no more input after that.
   */
  'parse-never-throws': {
    side: 'theirs',
    rewrite: (timeline) => timeline.filter((entry) => entry.threw !== true),
  },
  /**
   * `close` fires once and nothing follows it: websocket-driver still
   * parses input once closed (after close() before start(), say), and can
   * emit a second `close` or write frames.
   */
  'close-once': {
    side: 'theirs',
    rewrite: (timeline) => {
      const at = firstIndex(timeline, isCloseEvent);
      return timeline.filter((entry, i) => i <= at || entry.kind === 'call');
    },
  },
  /**
   * Nothing after our close frame (RFC 6455 §5.5.1): websocket-driver
   * still answers pings after it.
   */
  'nothing-after-close-frame': {
    side: 'theirs',
    rewrite: (timeline) => {
      const at = firstIndex(timeline, (entry) => entry.closeFrame === true);
      return timeline.filter((entry, i) => !(i > at && entry.kind === 'write'));
    },
  },
  /**
   * Messages that arrive after close() are delivered (the peer sent them
   * before it saw our close frame); websocket-driver drops them.
   */
  'messages-while-closing': {
    side: 'ours',
    rewrite: (timeline) => {
      const at = firstIndex(timeline, (entry) => entry.closeFrame === true);
      return timeline.filter((entry, i) => !(i > at && entry.kind === 'event' && entry.text.startsWith('message ')));
    },
  },
};

const tally: Record<string, number> = {
  identical: 0,
  ...Object.fromEntries([...Object.keys(DIFFERENCES), ...Object.keys(AFTER_CLOSE)].map((name) => [name, 0])),
};

/** Runs both; throws unless the timelines match or differ in a named way. */
export function checkDriverCase(c: DriverCase): string {
  const frames = mutateFrames(c.frames, c.mutations);
  const wire = mutateBytes(encodeStream(frames, c.role, [0x37, 0xfa, 0x21, 0x3d]), c.damage);
  const ours = runOne(compat, c, wire);
  const theirs = runOne(real, c, wire);
  if (texts(ours).join('\n') === texts(theirs).join('\n')) {
    tally['identical']!++;
    return 'identical';
  }
  for (const [name, explains] of Object.entries(DIFFERENCES)) {
    if (explains(ours, theirs)) {
      tally[name]!++;
      return name;
    }
  }
  let a = ours;
  let b = theirs;
  const applied: string[] = [];
  for (const [name, difference] of Object.entries(AFTER_CLOSE)) {
    const before = texts(difference.side === 'ours' ? a : b).join('\n');
    if (difference.side === 'ours') a = difference.rewrite(a);
    else b = difference.rewrite(b);
    if (texts(difference.side === 'ours' ? a : b).join('\n') !== before) applied.push(name);
  }
  if (applied.length > 0 && texts(a).join('\n') === texts(b).join('\n')) {
    for (const name of applied) tally[name]!++;
    return applied.join('+');
  }
  for (const [name, explains] of Object.entries(DIFFERENCES)) {
    if (applied.length > 0 && explains(a, b)) {
      for (const other of [name, ...applied]) tally[other]!++;
      return [name, ...applied].join('+');
    }
  }
  throw new Error(`compat and websocket-driver 0.8.0 differ in no documented way:\n--- compat\n${texts(ours).join('\n')}\n--- websocket-driver\n${texts(theirs).join('\n')}`);
}

export const websocketDriverTarget: FuzzTarget<DriverCase> = {
  name: 'websocket-driver',
  description: 'the same streams and calls into websocket-driver 0.8.0 and the compat package: same writes, events and state, or a named kept difference',
  arbitrary: driverCase,
  check: (c) => void checkDriverCase(c),
  summary: () => Object.entries(tally).map(([name, count]) => `${name} ${count}`).join(', '),
};
