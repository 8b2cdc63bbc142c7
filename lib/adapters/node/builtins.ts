/**
 * Node's modules that only some connections need, loaded when one first
 * does: TLS (a `wss:` client, a TLS or HTTPS server), zlib
 * (permessage-deflate's default streams) and crypto (the first accept
 * key's SHA-1). Loading `wsdriver/node` loads only node:http, net, stream
 * and buffer; `node:tls` alone is about 0.4 MB of heap, and an ES-module
 * import of it also reads its root certificates; `node:crypto` is about
 * 220 KB (bench/analysis.md, "What loading wsdriver costs", sessions 8
 * and 9).
 *
 * Loading is synchronous, so a lazily loaded module changes no call's
 * timing. `process.getBuiltinModule` (Node 20.16+, 22.3+) needs no module
 * URL; before it, a `require` is made from `import.meta.url` on first use,
 * never at load: a bundler that turns dist/esm into CommonJS leaves
 * `import.meta.url` undefined, and a module that called `createRequire`
 * with it at load would throw on `import`.
 *
 * @module
 */
import { createRequire } from 'node:module';
import type * as Crypto from 'node:crypto';
import type * as Https from 'node:https';
import type * as Tls from 'node:tls';
import type * as WorkerThreads from 'node:worker_threads';
import type * as Zlib from 'node:zlib';

type Loader = (name: string) => unknown;
let requireBuiltin: Loader | undefined;

function load(name: string): unknown {
  const getBuiltinModule = (process as { getBuiltinModule?: Loader }).getBuiltinModule;
  if (typeof getBuiltinModule === 'function') return getBuiltinModule(name);
  requireBuiltin ??= createRequire(import.meta.url);
  return requireBuiltin(name);
}

/** `node:tls`, loaded on first use (Node caches it). */
export function nodeTls(): typeof Tls {
  return load('node:tls') as typeof Tls;
}

/** `node:crypto`, loaded on first use (native-sha1.ts, at the first accept key). */
export function nodeCrypto(): typeof Crypto {
  return load('node:crypto') as typeof Crypto;
}

/** `node:https`, loaded on first use. */
export function nodeHttps(): typeof Https {
  return load('node:https') as typeof Https;
}

/** `node:zlib`, loaded on first use. */
export function nodeZlib(): typeof Zlib {
  return load('node:zlib') as typeof Zlib;
}

/** `node:worker_threads`, loaded on first use (text-slab.ts marks its slabs untransferable). */
export function nodeWorkerThreads(): typeof WorkerThreads {
  return load('node:worker_threads') as typeof WorkerThreads;
}
