// Property: parse() never throws on any input, as a handshake or after
// one, and always leaves the driver in a valid state: readyState 0-3, at
// most one error and one close, whole frames written, nothing after the
// close frame, nothing written once closed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Driver } from '../../lib/index.js';
import { applyMask, applyMaskTo } from '../../lib/frame/mask.js';
import {
  concat,
  decodeFrames,
  feed,
  frame,
  Op,
  openClient,
  openServer,
  parseHead,
  Recorder,
  requestHead,
  responseHead,
  startedClient,
  type Chunking,
  type FrameSpec,
} from '../helpers/index.js';
import { anyChunking } from './arbitraries.js';

// PROP_RUNS=2000 npx vitest run test/properties runs deeper than the default.
const NUM_RUNS = Number(process.env.PROP_RUNS ?? 150);

interface Watched {
  readonly driver: { readonly readyState: number; parse(bytes: Uint8Array): void };
  readonly rec: Recorder;
  /** Writes recorded when close fired; null until it does. */
  writesAtClose: number | null;
}

function watch(driver: Watched['driver'] & { on(type: 'close', listener: () => void): unknown }, rec: Recorder): Watched {
  const watched: Watched = { driver, rec, writesAtClose: null };
  driver.on('close', () => {
    watched.writesAtClose = rec.socket.writes.length;
  });
  return watched;
}

/** Checks the invariants; `written` are the bytes written after any HTTP head. */
function checkInvariants({ driver, rec, writesAtClose }: Watched, written: Uint8Array): void {
  expect([0, 1, 2, 3]).toContain(driver.readyState);
  const errors = rec.of('error');
  const closes = rec.of('close');
  expect(errors.length).toBeLessThanOrEqual(1);
  expect(closes.length).toBeLessThanOrEqual(1);
  if (errors.length === 1) {
    // A failure always ends the connection, and says why.
    expect(closes).toHaveLength(1);
    expect(rec.types.indexOf('error')).toBeLessThan(rec.types.indexOf('close'));
    expect(errors[0]!.code).toMatch(/^[A-Z0-9_]+$/);
    expect([1002, 1007, 1009, 1010]).toContain(errors[0]!.closeCode);
    expect(closes[0]!.code).toBe(errors[0]!.closeCode);
  }
  if (closes.length === 1) {
    expect(driver.readyState).toBe(3);
    expect(rec.socket.writes.length).toBe(writesAtClose);
  } else {
    expect(driver.readyState).not.toBe(3);
  }
  const frames = decodeFrames(written);
  const closeAt = frames.findIndex((f) => f.opcode === Op.CLOSE);
  if (closeAt >= 0) expect(closeAt).toBe(frames.length - 1);
  // Every event type is one the API documents.
  for (const type of rec.types) expect(['connect', 'open', 'message', 'ping', 'pong', 'error', 'close']).toContain(type);
}

/** Frames that are mostly well-formed, so the input reaches every state, with the odd rule broken. */
function frameSoup(masked: boolean): fc.Arbitrary<Uint8Array> {
  const spec: fc.Arbitrary<FrameSpec> = fc.record({
    fin: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    rsv: fc.oneof({ weight: 9, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(0x10, 0x20, 0x40) }),
    opcode: fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom(Op.CONTINUATION, Op.TEXT, Op.BINARY, Op.PING, Op.PONG) },
      { weight: 1, arbitrary: fc.constant(Op.CLOSE) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 15 }) },
    ),
    payload: fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 60 }).map((s) => new TextEncoder().encode(s)),
    ),
    mask: fc.oneof({ weight: 9, arbitrary: fc.constant(masked) }, { weight: 1, arbitrary: fc.constant(!masked) }),
    lengthEncoding: fc.oneof({ weight: 9, arbitrary: fc.constant('minimal' as const) }, { weight: 1, arbitrary: fc.constantFrom(16 as const, 64 as const) }),
  });
  return fc
    .tuple(fc.array(spec, { maxLength: 12 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 2 }))
    .map(([specs, flips]) => {
      const bytes = concat(...specs.map((s) => frame(s)));
      // Now and then, corrupt a byte or two.
      for (const [at, value] of flips) if (bytes.length > 0) bytes[at % bytes.length] = value;
      return bytes;
    });
}

const anyBytes = fc.uint8Array({ maxLength: 2000 });

