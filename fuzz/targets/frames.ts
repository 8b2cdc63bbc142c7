/**
 * Fuzz target `frames`: frame streams into the server and client drivers.
 *
 * Each input is a conversation a peer might send, bent by frame and byte
 * mutations, fed to a real driver (after a real handshake) whole, in
 * random chunks and byte by byte. The driver must agree with the reference
 * model (fuzz/lib/frame-model.ts) on every message, ping and pong it
 * delivers, on how the connection ends (the error code and the close code
 * RFC 6455 prescribes), and on the frames it writes back; and it must keep
 * the invariants of fuzz/lib/invariants.ts after every chunk.
 */
import fc from 'fast-check';
import { Driver } from '../../lib/index.js';
import { concat, parseHead, Recorder, requestHead, responseHead, split, type Chunking, type RecordedEvent } from '../../test/helpers/index.js';
import { readStream, type ModelResult } from '../lib/frame-model.js';
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
import { borrowInput } from '../../lib/frame/borrowed-input.js';
import { checkEventLog, checkWrittenFrames, describeBytes, ensure, parseOrFail, retainedLimit, sameBytes, type Parsing } from '../lib/invariants.js';
import type { FuzzTarget } from './target.js';

export interface FrameCase {
  role: Role;
  maxLength: number;
  /** The application calls close() as soon as the connection opens. */
  appClosesFirst: boolean;
  frames: StreamFrame[];
  frameMutations: FrameMutation[];
  byteMutations: ByteMutation[];
  maskKey: number[];
  chunkSizes: number[];
}

export const frameCase: fc.Arbitrary<FrameCase> = fc.record({
  role: fc.constantFrom<Role>('server', 'client'),
  maxLength: maxLengths,
  appClosesFirst: fc.boolean(),
  frames: validConversation,
  frameMutations: fc.oneof({ weight: 1, arbitrary: fc.constant<FrameMutation[]>([]) }, { weight: 3, arbitrary: fc.array(frameMutation, { minLength: 1, maxLength: 3 }) }),
  byteMutations: fc.oneof({ weight: 2, arbitrary: fc.constant<ByteMutation[]>([]) }, { weight: 1, arbitrary: fc.array(byteMutation, { minLength: 1, maxLength: 3 }) }),
  maskKey: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }),
  chunkSizes,
});

/** The bytes a case sends after the handshake. */
export function wireOf(c: FrameCase): Uint8Array {
  return mutateBytes(encodeStream(mutateFrames(c.frames, c.frameMutations), c.role, c.maskKey), c.byteMutations);
}

interface Run {
  events: RecordedEvent[];
  readyState: number;
  written: Uint8Array;
}

/**
 * Opens a driver of `role`, feeds `wire` cut as `chunking`, checking
 * invariants after every chunk. `borrowed`: each chunk is parsed out of one
 * scratch buffer as borrowed input (lib/frame/borrowed-input.ts, as the
 * Node adapter's shared read buffer is) and overwritten after the call;
 * the messages delivered must still hold what they held when delivered.
 */
export function runDriver(c: FrameCase, wire: Uint8Array, chunking: Chunking, borrowed = false): Run {
  const options = { maxLength: c.maxLength };
  let driver: Parsing;
  let rec: Recorder;
  let stream: Uint8Array;
  if (c.role === 'server') {
    rec = new Recorder();
    const server = Driver.server(rec.socket, options);
    rec.attach(server);
    server.on('connect', () => {
      server.start();
      if (c.appClosesFirst) server.close();
    });
    server.parse(requestHead());
    ensure(server.readyState === (c.appClosesFirst ? 2 : 1), `server did not open (readyState ${server.readyState})`);
    driver = server;
    stream = wire;
  } else {
    rec = new Recorder({ url: 'ws://example.com/chat' });
    const client = Driver.client(rec.socket, options);
    rec.attach(client);
    if (c.appClosesFirst) client.on('open', () => client.close());
    client.start();
    const key = parseHead(rec.take()).headers['sec-websocket-key']!;
    driver = client;
    // The 101 and the first frames may share a chunk.
    stream = concat(responseHead({ key }), wire);
  }
  const limit = retainedLimit(c.maxLength);
  // Kept by reference (the recorder copies), to be compared once every later read has overwritten the buffer.
  const delivered: Array<string | Uint8Array> = [];
  if (borrowed) (driver as unknown as { on(type: 'message', listener: (event: { data: string | Uint8Array }) => void): void }).on('message', (event) => void delivered.push(event.data));
  for (const chunk of split(stream, chunking)) {
    if (borrowed) parseBorrowed(driver, chunk);
    else parseOrFail(driver, chunk);
    checkEventLog(rec.events, driver.readyState);
    ensure(driver.retainedBytes <= limit, `driver holds ${driver.retainedBytes} bytes, over ${limit} for maxLength ${c.maxLength}`);
  }
  ensure(c.role !== 'client' || rec.events.some((e) => e.type === 'open'), 'client did not open on a valid 101');
  const copies = rec.events.filter((e) => e.type === 'message').map((e) => (e as { data: string | Uint8Array }).data);
  delivered.forEach((data, i) => {
    const copy = copies[i]!;
    ensure(typeof data === 'string' ? data === copy : copy instanceof Uint8Array && sameBytes(data, copy), `message ${i} changed after delivery: a view of borrowed input`);
  });
  // The server's writes start with its 101; the client's request was taken above.
  const written = c.role === 'server' ? parseHead(rec.take()).rest : rec.take();
  return { events: rec.events, readyState: driver.readyState, written };
}

// The one buffer borrowed reads come from, as the Node adapter's is.
let scratch = new Uint8Array(64 * 1024);
let scratchFill = 1;

