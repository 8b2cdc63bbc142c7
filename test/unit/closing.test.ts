// RFC 6455 §5.5.1 and §7: the closing handshake and close codes, for the
// server and the client, fed whole and byte by byte.
import { describe, expect, it } from 'vitest';
import {
  BASIC_CHUNKINGS,
  bytesOf,
  closePayload,
  concat,
  feed,
  Op,
  readClosePayload,
  ROLES,
  type Role,
} from '../helpers/index.js';

const VALID_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999];
const INVALID_CODES = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535];

describe.each(ROLES)('$name closing handshake (§7)', (role: Role) => {
  describe.each(BASIC_CHUNKINGS)('fed %s', (chunking) => {
    describe('a close frame from the peer, while open', () => {
      it.each(VALID_CODES)('with code %i is reported cleanly and answered with the same code', (code) => {
        const { driver, rec } = role.open();
        feed(driver, role.peerFrame(Op.CLOSE, closePayload(code, 'see you')), chunking);
        expect(rec.types).toEqual(['close']);
        expect(rec.of('close')[0]).toEqual({ type: 'close', code, reason: 'see you', wasClean: true });
        const frames = rec.takeFrames();
        expect(frames).toHaveLength(1);
        expect(frames[0]).toMatchObject({ opcode: Op.CLOSE, masked: role.masks });
        expect(readClosePayload(frames[0]!.payload).code).toBe(code);
        expect(driver.readyState).toBe(3);
      });

      it.each(INVALID_CODES)('with code %i fails the connection with 1002', (code) => {
        const { driver, rec } = role.open();
        feed(driver, role.peerFrame(Op.CLOSE, closePayload(code)), chunking);
        expect(rec.of('error')).toEqual([expect.objectContaining({ code: 'INVALID_CLOSE_CODE', closeCode: 1002 })]);
        expect(rec.of('close')).toEqual([expect.objectContaining({ code: 1002, wasClean: false })]);
        const frames = rec.takeFrames();
        expect(frames.map((f) => readClosePayload(f.payload).code)).toEqual([1002]);
        expect(driver.readyState).toBe(3);
      });

      it('with no payload is reported as 1005 and answered with an empty close (websocket-driver reports 1000)', () => {
        const { driver, rec } = role.open();
        feed(driver, role.peerFrame(Op.CLOSE), chunking);
        expect(rec.of('close')).toEqual([{ type: 'close', code: 1005, reason: '', wasClean: true }]);
        const frames = rec.takeFrames();
        expect(frames.map((f) => [f.opcode, f.payload.length])).toEqual([[Op.CLOSE, 0]]);
        expect(driver.readyState).toBe(3);
      });

      it('with a 1-byte payload fails the connection with 1002', () => {
        const { driver, rec } = role.open();
        feed(driver, role.peerFrame(Op.CLOSE, Uint8Array.of(0x03)), chunking);
        expect(rec.of('error')).toEqual([expect.objectContaining({ code: 'INVALID_CLOSE_PAYLOAD', closeCode: 1002 })]);
        expect(rec.takeFrames().map((f) => readClosePayload(f.payload).code)).toEqual([1002]);
        expect(driver.readyState).toBe(3);
      });

      it('with a reason that is not UTF-8 fails the connection with 1007 (websocket-driver uses 1002)', () => {
        const { driver, rec } = role.open();
        feed(driver, role.peerFrame(Op.CLOSE, closePayload(1000, Uint8Array.of(0x61, 0xff))), chunking);
        expect(rec.of('error')).toEqual([expect.objectContaining({ code: 'INVALID_CLOSE_REASON', closeCode: 1007 })]);
        expect(rec.of('close')).toEqual([expect.objectContaining({ code: 1007, wasClean: false })]);
        expect(rec.takeFrames().map((f) => readClosePayload(f.payload).code)).toEqual([1007]);
      });

      it('with a reason of 123 bytes of multi-byte UTF-8 is reported whole', () => {
        const { driver, rec } = role.open();
        const reason = '€'.repeat(41);
        expect(bytesOf(reason)).toHaveLength(123);
        feed(driver, role.peerFrame(Op.CLOSE, closePayload(4001, reason)), chunking);
        expect(rec.of('close')[0]).toMatchObject({ code: 4001, reason });
      });

      it('ends reading: frames after it are ignored', () => {
        const { driver, rec } = role.open();
        feed(driver, concat(role.peerFrame(Op.CLOSE, closePayload(1000)), role.peerFrame(Op.TEXT, 'late'), role.peerFrame(Op.PING)), chunking);
        expect(rec.types).toEqual(['close']);
        expect(rec.takeFrames()).toHaveLength(1);
      });

      it('arriving inside a fragmented message still closes cleanly, dropping the partial message', () => {
        const { driver, rec } = role.open();
        feed(driver, concat(role.peerFrame(Op.TEXT, 'part', { fin: false }), role.peerFrame(Op.CLOSE, closePayload(1001))), chunking);
        expect(rec.types).toEqual(['close']);
        expect(rec.of('close')[0]).toMatchObject({ code: 1001, wasClean: true });
      });

      it('is followed by nothing: sending afterwards returns false and writes nothing', () => {
        const { driver, rec } = role.open();
        feed(driver, role.peerFrame(Op.CLOSE, closePayload(1000)), chunking);
        rec.take();
        expect(driver.text('x')).toBe(false);
        expect(driver.binary(Uint8Array.of(1))).toBe(false);
        expect(driver.ping()).toBe(false);
        expect(driver.pong()).toBe(false);
        expect(driver.close()).toBe(false);
        expect(rec.take().length).toBe(0);
      });
    });

    describe('after a local close()', () => {
      it('sends one close frame, waits in CLOSING, and finishes cleanly on the peer’s close', () => {
        const { driver, rec } = role.open();
        expect(driver.close(4000, 'done')).toBe(true);
        expect(driver.readyState).toBe(2);
        expect(rec.events).toEqual([]);
        const frames = rec.takeFrames();
        expect(frames).toHaveLength(1);
        expect(readClosePayload(frames[0]!.payload)).toEqual({ code: 4000, reason: 'done' });
        feed(driver, role.peerFrame(Op.CLOSE, closePayload(4000, 'ok')), chunking);
        expect(rec.types).toEqual(['close']);
        expect(rec.of('close')[0]).toEqual({ type: 'close', code: 4000, reason: 'ok', wasClean: true });
        // The close was already sent: it is not sent again.
        expect(rec.take().length).toBe(0);
        expect(driver.readyState).toBe(3);
      });

      it('reports the code the peer sent, not the one this side sent', () => {
        const { driver, rec } = role.open();
        driver.close(1001, '');
        feed(driver, role.peerFrame(Op.CLOSE), chunking);
        expect(rec.of('close')[0]).toMatchObject({ code: 1005, wasClean: true });
      });

      it('still delivers data, pings and pongs that arrive before the peer’s close, but answers nothing', () => {
        const { driver, rec } = role.open();
        driver.close();
        rec.take();
        feed(
          driver,
          concat(
            role.peerFrame(Op.TEXT, 'in flight'),
            role.peerFrame(Op.BINARY, Uint8Array.of(1, 2), { fin: false }),
            role.peerFrame(Op.CONTINUATION, Uint8Array.of(3)),
            role.peerFrame(Op.PING, 'p'),
            role.peerFrame(Op.PONG, 'q'),
          ),
          chunking,
        );
        expect(rec.types).toEqual(['message', 'message', 'ping', 'pong']);
        expect(rec.messages).toEqual(['in flight', Uint8Array.of(1, 2, 3)]);
        expect(rec.take().length).toBe(0);
        expect(driver.readyState).toBe(2);
        feed(driver, role.peerFrame(Op.CLOSE, closePayload(1000)), chunking);
        expect(rec.types.at(-1)).toBe('close');
      });

      it('still reports a protocol error from the peer, without a second close frame', () => {
        const { driver, rec } = role.open();
        driver.close();
        rec.take();
        feed(driver, role.peerFrame(Op.TEXT, Uint8Array.of(0xff)), chunking);
        expect(rec.types).toEqual(['error', 'close']);
        expect(rec.of('error')[0]).toMatchObject({ code: 'INVALID_UTF8', closeCode: 1007 });
        expect(rec.of('close')[0]).toMatchObject({ code: 1007, wasClean: false });
        expect(rec.take().length).toBe(0);
      });

      it('still reports an invalid close code from the peer', () => {
        const { driver, rec } = role.open();
        driver.close();
        rec.take();
        feed(driver, role.peerFrame(Op.CLOSE, closePayload(1005)), chunking);
        expect(rec.types).toEqual(['error', 'close']);
        expect(rec.take().length).toBe(0);
      });

      it('sends nothing more: text(), binary(), ping(), pong() and close() return false', () => {
        const { driver, rec } = role.open();
        driver.close();
        rec.take();
        expect(driver.text('x')).toBe(false);
        expect(driver.binary(Uint8Array.of(1))).toBe(false);
        expect(driver.ping('p', () => {})).toBe(false);
        expect(driver.pong()).toBe(false);
        expect(driver.close(1000, 'again')).toBe(false);
        expect(rec.take().length).toBe(0);
      });
    });
  });

  describe('close() arguments', () => {
    it('defaults to code 1000 and an empty reason', () => {
      const { driver, rec } = role.open();
      driver.close();
      expect(readClosePayload(rec.takeFrames()[0]!.payload)).toEqual({ code: 1000, reason: '' });
    });

    it.each([1005, 1006, 1015, 1004, 999, 2999, 5000, 1000.5, NaN])('throws a RangeError for code %s, and stays open', (code) => {
      const { driver, rec } = role.open();
      expect(() => driver.close(code, '')).toThrow(RangeError);
      expect(driver.readyState).toBe(1);
      expect(rec.take().length).toBe(0);
      expect(rec.events).toEqual([]);
    });

    it('throws a RangeError for a reason over 123 bytes of UTF-8, and accepts exactly 123', () => {
      const { driver, rec } = role.open();
      expect(() => driver.close(1000, '€'.repeat(42))).toThrow(RangeError);
      expect(driver.readyState).toBe(1);
      expect(driver.close(1000, '€'.repeat(41))).toBe(true);
      expect(readClosePayload(rec.takeFrames()[0]!.payload).reason).toBe('€'.repeat(41));
    });

    it("names the (code, reason) order when called in websocket-driver's (reason, code) order, and stays open", () => {
      const { driver, rec } = role.open();
      const swapped = driver.close as unknown as (reason: string, code: number) => boolean;
      expect(() => swapped.call(driver, 'bye', 1000)).toThrow(/close\(\) takes \(code, reason\), code first: got close\("bye", 1000\)/);
      expect(() => swapped.call(driver, 'bye', undefined as unknown as number)).toThrow(TypeError);
      expect(driver.readyState).toBe(1);
      expect(rec.take().length).toBe(0);
    });
  });

  describe('transportClosed()', () => {
    it('while open: close with 1006, not clean, and nothing written', () => {
      const { driver, rec } = role.open();
      driver.transportClosed();
      expect(rec.of('close')).toEqual([{ type: 'close', code: 1006, reason: '', wasClean: false }]);
      expect(rec.take().length).toBe(0);
      expect(driver.readyState).toBe(3);
    });

    it('while closing: close with 1006, not clean', () => {
      const { driver, rec } = role.open();
      driver.close();
      driver.transportClosed();
      expect(rec.of('close')).toEqual([{ type: 'close', code: 1006, reason: '', wasClean: false }]);
    });

    it('after the close handshake: nothing more', () => {
      const { driver, rec } = role.open();
      feed(driver, role.peerFrame(Op.CLOSE, closePayload(1000)));
      driver.transportClosed();
      expect(rec.of('close')).toHaveLength(1);
      expect(rec.of('close')[0]).toMatchObject({ code: 1000, wasClean: true });
    });
  });

  describe("a failure's close code wins over an error listener's close() (§7.1.7)", () => {
    const faults = [
      { name: 'a text message that is not UTF-8', closeCode: 1007, options: {}, bytes: () => role.peerFrame(Op.TEXT, Uint8Array.of(0x61, 0xff)) },
      { name: 'a message over maxLength', closeCode: 1009, options: { maxLength: 4 }, bytes: () => role.peerFrame(Op.TEXT, 'hello') },
      { name: 'a reserved opcode', closeCode: 1002, options: {}, bytes: () => role.peerFrame(0x3, 'x') },
    ];
    it.each(faults)('on $name: close() from the listener returns false; the peer gets one close frame, with $closeCode', (fault) => {
      const { driver, rec } = role.open(fault.options);
      const seen: Array<{ closed: boolean; readyState: number }> = [];
      driver.on('error', () => seen.push({ closed: driver.close(1000, 'from the listener'), readyState: driver.readyState }));
      feed(driver, fault.bytes(), 'whole');
      expect(seen).toEqual([{ closed: false, readyState: 2 }]);
      const frames = rec.takeFrames();
      expect(frames.map((f) => [f.opcode, readClosePayload(f.payload).code])).toEqual([[Op.CLOSE, fault.closeCode]]);
      expect(rec.of('close')).toEqual([expect.objectContaining({ code: fault.closeCode, wasClean: false })]);
    });

    it('a listener that ends the transport meanwhile: close 1006, no close frame written after it', () => {
      const { driver, rec } = role.open();
      driver.on('error', () => driver.transportClosed());
      feed(driver, role.peerFrame(Op.TEXT, Uint8Array.of(0xff)));
      expect(rec.takeFrames()).toEqual([]);
      expect(rec.of('close')).toEqual([expect.objectContaining({ code: 1006, wasClean: false })]);
    });
  });

  it('emits close exactly once, whatever follows', () => {
    const { driver, rec } = role.open();
    feed(driver, role.peerFrame(Op.CLOSE, closePayload(1000)));
    driver.close();
    driver.transportClosed();
    feed(driver, role.peerFrame(Op.CLOSE, closePayload(1001)));
    feed(driver, Uint8Array.of(0xff, 0xff, 0xff));
    expect(rec.of('close')).toHaveLength(1);
    expect(rec.of('error')).toHaveLength(0);
  });
});
