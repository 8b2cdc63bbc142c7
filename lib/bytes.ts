/**
 * Byte and text helpers that every layer may use: turning the data a
 * caller passes into bytes, counting a string's UTF-8 length, and writing
 * a big-endian 32-bit number.
 *
 * @module
 */

/** The one UTF-8 encoder the library's modules share. */
export const utf8Encoder = new TextEncoder();

/**
 * The one strict UTF-8 decoder the library's modules share: fails on
 * invalid UTF-8 and keeps a leading BOM as text (RFC 6455 §8.1). Stateless
 * between calls, as none passes `stream`.
 */
export const strictUtf8 = /* @__PURE__ */ new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Bytes `text` takes in UTF-8, counted without encoding it. A lone
 * surrogate counts 3, as TextEncoder writes it as U+FFFD.
 */
export function utf8Length(text: string): number {
  let length = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      length += 1;
    } else if (c <= 0xdbff && c >= 0xd800 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      length += 2; // a surrogate pair: 2 code units, 4 bytes
      i++;
    } else {
      length += 2;
    }
  }
  return length;
}

/** Turns a string or bytes into bytes; a Node Buffer becomes a plain Uint8Array view. */
export function toBytes(data: string | Uint8Array | ArrayBuffer | ArrayBufferView): Uint8Array {
  if (typeof data === 'string') return utf8Encoder.encode(data);
  if (data instanceof Uint8Array && data.constructor === Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw new TypeError('expected a string, Uint8Array, ArrayBuffer or ArrayBufferView');
}

/**
 * A message's bytes as `binary()` sends them: any Uint8Array as it is (a
 * Node Buffer too, which spares a view per message), anything else as
 * {@link toBytes} makes it. Code that keeps such bytes past the call copies
 * them with {@link copyBytes}, never `.slice()` (a Buffer's is a view).
 */
export function outgoingBytes(data: Uint8Array | ArrayBuffer | ArrayBufferView): Uint8Array {
  return data instanceof Uint8Array ? data : toBytes(data);
}

/** A plain Uint8Array copy of `bytes`, whatever Uint8Array subclass they are. */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/** A new Uint8Array holding `a`'s bytes, then `b`'s. */
export function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}

/** Writes the 32 bits of `value` big-endian at `at` (a typed array store keeps each low byte). */
export function putUint32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 24;
  bytes[at + 1] = value >>> 16;
  bytes[at + 2] = value >>> 8;
  bytes[at + 3] = value;
}
