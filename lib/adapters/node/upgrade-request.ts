/**
 * The request a {@link WebSocketServer} shows the application (to
 * `verify`, `handleProtocols` and the handler), one shape whether it came
 * as an HTTP/1.1 upgrade or an HTTP/2 extended CONNECT.
 *
 * @module
 */
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { IncomingMessage } from 'node:http';
import { ProtocolError } from '../../errors.js';
import type { HandshakeRequest } from '../../http/request.js';
import { normalizeRequest } from '../../http/request.js';
import { handshakeRequestOf, readHeaderFields } from '../../http2/extended-connect.js';
import { splitHeaderList } from '../../http/tokens.js';
import type { HeadLimits } from '../../http/head-parser.js';

/** A WebSocket handshake request as the server object describes it. */
export interface UpgradeRequest extends HandshakeRequest {
  /** The path of {@link HandshakeRequest.target}, without the query: `/chat` for `/chat?room=1`. */
  readonly path: string;
  /** The subprotocols the client offered (`Sec-WebSocket-Protocol`), in its order. */
  readonly protocols: readonly string[];
  /** The peer's IP address, if the transport knows it. */
  readonly remoteAddress: string | undefined;
  /**
   * The Node object the request came as: the `IncomingMessage` of an
   * `upgrade` event, or the `ServerHttp2Stream` of an extended CONNECT
   * (for what this description leaves out, such as a TLS client certificate).
   */
  readonly source: IncomingMessage | ServerHttp2Stream;
}

/** Describes an HTTP/1.1 upgrade request. */
export function describeUpgrade(request: IncomingMessage): UpgradeRequest {
  return withOffers(normalizeRequest(request), request.socket?.remoteAddress, request);
}

/**
 * Describes an extended CONNECT; null if its header fields break the
 * limits (the framing driver will answer it 431).
 */
export function describeExtendedConnect(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, limits: HeadLimits): UpgradeRequest | null {
  const fields = readHeaderFields(headers, limits);
  if (fields instanceof ProtocolError) return null;
  return withOffers(handshakeRequestOf(fields), stream.session?.socket?.remoteAddress, stream);
}

function withOffers(request: HandshakeRequest, remoteAddress: string | undefined, source: IncomingMessage | ServerHttp2Stream): UpgradeRequest {
  const query = request.target.indexOf('?');
  const offered = request.headers['sec-websocket-protocol'];
  return {
    ...request,
    path: query < 0 ? request.target : request.target.slice(0, query),
    protocols: Object.freeze(offered === undefined ? [] : splitHeaderList(offered)),
    remoteAddress,
    source,
  };
}
