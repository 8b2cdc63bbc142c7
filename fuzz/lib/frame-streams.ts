/**
 * Frame streams for the fuzz targets: valid conversations (messages cut
 * into fragments with control frames between them, pings, pongs, a close)
 * and the ways a hostile or broken peer bends them: reserved opcodes and
 * RSV bits, flipped FIN, non-minimal or absurd lengths, missing or stray
 * masks, oversized control frames, bad UTF-8 at any position, bad close
 * payloads, then flipped bits, truncation and spliced bytes on the wire.
 */
import fc from 'fast-check';
import { concat, frame, type FrameSpec } from '../../test/helpers/index.js';

export type Role = 'server' | 'client';

/** One frame of a stream before encoding (a FrameSpec the mutations may bend). */
export type StreamFrame = FrameSpec & {
  payload: Uint8Array;
  /** Send this frame masked when the role says unmasked, or the reverse. */
  flipMask?: boolean;
};

const encoder = new TextEncoder();

const smallBytes = fc.oneof(
  { weight: 6, arbitrary: fc.uint8Array({ maxLength: 24 }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 120, maxLength: 300 }) },
);

const textBytes = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 40, maxLength: 90 }) },
).map((text) => encoder.encode(text));

const controlPayload = fc.uint8Array({ maxLength: 125 });

/** Close codes worth trying: valid, reserved, never-sent and out of range. */
const CLOSE_CODES = [0, 1, 999, 1000, 1001, 1003, 1004, 1005, 1006, 1007, 1011, 1012, 1014, 1015, 1016, 2000, 2999, 3000, 4999, 5000, 65535];

const closeFrame = fc
  .record({
    code: fc.option(fc.oneof(fc.constantFrom(1000, 1001, 1008, 3000, 4321), fc.constantFrom(...CLOSE_CODES)), { nil: undefined }),
    reason: fc.string({ unit: 'binary', maxLength: 20 }),
  })
  .map(({ code, reason }): StreamFrame[] => {
    if (code === undefined) return [{ opcode: 8, payload: new Uint8Array(0) }];
    const reasonBytes = encoder.encode(reason).subarray(0, 123);
    return [{ opcode: 8, payload: concat(Uint8Array.of(code >> 8, code & 0xff), reasonBytes) }];
  });

const controlFrame = fc
  .record({ opcode: fc.constantFrom(9, 10), payload: controlPayload })
  .map(({ opcode, payload }): StreamFrame => ({ opcode, payload }));

/** A data message, cut into fragments, with control frames between them. */
const dataMessage = fc
  .record({
    text: fc.boolean(),
    payloadSeed: fc.tuple(textBytes, smallBytes),
    cuts: fc.array(fc.nat(), { maxLength: 4 }),
    between: fc.array(fc.option(controlFrame, { nil: undefined, freq: 3 }), { maxLength: 4 }),
  })
  .map(({ text, payloadSeed, cuts, between }): StreamFrame[] => {
    const payload = text ? payloadSeed[0] : payloadSeed[1];
    const points = [...new Set(cuts.map((c) => (payload.length === 0 ? 0 : c % (payload.length + 1))))].sort((a, b) => a - b);
    const bounds = [0, ...points, payload.length];
    const frames: StreamFrame[] = [];
    for (let i = 0; i + 1 < bounds.length; i++) {
      const last = i + 2 === bounds.length;
      frames.push({ fin: last, opcode: i === 0 ? (text ? 1 : 2) : 0, payload: payload.slice(bounds[i], bounds[i + 1]) });
      const control = between[i];
      if (!last && control !== undefined) frames.push(control);
    }
    return frames;
  });

/** A valid conversation from the peer: messages and control frames, maybe a close. */
export const validConversation = fc
  .tuple(
    fc.array(fc.oneof({ weight: 4, arbitrary: dataMessage }, { weight: 1, arbitrary: controlFrame.map((f) => [f]) }), { maxLength: 5 }),
    fc.option(closeFrame, { nil: undefined }),
  )
  .map(([items, close]) => [...items.flat(), ...(close ?? [])]);

/** Invalid UTF-8 sequences (and a few valid edge cases) to splice into payloads. */
const UTF8_TRAPS: readonly (readonly number[])[] = [
  [0x80], [0xbf], [0xc0, 0x80], [0xc1, 0xbf], [0xc2], [0xe0, 0x80, 0x80], [0xe0, 0x9f, 0xbf],
  [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xef, 0xbf], [0xf0, 0x8f, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80],
  [0xf5], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xfe], [0xff], [0xf0, 0x9f, 0x98], [0xef, 0xbb, 0xbf], [0xf4, 0x8f, 0xbf, 0xbf],
];

/** Lengths to declare in place of the true one. */
const DECLARED_LENGTHS: readonly (number | bigint)[] = [
  0, 1, 125, 126, 127, 65535, 65536, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53 + 1, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n,
];

/** A change to one frame before it is encoded. */
export type FrameMutation =
  | { kind: 'opcode'; index: number; opcode: number }
  | { kind: 'rsv'; index: number; rsv: number }
  | { kind: 'fin'; index: number }
  | { kind: 'wide-length'; index: number; width: 16 | 64 }
  | { kind: 'declared-length'; index: number; length: number | bigint }
  | { kind: 'mask'; index: number }
  | { kind: 'long-control'; index: number; extra: number }
  | { kind: 'bad-utf8'; index: number; at: number; bytes: readonly number[] }
  | { kind: 'close-payload'; index: number; payload: Uint8Array };

