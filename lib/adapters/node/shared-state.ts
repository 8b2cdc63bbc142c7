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
import type * as http from 'node:http';
import { nodeHttp } from './builtins.js';
import { createHeaderFields, type HeaderFields } from '../../http/head-parser.js';
import { normalizeRequest, type HandshakeRequest } from '../../http/request.js';
import { DEFAULT_OPTIONS, resolveOptions, type DriverOptions, type ResolvedOptions } from '../../options.js';
import { checkAttachOptions, type CheckedAttachOptions } from './attach.js';
import { addRawHeaders, unreadRawHeaders } from './raw-headers.js';
import { splitOptions, type NodeDriverOptions } from './options.js';

const { IncomingMessage } = nodeHttp();

/** What one connection is made with: the driver's options and the adapter's timing options, checked. */
export interface ConnectionSettings {
  readonly driver: ResolvedOptions;
  readonly attach: CheckedAttachOptions;
}

// The last options given, as a snapshot of their own entries (arrays
// copied), and what they were checked into.
let lastGiven: { readonly entries: ReadonlyArray<readonly [string, unknown]>; readonly settings: ConnectionSettings } | null = null;

/**
 * `options` split, resolved and checked, as `handleUpgrade` needs them; a
 * bad value throws. A server passes every upgrade the same options (often
 * a fresh object each time): options with the same entries as last time
 * get last time's settings without every check being run again.
 */
export function connectionSettings(options: NodeDriverOptions | undefined): ConnectionSettings {
  const last = lastGiven;
  if (last !== null && sameEntries(options ?? {}, last.entries)) return last.settings;
  const [driverOptions, attachOptions] = splitOptions(options);
  const settings = { driver: sharedOptions(driverOptions), attach: checkAttachOptions(attachOptions) };
  lastGiven = {
    entries: Object.entries(options ?? {}).map(([key, value]) => [key, Array.isArray(value) ? [...(value as unknown[])] : value] as const),
    settings,
  };
  return settings;
}

// Index loops, no destructuring: every accept runs this, most of them
// before V8 has optimized it, and an unoptimized `for (const [key, value]
// of ...)` makes an iterator for each entry.
function sameEntries(options: object, entries: ReadonlyArray<readonly [string, unknown]>): boolean {
  let count = 0;
  for (const key in options) {
    if (!Object.hasOwn(options, key)) return false;
    count++;
  }
  if (count !== entries.length) return false;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    const key = entry[0];
    if (!Object.hasOwn(options, key)) return false;
    const value = (options as Record<string, unknown>)[key];
    const was = entry[1];
    if (value === was) continue;
    // An array (protocols) is compared by its elements, as it was copied.
    if (!Array.isArray(value) || !Array.isArray(was) || !sameItems(value, was)) return false;
  }
  return true;
}

function sameItems(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

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
// The longest of them: a longer value (a key, a user agent) is not hashed for the lookup.
const LONGEST_COMMON = 19;

/** `value`, or the shared string equal to it. */
function commonValue(value: string): string {
  return value.length > LONGEST_COMMON ? value : (COMMON_VALUES.get(value) ?? value);
}

// Values one server sees again and again, though no list can know them:
// its Host and the path clients connect to. The last of each is kept (a
// path only without a query), and a request that repeats it shares that
// string (a comparison per request).
let lastHost = '';
let lastTarget = '';

/**
 * Node's upgrade request read as `withCommonValues(normalizeRequest(message))`
 * reads it, in one pass: each header value is copied and, if common,
 * replaced by the shared string as it is copied. Every accept reads one,
 * so the second pass over the headers (and the checks that tell a Rack
 * env or a Fetch request from Node's request) cost each accept. Anything
 * but node:http's own request with a target in origin form is read the
 * general way.
 */
export function readUpgradeRequest(message: http.IncomingMessage): HandshakeRequest {
  const target = message.url;
  if (!(message instanceof IncomingMessage) || typeof target !== 'string' || target[0] !== '/') {
    return withCommonValues(normalizeRequest(message));
  }
  const headers = createHeaderFields();
  const raw = unreadRawHeaders(message);
  if (raw !== null) {
    // Nobody has read `headers` yet: node:http need not build it for us to copy.
    addRawHeaders(headers, raw, (message as { joinDuplicateHeaders?: unknown }).joinDuplicateHeaders === true, commonValue);
    return nodeRequest(message, target, headers);
  }
  // node:http's header names are lower-case already; one an application
  // added in another case (`headers['Sec-WebSocket-Protocol'] = …`) sends
  // the request the general way, which lower-cases and joins names.
  const source = message.headers;
  const names = Object.keys(source);
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    // A name node:http would not have made (it lower-cases them). A builtin
    // that hands back the same string, not a RegExp run per name.
    if (name.toLowerCase() !== name) return withCommonValues(normalizeRequest(message));
    const value = source[name];
    if (value === undefined) continue;
    const text = typeof value === 'string' ? value : value.join(', ');
    headers[name] = commonValue(text);
  }
  return nodeRequest(message, target, headers);
}

/** The request read from node:http's `message`, its headers read into `headers`. */
function nodeRequest(message: http.IncomingMessage, target: string, headers: HeaderFields): HandshakeRequest {
  const host = headers.host;
  if (host !== undefined) {
    if (host === lastHost) headers.host = lastHost;
    else lastHost = host;
  }
  const version = message.httpVersion;
  return {
    method: message.method ?? 'GET',
    target: sharedTarget(target),
    httpVersion: typeof version === 'string' ? commonValue(version) : null,
    headers,
    scheme: (message.socket as { encrypted?: unknown } | null | undefined)?.encrypted === true ? 'https' : 'http',
  };
}

/**
 * `request`, its common header values (and HTTP version) replaced by one
 * shared string each, in place: `request` must be a fresh one of the
 * caller's (from `normalizeRequest`). A Host and a target equal to the
 * last request's share its strings too.
 */
export function withCommonValues(request: HandshakeRequest): HandshakeRequest {
  const headers = request.headers;
  for (const name in headers) {
    const common = COMMON_VALUES.get(headers[name]!);
    if (common !== undefined) headers[name] = common;
  }
  const version = request.httpVersion === null ? undefined : COMMON_VALUES.get(request.httpVersion);
  const mutable = request as { httpVersion: string | null; target: string };
  if (version !== undefined) mutable.httpVersion = version;
  const host = headers.host;
  if (host !== undefined) {
    if (host === lastHost) headers.host = lastHost;
    else lastHost = host;
  }
  mutable.target = sharedTarget(request.target);
  return request;
}

/** `target`, or the last target's equal string. */
function sharedTarget(target: string): string {
  if (target === lastTarget) return lastTarget;
  // A target with a query may carry a credential (`/ws?token=...`): the
  // module keeps none past its request.
  if (!target.includes('?')) lastTarget = target;
  return target;
}
