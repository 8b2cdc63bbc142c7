/**
 * The benchmark's own parts that decide whether its figures mean anything:
 * the byte streams it feeds, the checker of what senders wrote, and the
 * statistics it reports (bench/workloads.ts, verify.ts, stats.ts).
 */
import { describe, expect, it } from 'vitest';
import { median, medianOf, pairedRatios, ratioOf, relativeChange, type ResultRow } from '../../bench/stats.js';
import { repetitionTurns } from '../../bench/schedule.js';
import { verifyFrames } from '../../bench/verify.js';
import { buildReceiveStream, headerBytes, messageCount, payloadFor, streamOneMessage, WORKLOADS, type ReceiveWorkload } from '../../bench/workloads.js';
import { BASIC_CHUNKINGS, chunkingName, clientFrame, concat, decodeFrames, feed, Op, openServer, serverFrame } from '../helpers/index.js';

const decoder = new TextDecoder();

/** Small versions of the receive workloads' shapes, so byte-by-byte feeding stays quick. */
const SHAPES: ReceiveWorkload[] = [
  { id: 'text, one frame each', direction: 'receive', kind: 'text', size: 16, fragment: 0, chunk: 1024 },
  { id: 'binary, one frame each, 16-bit length', direction: 'receive', kind: 'binary', size: 300, fragment: 0, chunk: 1024 },
  { id: 'text in fragments', direction: 'receive', kind: 'text', size: 300, fragment: 64, chunk: 1024 },
  { id: 'binary in fragments, last one short', direction: 'receive', kind: 'binary', size: 1000, fragment: 128, chunk: 1024 },
];

describe('the receive stream a workload feeds', () => {
  for (const shape of SHAPES) {
    it(`is masked frames carrying each message's payload in order (${shape.id})`, () => {
      const frames = decodeFrames(buildReceiveStream(shape, 5));
      const perMessage = shape.fragment === 0 ? 1 : Math.ceil(shape.size / shape.fragment);
      expect(frames).toHaveLength(5 * perMessage);
      for (let m = 0; m < 5; m++) {
        const pieces = frames.slice(m * perMessage, (m + 1) * perMessage);
        expect(pieces.every((f) => f.masked)).toBe(true);
        expect(pieces.map((f) => f.opcode)).toEqual(pieces.map((_, i) => (i > 0 ? Op.CONTINUATION : shape.kind === 'text' ? Op.TEXT : Op.BINARY)));
        expect(pieces.map((f) => f.fin)).toEqual(pieces.map((_, i) => i === perMessage - 1));
        expect(concat(...pieces.map((f) => f.payload))).toEqual(payloadFor(shape, m));
      }
    });

    for (const chunking of BASIC_CHUNKINGS) {
      it(`is delivered by a server driver as exactly the expected messages, fed ${chunkingName(chunking)} (${shape.id})`, () => {
        const { driver, rec } = openServer();
        feed(driver, buildReceiveStream(shape, 5), chunking);
        const expected = Array.from({ length: 5 }, (_, m) => (shape.kind === 'text' ? decoder.decode(payloadFor(shape, m)) : payloadFor(shape, m)));
        expect(rec.messages).toEqual(expected);
      });
    }
  }

  it('uses different mask keys for different frames', () => {
    const keys = decodeFrames(buildReceiveStream(SHAPES[0]!, 8)).map((f) => Array.from(f.maskKey!).join());
    expect(new Set(keys).size).toBe(8);
  });

  it('cycles through distinct payloads, not one repeated message', () => {
    const workload = WORKLOADS.find((w) => w.id === 'recv binary 1 KiB')!;
    expect(payloadFor(workload, 0)).not.toEqual(payloadFor(workload, 1));
    expect(payloadFor(workload, 0)).toEqual(payloadFor(workload, 64));
  });

  it('non-ASCII text is valid UTF-8 of exactly its size, 10-30% of its characters in 2-, 3- and 4-byte sequences', () => {
    const strict = new TextDecoder('utf-8', { fatal: true });
    const seen = new Set<number>();
    for (const size of [16, 1024, 65536]) {
      const workload = WORKLOADS.find((w) => w.id === `recv text ${size === 16 ? '16 B' : `${size / 1024} KiB`} non-ASCII`)!;
      for (let index = 0; index < 64; index += 7) {
        const payload = payloadFor(workload, index);
        expect(payload.length).toBe(size);
        const text = strict.decode(payload);
        const characters = [...text];
        const wide = characters.map((c) => new TextEncoder().encode(c).length).filter((n) => n > 1);
        for (const n of wide) seen.add(n);
        if (size >= 1024) {
          const share = wide.length / characters.length;
          expect(share).toBeGreaterThan(0.07);
          expect(share).toBeLessThan(0.33);
        }
      }
    }
    expect([...seen].sort()).toEqual([2, 3, 4]);
  });

  it('sends every shape of message to a counting sink and to a copying one', () => {
    const sends = WORKLOADS.filter((w) => w.direction === 'send');
    for (const sink of ['count', 'copy'] as const) {
      const ids = sends.filter((w) => (w.sink ?? 'count') === sink).map((w) => w.id.replace(', copying sink', ''));
      expect(ids).toContain('send server text 16 B non-ASCII');
      expect(ids).toContain('send client binary 1 MiB');
      expect(ids).toHaveLength(sends.length / 2);
    }
  });

  it('holds whole messages of about the asked volume, and at least four', () => {
    const small = WORKLOADS.find((w) => w.id === 'recv text 16 B')!;
    const large = WORKLOADS.find((w) => w.id === 'recv binary 1 MiB')!;
    expect(messageCount(small, 1024 * 1024)).toBe(65536);
    expect(messageCount(large, 1024 * 1024)).toBe(4);
  });
});

