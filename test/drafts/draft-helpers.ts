/**
 * Hixie handshakes and frames built by hand, for the draft driver tests.
 * The draft-76 answer is computed here with node:crypto's MD5, independently
 * of lib/, so the tests check the driver against the draft, not itself.
 */
import { createHash } from 'node:crypto';
import { Driver, type DriverOptions, type HttpServerDriver } from '../../lib/index.js';
import '../../lib/drafts/index.js';
import { concat, latin1Bytes, Recorder } from '../helpers/index.js';

/** draft-76 §1.3's example request, its key3 body, and the 16-byte answer. */
export const DRAFT76_EXAMPLE = {
  head:
    'GET /demo HTTP/1.1\r\n' +
    'Host: example.com\r\n' +
    'Connection: Upgrade\r\n' +
    'Sec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\n' +
    'Sec-WebSocket-Protocol: sample\r\n' +
    'Upgrade: WebSocket\r\n' +
    'Sec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\n' +
    'Origin: http://example.com\r\n' +
    '\r\n',
  key3: '^n:ds[4U',
  responseHead:
    'HTTP/1.1 101 WebSocket Protocol Handshake\r\n' +
    'Upgrade: WebSocket\r\n' +
    'Connection: Upgrade\r\n' +
    'Sec-WebSocket-Origin: http://example.com\r\n' +
    'Sec-WebSocket-Location: ws://example.com/demo\r\n' +
    'Sec-WebSocket-Protocol: sample\r\n' +
    '\r\n',
  answer: "8jKS'y:G*Co,Wxa-",
} as const;

/** draft-75 §1.2's example request and response. */
export const DRAFT75_EXAMPLE = {
  head:
    'GET /demo HTTP/1.1\r\n' +
    'Upgrade: WebSocket\r\n' +
    'Connection: Upgrade\r\n' +
    'Host: example.com\r\n' +
    'Origin: http://example.com\r\n' +
    'WebSocket-Protocol: sample\r\n' +
    '\r\n',
  responseHead:
    'HTTP/1.1 101 Web Socket Protocol Handshake\r\n' +
    'Upgrade: WebSocket\r\n' +
    'Connection: Upgrade\r\n' +
    'WebSocket-Origin: http://example.com\r\n' +
    'WebSocket-Location: ws://example.com/demo\r\n' +
    'WebSocket-Protocol: sample\r\n' +
    '\r\n',
} as const;

/** The keys and body of websocket-driver's draft-76 spec, and its answer bytes. */
export const FAYE76 = {
  key1: '1   38 wZ3f9 23O0 3l 0r',
  key2: '27   0E 6 2  1665:< ;U 1H',
  key3: Uint8Array.of(0x91, 0x25, 0x3e, 0xd3, 0xa9, 0xe7, 0x6a, 0x88),
  answer: Uint8Array.of(0xb4, 0x9c, 0x6e, 0x40, 0x53, 0x04, 0x04, 0x26, 0xe5, 0x1b, 0xbf, 0x6c, 0xb7, 0x9f, 0x1d, 0xf9),
} as const;

/** The draft-76 answer for two keys and key3, by node:crypto. */
export function expectedAnswer(key1: string, key2: string, key3: Uint8Array): Uint8Array {
  const value = (key: string) => Number(key.replace(/[^0-9]/g, '')) / (key.split(' ').length - 1);
  const challenge = Buffer.alloc(16);
  challenge.writeUInt32BE(value(key1), 0);
  challenge.writeUInt32BE(value(key2), 4);
  Buffer.from(key3).copy(challenge, 8);
  return new Uint8Array(createHash('md5').update(challenge).digest());
}

export interface DraftRequestSpec {
  target?: string;
  host?: string | null;
  origin?: string | null;
  /** draft-76 keys; both absent makes a draft-75 request. */
  key1?: string | null;
  key2?: string | null;
  /** WebSocket-Protocol (75) or Sec-WebSocket-Protocol (76). */
  protocol?: string;
  /** Extra header lines, e.g. `['Sec-WebSocket-Version', '13']`. */
  extra?: ReadonlyArray<readonly [string, string]>;
  method?: string;
}