describe('parse() after a valid handshake', () => {
  it.each([
    ['server', true],
    ['client', false],
  ] as const)('%s: never throws on random bytes or frame soup, and stays valid', (kind, peerMasks) => {
    fc.assert(
      fc.property(fc.oneof(anyBytes, frameSoup(peerMasks)), anyChunking, (input, chunking: Chunking) => {
        const { driver, rec } = kind === 'server' ? openServer() : openClient();
        const watched = watch(driver, rec);
        expect(() => feed(driver, input, chunking)).not.toThrow();
        // The handshake was taken already: everything after it is frames.
        checkInvariants(watched, rec.take());
        // A driver that is still alive can still be closed properly.
        if (driver.readyState === 1) {
          expect(driver.close()).toBe(true);
          expect(rec.takeFrames().map((f) => f.opcode)).toEqual([Op.CLOSE]);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('parse() as the handshake', () => {
  it('Driver.server never throws on any request bytes, and answers with HTTP or not at all', () => {
    const validish = fc
      .tuple(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 255 }), frameSoup(true))
      .map(([at, value, frames]) => {
        const head = requestHead();
        head[at % head.length] = value;
        return concat(head, frames);
      });
    fc.assert(
      fc.property(fc.oneof(anyBytes, validish), anyChunking, (input, chunking) => {
        const rec = new Recorder();
        const driver = rec.attach(Driver.server(rec.socket, { maxHeadSize: 512 }));
        driver.on('connect', () => driver.start());
        const watched = watch(driver, rec);
        expect(() => feed(driver, input, chunking)).not.toThrow();
        const written = rec.written;
        if (written.length === 0) {
          checkInvariants(watched, written);
          return;
        }
        const head = parseHead(written);
        expect(head.startLine).toMatch(/^HTTP\/1\.1 (101|400|426|431) /);
        if (head.status === 101) {
          checkInvariants(watched, head.rest);
        } else {
          // A refused request gets a response and nothing else.
          expect(head.rest.length).toBe(Number(head.headers['content-length']));
          expect(driver.readyState).toBe(3);
          expect(rec.of('close')).toHaveLength(1);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('a client never throws on any response bytes, and stays valid', () => {
    fc.assert(
      fc.property(
        fc.oneof(anyBytes, fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 255 }), frameSoup(false))),
        anyChunking,
        (input, chunking) => {
          const { driver, rec, key } = startedClient({ maxHeadSize: 512 });
          let bytes: Uint8Array;
          if (input instanceof Uint8Array) {
            bytes = input;
          } else {
            const [at, value, frames] = input;
            const head = responseHead({ key });
            head[at % head.length] = value;
            bytes = concat(head, frames);
          }
          const watched = watch(driver, rec);
          expect(() => feed(driver, bytes, chunking)).not.toThrow();
          // The request was taken already: everything after it is frames.
          checkInvariants(watched, rec.take());
          if (rec.of('open').length === 0) expect(rec.of('message')).toEqual([]);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('UTF-8 against TextDecoder as the oracle', () => {
  const textish = fc.oneof(
    fc.uint8Array({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 30 }).map((s) => new TextEncoder().encode(s)),
    // Valid text with one byte changed: the hard cases sit next to valid ones.
    fc
      .tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }), fc.nat(), fc.integer({ min: 0x80, max: 0xff }))
      .map(([s, at, value]) => {
        const bytes = new TextEncoder().encode(s);
        bytes[at % bytes.length] = value;
        return bytes;
      }),
  );

  it('a text message fragmented anywhere is delivered exactly when it is valid UTF-8, else fails with 1007', () => {
    fc.assert(
      fc.property(textish, fc.array(fc.nat(), { maxLength: 4 }), fc.boolean(), (payload, cuts, asServer) => {
        const points = [...new Set(cuts.map((c) => (payload.length === 0 ? 0 : c % (payload.length + 1))))].sort((a, b) => a - b);
        const bounds = [0, ...points, payload.length];
        const fragments: Uint8Array[] = [];
        for (let i = 0; i + 1 < bounds.length; i++) {
          fragments.push(
            frame({
              fin: i + 2 === bounds.length,
              opcode: i === 0 ? Op.TEXT : Op.CONTINUATION,
              payload: payload.subarray(bounds[i], bounds[i + 1]),
              mask: asServer,
            }),
          );
        }
        const { driver, rec } = asServer ? openServer() : openClient();
        feed(driver, concat(...fragments), 'bytewise');
        let expected: string | null;
        try {
          expected = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(payload);
        } catch {
          expected = null;
        }
        if (expected === null) {
          expect(rec.messages).toEqual([]);
          expect(rec.of('error')).toEqual([expect.objectContaining({ code: 'INVALID_UTF8', closeCode: 1007 })]);
        } else {
          expect(rec.messages).toEqual([expected]);
          expect(rec.of('error')).toEqual([]);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('masking', () => {
  it('applyMask equals a byte-by-byte XOR for any data, alignment, key and phase, and undoes itself', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.integer({ min: 0, max: 7 }),
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.integer({ min: 0, max: 3 }),
        (data, offset, key, phase) => {
          const buffer = new Uint8Array(data.length + offset);
          buffer.set(data, offset);
          const view = buffer.subarray(offset);
          const expected = data.map((b, i) => b ^ key[(phase + i) & 3]!);
          expect(applyMask(view, key, phase)).toBe((phase + data.length) & 3);
          expect(view).toEqual(expected);
          applyMask(view, key, phase);
          expect(view).toEqual(data);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('applyMaskTo equals a byte-by-byte XOR for any data, source and target alignment, key and phase, and leaves the source alone', () => {
    // Lengths near the SIMD threshold (256) and the 16 KiB block's edges, and anything up to 70,000.
    const edge = (at: number) => fc.integer({ min: at - 9, max: at + 9 });
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 0, max: 70_000 }), edge(256), edge(16_384), edge(32_768), edge(49_152), edge(65_536)),
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 0, max: 7 }),
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer(),
        (length, sourceAt, targetAt, key, phase, seed) => {
          const data = new Uint8Array(length);
          for (let i = 0, x = seed; i < length; i++) data[i] = x = (x * 1103515245 + 12345) >>> 16;
          const source = new Uint8Array(length + 8);
          source.set(data, sourceAt);
          const target = new Uint8Array(length + 16).fill(0xa5);
          applyMaskTo(source.subarray(sourceAt, sourceAt + length), target, targetAt, key, phase);
          let wrong = -1;
          for (let i = 0; i < target.length && wrong < 0; i++) {
            const expected = i < targetAt || i >= targetAt + length ? 0xa5 : data[i - targetAt]! ^ key[(phase + i - targetAt) & 3]!;
            if (target[i] !== expected) wrong = i;
          }
          expect(wrong).toBe(-1);
          expect(Buffer.from(source.subarray(sourceAt, sourceAt + length)).equals(Buffer.from(data))).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});
