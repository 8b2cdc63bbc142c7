/** UTF-8 cases (RFC 3629) shared by the tests of text received as strings and as bytes. */

/** Valid text, by what it exercises. */
export const VALID: Array<[string, string]> = [
  ['ASCII', 'hello'],
  ['U+007F and U+0080', '\u007f\u0080'],
  ['U+07FF and U+0800', '\u07ff\u0800'],
  ['U+D7FF and U+E000 (around the surrogates)', '\ud7ff\ue000'],
  ['U+FFFD and U+FFFF', '\ufffd\uffff'],
  ['U+10000 (first astral)', '\u{10000}'],
  ['U+10FFFF (last code point)', '\u{10ffff}'],
  ['a mix of 1-4 byte characters', 'aé€𝄞z κόσμε 🌍'],
  ['a NUL character', 'a\u0000b'],
];

/** Byte sequences that are not UTF-8, by why. */
export const INVALID: Array<[string, number[]]> = [
  ['a lone continuation byte', [0x80]],
  ['a lone 0xBF', [0x61, 0xbf]],
  ['overlong 2-byte NUL (C0 80)', [0xc0, 0x80]],
  ['overlong 2-byte (C1 BF)', [0xc1, 0xbf]],
  ['overlong 3-byte (E0 80 80)', [0xe0, 0x80, 0x80]],
  ['overlong 3-byte (E0 9F BF)', [0xe0, 0x9f, 0xbf]],
  ['overlong 4-byte (F0 80 80 80)', [0xf0, 0x80, 0x80, 0x80]],
  ['overlong 4-byte (F0 8F BF BF)', [0xf0, 0x8f, 0xbf, 0xbf]],
  ['a high surrogate (ED A0 80)', [0xed, 0xa0, 0x80]],
  ['a low surrogate (ED BF BF)', [0xed, 0xbf, 0xbf]],
  ['a surrogate pair encoded as two 3-byte sequences', [0xed, 0xa0, 0xbd, 0xed, 0xb2, 0xa9]],
  ['U+110000 (F4 90 80 80)', [0xf4, 0x90, 0x80, 0x80]],
  ['lead byte F5', [0xf5, 0x80, 0x80, 0x80]],
  ['lead byte FE', [0xfe]],
  ['lead byte FF', [0xff]],
  ['a 3-byte sequence cut by ASCII', [0xe2, 0x82, 0x41]],
  ['a sequence truncated at the end of the message', [0x61, 0xe2, 0x82]],
  ['a 4-byte lead at the end of the message', [0xf0]],
];
