/**
 * The Node text path (issue 13, session 6) against a fatal TextDecoder (BOM kept):
 * same string, same verdict, and the connection fails in the chunk that holds the
 * first byte a streaming fatal decoder rejects (or the last chunk for a truncated end).
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import '../../lib/adapters/node/index.js';
import { utf16FromUtf8 } from '../../lib/adapters/node/utf16-from-utf8.js';
import { decodeCheckedText } from '../../lib/frame/checked-text.js';
import { Op, ROLES, concat } from '../helpers/index.js';

const reference = () => new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// UTF-8-shaped bytes: leads and continuations from the edges of every range, and ASCII runs.
const edgeByte = fc.constantFrom(0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xf7, 0xf8, 0xfe, 0xff);
const validChar = fc.oneof(
  fc.integer({ min: 0, max: 0x7f }),
  fc.integer({ min: 0x80, max: 0x7ff }),
  fc.integer({ min: 0x800, max: 0xd7ff }),
  fc.integer({ min: 0xe000, max: 0xffff }),
  fc.integer({ min: 0x10000, max: 0x10ffff }),
  fc.constantFrom(0x80, 0x7ff, 0x800, 0xd7ff, 0xe000, 0xfeff, 0xffff, 0x10000, 0x10ffff),
).map((cp) => new TextEncoder().encode(String.fromCodePoint(cp)));
const piece = fc.oneof(
  { weight: 6, arbitrary: validChar },
  { weight: 1, arbitrary: edgeByte.map((b) => Uint8Array.of(b)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 3 }) },
);
const mostlyValid = fc.array(piece, { maxLength: 80 }).map((parts) => concat(...parts));
const anyBytes = fc.oneof(mostlyValid, fc.uint8Array({ maxLength: 64 }), mostlyValid.filter((b) => { try { reference().decode(b); return true; } catch { return false; } }));

function verdict(bytes: Uint8Array): string | null {
  try {
    return reference().decode(bytes);
  } catch {
    return null;
  }
}

/** Index of the first payload byte a streaming fatal decoder rejects; bytes.length - 1 for a bad end; -1 if valid. */
function firstBad(bytes: Uint8Array): number {
  const decoder = reference();
  for (let i = 0; i < bytes.length; i++) {
    try {
      decoder.decode(bytes.subarray(i, i + 1), { stream: true });
    } catch {
      return i;
    }
  }
  try {
    decoder.decode();
    return -1;
  } catch {
    return bytes.length - 1;
  }
}

describe('utf16FromUtf8 and the installed decoder against TextDecoder', () => {
  test.prop([anyBytes], { numRuns: 30000 })('same string for every valid input', (bytes) => {
    const expected = verdict(bytes);
    if (expected === null) return;
    expect(utf16FromUtf8(bytes)).toBe(expected);
    expect(decodeCheckedText!(bytes, false)).toBe(expected);
  });
});

describe('a text message through the driver with wsdriver/node', () => {
  const padded = fc.tuple(fc.integer({ min: 0, max: 2000 }), anyBytes, fc.integer({ min: 0, max: 1500 })).map(([a, body, z]) =>
    concat(new Uint8Array(a).fill(0x61), body, new Uint8Array(z).fill(0x62)),
  );
  test.prop([padded, fc.array(fc.integer({ min: 1, max: 900 }), { minLength: 1, maxLength: 6 }), fc.constantFrom('whole', 'fragments'), fc.boolean()], {
    numRuns: 4000,
  })('message or 1007 as TextDecoder says, failing in the chunk of the first bad byte', (payload, sizes, shape, decodeText) => {
    for (const role of ROLES) {
      const { driver, rec } = role.open({ decodeText });
      // Wire bytes, and where each payload byte sits on the wire.
      const parts: Uint8Array[] = [];
      const wireOf: number[] = [];
      let wire = 0;
      const cuts = shape === 'whole' ? [payload.length] : [Math.floor(payload.length / 3), Math.floor((2 * payload.length) / 3), payload.length];
      let from = 0;
      cuts.forEach((to, k) => {
        const frame = role.peerFrame(k === 0 ? Op.TEXT : Op.CONTINUATION, payload.subarray(from, to), { fin: k === cuts.length - 1 });
        const header = frame.length - (to - from);
        for (let i = from; i < to; i++) wireOf[i] = wire + header + (i - from);
        parts.push(frame);
        wire += frame.length;
        from = to;
      });
      const bytes = concat(...parts);
      let at = 0;
      let chunk = 0;
      let failedIn = -1;
      const chunkOf: number[] = [];
      while (at < bytes.length) {
        const size = sizes[chunk % sizes.length]!;
        for (let i = at; i < Math.min(at + size, bytes.length); i++) chunkOf[i] = chunk;
        driver.parse(bytes.slice(at, at + size));
        if (failedIn < 0 && rec.of('error').length > 0) failedIn = chunk;
        at += size;
        chunk++;
      }
      const expected = verdict(payload);
      const label = `${role.name} ${shape} decodeText=${decodeText} len=${payload.length}`;
      if (expected === null) {
        expect(rec.of('error').map((e) => e.closeCode), label).toEqual([1007]);
        expect(rec.messages, label).toEqual([]);
        const bad = firstBad(payload);
        expect(failedIn, `${label}: first bad byte ${bad}`).toBe(chunkOf[wireOf[bad]!]);
      } else {
        expect(rec.of('error'), label).toEqual([]);
        expect(rec.messages.length, label).toBe(1);
        const got = rec.messages[0]!;
        if (decodeText) expect(got === expected, label).toBe(true);
        else expect(Buffer.from(got as Uint8Array).equals(Buffer.from(payload)), label).toBe(true);
      }
    }
  });
});
