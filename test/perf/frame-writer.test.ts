import { describe, expect, it } from 'vitest';
import { FrameWriter } from '../../lib/frame/frame-encoder.js';

/** Decodes one whole frame: its opcode, fin bit and unmasked payload. */
function decodeFrame(bytes: Uint8Array): { fin: boolean; opcode: number; masked: boolean; payload: Uint8Array } {
  let length = bytes[1]! & 0x7f;
  let pos = 2;
  if (length === 126) {
    length = (bytes[2]! << 8) | bytes[3]!;
    pos = 4;
  } else if (length === 127) {
    length = bytes[6]! * 2 ** 24 + ((bytes[7]! << 16) | (bytes[8]! << 8) | bytes[9]!);
    pos = 10;
  }
  const masked = (bytes[1]! & 0x80) !== 0;
  const key = bytes.subarray(pos, pos + 4);
  if (masked) pos += 4;
  expect(bytes.length).toBe(pos + length);
  const payload = bytes.slice(pos);
  if (masked) for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ key[i & 3]!;
  return { fin: (bytes[0]! & 0x80) !== 0, opcode: bytes[0]! & 0x0f, masked, payload };
}

const TEXTS: Record<string, string> = {
  'empty': '',
  'short ASCII': 'hello, world',
  'short ASCII of 128 units': 'x'.repeat(128),
  'short text with a non-ASCII character at the end': 'abcdefg\u00e9',
  'short text with a non-ASCII character in the first word': '\u00e9abcdefgh',
  'short text with an astral character': 'a\u{1f600}b',
  'long ASCII (65,536 units)': 'abcdefgh'.repeat(8192),
  'long text, ASCII then non-ASCII': 'a'.repeat(1000) + '\u4e2d\u6587'.repeat(500),
  'long text with a surrogate pair across the ASCII prefix': 'a'.repeat(200) + '\u{1f600}'.repeat(300),
  'long text with a lone surrogate': 'a'.repeat(300) + '\ud800' + 'b'.repeat(10),
};

describe('FrameWriter.text encodes every kind of text into one correct frame', () => {
  for (const masked of [false, true]) {
    describe(masked ? 'as a client (masked)' : 'as a server (unmasked)', () => {
      for (const [name, text] of Object.entries(TEXTS)) {
        it(name, () => {
          const written: Uint8Array[] = [];
          new FrameWriter({ write: (bytes) => void written.push(bytes.slice()) }, masked, Infinity).text(text);
          // A short text (it fits the send slab) is one write, and so is a long
          // ASCII one (encoded straight into its own frame); a long text with
          // non-ASCII characters is its header, then its encoding (never copied).
          const ascii = /^[\x00-\x7f]*$/.test(text);
          expect(written.length).toBe(text.length * 3 + 14 <= 16 * 1024 || ascii ? 1 : 2);
          const frame = decodeFrame(Uint8Array.from(written.flatMap((bytes) => [...bytes])));
          expect(frame).toMatchObject({ fin: true, opcode: 1, masked });
          expect(frame.payload).toEqual(new TextEncoder().encode(text));
        });
      }
    });
  }

  it('splits a text longer than fragmentSize into frames, whatever its encoding path', () => {
    for (const text of ['x'.repeat(100), '\u00e9'.repeat(100), 'y'.repeat(5000)]) {
      const written: Uint8Array[] = [];
      new FrameWriter({ write: (bytes) => void written.push(bytes.slice()) }, true, 64).text(text);
      const frames = written.map(decodeFrame);
      expect(frames.length).toBeGreaterThan(1);
      expect(frames.every((f) => f.payload.length <= 64)).toBe(true);
      expect(frames.map((f) => f.opcode)).toEqual([1, ...frames.slice(1).map(() => 0)]);
      expect(frames.map((f) => f.fin)).toEqual([...frames.slice(1).map(() => false), true]);
      const joined = new Uint8Array(frames.reduce((n, f) => n + f.payload.length, 0));
      let at = 0;
      for (const f of frames) {
        joined.set(f.payload, at);
        at += f.payload.length;
      }
      expect(new TextDecoder().decode(joined)).toBe(text);
    }
  });

  it('gives every client frame a fresh masking key', () => {
    const keys = new Set<string>();
    const writer = new FrameWriter({ write: (bytes) => void keys.add(Array.from(bytes.subarray(2, 6)).join(',')) }, true, Infinity);
    for (let i = 0; i < 200; i++) writer.text('same text');
    expect(keys.size).toBeGreaterThan(195);
  });
});
