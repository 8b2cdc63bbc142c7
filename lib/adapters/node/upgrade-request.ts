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
import { handshakeRequestOf, readHeaderFields } from '../../http2/extended-connect.js';
import { splitHeaderList } from '../../http/tokens.js';
import type { HeadLimits } from '../../http/head-parser.js';

/** A WebSocket handshake request as the server object describes it. */
export interface UpgradeRequest extends HandshakeRequest {
  /** The path of {@link HandshakeRequest.target}, without the query: `/chat` for `/chat?room=1`. */
  readonly path: string;
  /** The subprotocols the client offered (`Sec-WebSocket-Protocol`), in its order. */
  readonly protocols: readonly string[];
  /**
   * The peer's IP address, if the transport knows it. Read from the socket
   * when first asked (a connection does not keep it otherwise): ask while
   * the connection is open, in `verify` or the handler; once the socket has
   * closed, a first reading is undefined.
   */
  readonly remoteAddress: string | undefined;
  /**
   * The Node object the request came as: the `IncomingMessage` of an
   * `upgrade` event, or the `ServerHttp2Stream` of an extended CONNECT
   * (for what this description leaves out, such as a TLS client certificate).
   */
  readonly source: IncomingMessage | ServerHttp2Stream;
}

/** Describes an HTTP/1.1 upgrade request, `request` being what was read of `message`. */
export function describeUpgrade(request: HandshakeRequest, message: IncomingMessage): UpgradeRequest {
  return new DescribedRequest(request, message);
}

/**
 * Describes an extended CONNECT; null if its header fields break the
 * limits (the framing driver will answer it 431).
 */
export function describeExtendedConnect(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, limits: HeadLimits): UpgradeRequest | null {
  const fields = readHeaderFields(headers, limits);
  if (fields instanceof ProtocolError) return null;
  return new DescribedRequest(handshakeRequestOf(fields), stream);
}

const NO_PROTOCOLS: readonly string[] = Object.freeze([]);

// The addresses read so far, by description: an entry only for a request
// whose `remoteAddress` was asked for.
const remoteAddresses = new WeakMap<DescribedRequest, string | undefined>();

// A class, so `remoteAddress` can be read when asked: reading it makes
// Node cache the peer's address on the socket (about 85 bytes for the
// connection's life, and a getpeername() call), which most connections
// never need. One is made per request: every field is set in the
// constructor, none by an initializer (see BaseDriver).
class DescribedRequest implements UpgradeRequest {
  declare readonly method: string;
  declare readonly target: string;
  declare readonly httpVersion: string | null;
  declare readonly headers: HandshakeRequest['headers'];
  declare readonly scheme: 'http' | 'https';
  declare readonly path: string;
  declare readonly protocols: readonly string[];
  declare readonly source: IncomingMessage | ServerHttp2Stream;

  constructor(request: HandshakeRequest, source: IncomingMessage | ServerHttp2Stream) {
    this.method = request.method;
    this.target = request.target;
    this.httpVersion = request.httpVersion;
    this.headers = request.headers;
    this.scheme = request.scheme;
    const query = request.target.indexOf('?');
    this.path = query < 0 ? request.target : request.target.slice(0, query);
    const offered = request.headers['sec-websocket-protocol'];
    this.protocols = offered === undefined ? NO_PROTOCOLS : Object.freeze(splitHeaderList(offered));
    this.source = source;
  }

  get remoteAddress(): string | undefined {
    if (remoteAddresses.has(this)) return remoteAddresses.get(this);
    const source = this.source;
    const socket = 'session' in source ? source.session?.socket : source.socket;
    const address = socket?.remoteAddress;
    remoteAddresses.set(this, address);
    return address;
  }
}