function parseBorrowed(driver: Parsing, chunk: Uint8Array): void {
  if (chunk.length > scratch.length) scratch = new Uint8Array(chunk.length);
  const view = scratch.subarray(0, chunk.length);
  view.set(chunk);
  const was = borrowInput(true);
  try {
    parseOrFail(driver, view);
  } finally {
    borrowInput(was);
  }
  // What the next read does to the buffer.
  view.fill(scratchFill++ & 0xff);
}

/** Checks one run against the model. */
export function compareWithModel(c: FrameCase, model: ModelResult, run: Run): void {
  const data = run.events.filter((e) => e.type === 'message' || e.type === 'ping' || e.type === 'pong');
  ensure(data.length === model.events.length, `delivered ${data.length} messages/pings/pongs, the model expects ${model.events.length}`);
  data.forEach((event, i) => {
    const want = model.events[i]!;
    ensure(event.type === want.type, `event ${i} is ${event.type}, the model expects ${want.type}`);
    const got = (event as { data: string | Uint8Array }).data;
    if (typeof want.data === 'string') {
      ensure(got === want.data, `text message ${i} differs: ${JSON.stringify(got)} vs ${JSON.stringify(want.data)}`);
    } else {
      ensure(got instanceof Uint8Array && sameBytes(got, want.data), `${event.type} ${i} bytes differ`);
    }
  });

  const error = run.events.find((e) => e.type === 'error') as Extract<RecordedEvent, { type: 'error' }> | undefined;
  const close = run.events.find((e) => e.type === 'close') as Extract<RecordedEvent, { type: 'close' }> | undefined;
  const outcome = model.outcome;
  let expectedClose: { code: number; reason: string } | null = null;
  if (outcome.kind === 'pending') {
    if (error !== undefined && model.mayFailEarlyOnUtf8) {
      ensure(error.code === 'INVALID_UTF8' && error.closeCode === 1007, `early failure ${error.code}, only INVALID_UTF8 may come early`);
      expectedClose = { code: 1007, reason: '' };
    } else {
      ensure(error === undefined && close === undefined, `the model expects the connection to stay up, got ${error?.code ?? 'close'} ${close?.code ?? ''}`);
      ensure(run.readyState === (c.appClosesFirst ? 2 : 1), `readyState ${run.readyState} on a pending stream`);
    }
  } else if (outcome.kind === 'peer-closed') {
    ensure(error === undefined, `unexpected error ${error?.code}: the model reads a clean close ${outcome.code}`);
    ensure(close !== undefined && close.code === outcome.code && close.reason === outcome.reason && close.wasClean, `close ${JSON.stringify(close)} vs the peer's ${outcome.code}`);
    expectedClose = { code: outcome.code, reason: '' };
  } else {
    ensure(error !== undefined, `no error; the model expects ${outcome.errorCode}`);
    ensure(error.code === outcome.errorCode && error.closeCode === outcome.closeCode, `error ${error.code}/${error.closeCode}, the model expects ${outcome.errorCode}/${outcome.closeCode}`);
    expectedClose = { code: outcome.closeCode, reason: '' };
  }

  // What the driver wrote back: pongs while open, then at most one close frame.
  const frames = checkWrittenFrames(run.written, c.role);
  const expected: Array<{ opcode: number; payload?: Uint8Array; code?: number }> = [];
  if (c.appClosesFirst) {
    expected.push({ opcode: 8, code: 1000 });
  } else {
    for (const e of model.events) if (e.type === 'ping') expected.push({ opcode: 10, payload: e.data });
    if (expectedClose !== null) expected.push({ opcode: 8, code: expectedClose.code });
  }
  ensure(frames.length === expected.length, `wrote ${frames.length} frames, expected ${expected.length} (${frames.map((f) => f.opcode).join(',')})`);
  frames.forEach((f, i) => {
    const want = expected[i]!;
    ensure(f.opcode === want.opcode, `written frame ${i} has opcode ${f.opcode}, expected ${want.opcode}`);
    if (want.payload !== undefined) ensure(sameBytes(f.payload, want.payload), `pong ${i} does not echo its ping`);
    if (want.code !== undefined) {
      const code = f.payload.length >= 2 ? (f.payload[0]! << 8) | f.payload[1]! : 1005;
      ensure(code === want.code, `close frame carries ${code}, expected ${want.code}`);
      ensure(f.payload.length <= 125, 'close frame too long');
    }
  });
}

/** How the inputs ended, by outcome: shows the mutations reach every rule. */
const outcomes = new Map<string, number>();

export function checkFrameCase(c: FrameCase, borrowed = false): void {
  const wire = wireOf(c);
  const model = readStream(wire, { role: c.role, maxLength: c.maxLength });
  const key = model.outcome.kind === 'failed' ? `${model.outcome.errorCode} (${model.outcome.closeCode})` : model.outcome.kind;
  outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  const chunkings: Chunking[] = ['whole', { sizes: c.chunkSizes }];
  if (wire.length <= 256) chunkings.push('bytewise');
  for (const chunking of chunkings) {
    try {
      compareWithModel(c, model, runDriver(c, wire, chunking, borrowed));
    } catch (error) {
      if (error instanceof Error) {
        error.message += `\n  role ${c.role}, maxLength ${c.maxLength}, chunking ${JSON.stringify(chunking)}\n  wire: ${describeBytes(wire, 96)}`;
      }
      throw error;
    }
  }
}

export const framesTarget: FuzzTarget<FrameCase> = {
  name: 'frames',
  description: 'frame streams (mutated conversations) into server and client drivers, checked against a reference model',
  arbitrary: frameCase,
  check: checkFrameCase,
  summary: () =>
    '  outcomes: ' +
    [...outcomes]
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k} ${n}`)
      .join(', '),
};
