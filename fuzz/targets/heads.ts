/**
 * Fuzz target `heads`: HTTP request heads into `Driver.server`, and
 * response heads into `Driver.client`.
 *
 * A valid head is built from parts (header order, name case, optional
 * whitespace, extra headers with any token name and any Latin-1 value),
 * then bent in one of the ways that matter: a header dropped, duplicated,
 * folded, oversized, with a bare LF, a NUL, a space before the colon, a
 * wrong key or version, too many headers, the final CRLF missing; or its
 * bytes flipped at random, or replaced by arbitrary bytes. Each kind of
 * bend has a known answer (the head opens, is refused with a given error
 * code and HTTP status, or waits for more); random damage must at least
 * keep every invariant. Each input is fed whole, in random chunks and byte
 * by byte.
 */
import fc from 'fast-check';
import { Driver } from '../../lib/index.js';
import { acceptFor, latin1Bytes, parseHead, Recorder, SAMPLE_KEY, split, type Chunking, type RecordedEvent } from '../../test/helpers/index.js';
import { byteMutation, chunkSizes, mutateBytes, type ByteMutation } from '../lib/frame-streams.js';
import { checkEventLog, ensure, parseOrFail, type Parsing } from '../lib/invariants.js';
import type { FuzzTarget } from './target.js';

const MAX_HEADERS = 20;
const MAX_HEAD_SIZE = 2048;

type Bend =
  | 'none'
  | 'drop'
  | 'duplicate'
  | 'fold'
  | 'bare-lf'
  | 'nul'
  | 'space-before-colon'
  | 'non-ascii-value'
  | 'non-ascii-name'
  | 'bad-key'
  | 'bad-version'
  | 'too-many-headers'
  | 'oversized'
  | 'no-final-crlf'
  | 'bad-status'
  | 'bad-accept'
  | 'random-damage'
  | 'arbitrary-bytes';

export interface HeadCase {
  side: 'server' | 'client';
  extras: Array<[string, string]>;
  /** Bit i set: header name i is sent upper-case. */
  caseBits: number;
  ows: string;
  /** Where the managed headers go among the extras. */
  rotation: number;
  bend: Bend;
  /** Which header the bend touches. */
  target: number;
  damage: ByteMutation[];
  arbitrary: Uint8Array;
  chunkSizes: number[];
}

const tokenChars = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const headerName = fc
  .string({ unit: fc.constantFrom(...tokenChars), minLength: 1, maxLength: 12 })
  .filter((n) => !/^(host|upgrade|connection|sec-websocket-.*|content-length|transfer-encoding)$/i.test(n));
// Field values: visible ASCII, spaces and tabs inside, and obs-text (RFC 9110 §5.5).
const headerValue = fc
  .string({ unit: fc.oneof(fc.integer({ min: 0x21, max: 0x7e }), fc.constant(0x20), fc.constant(0x09), fc.integer({ min: 0x80, max: 0xff })).map((c) => String.fromCharCode(c)), maxLength: 24 })
  .map((v) => v.replace(/^[ \t]+|[ \t]+$/g, ''));

export const headCase: fc.Arbitrary<HeadCase> = fc.record({
  side: fc.constantFrom<'server' | 'client'>('server', 'client'),
  extras: fc.array(fc.tuple(headerName, headerValue), { maxLength: 6 }),
  caseBits: fc.nat(),
  ows: fc.constantFrom('', ' ', '  ', '\t', ' \t'),
  rotation: fc.nat(),
  bend: fc.constantFrom<Bend>(
    'none', 'drop', 'duplicate', 'fold', 'bare-lf', 'nul', 'space-before-colon', 'non-ascii-value', 'non-ascii-name',
    'bad-key', 'bad-version', 'too-many-headers', 'oversized', 'no-final-crlf', 'bad-status', 'bad-accept', 'random-damage', 'arbitrary-bytes',
  ),
  target: fc.nat(),
  damage: fc.array(byteMutation, { minLength: 1, maxLength: 4 }),
  arbitrary: fc.uint8Array({ maxLength: 300 }),
  chunkSizes,
});

