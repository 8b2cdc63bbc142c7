/**
 * wsdriver's Node adapter: runs the sans-I/O drivers over `net.Socket`,
 * `tls.TLSSocket` or any `Duplex`, under `node:http`'s `upgrade` event, and
 * over `node:http2` streams (WebSocket over HTTP/2, RFC 8441).
 *
 * ```ts
 * import net from 'node:net';
 * import { Driver } from 'wsdriver';
 * import { attach, streamSocket } from 'wsdriver/node';
 *
 * net.createServer((tcp) => {
 *   const driver = attach(Driver.server(streamSocket(tcp)), tcp);
 *   driver.on('connect', () => driver.start());
 *   driver.on('message', (event) => (typeof event.data === 'string' ? driver.text(event.data) : driver.binary(event.data)));
 * }).listen(8080, '127.0.0.1');
 * ```
 *
 * @module wsdriver/node
 */
import { useNodeSha1 } from './native-sha1.js';
import { useNodeRequestCheck } from './request-check.js';
import { useNodeTextDecoder } from './native-text.js';
import { useNodeUtf8Check } from './native-utf8.js';
import { useNodeOutgoingBuffers } from './outgoing-buffers.js';
import { useNodeUnfilledMemory } from './unfilled-memory.js';
import { useNodeSlabReuse } from './slab-reuse.js';
import { useNodeTextSlab } from './text-slab.js';

// Buffers the engine fills itself skip the zero fill on Node, frames are
// made as Buffers (what a stream writes), UTF-8 is checked and checked text
// decoded natively, small text kept as bytes carved from shared slabs,
// accept keys hashed natively, and node:http's requests checked for an
// upgrade from their raw headers (calls, not bare imports: package.json
// declares the adapter free of side effects).
useNodeUnfilledMemory();
useNodeOutgoingBuffers();
useNodeSlabReuse();
useNodeTextSlab();
useNodeUtf8Check();
useNodeTextDecoder();
useNodeSha1();
useNodeRequestCheck();
export { attach, terminate, DEFAULT_CLOSE_TIMEOUT, DEFAULT_HANDSHAKE_TIMEOUT, type AttachableDriver } from './attach.js';
export { connect } from './connect.js';
export { handleUpgrade } from './upgrade.js';
export { connectHttp2, handleHttp2Stream } from './http2.js';
export { WebSocketServer, type ServableServer, type ServerBroadcastOptions } from './server.js';
export type { UpgradeRequest } from './upgrade-request.js';
export { DEFAULT_SHUTDOWN_TIMEOUT } from './options.js';
export type {
  AttachOptions,
  ClientOptions,
  ConnectOptions,
  NodeDriverOptions,
  PerMessageDeflateOptions,
  Refusal,
  ServerCloseOptions,
  ServerDriver,
  ServerOptions,
} from './options.js';
export { streamSocket } from './stream-socket.js';
// Types this entry point's functions take or return, declared elsewhere.
export type { DriverOptions, ExtraHeaders, HeadersOption } from '../../options.js';
export type { SocketInfo } from '../../events.js';
export type { WriteBuffer } from '../callbacks/write-buffer.js';
export { writeBuffer } from './write-buffer.js';
export { DEFAULT_ZLIB_CONCURRENCY, perMessageDeflate, type ZlibStreams } from './permessage-deflate.js';
