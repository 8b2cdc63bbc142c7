/**
 * The request that asks an HTTP proxy for a tunnel (RFC 9110 §9.3.6), and
 * the proxy URL it is built from.
 *
 * @module
 */
import { basicCredentials, parseWebSocketUrl, type WebSocketUrl } from '../hybi/client-handshake.js';

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
  let url: WebSocketUrl;
  try {
    const scheme = new URL(String(input)).protocol;
    if (scheme !== 'http:' && scheme !== 'https:') throw new TypeError(`a proxy URL must be http: or https:, not ${scheme}`);
    url = parseWebSocketUrl(input);
  } catch (error) {
    // URIError from a bad percent-escape in the user info, or the URL
    // parser's own TypeError: either way the caller passed a bad URL.
    if (error instanceof TypeError) throw error;
    throw new TypeError(`invalid proxy URL: ${(error as Error).message}`);
  }
  const { username, password } = url;
  let authorization: string | null = null;
  if (username !== '' || password !== '') {
    // RFC 7617 §2: "a user-id containing a colon character is invalid", and
    // neither part may hold control characters.
    if (username.includes(':')) throw new TypeError('a proxy user name may not contain ":" (RFC 7617 §2)');
    if (hasControlCharacter(username) || hasControlCharacter(password)) {
      throw new TypeError('proxy credentials may not contain control characters (RFC 7617 §2)');
    }
    authorization = basicCredentials(username, password);
  }
  const host = url.host.startsWith('[') ? url.host.slice(1, -1) : url.host;
  return { host, port: url.port, secure: url.secure, authorization };
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

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}
