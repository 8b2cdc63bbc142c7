/**
 * One shape for a handshake request, whatever parsed it: wsdriver's own
 * head parser, a Rack-style env, a Fetch `Request` or `Headers`, or a Node
 * `IncomingMessage`. The server-side drivers read only this.
 *
 * @module
 */
import { createHeaderFields, type HeaderFields, type RequestHead } from './head-parser.js';

/**
 * A Rack-style environment: CGI-like keys (`REQUEST_METHOD`, `PATH_INFO`,
 * `QUERY_STRING`, …) and one `HTTP_*` key per request header, its name
 * upper-cased with dashes turned into underscores.
 */
export interface RackEnv {
  /** The request method, `GET` for a handshake. */
  REQUEST_METHOD: string;
  [key: string]: unknown;
}

/** The parts of the Fetch `Headers` class the drivers use. */
export interface HeadersLike {
  /** A header's value, repeated ones joined; null if absent. */
  get(name: string): string | null;
  /** Calls `callback` for each header. */
  forEach(callback: (value: string, name: string) => void): void;
}

/** The parts of a Fetch `Request` the drivers use. */
export interface FetchRequestLike {
  /** The request method. */
  readonly method: string;
  /** The absolute URL requested; its host stands in for a missing Host header. */
  readonly url: string;
  /** The request's headers. */
  readonly headers: HeadersLike;
}

/** The parts of Node's `http.IncomingMessage` the drivers use. */
export interface IncomingMessageLike {
  /** The request method; `GET` if absent. */
  readonly method?: string | undefined;
  /** The request target as sent: a path and query, or an absolute URL. */
  readonly url?: string | undefined;
  /** `'1.1'` and so on. */
  readonly httpVersion?: string | undefined;
  /** Headers by lower-case name; repeated ones as arrays. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
}

/** Any request description {@link Driver.rack} accepts as `socket.env`. */
export type RequestSource = RackEnv | FetchRequestLike | HeadersLike | IncomingMessageLike;

/** A handshake request in the one shape the drivers read. */
export interface HandshakeRequest {
  /** The request method; a handshake is a GET. */
  readonly method: string;
  /** Path and query, e.g. `/chat?room=1`. */
  readonly target: string;
  /** `'1.1'` and so on; null when the source does not say. */
  readonly httpVersion: string | null;
  /** Header fields by lower-case name, repeated ones joined with ", ". */
  readonly headers: HeaderFields;
  /** `'https'` when the source says the request came over TLS. */
  readonly scheme: 'http' | 'https';
}

/** Builds a {@link HandshakeRequest} from a parsed head. */
export function requestFromHead(head: RequestHead): HandshakeRequest {
  return inOriginForm({
    method: head.method,
    target: head.target,
    httpVersion: head.httpVersion,
    headers: head.headers,
    scheme: 'http',
  });
}

/**
 * An absolute-form target (`GET http://host/path`) read as its path and
 * query, its authority replacing Host: RFC 9112 §3.2.2 says a server MUST
 * accept that form, and then ignore the Host header.
 */
function inOriginForm(request: HandshakeRequest): HandshakeRequest {
  if (request.target.startsWith('/')) return request;
  let url: URL;
  try {
    url = new URL(request.target);
  } catch {
    return request;
  }
  if (url.host === '') return request;
  const headers = createHeaderFields();
  Object.assign(headers, request.headers);
  headers['host'] = url.host;
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  return { ...request, target: url.pathname + url.search, headers, scheme: secure ? 'https' : 'http' };
}

/** Builds a {@link HandshakeRequest} from any supported source. */
export function normalizeRequest(source: RequestSource): HandshakeRequest {
  if (source === null || typeof source !== 'object') {
    throw new TypeError('socket.env must be a Rack env, a Fetch Request or Headers, or an IncomingMessage');
  }
  if (typeof (source as RackEnv).REQUEST_METHOD === 'string') return fromRackEnv(source as RackEnv);
  const maybeHeaders = (source as { headers?: unknown }).headers;
  if (isHeadersLike(maybeHeaders)) return fromFetchRequest(source as FetchRequestLike);
  if (isHeadersLike(source)) return fromFetchHeaders(source);
  if (maybeHeaders !== null && typeof maybeHeaders === 'object') {
    return fromIncomingMessage(source as IncomingMessageLike);
  }
  throw new TypeError('socket.env must be a Rack env, a Fetch Request or Headers, or an IncomingMessage');
}

function isHeadersLike(value: unknown): value is HeadersLike {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as HeadersLike).get === 'function' &&
    typeof (value as HeadersLike).forEach === 'function'
  );
}

