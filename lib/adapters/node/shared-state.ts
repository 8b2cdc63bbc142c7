/**
 * What `handleUpgrade` keeps per connection, made to be shared between
 * connections where it can be: a server upgrades many requests with the
 * same options and near-identical headers, and keeps each connection's
 * options and request headers for the connection's life. Here, in the
 * Node adapter, rather than in the core, so a browser bundle of `Driver`
 * does not carry it.
 *
 * @module
 */
import type { HandshakeRequest } from '../../http/request.js';
import { DEFAULT_OPTIONS, resolveOptions, type DriverOptions, type ResolvedOptions } from '../../options.js';

let lastResolved: ResolvedOptions | null = null;

/**
 * `resolveOptions(options)` (every check runs, a bad value throws), as the
 * same frozen object as last time when the values are the same.
 */
export function sharedOptions(options: DriverOptions): ResolvedOptions {
  const resolved = resolveOptions(options);
  if (resolved === DEFAULT_OPTIONS) return resolved;
  if (lastResolved !== null && sameOptions(resolved, lastResolved)) return lastResolved;
  return (lastResolved = resolved);
}

function sameOptions(a: ResolvedOptions, b: ResolvedOptions): boolean {
  for (const key of Object.keys(DEFAULT_OPTIONS) as Array<keyof ResolvedOptions>) {
    if (key === 'protocols') {
      if (a.protocols.length !== b.protocols.length || a.protocols.some((protocol, i) => protocol !== b.protocols[i])) return false;
    } else if (a[key] !== b[key]) {
      return false;
    }
  }
  return true;
}

// Values nearly every handshake sends. Node's parser makes a fresh string
// for each request; these are kept once, not once per connection.
const COMMON_VALUES = new Map(['websocket', 'Upgrade', 'upgrade', '13', '1.1', 'keep-alive, Upgrade'].map((value) => [value, value]));

/** `request`, its common header values (and HTTP version) replaced by one shared string each. */
export function withCommonValues(request: HandshakeRequest): HandshakeRequest {
  const headers = request.headers;
  for (const name of Object.keys(headers)) {
    const common = COMMON_VALUES.get(headers[name]!);
    if (common !== undefined) headers[name] = common;
  }
  const version = request.httpVersion === null ? undefined : COMMON_VALUES.get(request.httpVersion);
  return version === undefined ? request : { ...request, httpVersion: version };
}
