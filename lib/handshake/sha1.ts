/**
 * SHA-1 (FIPS 180-4 §6.1), for Sec-WebSocket-Accept only (RFC 6455 §4.2.2).
 *
 * SHA-1 is broken for collision resistance, which the handshake does not
 * rely on: the accept key only shows the server read the request. The
 * digest is computed once per handshake over about 60 bytes, so this is
 * written to be short, not fast; a browser bundle of `Driver` is about
 * 1 KB smaller (gzipped) than with a hashing library.
 *
 * @module
 */
import { putUint32 } from '../bytes.js';

// The message schedule, reused: a server hashes one key per accept.
const w = new Int32Array(80);

/** The 20-byte SHA-1 digest of `message`. */
export function sha1(message: Uint8Array): Uint8Array {
  // §5.1.1 padding: 0x80, zeros, then the length in bits as 64 bits, to a
  // multiple of 64 bytes.
  const blocks = Math.ceil((message.length + 9) / 64);
  const padded = new Uint8Array(blocks * 64);
  padded.set(message);
  padded[message.length] = 0x80;
  const bits = message.length * 8;
  putUint32(padded, padded.length - 8, Math.floor(bits / 2 ** 32));
  putUint32(padded, padded.length - 4, bits >>> 0);

  // §5.3.1 initial hash value.
  let h0 = 0x67452301;
  let h1 = 0xefcdab89 | 0;
  let h2 = 0x98badcfe | 0;
  let h3 = 0x10325476;
  let h4 = 0xc3d2e1f0 | 0;
  for (let offset = 0; offset < padded.length; offset += 64) {
    // §6.1.2 step 1: the message schedule.
    for (let t = 0; t < 16; t++) {
      const i = offset + t * 4;
      w[t] = (padded[i]! << 24) | (padded[i + 1]! << 16) | (padded[i + 2]! << 8) | padded[i + 3]!;
    }
    for (let t = 16; t < 80; t++) w[t] = rotl(w[t - 3]! ^ w[t - 8]! ^ w[t - 14]! ^ w[t - 16]!, 1);
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    // §4.1.1 functions and §4.2.1 constants, twenty rounds each.
    for (let t = 0; t < 80; t++) {
      const f =
        t < 20 ? ((b & c) | (~b & d)) + 0x5a827999 : t < 40 ? (b ^ c ^ d) + 0x6ed9eba1 : t < 60 ? ((b & c) | (b & d) | (c & d)) + 0x8f1bbcdc : (b ^ c ^ d) + 0xca62c1d6;
      const temp = (rotl(a, 5) + f + e + w[t]!) | 0;
      e = d;
      d = c;
      c = rotl(b, 30);
      b = a;
      a = temp;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
  }
  const digest = new Uint8Array(20);
  putUint32(digest, 0, h0);
  putUint32(digest, 4, h1);
  putUint32(digest, 8, h2);
  putUint32(digest, 12, h3);
  putUint32(digest, 16, h4);
  return digest;
}

function rotl(x: number, n: number): number {
  return (x << n) | (x >>> (32 - n));
}
