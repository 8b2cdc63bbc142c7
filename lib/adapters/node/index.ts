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
export { attach, terminate, DEFAULT_CLOSE_TIMEOUT, DEFAULT_HANDSHAKE_TIMEOUT, type AttachableDriver, type AttachOptions } from './attach.js';
export { connect, type ConnectOptions } from './connect.js';
export { handleUpgrade } from './upgrade.js';
export { connectHttp2, handleHttp2Stream, type Http2ConnectOptions } from './http2.js';
export type { NodeDriverOptions } from './options.js';
export { streamSocket, type StreamSocketInit } from './stream-socket.js';
export { writeBuffer } from './write-buffer.js';
export { perMessageDeflate, type PerMessageDeflateOptions, type ZlibStreams } from './permessage-deflate.js';