describe('the one large message of the peak-memory run', () => {
  for (const chunking of BASIC_CHUNKINGS) {
    it(`arrives whole at a server driver, fed ${chunkingName(chunking)}`, () => {
      const { driver, rec } = openServer();
      const sizes: number[] = [];
      for (const chunk of streamOneMessage('binary', 5000, 1024, 700)) {
        sizes.push(chunk.length);
        feed(driver, chunk, chunking);
      }
      // Five frames (four of 1024 bytes, one of 904), each with an 8-byte header.
      const total = 5000 + 5 * 8;
      expect(sizes).toEqual([...Array<number>(Math.floor(total / 700)).fill(700), total % 700]);
      expect(rec.messages).toHaveLength(1);
      expect((rec.messages[0] as Uint8Array).length).toBe(5000);
    });
  }
});

describe('verifyFrames, the check of what a sender wrote', () => {
  const payloads = [new Uint8Array([1, 2, 3]), new Uint8Array(200).fill(9)];
  const expected = (i: number) => payloads[i % 2]!;

  it('accepts unmasked binary frames with the expected payloads', () => {
    expect(verifyFrames(concat(serverFrame(Op.BINARY, payloads[0]), serverFrame(Op.BINARY, payloads[1])), false, Op.BINARY, expected)).toBeNull();
  });

  it('accepts masked frames, unmasking them first', () => {
    expect(verifyFrames(concat(clientFrame(Op.BINARY, payloads[0]), clientFrame(Op.BINARY, payloads[1])), true, Op.BINARY, expected)).toBeNull();
  });

  it('ignores a trailing partial frame (the capture stops mid-stream)', () => {
    const whole = serverFrame(Op.BINARY, payloads[0]);
    expect(verifyFrames(concat(whole, serverFrame(Op.BINARY, payloads[1]).subarray(0, 50)), false, Op.BINARY, expected)).toBeNull();
  });

  it('reports a payload that differs', () => {
    const wrong = Uint8Array.from(payloads[0]!);
    wrong[2] = 0;
    expect(verifyFrames(serverFrame(Op.BINARY, wrong), false, Op.BINARY, expected)).toMatch(/frame 0: payload differs at byte 2/);
  });

  it('reports a missing message as the next payload not matching', () => {
    expect(verifyFrames(serverFrame(Op.BINARY, payloads[1]), false, Op.BINARY, expected)).toMatch(/frame 0: 200 payload bytes, expected 3/);
  });

  it('reports a wrong opcode, a wrong mask bit, and no frame at all', () => {
    expect(verifyFrames(serverFrame(Op.TEXT, payloads[0]), false, Op.BINARY, expected)).toMatch(/first byte 0x81/);
    expect(verifyFrames(clientFrame(Op.BINARY, payloads[0]), false, Op.BINARY, expected)).toMatch(/mask bit is 1/);
    expect(verifyFrames(serverFrame(Op.BINARY, payloads[0]), true, Op.BINARY, expected)).toMatch(/mask bit is 0/);
    expect(verifyFrames(new Uint8Array(1), false, Op.BINARY, expected)).toBe('no complete frame was written');
  });

  it('agrees with the header size the send workloads count', () => {
    for (const size of [16, 1024, 65536]) {
      expect(serverFrame(Op.BINARY, new Uint8Array(size)).length).toBe(headerBytes(size, false) + size);
      expect(clientFrame(Op.BINARY, new Uint8Array(size)).length).toBe(headerBytes(size, true) + size);
    }
  });
});

