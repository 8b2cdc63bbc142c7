import { describe, expect, it } from 'vitest';
import { Driver } from '../../lib/index.js';
import '../../lib/drafts/index.js';
import { latin1Bytes } from '../helpers/http.js';
import { BASIC_CHUNKINGS, clientFrame, concat, decodeFrames, feed, Op, Recorder, requestHead } from '../helpers/index.js';
import { QUEUED_ENTRY_OVERHEAD } from '../../lib/options.js';

const hixie75Request =
  'GET /demo HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade\r\nUpgrade: WebSocket\r\nOrigin: http://example.com\r\n\r\n';

describe('Driver.server: headers set before the request arrives', () => {
  it('reports a header the chosen draft driver refuses after set-up, leaving a working driver', () => {
    const written: Uint8Array[] = [];
    const driver = Driver.server({ write: (bytes) => written.push(bytes) }, { allowDrafts: true });
    // Accepted by the generic check, refused by the hixie-75 driver, which sets it itself.
    driver.setHeader('WebSocket-Origin', 'http://evil.example');
    let connected = 0;
    driver.on('connect', () => connected++);
    expect(() => driver.parse(latin1Bytes(hixie75Request))).toThrow(TypeError);
    // The request was still taken in: the driver behind it exists and works.
    expect(connected).toBe(1);
    expect(driver.version).toBe('hixie-75');
    expect(driver.start()).toBe(true);
    expect(driver.readyState).toBe(1);
    const head = new TextDecoder().decode(written[0]);
    expect(head).toContain('WebSocket-Origin: http://example.com');
    expect(head).not.toContain('evil');
  });
});

describe('Driver.server: frames in the same chunk as the request head', () => {
  const maxLength = 1000;
  // Four 500-byte messages: twice maxLength, each one within it.
  const payloads = [0, 1, 2, 3].map((n) => new Uint8Array(500).fill(n));
  const chunk = () => concat(requestHead(), ...payloads.map((p) => clientFrame(Op.BINARY, p)));

  it.each(BASIC_CHUNKINGS)('are read as frames when start() is called from connect (fed %s)', (chunking) => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket, { maxLength }));
    driver.on('connect', () => driver.start());
    feed(driver, chunk(), chunking);
    expect(rec.of('error')).toEqual([]);
    expect(rec.messages).toEqual(payloads);
    expect(driver.readyState).toBe(1);
  });

  it('count toward the limit on input before start() when connect does not start', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket, { maxLength }));
    driver.parse(chunk());
    expect(rec.of('error').map((e) => [e.code, e.closeCode])).toEqual([['INPUT_BEFORE_START_TOO_LARGE', 1009]]);
  });

  it('leave the limit in force for input that arrives after connect without start()', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket, { maxLength }));
    driver.parse(requestHead());
    expect(rec.types).toEqual(['connect']);
    driver.parse(clientFrame(Op.BINARY, payloads[0]!));
    expect(rec.of('error')).toEqual([]);
    driver.parse(clientFrame(Op.BINARY, payloads[1]!));
    expect(rec.of('error').map((e) => [e.code, e.closeCode])).toEqual([['INPUT_BEFORE_START_TOO_LARGE', 1009]]);
  });

  it('keep their place ahead of input a connect listener passes to parse()', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket, { maxLength }));
    driver.on('connect', () => {
      driver.parse(clientFrame(Op.TEXT, 'from the listener'));
      driver.start();
    });
    driver.parse(concat(requestHead(), clientFrame(Op.TEXT, 'with the head')));
    expect(rec.messages).toEqual(['with the head', 'from the listener']);
  });
});

describe('Driver.server before the request arrives: one driver, one queue', () => {
  it('checks arguments as every driver does, and queues within maxQueuedBytes for the protocol driver', () => {
    const rec = new Recorder();
    // Room for 10 bytes in two messages, each also counting its entry's overhead.
    const driver = rec.attach(Driver.server(rec.socket, { maxQueuedBytes: 10 + 2 * QUEUED_ENTRY_OVERHEAD }));
    expect(() => driver.text(5 as never)).toThrow(TypeError);
    expect(() => driver.ping(new Uint8Array(126))).toThrow(RangeError);
    expect(() => driver.close(1005)).toThrow(RangeError);
    expect(driver.text('12345')).toBe(true);
    expect(driver.binary(Uint8Array.of(1, 2, 3, 4, 5))).toBe(true);
    // The queue is full: the protocol driver takes it over with its budget spent.
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

describe('Driver.server: a malformed request', () => {
  it("is answered with 400 only: an error listener's close() returns false and writes nothing more", () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket));
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
