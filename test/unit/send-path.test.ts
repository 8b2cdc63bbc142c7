/**
 * The send path builds small frames in a shared slab (lib/frame/send-slab.ts)
 * and hands out slices of it: every frame must be exactly the bytes RFC 6455
 * §5.2 asks for, and no slice may change after write() was given it, however
 * many frames (from however many connections) follow.
 */
import { describe, expect, it } from 'vitest';
import { FrameWriter, writeFrameHeader } from '../../lib/frame/frame-encoder.js';
import { decodeFrames, Op } from '../helpers/index.js';

const encoder = new TextEncoder();
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);

/** A sink that keeps what it is given by reference, beside a copy taken at write() time. */
function keepingSink() {
  const given: Uint8Array[] = [];
  const snapshots: Uint8Array[] = [];
  return {
    sink: {
      write(bytes: Uint8Array) {
        given.push(bytes);
        snapshots.push(bytes.slice());
      },
    },
    given,
    snapshots,
    /** Every byte written, as the peer reads it. */
    wire(): Uint8Array {
      const out = new Uint8Array(snapshots.reduce((n, b) => n + b.length, 0));
      let at = 0;
      for (const b of snapshots) {
        out.set(b, at);
        at += b.length;
      }
      return out;
    },
  };
}

// Texts with 2-, 3- and 4-byte sequences, of every length class of the header.
const TEXTS = ['', 'a', 'é€', 'hello é€ 😀', 'x'.repeat(125), 'é'.repeat(63), '€'.repeat(42), '€'.repeat(43), '😀'.repeat(2000), 'ab€'.repeat(2000), 'z'.repeat(20000), '中'.repeat(6000)];
const BINARIES = [0, 1, 31, 32, 125, 126, 1024, 16 * 1024 - 14, 16 * 1024, 65535, 65536, 200_000].map((n) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff));

