/**
 * `Driver`: the entry point. Factories for the kinds of driver, and
 * the check for whether a request is a WebSocket handshake.
 *
 * @module
 */
import { HybiClientDriver } from './hybi-client-driver.js';
import { createFramingDriver, type FramingDriverFor, type FramingRole } from './framing-driver.js';
import { normalizeRequest, type HandshakeRequest, type IncomingMessageLike, type RackEnv, type RequestSource } from '../http/request.js';
import type { HeaderFields } from '../http/head-parser.js';
import { asksForWebSocket } from '../handshake/server-handshake.js';
import { resolveOptions, type DriverOptions } from '../options.js';
import type { Socket } from '../events.js';
import { HybiHttpServerDriver } from './http-server-driver.js';
import type { HttpServerDriver, ServerSideDriver } from '../connection/server-side.js';
import { checkDraftSupport, draftServerFor, selectServerDriver } from './select-server-driver.js';

/**
 * Makes drivers. Each takes the `socket` the driver writes to and
 * {@link DriverOptions}; an unknown option throws.
 */
export const Driver = {
  /**
   * A server driver that parses the HTTP request itself, for a bare TCP or
   * TLS server. Listen for `connect`, inspect `driver.env`, then call
   * `start()` or `reject()`.
   */
  server(socket: Socket, options?: DriverOptions): HttpServerDriver {
    const resolved = resolveOptions(options);
    checkDraftSupport(resolved);
    return draftServerFor(socket, resolved) ?? new HybiHttpServerDriver(socket, resolved);
  },

  /**
   * A server driver for a request an HTTP server has already parsed (a
   * full hijack). `socket.env` is the request: a Rack-style env, a Fetch
   * `Request` or `Headers`, or a Node `IncomingMessage`. The protocol
   * version is chosen from its headers. websocket-driver calls this `http`.
   */
  rack(socket: Socket, options?: DriverOptions): ServerSideDriver {
    const resolved = resolveOptions(options);
    checkDraftSupport(resolved);
    if (socket === null || typeof socket !== 'object') throw new TypeError('socket must be an object');
    return selectServerDriver(normalizeRequest(socket.env as RequestSource), socket, resolved);
  },

  /** A client driver for `socket.url` (ws: or wss:), masking every frame it sends. */
  client(socket: Socket, options?: DriverOptions): HybiClientDriver {
    return new HybiClientDriver(socket, resolveOptions(options));
  },

  /**
   * True if the request asks for a WebSocket upgrade: a GET whose
   * `Connection` header holds the `upgrade` token and whose `Upgrade`
   * header names `websocket`. Takes the same request shapes as `rack`.
   */
  isWebSocket(request: RequestSource): boolean {
    // A Node request (`IncomingMessage`: headers as a plain object by
    // lower-case name) is read as it is, not normalized whole: a server
    // asks this of every request it upgrades.
    let read: IncomingMessageLike | HandshakeRequest = request as IncomingMessageLike;
    const fields = read?.headers;
    if (typeof fields?.connection !== 'string' || typeof fields.upgrade !== 'string' || typeof (request as RackEnv).REQUEST_METHOD === 'string') {
      try {
        read = normalizeRequest(request);
      } catch {
        return false;
      }
    }
    const headers = read.headers as HeaderFields;
    return asksForWebSocket(read.method ?? 'GET', headers['connection'], headers['upgrade']);
  },
} as const;

/**
 * A driver for a stream whose opening handshake happens elsewhere: an
 * HTTP/2 stream opened by an extended CONNECT (RFC 8441), or any stream
 * already agreed on. It speaks RFC 6455 frames only, as `role`: a client
 * masks what it sends, a server requires masked frames. Negotiate through
 * headers with `respond()` (server) or `requestHeaders()` and
 * `acceptResponse()` (client), or just call `start()`. See docs/http2.md.
 *
 * A function of its own rather than a `Driver` method, so an application
 * that never frames a stream leaves this code (and the HTTP/2 header
 * handling) out of its bundle.
 */
export function framingDriver<R extends FramingRole>(socket: Socket, role: R, options?: DriverOptions): FramingDriverFor<R> {
  return createFramingDriver(socket, role, resolveOptions(options));
}
