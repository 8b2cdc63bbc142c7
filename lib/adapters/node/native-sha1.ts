/**
 * On Node, the accept key's SHA-1 (RFC 6455 §4.2.2) is `node:crypto`'s:
 * 0.7 µs a key against 2.0 µs for the core's JavaScript (lib/handshake/sha1.ts),
 * and nothing for the JIT to compile on a server's first accepts.
 * Called by this adapter's entry point as it loads.
 *
 * node:crypto itself (about 220 KB of heap) loads at the first key, not
 * with this module: the digest installed at load fetches it, then
 * installs the plain one, so later keys take exactly the path they took
 * when node:crypto was imported eagerly. On a Node that could not load
 * it, loading this module throws, as the import did.
 *
 * @module
 */
import type { Hash } from 'node:crypto';
import { useNativeSha1 } from '../../handshake/accept-key.js';
import { nodeCrypto } from './builtins.js';

let createHash: ((algorithm: 'sha1') => Hash) | undefined;

function sha1Base64(text: string): string {
  return createHash!('sha1').update(text).digest('base64');
}

function firstSha1Base64(text: string): string {
  createHash = nodeCrypto().createHash;
  useNativeSha1(sha1Base64);
  return sha1Base64(text);
}

/** Has the core compute accept keys with `node:crypto`. */
export function useNodeSha1(): void {
  // Node built without OpenSSL has no `process.versions.openssl`, the test
  // its node:crypto makes before throwing ERR_NO_CRYPTO as it loads. There
  // it loads now, so importing this adapter fails as it did when it
  // imported node:crypto.
  if (!process.versions.openssl) createHash = nodeCrypto().createHash;
  useNativeSha1(createHash === undefined ? firstSha1Base64 : sha1Base64);
}