/** A draft request head (75 without keys, 76 with them), ending with the blank line. */
export function draftRequestText(spec: DraftRequestSpec = {}): string {
  const lines: Array<[string, string | null | undefined]> = [
    ['Host', spec.host === undefined ? 'example.com' : spec.host],
    ['Connection', 'Upgrade'],
    ['Upgrade', 'WebSocket'],
    ['Origin', spec.origin === undefined ? 'http://example.com' : spec.origin],
    ['Sec-WebSocket-Key1', spec.key1],
    ['Sec-WebSocket-Key2', spec.key2],
  ];
  const is76 = typeof spec.key1 === 'string' || typeof spec.key2 === 'string';
  if (spec.protocol !== undefined) lines.push([is76 ? 'Sec-WebSocket-Protocol' : 'WebSocket-Protocol', spec.protocol]);
  for (const [name, value] of spec.extra ?? []) lines.push([name, value]);
  let text = `${spec.method ?? 'GET'} ${spec.target ?? '/socket'} HTTP/1.1\r\n`;
  for (const [name, value] of lines) if (typeof value === 'string') text += `${name}: ${value}\r\n`;
  return text + '\r\n';
}

/** A draft-76 request in websocket-driver's spec: its keys, no body. */
export function draft76Request(spec: DraftRequestSpec = {}): string {
  return draftRequestText({ key1: FAYE76.key1, key2: FAYE76.key2, ...spec });
}

/** A Rack env for a request head, as an HTTP server would build it. */
export function rackEnvFromHead(text: string, extra: Record<string, string> = {}): Record<string, string> {
  const [requestLine, ...headerLines] = text.split('\r\n').filter((line) => line !== '');
  const [method, target] = requestLine!.split(' ');
  const env: Record<string, string> = { REQUEST_METHOD: method!, REQUEST_URI: target!, SERVER_PROTOCOL: 'HTTP/1.1', ...extra };
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    env[`HTTP_${line.slice(0, colon).toUpperCase().replaceAll('-', '_')}`] = line.slice(colon + 1).trim();
  }
  return env;
}

const utf8 = new TextEncoder();

/** A sentinel frame: the type byte (0x00 for text), the bytes, 0xFF. */
export function sentinelFrame(payload: string | Uint8Array, type = 0x00): Uint8Array {
  const bytes = typeof payload === 'string' ? utf8.encode(payload) : payload;
  return concat(Uint8Array.of(type), bytes, Uint8Array.of(0xff));
}

/** A length-prefixed frame: the type byte (high bit set), base-128 length, the bytes. */
export function lengthFrame(payload: Uint8Array, type = 0x80): Uint8Array {
  const digits = [payload.length & 0x7f];
  for (let n = Math.floor(payload.length / 128); n > 0; n = Math.floor(n / 128)) digits.unshift((n & 0x7f) | 0x80);
  return concat(Uint8Array.of(type), Uint8Array.from(digits), payload);
}

/** The draft-76 closing frame. */
export const CLOSING_FRAME = Uint8Array.of(0xff, 0x00);

/** Text frames as the drivers send them, read back; throws on anything else. */
export function decodeTextFrames(bytes: Uint8Array): string[] {
  const messages: string[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes[at] !== 0x00) throw new Error(`byte ${at} is 0x${bytes[at]!.toString(16)}, not a text frame start`);
    const end = bytes.indexOf(0xff, at + 1);
    if (end < 0) throw new Error('unterminated text frame');
    messages.push(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(at + 1, end)));
    at = end + 1;
  }
  return messages;
}

/** A `Driver.server` with `allowDrafts`, fed a draft request, not yet started. */
export function draftServer(request: string, options: DriverOptions = {}): { driver: HttpServerDriver; rec: Recorder } {
  const rec = new Recorder();
  const driver = rec.attach(Driver.server(rec.socket, { allowDrafts: true, ...options }));
  driver.parse(latin1Bytes(request));
  return { driver, rec };
}

/** An open hixie-75 server; handshake bytes and events already taken. */
export function open75(options: DriverOptions = {}): { driver: HttpServerDriver; rec: Recorder } {
  const setup = draftServer(draftRequestText(), options);
  if (!setup.driver.start() || setup.driver.readyState !== 1) throw new Error('open75: not open');
  setup.rec.take();
  setup.rec.clearEvents();
  return setup;
}

/** An open hixie-76 server; handshake bytes and events already taken. */
export function open76(options: DriverOptions = {}): { driver: HttpServerDriver; rec: Recorder } {
  const setup = draftServer(draft76Request(), options);
  setup.driver.start();
  setup.driver.parse(FAYE76.key3.slice());
  if (setup.driver.readyState !== 1) throw new Error('open76: not open');
  setup.rec.take();
  setup.rec.clearEvents();
  return setup;
}
