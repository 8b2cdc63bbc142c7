import { describe, expect, it } from 'vitest';
import { deadlineKeeper, Driver, type DriverOptions } from '../../lib/index.js';
import '../../lib/drafts/index.js';
import { latin1Bytes } from '../helpers/http.js';
import { BASIC_CHUNKINGS, clientFrame, concat, decodeFrames, feed, Op, Recorder, requestHead } from '../helpers/index.js';
import { QUEUED_ENTRY_OVERHEAD } from '../../lib/options.js';

// Driver.server makes the RFC 6455 driver, which reads the head as its
// first stage; with allowDrafts, the same driver able to take on a hixie
// draft's protocol part once the head names one. Before and at `connect`
// they behave alike.
const SERVER_KINDS: ReadonlyArray<readonly [string, DriverOptions]> = [
  ['RFC 6455 only', {}],
  ['with allowDrafts', { allowDrafts: true }],
];

const hixie75Request =
  'GET /demo HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade\r\nUpgrade: WebSocket\r\nOrigin: http://example.com\r\n\r\n';

describe('Driver.server: headers set before the request arrives', () => {
  it('reports a header the draft named by the request refuses once the head is in, leaving a working driver', () => {
    const written: Uint8Array[] = [];
    const driver = Driver.server({ write: (bytes) => written.push(bytes) }, { allowDrafts: true });
    // Accepted by the generic check, refused by hixie-75, which sets it itself.
    driver.setHeader('WebSocket-Origin', 'http://evil.example');
    let connected = 0;
    driver.on('connect', () => connected++);
    expect(() => driver.parse(latin1Bytes(hixie75Request))).toThrow(TypeError);
    // The request was still taken in: the driver speaks hixie-75 and works.
    expect(connected).toBe(1);
    expect(driver.version).toBe('hixie-75');
    expect(driver.start()).toBe(true);
    expect(driver.readyState).toBe(1);
    const head = new TextDecoder().decode(written[0]);
    expect(head).toContain('WebSocket-Origin: http://example.com');
    expect(head).not.toContain('evil');
  });
});

describe.each(SERVER_KINDS)('Driver.server: frames in the same chunk as the request head (%s)', (_kind, kindOptions) => {
  const maxLength = 1000;
  // Four 500-byte messages: twice maxLength, each one within it.
  const payloads = [0, 1, 2, 3].map((n) => new Uint8Array(500).fill(n));
  const chunk = () => concat(requestHead(), ...payloads.map((p) => clientFrame(Op.BINARY, p)));

  it.each(BASIC_CHUNKINGS)('are read as frames when start() is called from connect (fed %s)', (chunking) => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket, { ...kindOptions, maxLength }));
    driver.on('connect', () => driver.start());
    feed(driver, chunk(), chunking);
    expect(rec.of('error')).toEqual([]);
    expect(rec.messages).toEqual(payloads);
    expect(driver.readyState).toBe(1);
  });

  it('count toward the limit on input before start() when connect does not start', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket, { ...kindOptions, maxLength }));
    driver.parse(chunk());
    expect(rec.of('error').map((e) => [e.code, e.closeCode])).toEqual([['INPUT_BEFORE_START_TOO_LARGE', 1009]]);
  });

  it('leave the limit in force for input that arrives after connect without start()', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket, { ...kindOptions, maxLength }));
    driver.parse(requestHead());
    expect(rec.types).toEqual(['connect']);
    driver.parse(clientFrame(Op.BINARY, payloads[0]!));
    expect(rec.of('error')).toEqual([]);
    driver.parse(clientFrame(Op.BINARY, payloads[1]!));
    expect(rec.of('error').map((e) => [e.code, e.closeCode])).toEqual([['INPUT_BEFORE_START_TOO_LARGE', 1009]]);
  });

  it('keep their place ahead of input a connect listener passes to parse()', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket, { ...kindOptions, maxLength }));
    driver.on('connect', () => {
      driver.parse(clientFrame(Op.TEXT, 'from the listener'));
      driver.start();
    });
    driver.parse(concat(requestHead(), clientFrame(Op.TEXT, 'with the head')));
    expect(rec.messages).toEqual(['with the head', 'from the listener']);
  });
});

describe.each(SERVER_KINDS)('Driver.server before the request arrives: one driver, one queue (%s)', (_kind, kindOptions) => {
  it('checks arguments as every driver does, and queues within maxQueuedBytes until open', () => {
    const rec = new Recorder();
    // Room for 10 bytes in two messages, each also counting its entry's overhead.
    const driver = rec.attach(Driver.server(rec.socket, { ...kindOptions, maxQueuedBytes: 10 + 2 * QUEUED_ENTRY_OVERHEAD }));
    expect(() => driver.text(5 as never)).toThrow(TypeError);
    expect(() => driver.ping(new Uint8Array(126))).toThrow(RangeError);
    expect(() => driver.close(1005)).toThrow(RangeError);
    expect(driver.text('12345')).toBe(true);
    expect(driver.binary(Uint8Array.of(1, 2, 3, 4, 5))).toBe(true);
    // The queue is full, and stays so once the request is in: one queue, one budget.
    expect(driver.text('x')).toBe(false);
    driver.on('connect', () => {
      expect(driver.text('x')).toBe(false);
      driver.start();
    });
    driver.parse(requestHead());
    const written = rec.take();
    const headEnd = new TextDecoder('latin1').decode(written).indexOf('\r\n\r\n') + 4;
    const frames = decodeFrames(written.subarray(headEnd)).map((f) => [f.opcode, f.payload.length]);
    expect(frames).toEqual([
      [Op.TEXT, 5],
      [Op.BINARY, 5],
    ]);
    expect(driver.text('now open')).toBe(true);
  });
});

