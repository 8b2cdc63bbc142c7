/**
 * The Node adapter's decoder of checked text (lib/adapters/node/native-text.ts,
 * utf16-from-utf8.ts): loading `wsdriver/node` installs it, and whatever
 * valid UTF-8 it is given, it must give the string a fatal `TextDecoder`
 * (BOM kept) gives, at every size and wherever a message is cut.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import '../../lib/adapters/node/index.js';
import { utf16FromUtf8 } from '../../lib/adapters/node/utf16-from-utf8.js';
import { decodeCheckedText } from '../../lib/frame/checked-text.js';
import { concat, feed, Op, ROLES } from '../helpers/index.js';

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
    expect(decodeCheckedText!(encoder.encode('a€😀'))).toBe('a€😀');
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
