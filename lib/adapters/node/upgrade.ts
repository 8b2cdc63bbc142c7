/**
 * The rack-style driver under a Node HTTP server: the `upgrade` event
 * hands over a request that `node:http` has already parsed, the socket,
 * and the first bytes read after the request head.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { checkDraftSupport, selectServerDriver } from '../../driver/select-server-driver.js';
import type { HandshakeRequest } from '../../http/request.js';
import type { ServerSideDriver } from '../../connection/server-side.js';
import { attachChecked, type CheckedAttachOptions } from './attach.js';
import type { Attachment } from './attachment.js';
import type { NodeDriverOptions } from './options.js';
import { connectionSettings, readUpgradeRequest } from './shared-state.js';
import { streamSocket } from './stream-socket.js';

/**
 * Takes over an upgrade request from `http.createServer`'s (or
 * `https.createServer`'s) `upgrade` event: makes a `Driver.rack` driver
 * for `request`, attaches it to `socket` (see {@link attach}), feeds it
 * `head`, and returns it.
 *
 * The driver is started on the next microtask, so listeners added right
 * after this call see `open`, and `setHeader()` still works. Call
 * `driver.start()` yourself to answer at once, or `driver.reject()` to
 * refuse instead. Check `Driver.isWebSocket(request)` first if the server
 * also takes other upgrades.
 */
export function handleUpgrade(
  request: IncomingMessage,
  socket: Duplex,
  head: Uint8Array,
  options?: NodeDriverOptions,
): ServerSideDriver {
  // What Driver.rack does, with the options and header values shared
  // between connections (shared-state.ts). The request is read here
  // (driver.env and driver.headers come from what was read): the
  // connection does not keep node:http's request, and all it references.
  return upgradeRequest(readUpgradeRequest(request), socket, head, options);
}

/** {@link handleUpgrade} of a request already read (the server object reads it once for both itself and the driver). */
export function upgradeRequest(request: HandshakeRequest, socket: Duplex, head: Uint8Array, options: NodeDriverOptions | undefined): ServerSideDriver {
  const settings = connectionSettings(options);
  checkDraftSupport(settings.driver);
  const driver = selectServerDriver(request, streamSocket(socket), settings.driver);
  const attachment = attachChecked(driver, socket, settings.attach);
  attachment.shareReads();
  // Held by the driver until start(); copied since node:http owns `head`
  // (Buffer#slice is a view: the typed-array slice copies).
  if (head.length > 0) driver.parse(Uint8Array.prototype.slice.call(head));
  settled.then(() => {
    try {
      startUpgraded(driver, attachment, settings.attach);
    } catch (error) {
      // As queueMicrotask would have it: a listener's exception is uncaught, not a rejection.
      queueMicrotask(() => {
        throw error;
      });
    }
  });
  return driver;
}

// The start is queued with a settled promise's `then`, a bare V8 microtask:
// Node's queueMicrotask makes an AsyncResource and a bound function for
// each, on every accept.
const settled = Promise.resolve();

function startUpgraded(driver: ServerSideDriver, attachment: Attachment, settings: CheckedAttachOptions): void {
  driver.start();
  // Only now: start() opens the connection as a rule, which ends the
  // handshake deadline, and then, without keepalive, the driver has no
  // deadline left (the close deadline is the attachment's own): no clock,
  // no timer. A handshake still under way (a hixie-76 request waiting for
  // its key) is timed from here, in the same tick.
  if (driver.readyState === 1 && settings.pingInterval === 0) return;
  attachment.startDeadlines(settings);
  // A keepalive started at open is counted from now; then the timer is armed.
  attachment.tick();
}
