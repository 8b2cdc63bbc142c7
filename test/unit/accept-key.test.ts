/**
 * Sec-WebSocket-Key validation (RFC 6455 §4.1: base64 of 16 bytes), as
 * the server checks it before answering.
 */
import { describe, expect, it } from 'vitest';
import { generateKey, isValidKey } from '../../lib/handshake/accept-key.js';

describe('isValidKey', () => {
  it('accepts base64 of 16 bytes: the RFC sample and freshly generated keys', () => {
    expect(isValidKey('dGhlIHNhbXBsZSBub25jZQ==')).toBe(true);
    for (let i = 0; i < 200; i++) expect(isValidKey(generateKey())).toBe(true);
    // Every base64 character in the first 21 places, and each of A, Q, g, w in the 22nd.
    expect(isValidKey('ABCDEFGHIJKLMNOPQRSTUw==')).toBe(true);
    expect(isValidKey('abcdefghijklmnopqrstuQ==')).toBe(true);
    expect(isValidKey('0123456789+/0123456789g==')).toBe(false); // 25 characters
    expect(isValidKey('0123456789+/012345678g==')).toBe(true);
  });

  it('refuses anything else', () => {
    for (const key of [
      undefined,
      '',
      'dGhlIHNhbXBsZSBub25jZQ=', // 23 characters
      'dGhlIHNhbXBsZSBub25jZQ===', // 25
      'dGhlIHNhbXBsZSBub25jZR==', // the 22nd character holds nonzero padding bits
      'dGhlIHNhbXBsZSBub25jZQAA', // no padding
      'dGhlIHNhbXBsZSBub25j-Q==', // base64url, not base64
      'dGhlIHNhbXBsZSBub25j_Q==',
      'dGhlIHNhbXBsZSBub25j=Q==',
      'dGhlIHNhbXBsZSBub25j Q==',
      'dGhlIHNhbXBsZSBub25jéQ==',
      'dGhlIHNhbXBsZSBub25jZQ==\n',
    ]) {
      expect(isValidKey(key), JSON.stringify(key)).toBe(false);
    }
  });
});