describe('the send path', () => {
  for (const masked of [false, true]) {
    const role = masked ? 'client (masked)' : 'server (unmasked)';

    it(`writes exactly one correct frame per text, as a ${role}`, () => {
      const { sink, wire } = keepingSink();
      const writer = new FrameWriter(sink, masked, Infinity);
      for (const text of TEXTS) writer.text(text);
      const frames = decodeFrames(wire());
      expect(frames).toHaveLength(TEXTS.length);
      frames.forEach((frame, i) => {
        expect(frame).toMatchObject({ fin: true, rsv: 0, opcode: Op.TEXT, masked });
        expect(frame.payload).toEqual(encoder.encode(TEXTS[i]!));
        // The shortest length encoding (§5.2: "the minimal number of bytes MUST be used").
        const n = frame.payload.length;
        expect(frame.extendedLengthBytes).toBe(n < 126 ? 0 : n < 65536 ? 2 : 8);
      });
    });

    it(`writes exactly one correct frame per binary message, as a ${role}`, () => {
      const { sink, wire } = keepingSink();
      const writer = new FrameWriter(sink, masked, Infinity);
      for (const payload of BINARIES) writer.message(Op.BINARY, 0, payload);
      const frames = decodeFrames(wire());
      expect(frames).toHaveLength(BINARIES.length);
      frames.forEach((frame, i) => {
        expect(frame).toMatchObject({ fin: true, opcode: Op.BINARY, masked });
        expect(same(frame.payload, BINARIES[i]!), `message ${i}`).toBe(true);
      });
      // The caller's payloads are untouched.
      for (const payload of BINARIES) expect(same(payload, Uint8Array.from({ length: payload.length }, (_, j) => (j * 31 + payload.length) & 0xff))).toBe(true);
    });

    it(`never writes into a slice it has handed to write(), across many slabs and connections, as a ${role}`, () => {
      const sinks = [keepingSink(), keepingSink(), keepingSink()];
      const writers = sinks.map(({ sink }) => new FrameWriter(sink, masked, Infinity));
      // About 6 MiB through three interleaved connections: many slabs.
      for (let round = 0; round < 400; round++) {
        const writer = writers[round % 3]!;
        writer.text(TEXTS[round % TEXTS.length]!);
        writer.message(Op.BINARY, 0, BINARIES[round % 9]!);
        writer.text(`short ${round} é`);
        writer.frame(true, 0, Op.PING, encoder.encode(String(round)));
      }
      for (const { given, snapshots } of sinks) {
        expect(given.length).toBeGreaterThan(500);
        given.forEach((bytes, i) => expect(same(bytes, snapshots[i]!), `write ${i}`).toBe(true));
      }
    });

    it(`a write() that sends again does not build over the frame it was given, as a ${role}`, () => {
      const seen: Uint8Array[] = [];
      const copies: Uint8Array[] = [];
      let writer: FrameWriter;
      let depth = 0;
      const sink = {
        write(bytes: Uint8Array) {
          seen.push(bytes);
          copies.push(bytes.slice());
          if (depth++ < 20) writer.text(`nested ${depth} €`);
        },
      };
      writer = new FrameWriter(sink, masked, Infinity);
      writer.text('first €');
      expect(seen).toHaveLength(21);
      seen.forEach((bytes, i) => expect(bytes).toEqual(copies[i]));
      const frames = decodeFrames(copies.reduce((a, b) => new Uint8Array([...a, ...b]), new Uint8Array(0)));
      expect(new TextDecoder().decode(frames[0]!.payload)).toBe('first €');
      expect(new TextDecoder().decode(frames[20]!.payload)).toBe('nested 20 €');
    });

    it(`writes every message of 0 to 125 bytes as one write of exactly its frame, RSV bits kept, as a ${role}`, () => {
      const { sink, given, snapshots } = keepingSink();
      const writer = new FrameWriter(sink, masked, Infinity);
      const payloads = Array.from({ length: 126 }, (_, n) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + n) & 0xff));
      payloads.forEach((payload, n) => writer.message(n % 2 === 0 ? Op.BINARY : Op.TEXT, n % 3 === 0 ? 0x40 : 0, payload));
      expect(given).toHaveLength(126);
      snapshots.forEach((bytes, n) => {
        const [frame, ...rest] = decodeFrames(bytes);
        expect(rest).toHaveLength(0);
        expect(frame).toMatchObject({ fin: true, rsv: n % 3 === 0 ? 0x40 : 0, opcode: n % 2 === 0 ? Op.BINARY : Op.TEXT, masked, extendedLengthBytes: 0 });
        expect(same(frame!.payload, payloads[n]!), `message of ${n} bytes`).toBe(true);
        // §5.2: a 2-byte header (and a client's 4-byte key), nothing else.
        expect(bytes.length).toBe((masked ? 6 : 2) + n);
      });
    });

    it(`writes every text of 0 to 130 units, ASCII or with one non-ASCII unit anywhere, as one write of exactly its frame, as a ${role}`, () => {
      // Short ASCII texts are written four units a step with the key as one
      // word, then one at a time: every length (every tail), and a
      // non-ASCII unit at every place in a step or the tail, which must
      // leave the text to the encoder with nothing of the failed try sent.
      const texts: string[] = [];
      for (let n = 0; n <= 130; n++) {
        const ascii = Array.from({ length: n }, (_, i) => String.fromCharCode(0x20 + ((i * 13 + n) % 95))).join('');
        texts.push(ascii);
        for (let at = 0; at < n; at++) texts.push(`${ascii.slice(0, at)}${at % 2 === 0 ? 'é' : '\u0080'}${ascii.slice(at + 1)}`);
      }
      const { sink, snapshots } = keepingSink();
      const writer = new FrameWriter(sink, masked, Infinity);
      for (const text of texts) writer.text(text);
      expect(snapshots).toHaveLength(texts.length);
      snapshots.forEach((bytes, i) => {
        const [frame, ...rest] = decodeFrames(bytes);
        expect(rest).toHaveLength(0);
        expect(frame).toMatchObject({ fin: true, rsv: 0, opcode: Op.TEXT, masked });
        expect(same(frame!.payload, encoder.encode(texts[i]!)), `text ${i} (${texts[i]!.length} units)`).toBe(true);
      });
    });

    it(`splits a short message longer than fragmentSize into fragments, as a ${role}`, () => {
      const { sink, wire } = keepingSink();
      const payload = Uint8Array.from({ length: 100 }, (_, i) => i);
      new FrameWriter(sink, masked, 30).message(Op.BINARY, 0, payload);
      const frames = decodeFrames(wire());
      expect(frames.map((f) => [f.fin, f.opcode, f.payload.length])).toEqual([
        [false, Op.BINARY, 30],
        [false, Op.CONTINUATION, 30],
        [false, Op.CONTINUATION, 30],
        [true, Op.CONTINUATION, 10],
      ]);
      expect(same(new Uint8Array(frames.flatMap((f) => [...f.payload])), payload)).toBe(true);
    });

    it(`sends every short message through frame() in a writer that overrides it (the tracer does), as a ${role}`, () => {
      const seen: number[] = [];
      class Watching extends FrameWriter {
        override frame(fin: boolean, rsv: number, opcode: number, payload: Uint8Array): void {
          seen.push(payload.length);
          super.frame(fin, rsv, opcode, payload);
        }
      }
      const { sink, wire } = keepingSink();
      const writer = new Watching(sink, masked, Infinity);
      for (const n of [0, 1, 16, 125, 126]) writer.message(Op.BINARY, 0, new Uint8Array(n).fill(n));
      expect(seen).toEqual([0, 1, 16, 125, 126]);
      expect(decodeFrames(wire()).map((f) => f.payload.length)).toEqual([0, 1, 16, 125, 126]);
    });

    it(`splits an encoded text longer than fragmentSize into fragments, as a ${role}`, () => {
      const { sink, wire } = keepingSink();
      const text = 'é€😀x'.repeat(50);
      new FrameWriter(sink, masked, 64).text(text);
      const frames = decodeFrames(wire());
      expect(frames.length).toBe(Math.ceil(encoder.encode(text).length / 64));
      expect(frames.map((f) => f.opcode)).toEqual([Op.TEXT, ...frames.slice(1).map(() => Op.CONTINUATION)]);
      expect(new TextDecoder().decode(new Uint8Array(frames.flatMap((f) => [...f.payload])))).toBe(text);
    });
  }

  it('writes a 64-bit payload length big-endian, high word included (§5.2)', () => {
    // No test can send 4 GiB: the header writer is asked directly.
    for (const [length, bytes] of [
      [2 ** 40 + 0x01020304, [0, 0, 1, 0, 1, 2, 3, 4]],
      [2 ** 53 - 1, [0, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]],
      [65536, [0, 0, 0, 0, 0, 1, 0, 0]],
    ] as const) {
      const header = new Uint8Array(14);
      expect(writeFrameHeader(header, 0, true, 0, Op.BINARY, length, false)).toBe(10);
      expect([...header.subarray(0, 10)]).toEqual([0x82, 127, ...bytes]);
      expect(writeFrameHeader(header, 0, false, 0x40, Op.TEXT, length, true)).toBe(14);
      expect([...header.subarray(0, 10)]).toEqual([0x41, 0x80 | 127, ...bytes]);
    }
  });

  it('sends a large server payload by reference after its header, and copies a small one', () => {
    const { sink, given } = keepingSink();
    const writer = new FrameWriter(sink, false, Infinity);
    const large = new Uint8Array(100_000).fill(7);
    const small = new Uint8Array(1024).fill(8);
    writer.message(Op.BINARY, 0, large);
    writer.message(Op.BINARY, 0, small);
    expect(given).toHaveLength(3);
    expect(given[1]).toBe(large);
    expect(given[2]!.buffer).not.toBe(small.buffer);
    expect(given[2]!.length).toBe(4 + 1024);
  });

  it('builds small frames without a buffer of their own: many frames share one', () => {
    const { sink, given } = keepingSink();
    const writer = new FrameWriter(sink, false, Infinity);
    for (let i = 0; i < 100; i++) writer.text(`message ${i} é€`);
    const buffers = new Set(given.map((b) => b.buffer));
    expect(buffers.size).toBeLessThanOrEqual(2);
  });

  for (const masked of [false, true]) {
    it(`with wholeFrames, writes every text as one write holding one whole frame, its buffer no larger than the frame, as a ${masked ? 'client' : 'server'}`, () => {
      const { sink, given, wire } = keepingSink();
      const writer = new FrameWriter(Object.assign(sink, { wholeFrames: true }), masked, Infinity);
      // Long ASCII is encoded straight into its frame; long non-ASCII is not (it does not fit one byte a unit).
      const texts = ['z'.repeat(20_000), 'y'.repeat(70_000), '😀'.repeat(5000), 'ab€'.repeat(8000), 'x'.repeat(19_999) + 'é', ...TEXTS];
      for (const text of texts) writer.text(text);
      expect(given).toHaveLength(texts.length);
      const frames = decodeFrames(wire());
      frames.forEach((frame, i) => {
        expect(frame).toMatchObject({ fin: true, opcode: Op.TEXT, masked });
        expect(frame.payload).toEqual(encoder.encode(texts[i]!));
      });
      // A long frame's buffer is the frame, not room for three bytes a unit (measured, not counted by the writer).
      for (const i of [0, 1, 2, 3, 4]) expect(given[i]!.buffer.byteLength, `text ${i}`).toBe(given[i]!.length);
    });
  }

  for (const masked of [false, true]) {
    it(`writes a long ASCII text as one write of exactly its frame on any socket (no separate header and payload), as a ${masked ? 'client' : 'server'}`, () => {
      // A regression: past the slab, long ASCII text went out as a fresh encode() and two writes (send text 64 KiB fell from 1.3x to 0.7x ws).
      const { sink, given, wire } = keepingSink();
      const writer = new FrameWriter(sink, masked, Infinity);
      const text = 'q'.repeat(70_000);
      writer.text(text);
      expect(given).toHaveLength(1);
      expect(given[0]!.buffer.byteLength).toBe(given[0]!.length);
      const [frame] = decodeFrames(wire());
      expect(frame).toMatchObject({ fin: true, opcode: Op.TEXT, masked });
      expect(frame!.payload).toEqual(encoder.encode(text));
    });
  }

  it('with wholeFrames, writes a large binary message as one write holding the whole frame', () => {
    const { sink, given } = keepingSink();
    const writer = new FrameWriter(Object.assign(sink, { wholeFrames: true }), false, Infinity);
    const large = new Uint8Array(100_000).fill(7);
    writer.message(Op.BINARY, 0, large);
    expect(given).toHaveLength(1);
    expect(given[0]!.length).toBe(10 + 100_000);
    expect(same(decodeFrames(given[0]!)[0]!.payload, large)).toBe(true);
  });
});