/** What a bent head must lead to. */
type Expected =
  | { kind: 'open' }
  | { kind: 'refused'; code: string; status?: number }
  /** Refused, or still waiting for the rest of the head; never open. */
  | { kind: 'not-open' }
  | { kind: 'waiting' }
  /** Anything that keeps the invariants. */
  | { kind: 'any' };

interface Built {
  bytes: Uint8Array;
  expected: Expected;
}

const CLIENT_URL = 'ws://example.com/chat';

/** Builds the head for a case, and what it must lead to. `key` is the client's (for a response). */
export function buildHead(c: HeadCase, key: string): Built {
  const managed: Array<[string, string]> =
    c.side === 'server'
      ? [['Host', 'example.com'], ['Upgrade', 'websocket'], ['Connection', 'keep-alive, Upgrade'], ['Sec-WebSocket-Key', SAMPLE_KEY], ['Sec-WebSocket-Version', '13']]
      : [['Upgrade', 'websocket'], ['Connection', 'Upgrade'], ['Sec-WebSocket-Accept', acceptFor(key)]];
  const at = c.rotation % (c.extras.length + 1);
  let lines: Array<[string, string]> = [...c.extras.slice(0, at), ...managed, ...c.extras.slice(at)];
  lines = lines.map(([n, v], i) => [(c.caseBits >> i) & 1 ? n.toUpperCase() : n, v]);
  let startLine = c.side === 'server' ? 'GET /chat?x=1 HTTP/1.1' : 'HTTP/1.1 101 Switching Protocols';
  const pick = c.target % managed.length;
  const managedName = managed[pick]![0].toLowerCase();
  const indexOf = (name: string) => lines.findIndex(([n]) => n.toLowerCase() === name);
  const where = indexOf(managedName);
  let expected: Expected = { kind: 'open' };
  const malformed: Expected = { kind: 'refused', code: 'HTTP_MALFORMED', status: 400 };
  const badRequest = (name: string): Expected =>
    c.side === 'client'
      ? { kind: 'refused', code: name === 'sec-websocket-accept' ? 'HANDSHAKE_BAD_ACCEPT' : 'HANDSHAKE_BAD_RESPONSE' }
      : name === 'sec-websocket-version'
        ? { kind: 'refused', code: 'HANDSHAKE_UNSUPPORTED_VERSION', status: 426 }
        : { kind: 'refused', code: 'HANDSHAKE_BAD_REQUEST', status: 400 };
  let tail = '\r\n';
  let foldAt = -1;
  let bareLfAt = -1;
  switch (c.bend) {
    case 'drop':
      lines.splice(where, 1);
      expected = badRequest(managedName);
      break;
    case 'duplicate':
      lines.splice(where, 0, lines[where]!);
      // Repeated fields join with ", " (RFC 9110 §5.3): token lists survive,
      // single values (a key, a version, an accept hash) do not; RFC 9112
      // §3.2 makes a second Host a 400.
      if (managedName === 'upgrade' || managedName === 'connection') expected = { kind: 'open' };
      else if (managedName === 'host') expected = { kind: 'refused', code: 'HTTP_MALFORMED', status: 400 };
      else expected = badRequest(managedName);
      break;
    case 'fold':
      foldAt = where;
      expected = malformed;
      break;
    case 'bare-lf':
      bareLfAt = where;
      expected = { kind: 'not-open' };
      break;
    case 'nul':
      lines[where] = [lines[where]![0], lines[where]![1] + '\0x'];
      expected = malformed;
      break;
    case 'space-before-colon':
      lines[where] = [lines[where]![0] + ' ', lines[where]![1]];
      expected = malformed;
      break;
    case 'non-ascii-value':
      lines.push(['X-Latin', 'caf\xe9 \xff']);
      break;
    case 'non-ascii-name':
      lines.push(['X-Caf\xe9', 'v']);
      expected = malformed;
      break;
    case 'bad-key':
      if (c.side === 'server') {
        lines[where] = ['Sec-WebSocket-Key', ['', 'short', SAMPLE_KEY + 'A', 'dGhlIHNhbXBsZSBub25jZQ=', '!!!!!!!!!!!!!!!!!!!!!!=='][c.target % 5]!];
        lines = lines.filter(([n], i) => i === where || n.toLowerCase() !== 'sec-websocket-key');
        expected = { kind: 'refused', code: 'HANDSHAKE_BAD_REQUEST', status: 400 };
      }
      break;
    case 'bad-version':
      if (c.side === 'server') {
        const v = indexOf('sec-websocket-version');
        lines[v] = ['Sec-WebSocket-Version', ['12', '14', '0', '13x', '', '6'][c.target % 6]!];
        expected = { kind: 'refused', code: 'HANDSHAKE_UNSUPPORTED_VERSION', status: 426 };
      }
      break;
    case 'too-many-headers':
      for (let i = lines.length; i <= MAX_HEADERS; i++) lines.push([`X-H${i}`, 'v']);
      expected = { kind: 'refused', code: 'HTTP_TOO_MANY_HEADERS', status: 431 };
      break;
    case 'oversized':
      lines.push(['X-Big', 'b'.repeat(MAX_HEAD_SIZE)]);
      expected = { kind: 'refused', code: 'HTTP_HEAD_TOO_LARGE', status: 431 };
      break;
    case 'no-final-crlf':
      tail = '';
      expected = { kind: 'waiting' };
      break;
    case 'bad-status':
      if (c.side === 'client') {
        startLine = ['HTTP/1.1 200 OK', 'HTTP/1.1 302 Found', 'HTTP/1.0 101 Switching', 'HTTP/1.1 101'][c.target % 4]!;
        expected = c.target % 4 >= 2 ? { kind: 'open' } : { kind: 'refused', code: 'HANDSHAKE_UNEXPECTED_STATUS' };
      } else {
        startLine = ['GET /chat HTTP/1.0', 'POST /chat HTTP/1.1', 'GET  HTTP/1.1', 'GET /a b HTTP/1.1', 'get /chat HTTP/1.1'][c.target % 5]!;
        expected = [
          { kind: 'refused', code: 'HANDSHAKE_BAD_REQUEST', status: 400 },
          { kind: 'refused', code: 'HANDSHAKE_BAD_REQUEST', status: 400 },
          malformed,
          malformed,
          { kind: 'refused', code: 'HANDSHAKE_BAD_REQUEST', status: 400 },
        ][c.target % 5] as Expected;
      }
      break;
    case 'bad-accept':
      if (c.side === 'client') {
        lines[indexOf('sec-websocket-accept')] = ['Sec-WebSocket-Accept', acceptFor(SAMPLE_KEY === key ? 'x' : SAMPLE_KEY)];
        expected = { kind: 'refused', code: 'HANDSHAKE_BAD_ACCEPT' };
      }
      break;
    case 'random-damage':
    case 'arbitrary-bytes':
      expected = { kind: 'any' };
      break;
    case 'none':
      break;
  }
  let text = startLine + '\r\n';
  lines.forEach(([n, v], i) => {
    let line = `${n}:${c.ows}${v}${c.ows}`;
    if (i === foldAt) line = `${n}:${c.ows}${v.slice(0, 1)}\r\n ${v.slice(1)}x`;
    text += line + (i === bareLfAt ? '\n' : '\r\n');
  });
  text += tail;
  let bytes = latin1Bytes(text);
  if (c.bend === 'random-damage') bytes = mutateBytes(bytes, c.damage);
  if (c.bend === 'arbitrary-bytes') bytes = c.arbitrary;
  return { bytes, expected };
}

