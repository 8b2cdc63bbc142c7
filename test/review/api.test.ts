// One API across the drivers: reject() on every server driver, the
// reader's callbacks kept off the public surface.
import { describe, expect, it } from 'vitest';
import { Driver } from '../../lib/index.js';
import { DRAFT76_EXAMPLE, draftServer } from '../drafts/draft-helpers.js';
import { latin1Bytes, openRackServer, openServer, Recorder, requestHead, requestHeadText, rackEnvOf } from '../helpers/index.js';

describe('reject()', () => {
  it('hixie-76: after start(), while key3 is awaited, returns false and writes nothing after the 101 head', () => {
    const { driver, rec } = draftServer(DRAFT76_EXAMPLE.head);
    expect(driver.start()).toBe(true);
    expect(driver.readyState).toBe(0);
    rec.take();
    expect(driver.reject(403)).toBe(false);
    expect(rec.take()).toHaveLength(0);
    driver.parse(latin1Bytes(DRAFT76_EXAMPLE.key3));
    expect(driver.readyState).toBe(1);
  });

  it.each([
    ['Driver.server', () => openServer().driver],
    ['Driver.rack', () => openRackServer().driver],
  ])('%s: after the handshake returns false', (_name, open) => {
    const driver = open();
    expect(driver.reject(403)).toBe(false);
    expect(driver.readyState).toBe(1);
  });

  it('Driver.rack: before start() sends the status and closes with 1006', () => {
    const rec = new Recorder({ env: rackEnvOf(requestHeadText()) });
    const driver = rec.attach(Driver.rack(rec.socket));
    expect(driver.reject(403, 'no')).toBe(true);
    expect(new TextDecoder().decode(rec.take())).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
    expect(rec.of('close')).toEqual([{ type: 'close', code: 1006, reason: 'no', wasClean: false }]);
    expect(driver.start()).toBe(false);
  });

  it('throws a RangeError for a status that is not 4xx or 5xx, on every server driver', () => {
    const rec = new Recorder();
    const server = Driver.server(rec.socket);
    server.parse(requestHead());
    expect(() => server.reject(200)).toThrow(RangeError);
    const { driver } = draftServer(DRAFT76_EXAMPLE.head);
    expect(() => driver.reject(302)).toThrow(RangeError);
  });
});

describe('the RFC 6455 drivers', () => {
  it('do not expose the frame reader callbacks as public methods', () => {
    const { driver } = openRackServer();
    for (const name of ['onMessage', 'onControl', 'onReadError']) {
      expect((driver as unknown as Record<string, unknown>)[name]).toBeUndefined();
    }
  });
});

describe('Driver.server before a request has arrived', () => {
  it('close() ends it once, with the given code, writing nothing', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket));
    expect(driver.close(4001, 'bye')).toBe(true);
    expect(driver.close()).toBe(false);
    driver.transportClosed();
    expect(rec.of('close')).toEqual([{ type: 'close', code: 4001, reason: 'bye', wasClean: false }]);
    expect(rec.written).toHaveLength(0);
    expect(driver.readyState).toBe(3);
  });

  it('a malformed request emits error then close once, even if an error listener calls close()', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket));
    driver.on('error', () => driver.close());
    driver.parse(new TextEncoder().encode('GET / HTTP/1.1\r\nBad Header: x\r\n\r\n'));
    expect(rec.types).toEqual(['error', 'close']);
    expect(new TextDecoder().decode(rec.written)).toMatch(/^HTTP\/1\.1 400 /);
  });
});
