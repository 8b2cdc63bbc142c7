/**
 * Node's modules, fetched through here rather than imported.
 *
 * Loaded when first needed: TLS (a `wss:` client, a TLS or HTTPS
 * server), zlib (permessage-deflate's default streams), crypto (the first
 * accept key's SHA-1) and worker_threads (the first text slab).
 * `node:tls` alone is about 0.4 MB of heap, and an ES-module import of it
 * also reads its root certificates; `node:crypto` is about 220 KB.
 *
 * Loaded with the adapter: node:http, net, stream and buffer (node:http
 * loads the other three). They are fetched here too, because an ES-module
 * `import` of a builtin makes a module namespace of it, which reads every
 * export: node:net's `BlockList` and `SocketAddress` and node:buffer's
 * `File` getters load three more modules, and the namespaces themselves
 * cost heap: 22-28 KB in all (bench/analysis.md, "What loading wsdriver
 * costs", sessions 8-10).
 *
 * Loading is synchronous, so a lazily loaded module changes no call's
 * timing. `process.getBuiltinModule` (Node 20.16+, 22.3+) needs no module
 * URL; before it, a `require` is made from `import.meta.url`, or from
 * `__filename` where a bundler that turned dist/esm into CommonJS left
 * `import.meta.url` undefined.
 *
 * @module
 */
import { createRequire } from 'node:module';
import type * as NodeBuffer from 'node:buffer';
import type * as Crypto from 'node:crypto';
import type * as Http from 'node:http';
import type * as Https from 'node:https';
import type * as Net from 'node:net';
import type * as Stream from 'node:stream';
import type * as Tls from 'node:tls';
import type * as WorkerThreads from 'node:worker_threads';
import type * as Zlib from 'node:zlib';

type Loader = (name: string) => unknown;
let requireBuiltin: Loader | undefined;

function load(name: string): unknown {
  const getBuiltinModule = (process as { getBuiltinModule?: Loader }).getBuiltinModule;
  if (typeof getBuiltinModule === 'function') return getBuiltinModule(name);
  requireBuiltin ??= createRequire(import.meta.url ?? __filename);
  return requireBuiltin(name);
}

/** `node:http` (loaded with the adapter). */
export function nodeHttp(): typeof Http {
  return load('node:http') as typeof Http;
}

/** `node:net` (loaded with the adapter). */
export function nodeNet(): typeof Net {
  return load('node:net') as typeof Net;
}

/** `node:stream` (loaded with the adapter). */
export function nodeStream(): typeof Stream {
  return load('node:stream') as typeof Stream;
}

/** `node:buffer` (loaded with the adapter). */
export function nodeBuffer(): typeof NodeBuffer {
  return load('node:buffer') as typeof NodeBuffer;
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
