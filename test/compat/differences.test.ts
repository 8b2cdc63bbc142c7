/**
 * The compat package against websocket-driver 0.8.0, difference by
 * difference, as its README lists them: where it follows websocket-driver
 * (both give the same answer here) and where it keeps wsdriver's
 * behaviour (each asserted by the name the README gives it).
 */
import { createRequire } from 'node:module';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import compat from '../../packages/websocket-driver-compat/src/driver.js';
import { Headers } from '../../packages/websocket-driver-compat/src/headers.js';
import { clientFrame, closePayload, concat, decodeFrames, frame } from '../helpers/index.js';

const require = createRequire(import.meta.url);
/* eslint-disable @typescript-eslint/no-explicit-any -- websocket-driver ships no types */
const real = require('websocket-driver') as typeof compat;
const deflate = require('permessage-deflate');

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
function request(headers: Record<string, string> = {}) {
  return {
    method: 'GET',
    url: '/chat',
    headers: { host: 'example.com', upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': KEY, 'sec-websocket-version': '13', ...headers },
  };
}

/** A started server-side driver with what it wrote and emitted. */
function serve(lib: typeof compat, options?: object, headers?: Record<string, string>) {
  const driver: any = lib.http(request(headers), options);
  const written: Buffer[] = [];
  const events: string[] = [];
  driver.io.on('data', (chunk: Buffer) => written.push(chunk));
  for (const type of ['open', 'message', 'error', 'close', 'ping', 'pong']) {
    driver.on(type, (e: any) => events.push(`${type} ${e?.message ?? (e?.code !== undefined ? `${e.code} ${e.reason}` : typeof e?.data === 'string' ? e.data : Buffer.isBuffer(e?.data) ? 'buffer ' + e.data.toString('hex') : '')}`.trim()));
  }
  driver.start();
  return { driver, written, events, frames: () => decodeFrames(new Uint8Array(Buffer.concat(written.slice(1)))) };
}

/** Both libraries, for a property that must hold for both alike. */
const BOTH = [
  ['websocket-driver 0.8.0', real],
  ['compat', compat],
] as const;

describe('followed: websocket-driver behaviour the compat layer reproduces', () => {
  for (const [name, lib] of BOTH) {
    it(`${name}: an empty close frame is reported, and answered, as 1000`, () => {
      const s = serve(lib);
      s.driver.parse(Buffer.from(clientFrame(8)));
      expect(s.events).toEqual(['open', 'close 1000']);
      expect(s.frames().map((f) => Buffer.from(f.payload).toString('hex'))).toEqual(['03e8']);
    });

    it(`${name}: a close reason that is not UTF-8 ends the connection with 1002, no error event`, () => {
      const s = serve(lib);
      s.driver.parse(Buffer.from(clientFrame(8, concat(Uint8Array.of(0x03, 0xe8), Uint8Array.of(0xc3, 0x28)))));
      expect(s.events).toEqual(['open', 'close 1002']);
    });

    it(`${name}: close codes 1012-1014 from the peer are refused as 1002`, () => {
      for (const code of [1012, 1013, 1014]) {
        const s = serve(lib);
        s.driver.parse(Buffer.from(clientFrame(8, closePayload(code, 'restart'))));
        expect(s.events).toEqual(['open', 'close 1002 restart']);
      }
    });

    it(`${name}: the answer to a close frame repeats its code and reason`, () => {
      const s = serve(lib);
      s.driver.parse(Buffer.from(clientFrame(8, closePayload(4321, 'why'))));
      expect(readClose(s.frames()[0]!.payload)).toEqual([4321, 'why']);
    });

    it(`${name}: a close reason that starts with U+FEFF keeps it (fuzz finding, seed 20261204)`, () => {
      const s = serve(lib);
      s.driver.parse(Buffer.from(clientFrame(8, Uint8Array.of(0x0f, 0xa0, 0xef, 0xbb, 0xbf, 0x61))));
      expect(s.events).toEqual(['open', 'close 4000 \ufeffa']);
      expect(readClose(s.frames()[0]!.payload)).toEqual([4000, '\ufeffa']);
    });

    it(`${name}: an unmasked frame from a client fails with 1003`, () => {
      const s = serve(lib);
      s.driver.parse(Buffer.from(frame({ opcode: 1, payload: new TextEncoder().encode('hi'), mask: false })));
      expect(s.events).toEqual(['open', 'error Received unmasked frame but masking is required', 'close 1003 Received unmasked frame but masking is required']);
    });

    it(`${name}: only version 13 is spoken; anything else gets websocket-driver's 400`, () => {
      const s = serve(lib, undefined, { 'sec-websocket-version': '8' });
      expect(s.written.map(String)).toEqual([
        'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 30\r\n\r\nUnsupported WebSocket version: 8',
      ].map((text) => text.replace('Content-Length: 30', 'Content-Length: 32')));
      expect(s.events).toEqual(['error Unsupported WebSocket version: 8', 'close 1002 Unsupported WebSocket version: 8']);
    });

    it(`${name}: close() sends any 16-bit code the application passes, reason first`, () => {
      const s = serve(lib);
      expect(s.driver.close('odd', 2000)).toBe(true);
      expect(readClose(s.frames()[0]!.payload)).toEqual([2000, 'odd']);
      expect(s.driver.getState()).toBe('closing');
    });

    it(`${name}: binary arrives as a Buffer, ping and pong data as strings`, () => {
      const s = serve(lib);
      s.driver.parse(Buffer.from(concat(clientFrame(2, Uint8Array.of(1, 2)), clientFrame(9, 'pi'), clientFrame(10, 'po'))));
      expect(s.events).toEqual(['open', 'message buffer 0102', 'ping pi', 'pong po']);
    });

    it(`${name}: text() of a Buffer or an array of numbers sends those bytes as a text frame, no decode`, () => {
      const s = serve(lib);
      s.driver.text(Buffer.from('héllo ✓'));
      s.driver.text([104, 105]);
      s.driver.frame(Buffer.from('ünï'), 'text');
      expect(s.frames().map((f) => [f.opcode, Buffer.from(f.payload).toString()])).toEqual([
        [1, 'héllo ✓'],
        [1, 'hi'],
        [1, 'ünï'],
      ]);
    });

    it(`${name}: messages queued before open are written before 'open' fires`, () => {
      const driver: any = lib.http(request());
      const order: string[] = [];
      driver.io.on('data', (chunk: Buffer) => order.push(chunk[0] === 0x48 ? 'head' : `frame ${chunk.toString('hex')}`));
      driver.on('open', () => order.push('open'));
      driver.text('early');
      driver.start();
      expect(order).toEqual(['head', 'frame 81056561726c79', 'open']);
    });

    it(`${name}: the 101 carries the application's headers first, and a client request its headers before the extension offer`, () => {
      const driver: any = lib.http(request({ 'sec-websocket-protocol': 'b, a' }), { protocols: ['a', 'b'] });
      driver.setHeader('X-Server', 'yes');
      const written: string[] = [];
      driver.io.on('data', (chunk: Buffer) => written.push(String(chunk)));
      driver.start();
      expect(written[0]).toBe(
        'HTTP/1.1 101 Switching Protocols\r\nX-Server: yes\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: b\r\n\r\n',
      );
      const client: any = lib.client('ws://user:pw@example.com:8080/a?b=1', { protocols: ['x'] });
      client.setHeader('X-Client', '1');
      client.addExtension(deflate);
      const requestHead: string[] = [];
      client.io.on('data', (chunk: Buffer) => requestHead.push(String(chunk)));
      client.start();
      expect(requestHead[0]!.replace(/Key: .*\r/, 'Key: K\r')).toBe(
        'GET /a?b=1 HTTP/1.1\r\nHost: example.com:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: K\r\n' +
          'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: x\r\nAuthorization: Basic dXNlcjpwdw==\r\nX-Client: 1\r\n' +
          'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n',
      );
    });

    it(`${name}: a client is -1 / null before start(), and fails a bad response with websocket-driver's text`, () => {
      const client: any = lib.client('ws://example.com/');
      expect(client.readyState).toBe(-1);
      expect(client.getState()).toBe(null);
      const events: string[] = [];
      client.on('error', (e: Error) => events.push(e.message));
      client.on('close', (e: any) => events.push(`close ${e.code}`));
      client.start();
      client.parse(Buffer.from('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n'));
      expect(events).toEqual(['Error during WebSocket handshake: Unexpected response code: 404', 'close 1002']);
      expect(client.statusCode).toBe(404);
    });

    it(`${name}: validateOptions throws websocket-extensions' text`, () => {
      expect(() => lib.validateOptions({ nope: 1 }, ['maxLength'])).toThrow('Unrecognized option: nope');
      expect(() => lib.server({ nope: 1 } as object)).toThrow('Unrecognized option: nope');
    });
  }
});

function readClose(payload: Uint8Array): [number, string] {
  return [(payload[0]! << 8) | payload[1]!, Buffer.from(payload.subarray(2)).toString()];
}

describe('followed: what io writes', () => {
  // Short and long texts (ASCII and not), small and large binaries: the long ones are
  // where the engine would write a header and its payload apart.
  const MESSAGES: (string | Buffer)[] = ['hi', 'x'.repeat(1024), 'y'.repeat(20_000), 'é😀'.repeat(12_000), 'z'.repeat(70_000), Buffer.alloc(16, 1), Buffer.alloc(100_000, 2), Buffer.alloc(1 << 20, 3)];

  for (const [name, lib] of [['websocket-driver', real], ['the compat layer', compat]] as const) {
    it(`${name}: each frame a server sends is one data chunk, a Buffer`, () => {
      const { driver, written } = serve(lib);
      for (const message of MESSAGES) typeof message === 'string' ? driver.text(message) : driver.binary(message);
      const chunks = written.slice(1);
      expect(chunks).toHaveLength(MESSAGES.length);
      chunks.forEach((chunk, i) => {
        expect(Buffer.isBuffer(chunk)).toBe(true);
        const frames = decodeFrames(new Uint8Array(chunk));
        expect(frames).toHaveLength(1);
        expect(Buffer.from(frames[0]!.payload).equals(Buffer.from(MESSAGES[i]!))).toBe(true);
      });
    });
  }

  it('the compat layer writes the same bytes as websocket-driver, and a long frame\'s buffer is no larger than the frame', () => {
    const ours = serve(compat);
    const theirs = serve(real);
    for (const { driver } of [ours, theirs]) for (const message of MESSAGES) typeof message === 'string' ? driver.text(message) : driver.binary(message);
    expect(ours.written.slice(1).map((c) => c.toString('hex'))).toEqual(theirs.written.slice(1).map((c) => c.toString('hex')));
    // Measured on the buffers themselves: a text is not given room for three bytes a character.
    for (const chunk of ours.written.slice(1).filter((c) => c.length > 16 * 1024)) expect(chunk.buffer.byteLength).toBe(chunk.length);
    // What io emits is a Buffer in every way: its subarray is one too.
    for (const chunk of ours.written) expect(Buffer.isBuffer(chunk.subarray(1))).toBe(true);
  });
});

describe('kept: where the compat layer keeps wsdriver behaviour', () => {
  it('utf8-fail-fast: bad UTF-8 fails (1007) in the fragment that holds it, not at the end of the message', () => {
    const first = clientFrame(1, Uint8Array.of(0x61, 0xff), { fin: false });
    const ours = serve(compat);
    const theirs = serve(real);
    for (const s of [ours, theirs]) s.driver.parse(Buffer.from(first));
    expect(ours.events).toEqual(['open', 'error Could not decode a text frame as UTF-8', 'close 1007 Could not decode a text frame as UTF-8']);
    expect(theirs.events).toEqual(['open']);
    theirs.driver.parse(Buffer.from(clientFrame(0, 'b')));
    expect(theirs.events.at(-1)).toBe('close 1007 Could not decode a text frame as UTF-8');
  });

  it('masked-server-frame: a client refuses a masked frame from the server (RFC 6455 §5.1)', () => {
    const client: any = compat.client('ws://example.com/');
    const events: string[] = [];
    client.on('error', (e: any) => events.push(`error ${e.code}`));
    client.on('close', (e: any) => events.push(`close ${e.code}`));
    client.on('message', (e: any) => events.push(`message ${e.data}`));
    let key = '';
    client.io.on('data', (chunk: Buffer) => (key ||= /Sec-WebSocket-Key: (.*)\r\n/.exec(String(chunk))![1]!));
    client.start();
    const accept = require('node:crypto').createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
    client.parse(Buffer.from(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`));
    client.parse(Buffer.from(clientFrame(1, 'masked')));
    expect(events).toEqual(['error MASKED_FRAME', 'close 1002']);
  });

  it('fails-sooner: a length not in its fewest bytes fails with 1002 (websocket-driver reads it)', () => {
    const wide = frame({ opcode: 1, payload: new TextEncoder().encode('hi'), mask: [1, 2, 3, 4], lengthEncoding: 16 });
    const ours = serve(compat);
    const theirs = serve(real);
    ours.driver.parse(Buffer.from(wide));
    theirs.driver.parse(Buffer.from(wide));
    expect(ours.events.at(-1)).toMatch(/^close 1002 /);
    expect(theirs.events).toEqual(['open', 'message hi']);
  });

  it('nothing-after-close-frame: no pong once our close frame is sent (websocket-driver still answers pings)', () => {
    const ours = serve(compat);
    const theirs = serve(real);
    for (const s of [ours, theirs]) {
      s.driver.close('bye', 1000);
      s.driver.parse(Buffer.from(clientFrame(9, 'late')));
    }
    expect(ours.frames().map((f) => f.opcode)).toEqual([8]);
    expect(theirs.frames().map((f) => f.opcode)).toEqual([8, 10]);
  });

  it('messages-while-closing: a message the peer sent before it saw our close frame is delivered (websocket-driver drops it)', () => {
    const ours = serve(compat);
    const theirs = serve(real);
    for (const s of [ours, theirs]) {
      s.driver.close('bye', 1000);
      s.driver.parse(Buffer.from(clientFrame(1, 'in flight')));
    }
    expect(ours.events).toEqual(['open', 'message in flight']);
    expect(theirs.events).toEqual(['open']);
  });

  it('errors-while-closing: a fault while closing still fails the connection (websocket-driver ignores it)', () => {
    const ours = serve(compat);
    ours.driver.close('bye', 1000);
    ours.driver.parse(Buffer.from(clientFrame(3)));
    expect(ours.events).toEqual(['open', 'error Unrecognized frame opcode: 3', 'close 1002 Unrecognized frame opcode: 3']);
  });

  it('close-once and parse-never-throws: input after close() before start() is ignored (websocket-driver emits close again, or throws)', () => {
    const ours: any = compat.http(request());
    const events: string[] = [];
    ours.on('close', (e: any) => events.push(`close ${e.code}`));
    ours.close();
    ours.start();
    expect(() => ours.parse(Buffer.from(concat(clientFrame(9), clientFrame(2))))).not.toThrow();
    expect(events).toEqual(['close 1000']);
    const theirs: any = real.http(request());
    theirs.close();
    theirs.start();
    expect(() => theirs.parse(Buffer.from(concat(clientFrame(9), clientFrame(2))))).toThrow();
  });

  it('control-frames-exempt-from-maxLength: a ping over a small maxLength is answered (websocket-driver fails with 1009)', () => {
    const ours = serve(compat, { maxLength: 4 });
    const theirs = serve(real, { maxLength: 4 });
    for (const s of [ours, theirs]) s.driver.parse(Buffer.from(clientFrame(9, 'longer ping')));
    expect(ours.events).toEqual(['open', 'ping longer ping']);
    expect(theirs.events.at(-1)).toBe('close 1009 WebSocket frame length too large');
  });

  it('setheader-crlf: a CR or LF in a header name or value throws (websocket-driver writes it: header injection)', () => {
    const driver: any = compat.http(request());
    expect(() => driver.setHeader('X-A', 'a\r\nSet-Cookie: evil=1')).toThrow(TypeError);
    expect(() => new Headers().set('X-B', 'b\nc')).toThrow(TypeError);
  });

  it('close-reason-123-bytes: a longer close reason is cut to the 123 bytes a control frame holds', () => {
    const s = serve(compat);
    s.driver.close('é'.repeat(100), 4000);
    const [code, reason] = readClose(s.frames()[0]!.payload);
    expect(code).toBe(4000);
    expect(Buffer.byteLength(reason)).toBe(122);
  });

  it('text-bytes-utf8: bytes given to text() that are not UTF-8 go out with U+FFFD for each bad sequence (websocket-driver sends them, and the peer fails with 1007)', () => {
    const bad = Buffer.from([0x61, 0xff, 0x62]);
    const ours = serve(compat);
    const theirs = serve(real);
    for (const s of [ours, theirs]) s.driver.text(bad);
    expect(Buffer.from(theirs.frames()[0]!.payload)).toEqual(bad);
    expect(Buffer.from(ours.frames()[0]!.payload).toString()).toBe('a\ufffdb');
    // A Uint8Array that is not a Buffer is sent as a Buffer is (websocket-driver throws on it).
    ours.driver.text(new TextEncoder().encode('ok ✓'));
    expect(() => theirs.driver.text(new TextEncoder().encode('ok ✓'))).toThrow();
    expect(Buffer.from(ours.frames()[1]!.payload).toString()).toBe('ok ✓');
  });

  it('client-always-masks: masking: false is ignored, every client frame is masked (RFC 6455 §5.3)', () => {
    const client: any = compat.client('ws://example.com/', { masking: false });
    const chunks: Buffer[] = [];
    client.io.on('data', (chunk: Buffer) => chunks.push(chunk));
    client.text('queued');
    client.start();
    const key = /Sec-WebSocket-Key: (.*)\r\n/.exec(String(chunks[0]))![1]!;
    const accept = require('node:crypto').createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
    client.parse(Buffer.from(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`));
    const [sent] = decodeFrames(new Uint8Array(chunks[1]!));
    expect(sent!.masked).toBe(true);
    expect(Buffer.from(sent!.payload).toString()).toBe('queued');
    expect(() => compat.client('http://example.com/')).toThrow('http://example.com/ is not a valid WebSocket URL');
  });

  it('fails-later: a frame header is judged once it is whole (websocket-driver fails on its first bad byte)', () => {
    const bad = clientFrame(3, 'x');
    const ours = serve(compat);
    const theirs = serve(real);
    for (const s of [ours, theirs]) s.driver.parse(Buffer.from(bad.subarray(0, 1)));
    expect(theirs.events.at(-1)).toBe('close 1002 Unrecognized frame opcode: 3');
    expect(ours.events).toEqual(['open']);
    ours.driver.parse(Buffer.from(bad.subarray(1)));
    expect(ours.events.at(-1)).toBe('close 1002 Unrecognized frame opcode: 3');
  });

  it('several-faults-one-header: each side reports the first rule it checks, with the same close code', () => {
    const bad = frame({ opcode: 3, rsv: 0x40, payload: new Uint8Array(0), mask: [1, 2, 3, 4] });
    const ours = serve(compat);
    const theirs = serve(real);
    for (const s of [ours, theirs]) s.driver.parse(Buffer.from(bad));
    expect(ours.events.at(-1)).toBe('close 1002 Unrecognized frame opcode: 3');
    expect(theirs.events.at(-1)).toBe('close 1002 One or more reserved bits are on: reserved1 = 1, reserved2 = 0, reserved3 = 0');
  });

  it('allowDrafts: http() picks the engine\'s hixie-76 driver for a draft request', () => {
    const driver: any = compat.http(
      { method: 'GET', url: '/chat', headers: { host: 'example.com', upgrade: 'WebSocket', connection: 'Upgrade', origin: 'http://example.com', 'sec-websocket-key1': '4 @1  46546xW%0l 1 5', 'sec-websocket-key2': '12998 5 Y3 1  .P00' } },
      { allowDrafts: true },
    );
    expect(driver.version).toBe('hixie-76');
    expect(compat.http(request(), { allowDrafts: true }).version).toBe('hybi-13');
  });

  it('head-bounds: server() refuses a request head past 16 KiB with 431 (websocket-driver buffers it)', () => {
    const driver: any = compat.server();
    const written: string[] = [];
    const events: string[] = [];
    driver.io.on('data', (chunk: Buffer) => written.push(String(chunk)));
    driver.on('close', (e: any) => events.push(`close ${e.code}`));
    driver.parse(Buffer.from(`GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`));
    expect(written[0]).toMatch(/^HTTP\/1\.1 431 /);
    expect(events).toEqual(['close 1009']);
  });

  it('server-state: server() reports the connection state once it has one (websocket-driver stays "connecting")', () => {
    const driver: any = compat.server();
    driver.on('connect', () => driver.start());
    driver.parse(Buffer.from(`GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`));
    expect(driver.url).toBe('/chat');
    expect(driver.version).toBe('hybi-13');
    expect(driver.getState()).toBe('open');
  });

  it('request-checks: a request with no Host is refused (RFC 6455 §4.2.1) after websocket-driver\'s own checks pass', () => {
    const headers = { ...request().headers } as Record<string, string>;
    delete headers['host'];
    const ours: any = compat.http({ method: 'GET', url: '/chat', headers });
    const theirs: any = real.http({ method: 'GET', url: '/chat', headers });
    const written: string[] = [];
    ours.io.on('data', (chunk: Buffer) => written.push(String(chunk)));
    ours.on('error', () => {});
    ours.start();
    theirs.start();
    expect(written[0]).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(ours.getState()).toBe('closed');
    expect(theirs.getState()).toBe('open');
  });

  it('token-lists: Connection and Upgrade are read as token lists in one linear pass', () => {
    expect(compat.isWebSocket(request({ connection: 'keep-alive,\tUpgrade' }))).toBe(true);
    expect(real.isWebSocket(request({ connection: 'keep-alive,\tUpgrade' }))).toBe(false);
    const s = serve(compat, undefined, { upgrade: 'WebSocket', connection: 'Upgrade, HTTP2-Settings' });
    expect(s.events).toEqual(['open']);
  });

  it('inflate-cap: faye permessage-deflate plugged in through addExtension stops inflating at maxLength (1009)', async () => {
    const maxLength = 64 * 1024;
    const driver: any = compat.http(request({ 'sec-websocket-extensions': 'permessage-deflate' }), { maxLength });
    driver.addExtension(deflate);
    const written: Buffer[] = [];
    const events: string[] = [];
    driver.io.on('data', (chunk: Buffer) => written.push(chunk));
    driver.on('message', (e: any) => events.push(`message ${e.data.length}`));
    driver.on('close', (e: any) => events.push(`close ${e.code}`));
    driver.start();
    expect(String(written[0])).toContain('Sec-WebSocket-Extensions: permessage-deflate');
    // 64 MiB of zeros deflates to about 64 KiB: a bomb 1024 times the cap.
    const compressed = zlib.deflateRawSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 });
    const before = process.memoryUsage().arrayBuffers;
    driver.parse(Buffer.from(frame({ opcode: 1, rsv: 0x40, payload: new Uint8Array(compressed), mask: [1, 2, 3, 4] })));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const grown = process.memoryUsage().arrayBuffers - before;
    expect(events).toEqual(['close 1009']);
    // Measured, not counted: far less than the 64 MiB the bomb would inflate to.
    expect(grown).toBeLessThan(16 * 1024 * 1024);
  });

  it('ping-callbacks-bounded: at most 1024 ping payloads wait for their pong', () => {
    const s = serve(compat);
    for (let i = 0; i < 1024; i++) expect(s.driver.ping(String(i), () => {})).toBe(true);
    expect(s.driver.ping('one more', () => {})).toBe(false);
    expect(s.driver.ping('0', () => {})).toBe(true);
  });
});

describe('the engine under the compat layer', () => {
  it('sends one close frame when the peer answers synchronously from inside write()', () => {
    const client: any = compat.client('ws://example.com/');
    const server: any = compat.server();
    server.on('connect', () => server.start());
    client.io.on('data', (chunk: Buffer) => server.io.write(chunk));
    const clientFrames: number[] = [];
    let opened = false;
    server.io.on('data', (chunk: Buffer) => {
      if (opened) clientFrames.push(chunk[0]!);
      opened = true;
      client.io.write(chunk);
    });
    client.io.on('data', (chunk: Buffer) => opened && clientFrames.push(-chunk[0]!));
    client.start();
    client.close('bye', 4000);
    // -0x88: the client's close frame (once), 0x88: the server's answer.
    expect(clientFrames.filter((b) => b === -0x88)).toHaveLength(1);
    expect(server.getState()).toBe('closed');
    expect(client.getState()).toBe('closed');
  });
});
