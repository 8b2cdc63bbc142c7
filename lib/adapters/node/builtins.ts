/**
 * Node's modules that only some connections need, loaded when one first
 * does: TLS (a `wss:` client, a TLS or HTTPS server) and zlib
 * (permessage-deflate's default streams). A process that loads
 * `wsdriver/node` for a plain HTTP/1.1 server loads only node:http, net,
 * stream, buffer and crypto; `node:tls` alone is about 0.4 MB of heap, and
 * an ES-module import of it also reads its root certificates
 * (bench/analysis.md, "What loading wsdriver costs, session 8").
 *
 * `require` loads synchronously, so a lazily loaded module changes no
 * call's timing. In dist/cjs, `import.meta.url` is the module's
 * `__filename` (scripts/build.mjs); a builtin resolves the same from either.
 *
 * @module
 */
import { createRequire } from 'node:module';
import type * as Https from 'node:https';
import type * as Tls from 'node:tls';
import type * as Zlib from 'node:zlib';

const load = createRequire(import.meta.url);

/** `node:tls`, loaded on first use (Node caches it). */
export function nodeTls(): typeof Tls {
  return load('node:tls') as typeof Tls;
}

/** `node:https`, loaded on first use. */
export function nodeHttps(): typeof Https {
  return load('node:https') as typeof Https;
}

/** `node:zlib`, loaded on first use. */
export function nodeZlib(): typeof Zlib {
  return load('node:zlib') as typeof Zlib;
}
