/**
 * Slow-loris input: a head or a frame trickled in one byte per `parse()`
 * call, for as long as the peer likes. Memory held by the driver (its
 * `retainedBytes`: whole buffers pinned, not process RSS) must stay within
 * the configured limits however long the trickle goes on.
 */
import { describe, expect, it } from 'vitest';
import { Driver } from '../../lib/index.js';
import { clientFrame, latin1Bytes, openClient, openServer, Recorder, requestHeadText, serverFrame, startedClient } from '../helpers/index.js';

/** Feeds `bytes` one byte per call (each a fresh 1-byte array); returns the most retained at any point. */
function trickle(driver: { parse(b: Uint8Array): void; readonly retainedBytes: number }, bytes: Uint8Array): number {
  let peak = 0;
  for (let i = 0; i < bytes.length; i++) {
    driver.parse(bytes.slice(i, i + 1));
    peak = Math.max(peak, driver.retainedBytes);
  }
  return peak;
}

describe('slow-loris: a request head one byte at a time', () => {
  it('holds at most maxHeadSize bytes while the head is incomplete', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket));
    // A head just under the default 16 KiB, never finished.
    const head = latin1Bytes(requestHeadText().slice(0, -2) + `X-Pad: ${'p'.repeat(16_000)}\r\n`);
    const peak = trickle(driver, head);
    expect(driver.readyState).toBe(0);
    expect(peak).toBeGreaterThan(16_000);
    expect(peak).toBeLessThanOrEqual(16 * 1024);
  });

  it('stops at maxHeadSize with HTTP_HEAD_TOO_LARGE and a 431, then holds nothing', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket, { maxHeadSize: 1024 }));
    const peak = trickle(driver, latin1Bytes(`GET / HTTP/1.1\r\nX-Pad: ${'p'.repeat(5000)}`));
    expect(peak).toBeLessThanOrEqual(1024);
    expect(driver.retainedBytes).toBe(0);
    expect(rec.of('error').map((e) => [e.code, e.closeCode])).toEqual([['HTTP_HEAD_TOO_LARGE', 1009]]);
    expect(rec.takeHead().status).toBe(431);
  });
});

describe('slow-loris: a response head one byte at a time', () => {
  it('holds at most maxHeadSize bytes, then fails the handshake', () => {
    const { driver, rec } = startedClient({ maxHeadSize: 2048 });
    const peak = trickle(driver, latin1Bytes(`HTTP/1.1 101 Switching Protocols\r\nX-Pad: ${'p'.repeat(4000)}`));
    expect(peak).toBeLessThanOrEqual(2048);
    expect(rec.of('error').map((e) => e.code)).toEqual(['HTTP_HEAD_TOO_LARGE']);
  });
});

describe('slow-loris: input before start() one byte at a time', () => {
  it('holds about twice what arrived, not a small array per byte', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket, { maxLength: 256 * 1024 }));
    let connected = false;
    driver.on('connect', () => (connected = true));
    driver.parse(latin1Bytes(requestHeadText()));
    expect(connected).toBe(true);
    // The application has not called start() yet (say, it checks a cookie).
    const frames = clientFrame(0x2, new Uint8Array(200_000).fill(7));
    const peak = trickle(driver, frames);
    expect(peak).toBeLessThanOrEqual(2 * frames.length + 64 * 1024 + 1024 * 1024);
    expect(peak).toBeLessThan(4 * frames.length);
    driver.start();
    expect(rec.messages.map((m) => (m as Uint8Array).length)).toEqual([200_000]);
  });
});

describe('slow-loris: a frame one byte at a time', () => {
  for (const side of ['server', 'client'] as const) {
    it(`${side}: a 256 KiB binary frame held in about twice its size, delivered once and whole`, () => {
      const size = 256 * 1024;
      const payload = new Uint8Array(size).map((_, i) => i * 31);
      const { driver, rec } = side === 'server' ? openServer({ maxLength: size }) : openClient({ maxLength: size });
      const bytes = side === 'server' ? clientFrame(0x2, payload) : serverFrame(0x2, payload);
      const peak = trickle(driver, bytes);
      expect(peak).toBeLessThanOrEqual(2 * size + 64 * 1024 + 1024 * 1024);
      expect(rec.messages).toHaveLength(1);
      expect(rec.messages[0]).toEqual(payload);
      expect(driver.retainedBytes).toBe(0);
    });
  }

  it('a frame header trickled forever holds nothing: the length is checked before any payload', () => {
    const { driver, rec } = openServer({ maxLength: 1000 });
    // Header of a frame declaring 2^40 bytes: refused at its last header byte.
    const header = Uint8Array.of(0x82, 0xff, 0, 0, 1, 0, 0, 0, 0, 0, 1, 2, 3, 4);
    const peak = trickle(driver, header);
    expect(peak).toBe(0);
    expect(rec.of('error').map((e) => [e.code, e.closeCode])).toEqual([['MESSAGE_TOO_LONG', 1009]]);
  });
});
