/**
 * The callback-object model of the `rack.upgrade` proposal, over any
 * wsdriver driver: the application gives a handler with `onOpen`,
 * `onMessage`, `onDrained`, `onShutdown` and `onClose`, and gets a small
 * `client` with `write`, `close`, `isOpen` and `pending`. The transport is
 * whatever the driver runs over; the application never sees it.
 *
 * Portable: no Node module is used.
 *
 * ```ts
 * import net from 'node:net';
 * import { Driver } from 'wsdriver';
 * import { attach, streamSocket, writeBuffer } from 'wsdriver/node';
 * import { ClientGroup, type Handler } from 'wsdriver/callbacks';
 *
 * const echo: Handler = {
 *   onMessage: (client, data) => client.write(data),
 *   onShutdown: (client) => client.write('going away'),
 * };
 * const clients = new ClientGroup();
 * net.createServer((tcp) => {
 *   const driver = attach(Driver.server(streamSocket(tcp)), tcp);
 *   driver.on('connect', () => driver.start());
 *   clients.bind(driver, echo, writeBuffer(tcp));
 * }).listen(8080, '127.0.0.1');
 * ```
 *
 * @module wsdriver/callbacks
 */
export { bindHandler, type BindableDriver, type Binding, type Client, type Handler } from './bind-handler.js';
export { ClientGroup, DEFAULT_MAX_PENDING, type BroadcastOptions, type BroadcastResult, type SlowClientPolicy } from './client-group.js';
export { PreparedMessage } from '../../frame/prepared-message.js';
export type { WriteBuffer } from './write-buffer.js';
