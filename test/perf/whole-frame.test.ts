/**
 * Frames that span chunks: a binary (or extension) message in one frame of at most 1 MiB
 * is gathered into one buffer of its exact size, unmasked on the way in,
 * and delivered as that buffer; larger frames, and text (validated piece by
 * piece to fail fast), still arrive in pieces. Every case is also fed byte
 * by byte.
 */
import { describe, expect, it } from 'vitest';
import { FrameParser, type FrameHandler, type FrameHeader } from '../../lib/frame/frame-parser.js';
import type { ProtocolError } from '../../lib/errors.js';
import { concat, feed, Op, openServer, ROLES, split, type Chunking, type Role } from '../helpers/index.js';

const CHUNKINGS: readonly Chunking[] = ['whole', 'bytewise', { seed: 3, maxChunk: 5000 }, { sizes: [1000, 7] }];

function pattern(size: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed) & 0xff);
}

describe.each(ROLES)('$name receiving binary frames that span chunks', (role: Role) => {
  describe.each(CHUNKINGS)('fed %j', (chunking) => {
    it('delivers each message whole and byte for byte', () => {
      const { driver, rec } = role.open();
      const payloads = [pattern(20_000, 1), pattern(3, 2), pattern(70_000, 3), pattern(126, 4)];
      feed(driver, concat(...payloads.map((p) => role.peerFrame(Op.BINARY, p))), chunking);
      expect(rec.messages).toEqual(payloads);
    });

    it('reassembles fragments that span chunks, with a ping between them', () => {
      const { driver, rec } = role.open();
      const payload = pattern(50_000, 5);
      const bytes = concat(
        role.peerFrame(Op.BINARY, payload.subarray(0, 20_000), { fin: false }),
        role.peerFrame(Op.PING, 'p'),
        role.peerFrame(Op.CONTINUATION, payload.subarray(20_000)),
      );
      feed(driver, bytes, chunking);
      expect(rec.messages).toEqual([payload]);
      expect(rec.of('ping')).toHaveLength(1);
    });
  });

  it.each<Chunking>([{ seed: 5, maxChunk: 70_000 }, { sizes: [100, 4095, 64 * 1024] }, { sizes: [700_000, 1, 500_000] }])(
    'a 1 MiB frame announced before most of it arrives (staged, then gathered) arrives byte for byte, fed %j',
    (chunking) => {
      const { driver, rec } = role.open();
      const payloads = [pattern(1 << 20, 11), pattern(300_000, 12)];
      feed(driver, concat(...payloads.map((p) => role.peerFrame(Op.BINARY, p))), chunking);
      // Compared as buffers: toEqual walks 1 MiB element by element (seconds a case).
      expect(rec.messages).toHaveLength(payloads.length);
      expect((rec.messages as Uint8Array[]).map((message, i) => Buffer.compare(message, payloads[i]!) === 0)).toEqual([true, true]);
      for (const message of rec.messages as Uint8Array[]) expect(message.buffer.byteLength).toBe(message.length);
    },
  );

  it('a frame spanning chunks arrives as a buffer of exactly its size', () => {
    const { driver, rec } = role.open();
    const bytes = role.peerFrame(Op.BINARY, pattern(100_000, 6));
    for (const chunk of split(bytes, { sizes: [4096] })) driver.parse(chunk);
    const message = rec.messages[0] as Uint8Array;
    expect(message.byteOffset).toBe(0);
    expect(message.buffer.byteLength).toBe(100_000);
  });
});

describe('gathering unmasks in one pass, straight into the message', () => {
  it('leaves the chunks it read from as they were (no unmasking in place first)', () => {
    const { driver, rec } = ROLES[0]!.open();
    const payload = pattern(100_000, 9);
    const chunks = split(ROLES[0]!.peerFrame(Op.BINARY, payload), { sizes: [4096] });
    const before = chunks.map((chunk) => chunk.slice());
    for (const chunk of chunks) driver.parse(chunk);
    expect(rec.messages).toEqual([payload]);
    expect(chunks).toEqual(before);
  });
});