describe.each(SERVER_KINDS)('Driver.server: a malformed request (%s)', (_kind, kindOptions) => {
  it("is answered with 400 only: an error listener's close() returns false and writes nothing more", () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket, kindOptions));
    const returned: Array<{ closed: boolean; readyState: number }> = [];
    driver.on('error', () => returned.push({ closed: driver.close(1000), readyState: driver.readyState }));
    driver.parse(latin1Bytes('GET / HTTP/1.1\r\nHost example.com\r\n\r\n'));
    expect(returned).toEqual([{ closed: false, readyState: 2 }]);
    const written = new TextDecoder().decode(rec.written);
    expect(written).toMatch(/^HTTP\/1\.1 400 /);
    expect(written.match(/HTTP\/1\.1/g)).toHaveLength(1);
    expect(rec.of('close')).toEqual([expect.objectContaining({ code: 1002, wasClean: false })]);
  });
});

describe.each(SERVER_KINDS)('Driver.server: the request head is its first stage (%s)', (_kind, kindOptions) => {
  it('knows no request until connect: no version, env, url or headers; start() and reject() return false and do nothing', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket, kindOptions));
    // Typed as a server whichever driver it is (npm run typecheck checks the annotation).
    const role: 'server' = driver.role;
    expect(role).toBe('server');
    expect([driver.version, driver.env, driver.url, driver.headers, driver.protocol]).toEqual(['', null, null, null, null]);
    expect(driver.start()).toBe(false);
    expect(driver.reject(503)).toBe(false);
    expect(rec.written.length).toBe(0);
    const seen: Array<[string, string | undefined]> = [];
    driver.on('connect', () => seen.push([driver.version, driver.headers?.['sec-websocket-key']]));
    driver.parse(requestHead({ target: '/chat?room=1' }));
    expect(seen).toEqual([['hybi-13', 'dGhlIHNhbXBsZSBub25jZQ==']]);
    expect(driver.env?.['PATH_INFO']).toBe('/chat');
    expect(driver.url).toBe('ws://example.com/chat?room=1');
    expect(driver.readyState).toBe(0);
    expect(driver.start()).toBe(true);
    expect(driver.readyState).toBe(1);
  });

  it('holds a partial head as retainedBytes, then none once it is read', () => {
    const driver = Driver.server({ write: () => {} }, kindOptions);
    const head = requestHead();
    driver.parse(head.subarray(0, 40));
    expect(driver.retainedBytes).toBeGreaterThanOrEqual(40);
    driver.parse(head.subarray(40));
    driver.start();
    expect(driver.retainedBytes).toBe(0);
  });

  it('paused before the request, holds the head unread; resume() reads it and connect fires', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket, kindOptions));
    driver.pause();
    driver.parse(requestHead());
    expect(rec.types).toEqual(['pause']);
    expect(driver.isPaused).toBe(true);
    driver.on('connect', () => driver.start());
    driver.resume();
    expect(rec.types).toEqual(['pause', 'connect', 'open', 'resume']);
    expect(driver.isPaused).toBe(false);
  });

  it('keeps its handshake deadline through the head: a connection started in time opens, one left unstarted is answered 408 on the same clock', () => {
    const keeper = () => deadlineKeeper({ handshakeTimeout: 1000 });
    const started = new Recorder();
    const late = new Recorder();
    const a = started.attach(Driver.server(started.socket, kindOptions));
    const b = late.attach(Driver.server(late.socket, kindOptions));
    a.useDeadlines(keeper(), 0);
    b.useDeadlines(keeper(), 0);
    a.on('connect', () => a.start());
    a.parse(requestHead());
    b.parse(requestHead());
    // Counted from useDeadlines(), not from when the head came in.
    expect(b.deadline).toBe(1000);
    a.tick(1000);
    b.tick(1000);
    expect(a.readyState).toBe(1);
    expect(new TextDecoder().decode(late.written)).toMatch(/^HTTP\/1\.1 408 /);
    expect(late.of('close')).toEqual([expect.objectContaining({ code: 1006 })]);
  });

  it('takes extensions and headers added before the request into the handshake', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket, kindOptions));
    driver.setHeader('X-Stage', 'head');
    expect(() => driver.setHeader('Bad Name', 'x')).toThrow(TypeError);
    driver.on('connect', () => driver.start());
    driver.parse(requestHead());
    const response = new TextDecoder().decode(rec.written);
    expect(response).toMatch(/^HTTP\/1\.1 101 /);
    expect(response).toContain('X-Stage: head');
    expect(() => driver.setHeader('X-Late', '1')).toThrow(Error);
  });
});