export const frameMutation: fc.Arbitrary<FrameMutation> = fc.oneof(
  fc.record({ kind: fc.constant('opcode' as const), index: fc.nat(), opcode: fc.integer({ min: 0, max: 15 }) }),
  fc.record({ kind: fc.constant('rsv' as const), index: fc.nat(), rsv: fc.integer({ min: 1, max: 7 }).map((r) => r << 4) }),
  fc.record({ kind: fc.constant('fin' as const), index: fc.nat() }),
  fc.record({ kind: fc.constant('wide-length' as const), index: fc.nat(), width: fc.constantFrom(16 as const, 64 as const) }),
  fc.record({ kind: fc.constant('declared-length' as const), index: fc.nat(), length: fc.constantFrom(...DECLARED_LENGTHS) }),
  fc.record({ kind: fc.constant('mask' as const), index: fc.nat() }),
  fc.record({ kind: fc.constant('long-control' as const), index: fc.nat(), extra: fc.integer({ min: 1, max: 5 }) }),
  fc.record({ kind: fc.constant('bad-utf8' as const), index: fc.nat(), at: fc.nat(), bytes: fc.constantFrom(...UTF8_TRAPS) }),
  fc.record({
    kind: fc.constant('close-payload' as const),
    index: fc.nat(),
    payload: fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 1 }),
      fc.constantFrom(...CLOSE_CODES).map((c) => Uint8Array.of(c >> 8, c & 0xff)),
      fc.constantFrom(...UTF8_TRAPS).map((t) => Uint8Array.of(0x03, 0xe8, 0x6f, 0x6b, ...t)),
    ),
  }),
);

/** A change to the encoded bytes. */
export type ByteMutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'duplicate'; at: number; count: number };

export const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 16 }) }),
);

/** Applies frame mutations (indexes wrap around the frame list). */
export function mutateFrames(frames: readonly StreamFrame[], mutations: readonly FrameMutation[]): StreamFrame[] {
  const out = frames.map((f) => ({ ...f }));
  if (out.length === 0) return out;
  for (const m of mutations) {
    const f = out[m.index % out.length]!;
    switch (m.kind) {
      case 'opcode':
        f.opcode = m.opcode;
        break;
      case 'rsv':
        f.rsv = m.rsv;
        break;
      case 'fin':
        f.fin = f.fin === false;
        break;
      case 'wide-length':
        if (m.width === 16 && f.payload.length > 0xffff) break;
        f.lengthEncoding = m.width;
        break;
      case 'declared-length':
        f.declaredLength = m.length;
        f.lengthEncoding = 'minimal';
        break;
      case 'mask':
        f.flipMask = f.flipMask !== true;
        break;
      case 'long-control':
        f.payload = concat(f.payload, new Uint8Array(Math.max(0, 126 - f.payload.length) + m.extra - 1).fill(0x61));
        break;
      case 'bad-utf8': {
        const at = m.at % (f.payload.length + 1);
        f.payload = concat(f.payload.subarray(0, at), Uint8Array.from(m.bytes), f.payload.subarray(at));
        break;
      }
      case 'close-payload':
        f.opcode = 8;
        f.fin = true;
        f.payload = m.payload;
        break;
    }
  }
  return out;
}

/** Applies byte mutations (positions wrap around the stream). */
export function mutateBytes(bytes: Uint8Array, mutations: readonly ByteMutation[]): Uint8Array {
  let out = bytes;
  for (const m of mutations) {
    if (out.length === 0) return out;
    const at = m.at % out.length;
    switch (m.kind) {
      case 'flip':
        out = out.slice();
        out[at]! ^= 1 << m.bit;
        break;
      case 'set':
        out = out.slice();
        out[at] = m.value;
        break;
      case 'truncate':
        out = out.slice(0, at);
        break;
      case 'delete':
        out = concat(out.subarray(0, at), out.subarray(at + m.count));
        break;
      case 'duplicate':
        out = concat(out.subarray(0, at + m.count), out.subarray(at));
        break;
    }
  }
  return out;
}

/** Encodes frames as the peer of `role` sends them: a client's masked, a server's not. */
export function encodeStream(frames: readonly StreamFrame[], role: Role, maskKey: readonly number[]): Uint8Array {
  return concat(
    ...frames.map((f) => {
      // A client's frames are masked (RFC 6455 §5.3), unless a mutation flipped it.
      const masked = (role === 'server') !== (f.flipMask === true);
      const { flipMask: _flip, ...rest } = f;
      const spec: FrameSpec = { ...rest, mask: masked ? maskKey : false };
      if (spec.lengthEncoding === 16 && BigInt(spec.declaredLength ?? f.payload.length) > 0xffffn) spec.lengthEncoding = 'minimal';
      return frame(spec);
    }),
  );
}

/** Sizes to cut a stream into: mostly small, sometimes larger. */
export const chunkSizes = fc.array(fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 1, max: 8 }) }, { weight: 1, arbitrary: fc.integer({ min: 9, max: 400 }) }), {
  minLength: 1,
  maxLength: 12,
});

/** `maxLength` values around the interesting boundaries. */
export const maxLengths = fc.oneof(
  { weight: 3, arbitrary: fc.constant(2 ** 26 - 1) },
  { weight: 2, arbitrary: fc.constantFrom(0, 1, 7, 125, 126, 200, 65535) },
);
