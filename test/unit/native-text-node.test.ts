/**
 * The Node adapter's decoder of checked text (lib/adapters/node/native-text.ts,
 * utf16-from-utf8.ts): loading `wsdriver/node` installs it, and whatever
 * valid UTF-8 it is given, it must give the string a fatal `TextDecoder`
 * (BOM kept) gives, at every size and wherever a message is cut; and a
 * large text message, gathered as bytes, holds what arrived, not what its
 * header announced.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import '../../lib/adapters/node/index.js';
import { utf16FromUtf8 } from '../../lib/adapters/node/utf16-from-utf8.js';
import { decodeCheckedText } from '../../lib/frame/checked-text.js';
import { Utf8Validator } from '../../lib/frame/utf8-validator.js';
import { clientFrame, concat, feed, Op, openServer, ROLES } from '../helpers/index.js';
import { halfSentMessages, socketReads } from '../helpers/half-sent.js';

const reference = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

// Any code point, astral ones and U+FEFF included, in runs of ASCII and runs of others.
const text = fc
  .array(fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.stringMatching(/^[ -~]{0,300}$/), fc.constant('\ufeff')), { maxLength: 20 })
  .map((parts) => parts.join(''));

describe('utf16FromUtf8', () => {
  test.prop([text])('gives what a TextDecoder gives, for any valid UTF-8', (string) => {
    const bytes = encoder.encode(string);
    expect(utf16FromUtf8(bytes)).toBe(reference.decode(bytes));
  });

  it('decodes the boundaries of each sequence length, and a text that ends in each', () => {
    const edges = ['\u0000', '\u007f', '\u0080', '\u07ff', '\u0800', '\ud7ff', '\ue000', '\uffff', '\u{10000}', '\u{10ffff}', '\ufeff'];
    for (const edge of edges) {
      for (const string of [edge, `a${edge}`, `${edge}b`, edge.repeat(1000)]) expect(utf16FromUtf8(encoder.encode(string))).toBe(string);
    }
    expect(utf16FromUtf8(new Uint8Array(0))).toBe('');
  });

  it('reads a view by its own offset and length', () => {
    const bytes = encoder.encode('xx€😀é yy');
    expect(utf16FromUtf8(bytes.subarray(2, bytes.length - 2))).toBe('€😀é ');
  });
});

describe('with wsdriver/node loaded, checked text is decoded by the Node decoder', () => {
  it('is installed', () => {
    expect(decodeCheckedText).not.toBeNull();
    expect(decodeCheckedText!(encoder.encode('a€😀'), false)).toBe('a€😀');
    expect(decodeCheckedText!(encoder.encode('plain'), true)).toBe('plain');
  });

  it('knows a message is ASCII from the checks of its pieces, and only then', () => {
    const validator = new Utf8Validator();
    const ascii = encoder.encode('a'.repeat(100));
    expect(validator.push(ascii) && validator.push(ascii) && validator.end()).toBe(true);
    expect(validator.wasAscii).toBe(true);
    // One 2-byte character split between two large pieces: each side is checked by the loop, not natively.
    const split = encoder.encode('a'.repeat(100) + 'é' + 'b'.repeat(100));
    expect(validator.push(split.subarray(0, 101)) && validator.push(split.subarray(101)) && validator.end()).toBe(true);
    expect(validator.wasAscii).toBe(false);
    // Small pieces (the loop) and a native piece after them.
    expect(validator.push(encoder.encode('ü')) && validator.push(ascii) && validator.end()).toBe(true);
    expect(validator.wasAscii).toBe(false);
    expect(validator.push(encoder.encode('x')) && validator.push(ascii) && validator.end()).toBe(true);
    expect(validator.wasAscii).toBe(true);
    // A failed message leaves nothing behind for the next.
    expect(validator.push(Uint8Array.of(0xff))).toBe(false);
    expect(validator.push(ascii) && validator.end()).toBe(true);
    expect(validator.wasAscii).toBe(true);
  });

  test.prop([text, fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 5 })])(
    'large text delivered whole, in one frame cut across chunks, and in fragments, is the text sent',
    (string, cuts) => {
      const message = string.repeat(Math.ceil(1500 / (string.length + 1)) || 1) + '€';
      const bytes = encoder.encode(message);
      for (const role of ROLES) {
        const { driver, rec } = role.open();
        const at = Math.min(cuts[0]!, bytes.length);
        const wire = concat(
          role.peerFrame(Op.TEXT, bytes),
          role.peerFrame(Op.TEXT, bytes.subarray(0, at), { fin: false }),
          role.peerFrame(Op.CONTINUATION, bytes.subarray(at)),
        );
        feed(driver, wire, { sizes: cuts });
        expect(rec.messages).toEqual([message, message]);
      }
    },
  );
});

describe('large text with wsdriver/node loaded', () => {
  const MiB = 1 << 20;
  const chunks = socketReads;

  it('arrives as the text sent, ASCII and not, under and over the UTF-16 limit, in one frame and in 16 KiB fragments, and nothing stays held', () => {
    for (const unit of ['a', 'é€😀x']) {
      for (const size of [3 * MiB + 5, 5 * MiB]) {
        const message = unit.repeat(Math.ceil(size / encoder.encode(unit).length));
        const bytes = encoder.encode(message);
        const { driver, rec } = openServer({ maxLength: 16 * MiB });
        for (const chunk of chunks(clientFrame(Op.TEXT, bytes))) driver.parse(chunk);
        const fragments: Uint8Array[] = [];
        for (let at = 0; at < bytes.length; at += 16384) {
          const end = Math.min(at + 16384, bytes.length);
          fragments.push(clientFrame(at === 0 ? Op.TEXT : Op.CONTINUATION, bytes.subarray(at, end), { fin: end === bytes.length }));
        }
        for (const chunk of chunks(concat(...fragments))) driver.parse(chunk);
        expect(rec.messages.length).toBe(2);
        expect(rec.messages[0] === message && rec.messages[1] === message).toBe(true);
        expect(driver.retainedBytes).toBe(0);
      }
    }
  });

  it('holds about what arrived when many are half-sent: 100 connections with 2 MiB of an announced 60 MiB text frame', () => {
    const { perConnection, drivers, errors } = halfSentMessages(Op.TEXT, 0x61);
    expect(errors).toEqual([]);
    expect(perConnection).toBeGreaterThan(1.5 * MiB);
    expect(perConnection).toBeLessThan(2.2 * MiB);
    for (const driver of drivers) expect(driver.retainedBytes).toBeLessThan(2.2 * MiB);
  });
});