describe('memory held for a frame that spans chunks', () => {
  const role = ROLES[0]!;

  it('a frame of at most 1 MiB holds at most four times what arrived plus 16 KiB while it arrives, then nothing', () => {
    const { driver } = openServer();
    const bytes = role.peerFrame(Op.BINARY, pattern(1 << 20, 7));
    const header = bytes.length - (1 << 20);
    driver.parse(bytes.slice(0, 100));
    // The header and 86 bytes of 1 MiB: a staging buffer of four times those bytes, not the frame's size.
    expect(driver.retainedBytes).toBe(4 * (100 - header));
    let most = 0;
    for (let at = 100; at < bytes.length; at += 3000) {
      driver.parse(bytes.slice(at, at + 3000));
      const arrived = Math.min(at + 3000, bytes.length) - header;
      if (arrived < 1 << 20) most = Math.max(most, driver.retainedBytes - 4 * arrived);
    }
    expect(most).toBeLessThanOrEqual(16 * 1024);
    expect(driver.retainedBytes).toBe(0);
  });

  it('a frame of at most 16 KiB holds its size once its first bytes arrive; a 64 KiB frame once a quarter of it has (two reads, one copy)', () => {
    const small = openServer().driver;
    small.parse(role.peerFrame(Op.BINARY, pattern(16_384, 7)).slice(0, 100));
    expect(small.retainedBytes).toBe(16_384);
    const { driver } = openServer();
    const bytes = role.peerFrame(Op.BINARY, pattern(65_536, 7));
    driver.parse(bytes.slice(0, 100));
    // 86 bytes of 64 KiB: staged, not 64 KiB for a header.
    expect(driver.retainedBytes).toBeLessThan(1024);
    const other = openServer().driver;
    other.parse(bytes.slice(0, 32 * 1024));
    expect(other.retainedBytes).toBe(65_536);
  });

  it('a larger frame declared and trickled holds about what arrived, not its declared size', () => {
    const { driver } = openServer({ maxLength: 1 << 26 });
    const size = 32 << 20;
    // A 64-bit length, the mask key, then 100 bytes of the 32 MiB claimed.
    const declared = Uint8Array.of(0x82, 0xff, 0, 0, 0, 0, size >>> 24, (size >>> 16) & 0xff, 0, 0, 1, 2, 3, 4);
    driver.parse(declared);
    for (let i = 0; i < 100; i++) driver.parse(Uint8Array.of(i));
    expect(driver.retainedBytes).toBeLessThan(1 << 20);
  });
});

describe('FrameParser asks whether to gather a frame whole', () => {
  class Handler implements FrameHandler {
    pieces: number[] = [];
    gathered: Array<[number, number, string]> = [];
    asked = 0;
    constructor(readonly whole: boolean) {}
    onFrameHeader(): boolean {
      return true;
    }
    onFramePayload(piece: Uint8Array): boolean {
      this.pieces.push(piece.length);
      return true;
    }
    wantsWholeFrame(_header: FrameHeader): boolean {
      this.asked++;
      return this.whole;
    }
    onGatheredPiece(piece: Uint8Array, whole: Uint8Array | null): boolean {
      // Unmasked by the time it is reported; the last piece comes with the frame it ends.
      const from = this.gathered.at(-1)?.[1] ?? 0;
      const to = from + piece.length;
      const unmasked = Buffer.from(piece).equals(Buffer.from(pattern(10_000, 8).subarray(from, to)));
      this.gathered.push([from, to, unmasked && (whole === null) === (to < 10_000) ? 'unmasked' : 'not yet']);
      return true;
    }
    onFrameError(error: ProtocolError): void {
      throw error;
    }
  }
  const frame = ROLES[0]!.peerFrame(Op.BINARY, pattern(10_000, 8));
  const chunks = split(frame, { sizes: [3000] });

  it('once per frame that spans chunks; yes: one piece, each part reported unmasked in place as it arrives', () => {
    const handler = new Handler(true);
    const parser = new FrameParser(handler, { role: 'server', requireMasking: true, maxLength: 1 << 20 });
    for (const chunk of chunks) parser.push(chunk);
    expect(handler.asked).toBe(1);
    expect(handler.pieces).toEqual([10_000]);
    const header = frame.length - 10_000;
    expect(handler.gathered).toEqual([
      [0, 3000 - header, 'unmasked'],
      [3000 - header, 6000 - header, 'unmasked'],
      [6000 - header, 9000 - header, 'unmasked'],
      [9000 - header, 10_000, 'unmasked'],
    ]);
  });

  it('stops when a gathered part is refused, and never hands the frame on', () => {
    const handler = new Handler(true);
    handler.onGatheredPiece = () => handler.gathered.push([0, 0, 'refused']) === 1;
    const parser = new FrameParser(handler, { role: 'server', requireMasking: true, maxLength: 1 << 20 });
    for (const chunk of chunks) parser.push(chunk);
    expect(parser.stopped).toBe(true);
    expect(handler.pieces).toEqual([]);
  });

  it('no: the pieces as they arrive', () => {
    const handler = new Handler(false);
    const parser = new FrameParser(handler, { role: 'server', requireMasking: true, maxLength: 1 << 20 });
    for (const chunk of chunks) parser.push(chunk);
    expect(handler.asked).toBe(1);
    expect(handler.pieces.length).toBe(4);
    expect(handler.pieces.reduce((a, b) => a + b)).toBe(10_000);
  });

  it('never for a frame that arrives whole in one chunk', () => {
    const handler = new Handler(true);
    const parser = new FrameParser(handler, { role: 'server', requireMasking: true, maxLength: 1 << 20 });
    parser.push(frame.slice());
    expect(handler.asked).toBe(0);
    expect(handler.pieces).toEqual([10_000]);
  });
});