describe('the statistics reported', () => {
  it('median: the middle value, or the mean of the two middle ones, whatever the order', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });

  it('pairedRatios: each repetition against the one run beside it', () => {
    expect(pairedRatios([2, 3, 8], [1, 3, 4])).toEqual([2, 1, 2]);
    expect(pairedRatios([2, 3], [1])).toEqual([2]);
  });

  it('relativeChange: signed, relative to the first value', () => {
    expect(relativeChange(2, 2.2)).toBeCloseTo(0.1);
    expect(relativeChange(2, 1.8)).toBeCloseTo(-0.1);
  });

  it("ratioOf: the median of the per-repetition ratios, undefined when one did not run", () => {
    const row: ResultRow = { id: 'x', messages: 1, samples: { wsdriver: [3, 9, 6], ws: [2, 4, 3] }, passes: {} };
    expect(medianOf(row, 'wsdriver')).toBe(6);
    expect(ratioOf(row, 'wsdriver', 'ws')).toBe(2);
    expect(ratioOf(row, 'wsdriver', 'memcpy')).toBeUndefined();
  });

  it('ratioOf: a slow phase that hits both implementations of a repetition cancels out', () => {
    // Repetitions 3 and 4 ran at half speed for both, and wsdriver's 5th too:
    // the ratio of the two medians would be 2 / 2 = 1.
    const row: ResultRow = { id: 'x', messages: 1, samples: { wsdriver: [4, 4, 2, 2, 2], ws: [2, 2, 1, 1, 2] }, passes: {} };
    expect(ratioOf(row, 'wsdriver', 'ws')).toBe(2);
  });
});

describe('the order of a row\'s repetitions (bench/schedule.ts)', () => {
  it('runs every implementation once per repetition, the first one rotating', () => {
    const turns = repetitionTurns([1, 1, 1], 4);
    expect(turns.map((rep) => rep.map((t) => t.implementation))).toEqual([
      [0, 1, 2],
      [1, 2, 0],
      [2, 0, 1],
      [0, 1, 2],
    ]);
  });

  it('spreads an implementation\'s repetitions over its processes in turn, each as often as the others', () => {
    const turns = repetitionTurns([3, 3, 1], 9);
    for (const implementation of [0, 1]) {
      const used = turns.map((rep) => rep.find((t) => t.implementation === implementation)!.process);
      expect(used).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2]);
    }
    expect(turns.every((rep) => rep.find((t) => t.implementation === 2)!.process === 0)).toBe(true);
  });

  it('pairs repetition i of two implementations with the same number of processes in their process i mod N', () => {
    // The ratio of a repetition compares process k of one with process k of the other, never one process throughout.
    const turns = repetitionTurns([2, 2], 6);
    for (const rep of turns) expect(rep[0]!.process).toBe(rep[1]!.process);
    expect(new Set(turns.map((rep) => rep[0]!.process))).toEqual(new Set([0, 1]));
  });
});
