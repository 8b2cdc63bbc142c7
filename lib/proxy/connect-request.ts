/**
 * The request that asks an HTTP proxy for a tunnel (RFC 9110 §9.3.6), and
 * the proxy URL it is built from.
 *
 * @module
 */
import { parseWebSocketUrl, type WebSocketUrl } from '../handshake/client-handshake.js';

/** An http: or https: proxy URL, split into what the CONNECT request needs. */
export interface ProxyUrl {
  /** Host to open the transport to: a name or an IP address, without brackets. */
  readonly host: string;
  /** Port to open the transport to: the URL's, or 80 (http:) / 443 (https:). */
  readonly port: number;
  /** True for https: (TLS to the proxy itself, before CONNECT). */
  readonly secure: boolean;
  /** `Basic …` from the URL's user info, or null if it has none. */
  readonly authorization: string | null;
}

/**
 * Parses a proxy URL. The user info is percent-decoded, then encoded as
 * UTF-8 for Basic (RFC 7617 §2.1). Throws a TypeError on a scheme other
 * than http: or https:, on a malformed percent-escape, and on credentials
 * Basic cannot carry.
 */
export function parseProxyUrl(input: string | URL): ProxyUrl {
  // Both parsers throw TypeErrors only: a bad URL, a bad escape, bad credentials.
  const scheme = new URL(String(input)).protocol;
  if (scheme !== 'http:' && scheme !== 'https:') throw new TypeError(`a proxy URL must be http: or https:, not ${scheme}`);
  const url = parseWebSocketUrl(input);
  const host = url.host.startsWith('[') ? url.host.slice(1, -1) : url.host;
  return { host, port: url.port, secure: url.secure, authorization: url.authorization };
}

/**
 * The authority the tunnel goes to: always host and port (RFC 9112 §3.2.3),
 * with an IPv6 literal in brackets, as the URL holds it.
 */
export function connectAuthority(target: WebSocketUrl): string {
  return `${target.host}:${target.port}`;
}

/**
 * The CONNECT request head, ending with the blank line. `Host` repeats the
 * authority (RFC 9112 §3.2); `extraHeaders` are validated lines from
 * `setHeader()`, each ending in CRLF.
 */
export function connectRequestHead(authority: string, authorization: string | null, extraHeaders: string): string {
  return (
    `CONNECT ${authority} HTTP/1.1\r\n` +
    `Host: ${authority}\r\n` +
    (authorization !== null ? `Proxy-Authorization: ${authorization}\r\n` : '') +
    extraHeaders +
    '\r\n'
  );
}
