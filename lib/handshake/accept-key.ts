/**
 * Sec-WebSocket-Key and Sec-WebSocket-Accept (RFC 6455 §4.2.2, §1.3).
 *
 * @module
 */
import { sha1 } from './sha1.js';
import { randomBytes } from '../frame/mask-keys.js';
import { utf8Encoder } from '../bytes.js';

// RFC 6455 §1.3: the GUID appended to the key before hashing.
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Base64 of bytes, without Node's Buffer. */
export function base64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]!);
  return btoa(binary);
}

// An embedder's SHA-1 of a string as base64 (the Node adapter's
// node:crypto: 0.7 µs a key against 2.0 µs for sha1.ts, and a server's
// first accepts do not wait for sha1.ts to be compiled).
let nativeDigest: ((text: string) => string) | null = null;

/**
 * Sets the function that gives base64 of the SHA-1 of a string's UTF-8
 * bytes, used for the accept key instead of sha1.ts (null: sha1.ts again).
 *
 * @internal
 */
export function useNativeSha1(digest: ((text: string) => string) | null): void {
  nativeDigest = digest;
}

/** The Sec-WebSocket-Accept value answering a Sec-WebSocket-Key. */
export function acceptKeyFor(key: string): string {
  return nativeDigest !== null ? nativeDigest(key + GUID) : base64(sha1(utf8Encoder.encode(key + GUID)));
}

/** A fresh Sec-WebSocket-Key: base64 of 16 random bytes (§4.1). */
export function generateKey(): string {
  return base64(randomBytes(16));
}

// 21 base64 characters, a 22nd that carries 2 bits of data and 4 bits of
// padding zeros (A, Q, g or w), then "==". One test of a fixed-length
// pattern: linear, and no string made per character.
const KEY_PATTERN = /^[A-Za-z0-9+/]{21}[AQgw]==$/;

/**
 * True if `key` is base64 of exactly 16 bytes, as §4.1 requires: 22
 * base64 characters, the last holding only 2 significant bits, then "==".
 */
export function isValidKey(key: string | undefined): boolean {
  return key !== undefined && key.length === 24 && KEY_PATTERN.test(key);
}
