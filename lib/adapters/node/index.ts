/**
 * wsdriver's Node adapter: runs the sans-I/O drivers over `net.Socket`,
 * `tls.TLSSocket` or any `Duplex`, and under `node:http`'s `upgrade` event.
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
 * @packageDocumentation
 */
export { attach, DEFAULT_CLOSE_TIMEOUT, type AttachableDriver, type AttachOptions } from './attach.js';
export { connect, type ConnectOptions } from './connect.js';
export { handleUpgrade } from './upgrade.js';
export type { NodeDriverOptions } from './options.js';
export { streamSocket, type StreamSocketInit } from './stream-socket.js';
export { writeBuffer } from './write-buffer.js';
export { perMessageDeflate, type PerMessageDeflateOptions, type ZlibStreams } from './permessage-deflate.js';
