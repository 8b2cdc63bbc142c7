/**
 * On Node, text already checked as UTF-8 is decoded without a second
 * check: ASCII (known from the checks of its pieces, native-utf8.ts, or
 * found by `buffer.isAscii`, native, SIMD) as Latin-1, which copies
 * bytes to characters one for one (and from about 1 MB makes an external
 * string, with no copy into V8's heap); other text through UTF-16 code
 * units (utf16-from-utf8.ts), about twice as fast as V8's UTF-8 decoder.
 * The core then gathers a text message's bytes as they arrive (checked
 * piece by piece) and decodes them once at its end
 * (lib/frame/checked-text.ts). Called by this adapter's entry point as it
 * loads.
 *
 * @module
 */
import { nodeBuffer } from './builtins.js';
import { useCheckedTextDecoder } from '../../frame/checked-text.js';
import { LITTLE_ENDIAN, utf16FromUtf8 } from './utf16-from-utf8.js';

const { isAscii } = nodeBuffer();

// Buffer's own slice methods, called on any Uint8Array (they read it as a view).
const { latin1Slice, utf8Slice } = Buffer.prototype as unknown as {
  latin1Slice(this: Uint8Array, start: number, end: number): string;
  utf8Slice(this: Uint8Array, start: number, end: number): string;
};

// Larger text goes to V8's decoder: the code units would take twice the
// message's bytes again, on top of the bytes and the string.
const UTF16_UP_TO = 4 * 1024 * 1024;

/** Decodes bytes known to be valid UTF-8 (and to be ASCII, if `ascii`). */
function decodeChecked(bytes: Uint8Array, ascii: boolean): string {
  const length = bytes.length;
  if (ascii || isAscii(bytes)) return latin1Slice.call(bytes, 0, length);
  return LITTLE_ENDIAN && length <= UTF16_UP_TO ? utf16FromUtf8(bytes) : utf8Slice.call(bytes, 0, length);
}

/** Has the core decode checked text natively, once per message. */
export function useNodeTextDecoder(): void {
  useCheckedTextDecoder(decodeChecked);
}
