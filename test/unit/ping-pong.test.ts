// RFC 6455 §5.5.2-5.5.3: pings and pongs, autoPong, and ping callbacks.
import { describe, expect, it } from 'vitest';
import { BASIC_CHUNKINGS, bytesOf, concat, feed, Op, ROLES, type Role } from '../helpers/index.js';

describe.each(ROLES)('$name ping and pong', (role: Role) => {
  describe.each(BASIC_CHUNKINGS)('fed %s', (chunking) => {
    it('answers a ping with a pong carrying the same payload, and emits ping (autoPong on by default)', () => {
      const { driver, rec } = role.open();
      feed(driver, role.peerFrame(Op.PING, Uint8Array.of(0, 1, 2, 255)), chunking);
      expect(rec.of('ping')).toEqual([{ type: 'ping', data: Uint8Array.of(0, 1, 2, 255) }]);
      const frames = rec.takeFrames();
      expect(frames).toHaveLength(1);
      expect(frames[0]).toMatchObject({ opcode: Op.PONG, fin: true, masked: role.masks });
      expect(frames[0]!.payload).toEqual(Uint8Array.of(0, 1, 2, 255));
    });

    it('answers an empty ping with an empty pong', () => {
      const { driver, rec } = role.open();
      feed(driver, role.peerFrame(Op.PING), chunking);
      expect(rec.takeFrames().map((f) => [f.opcode, f.payload.length])).toEqual([[Op.PONG, 0]]);
    });

    it('answers each of several pings in order', () => {
      const { driver, rec } = role.open();
      feed(driver, concat(role.peerFrame(Op.PING, 'a'), role.peerFrame(Op.PING, 'b')), chunking);
      expect(rec.takeFrames().map((f) => new TextDecoder().decode(f.payload))).toEqual(['a', 'b']);
    });

    it('with autoPong off, emits ping and sends nothing; pong() answers by hand', () => {
      const { driver, rec } = role.open({ autoPong: false });
      feed(driver, role.peerFrame(Op.PING, 'hi'), chunking);
      expect(rec.of('ping')).toHaveLength(1);
      expect(rec.take().length).toBe(0);
      expect(driver.pong('hi')).toBe(true);
      const frames = rec.takeFrames();
      expect(frames.map((f) => f.opcode)).toEqual([Op.PONG]);
      expect(frames[0]!.payload).toEqual(bytesOf('hi'));
    });

    it('emits pong for an unsolicited pong and sends nothing', () => {
      const { driver, rec } = role.open();
      feed(driver, role.peerFrame(Op.PONG, 'beat'), chunking);
      expect(rec.of('pong')).toEqual([{ type: 'pong', data: bytesOf('beat') }]);
      expect(rec.take().length).toBe(0);
    });

    it('runs a ping callback when the pong with the same payload arrives, once', () => {
      const { driver, rec } = role.open();
      const calls: string[] = [];
      expect(driver.ping('one', () => calls.push('one'))).toBe(true);
      expect(driver.ping('two', () => calls.push('two'))).toBe(true);
      const sent = rec.takeFrames();
      expect(sent.map((f) => [f.opcode, new TextDecoder().decode(f.payload)])).toEqual([
        [Op.PING, 'one'],
        [Op.PING, 'two'],
      ]);
      feed(driver, role.peerFrame(Op.PONG, 'other'), chunking);
      expect(calls).toEqual([]);
      feed(driver, role.peerFrame(Op.PONG, 'two'), chunking);
      expect(calls).toEqual(['two']);
      feed(driver, role.peerFrame(Op.PONG, 'two'), chunking);
      feed(driver, role.peerFrame(Op.PONG, 'one'), chunking);
      expect(calls).toEqual(['two', 'one']);
      expect(rec.of('pong')).toHaveLength(4);
    });

    it('matches callbacks by payload bytes, whether given as a string or bytes', () => {
      const { driver } = role.open();
      let called = 0;
      driver.ping(Uint8Array.of(0xe2, 0x82, 0xac), () => called++);
      feed(driver, role.peerFrame(Op.PONG, '€'), chunking);
      expect(called).toBe(1);
    });

    it('runs every callback waiting on the same payload when one pong arrives (§5.5.3)', () => {
      const { driver } = role.open();
      let called = 0;
      driver.ping('same', () => called++);
      driver.ping('same', () => called++);
      feed(driver, role.peerFrame(Op.PONG, 'same'), chunking);
      expect(called).toBe(2);
    });

    it('drops waiting callbacks when the connection closes', () => {
      const { driver } = role.open();
      let called = 0;
      driver.ping('p', () => called++);
      driver.transportClosed();
      feed(driver, role.peerFrame(Op.PONG, 'p'), chunking);
      expect(called).toBe(0);
    });
  });

  it('ping() with no payload sends an empty ping', () => {
    const { driver, rec } = role.open();
    expect(driver.ping()).toBe(true);
    expect(rec.takeFrames().map((f) => [f.opcode, f.payload.length])).toEqual([[Op.PING, 0]]);
  });

  it('ping() and pong() take up to 125 bytes and throw a RangeError past it', () => {
    const { driver, rec } = role.open();
    expect(driver.ping('x'.repeat(125))).toBe(true);
    expect(() => driver.ping('x'.repeat(126))).toThrow(RangeError);
    expect(() => driver.pong(new Uint8Array(126))).toThrow(RangeError);
    expect(() => driver.ping('€'.repeat(42))).toThrow(RangeError);
    expect(rec.takeFrames()).toHaveLength(1);
  });

  it('maxPendingPings bounds the callbacks waiting; ping() with a callback past it returns false and sends nothing', () => {
    const { driver, rec } = role.open({ maxPendingPings: 2 });
    expect(driver.ping('1', () => {})).toBe(true);
    expect(driver.ping('2', () => {})).toBe(true);
    expect(driver.ping('3', () => {})).toBe(false);
    // A ping without a callback holds nothing and is still sent.
    expect(driver.ping('4')).toBe(true);
    expect(rec.takeFrames().map((f) => new TextDecoder().decode(f.payload))).toEqual(['1', '2', '4']);
    feed(driver, role.peerFrame(Op.PONG, '1'));
    expect(driver.ping('5', () => {})).toBe(true);
  });
});