const ERROR_STATUS: Record<string, number> = { HTTP_HEAD_TOO_LARGE: 431, HTTP_TOO_MANY_HEADERS: 431, HANDSHAKE_UNSUPPORTED_VERSION: 426 };

function runHead(c: HeadCase, chunking: Chunking): void {
  const options = { maxHeaders: MAX_HEADERS, maxHeadSize: MAX_HEAD_SIZE };
  let driver: Parsing;
  let rec: Recorder;
  let key = SAMPLE_KEY;
  if (c.side === 'server') {
    rec = new Recorder();
    const server = Driver.server(rec.socket, options);
    rec.attach(server);
    server.on('connect', () => server.start());
    driver = server;
  } else {
    rec = new Recorder({ url: CLIENT_URL });
    const client = Driver.client(rec.socket, options);
    rec.attach(client);
    client.start();
    key = parseHead(rec.take()).headers['sec-websocket-key']!;
    driver = client;
  }
  const { bytes, expected } = buildHead(c, key);
  for (const chunk of split(bytes, chunking)) {
    parseOrFail(driver, chunk);
    checkEventLog(rec.events, driver.readyState);
    ensure(driver.retainedBytes <= MAX_HEAD_SIZE || driver.readyState === 1, `driver holds ${driver.retainedBytes} bytes of head, over maxHeadSize ${MAX_HEAD_SIZE}`);
  }
  const events = rec.events;
  const error = events.find((e) => e.type === 'error') as Extract<RecordedEvent, { type: 'error' }> | undefined;
  const opened = events.some((e) => e.type === 'open');
  const written = rec.take();
  // Server: exactly one response head, a 101 when it opened, else the status that fits the error.
  if (c.side === 'server') {
    if (opened || error !== undefined) {
      const head = parseHead(written);
      const status = opened ? 101 : (ERROR_STATUS[error!.code] ?? 400);
      ensure(head.status === status, `server answered ${head.startLine}, expected ${status}${error ? ` for ${error.code}` : ''}`);
      if (!opened) {
        const connection = (head.headers['connection'] ?? '').split(',').map((t) => t.trim().toLowerCase());
        ensure(connection.includes('close'), `an error response must close the connection (Connection: ${head.headers['connection']})`);
      }
    } else {
      ensure(written.length === 0, 'server wrote before the request head was complete');
    }
  } else {
    // A client never answers a bad response with frames: the handshake never completed.
    ensure(opened || written.length === 0, 'client wrote after a failed handshake');
  }
  switch (expected.kind) {
    case 'open':
      ensure(opened && error === undefined, `a valid head did not open: ${error?.code ?? 'no answer'} ${error?.message ?? ''}`);
      break;
    case 'refused':
      ensure(error !== undefined && error.code === expected.code, `expected ${expected.code}, got ${error?.code ?? (opened ? 'open' : 'nothing')}`);
      break;
    case 'not-open':
      ensure(!opened, 'a malformed head opened');
      ensure(error === undefined || error.code === 'HTTP_MALFORMED', `a malformed head failed with ${error?.code}`);
      break;
    case 'waiting':
      ensure(events.length === 0 && driver.readyState === 0, `an unfinished head gave ${events.map((e) => e.type).join(', ')}`);
      break;
    case 'any':
      break;
  }
}

export function checkHeadCase(c: HeadCase): void {
  const chunkings: Chunking[] = ['whole', { sizes: c.chunkSizes }, 'bytewise'];
  for (const chunking of chunkings) {
    try {
      runHead(c, chunking);
    } catch (error) {
      if (error instanceof Error) error.message += `\n  side ${c.side}, bend ${c.bend}, chunking ${JSON.stringify(chunking)}`;
      throw error;
    }
  }
}

export const headsTarget: FuzzTarget<HeadCase> = {
  name: 'heads',
  description: 'HTTP request heads (Driver.server) and response heads (Driver.client): bent and arbitrary',
  arbitrary: headCase,
  check: checkHeadCase,
};