function fromRackEnv(env: RackEnv): HandshakeRequest {
  const headers = createHeaderFields();
  for (const key of Object.keys(env)) {
    const value = env[key];
    if (typeof value !== 'string') continue;
    if (key.startsWith('HTTP_')) {
      headers[key.slice(5).toLowerCase().replaceAll('_', '-')] = value;
    } else if (key === 'CONTENT_TYPE' || key === 'CONTENT_LENGTH') {
      headers[key.toLowerCase().replace('_', '-')] = value;
    }
  }
  const uri = env['REQUEST_URI'];
  let target: string;
  if (typeof uri === 'string' && uri !== '') {
    target = uri;
  } else {
    const query = stringOr(env['QUERY_STRING'], '');
    target = stringOr(env['SCRIPT_NAME'], '') + stringOr(env['PATH_INFO'], '/') + (query ? `?${query}` : '');
  }
  const protocol = stringOr(env['SERVER_PROTOCOL'], stringOr(env['HTTP_VERSION'], ''));
  return {
    method: env.REQUEST_METHOD,
    target: target || '/',
    httpVersion: protocol.startsWith('HTTP/') ? protocol.slice(5) : null,
    headers,
    scheme: env['rack.url_scheme'] === 'https' || env['HTTPS'] === 'on' ? 'https' : 'http',
  };
}

function fromFetchRequest(request: FetchRequestLike): HandshakeRequest {
  let target = '/';
  let scheme: 'http' | 'https' = 'http';
  const headers = fieldsOf(request.headers);
  try {
    const url = new URL(request.url);
    target = url.pathname + url.search;
    scheme = url.protocol === 'https:' || url.protocol === 'wss:' ? 'https' : 'http';
    // A Fetch Request carries its host in the URL; Host is often not among its headers.
    if (headers['host'] === undefined && url.host !== '') headers['host'] = url.host;
  } catch {
    if (request.url.startsWith('/')) target = request.url;
  }
  return { method: request.method, target, httpVersion: null, headers, scheme };
}

function fromFetchHeaders(headers: HeadersLike): HandshakeRequest {
  return { method: 'GET', target: '/', httpVersion: null, headers: fieldsOf(headers), scheme: 'http' };
}

function fieldsOf(source: HeadersLike): HeaderFields {
  const headers = createHeaderFields();
  source.forEach((value, name) => {
    const key = name.toLowerCase();
    const previous = headers[key];
    headers[key] = previous === undefined ? value : `${previous}, ${value}`;
  });
  return headers;
}

function fromIncomingMessage(message: IncomingMessageLike): HandshakeRequest {
  const headers = createHeaderFields();
  for (const name of Object.keys(message.headers)) {
    const value = message.headers[name];
    if (value === undefined) continue;
    headers[name.toLowerCase()] = typeof value === 'string' ? value : value.join(', ');
  }
  const encrypted = (message as { socket?: { encrypted?: unknown } }).socket?.encrypted === true;
  return inOriginForm({
    method: message.method ?? 'GET',
    target: message.url ?? '/',
    httpVersion: message.httpVersion ?? null,
    headers,
    scheme: encrypted ? 'https' : 'http',
  });
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

/**
 * The Rack-style env for a request. Headers whose names hold an underscore
 * are left out, as nginx and others do: `X_Foo` and `X-Foo` would both
 * become `HTTP_X_FOO`, letting one stand in for the other.
 */
export function rackEnvFor(request: HandshakeRequest): RackEnv {
  const queryAt = request.target.indexOf('?');
  const path = queryAt < 0 ? request.target : request.target.slice(0, queryAt);
  const host = request.headers['host'] ?? '';
  const colon = host.lastIndexOf(':');
  const hasPort = colon > host.lastIndexOf(']');
  const env: RackEnv = {
    REQUEST_METHOD: request.method,
    SCRIPT_NAME: '',
    PATH_INFO: path,
    QUERY_STRING: queryAt < 0 ? '' : request.target.slice(queryAt + 1),
    REQUEST_URI: request.target,
    SERVER_PROTOCOL: request.httpVersion ? `HTTP/${request.httpVersion}` : 'HTTP/1.1',
    SERVER_NAME: hasPort ? host.slice(0, colon) : host,
    SERVER_PORT: hasPort ? host.slice(colon + 1) : request.scheme === 'https' ? '443' : '80',
    'rack.url_scheme': request.scheme,
  };
  for (const name of Object.keys(request.headers)) {
    if (name.includes('_')) continue;
    const value = request.headers[name]!;
    if (name === 'content-type') env['CONTENT_TYPE'] = value;
    else if (name === 'content-length') env['CONTENT_LENGTH'] = value;
    else env[`HTTP_${name.toUpperCase().replaceAll('-', '_')}`] = value;
  }
  return env;
}

/** The ws: or wss: URL a request was made to. */
export function websocketUrlFor(request: HandshakeRequest): string {
  const scheme = request.scheme === 'https' ? 'wss:' : 'ws:';
  return `${scheme}//${request.headers['host'] ?? 'localhost'}${request.target}`;
}
