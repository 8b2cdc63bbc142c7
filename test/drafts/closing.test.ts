import { describe, expect, it } from 'vitest';
import { Driver } from '../../lib/index.js';
import { BASIC_CHUNKINGS, chunkingName, concat, feed } from '../helpers/index.js';
import { CLOSING_FRAME, draft76Request, draftRequestText, draftServer, open75, open76, sentinelFrame } from './draft-helpers.js';

const nothing = new Uint8Array(0);

describe('hixie-75 closing (no closing handshake: the transport is ended)', () => {
  describe('in the open state', () => {
    it('close() emits close at once with 1000 and writes nothing', () => {
      const { driver, rec } = open75();
      expect(driver.close()).toBe(true);
      expect(rec.take()).toEqual(nothing);
      expect(rec.of('close')).toEqual([{ type: 'close', code: 1000, reason: '', wasClean: true }]);
      expect(driver.readyState).toBe(3);
    });

    it('close(code, reason) reports what it was given', () => {
      const { driver, rec } = open75();
      driver.close(1001, 'shutting down');
      expect(rec.of('close')).toEqual([{ type: 'close', code: 1001, reason: 'shutting down', wasClean: true }]);
    });

    it('the client ending the transport reports 1006', () => {
      const { driver, rec } = open75();
      driver.transportClosed();
      expect(rec.of('close')).toEqual([{ type: 'close', code: 1006, reason: '', wasClean: false }]);
    });
  });

  describe('in the closed state', () => {
    it('close() returns false and emits nothing more', () => {
      const { driver, rec } = open75();
      driver.close();
      expect(driver.close()).toBe(false);
      driver.transportClosed();
      expect(rec.of('close')).toHaveLength(1);
    });

    it('text() returns false and input is ignored', () => {
      const { driver, rec } = open75();
      driver.close();
      expect(driver.text('late')).toBe(false);
      driver.parse(sentinelFrame('late'));
      expect(rec.take()).toEqual(nothing);
      expect(rec.messages).toEqual([]);
    });
  });

  it('close() before start() ends the driver without a handshake', () => {
    const { driver, rec } = draftServer(draftRequestText());
    expect(driver.close()).toBe(true);
    expect(driver.start()).toBe(false);
    expect(rec.take()).toEqual(nothing);
    expect(rec.of('close')).toEqual([{ type: 'close', code: 1000, reason: '', wasClean: false }]);
  });

  it('close() from an open listener stops frames that came in the same chunk', () => {
    const { driver, rec } = draftServer(draftRequestText());
    driver.on('open', () => driver.close());
    driver.parse(sentinelFrame('after'));
    driver.start();
    expect(rec.messages).toEqual([]);
    expect(rec.types).toEqual(['connect', 'open', 'close']);
  });
});

describe('hixie-76 closing handshake (0xFF 0x00)', () => {
  describe('in the open state', () => {
    for (const chunking of BASIC_CHUNKINGS) {
      it(`answers the client's 0xFF 0x00 with 0xFF 0x00 and closes cleanly (${chunkingName(chunking)})`, () => {
        const { driver, rec } = open76();
        feed(driver, concat(sentinelFrame('bye'), CLOSING_FRAME), chunking);
        expect(rec.take()).toEqual(CLOSING_FRAME);
        expect(rec.types).toEqual(['message', 'close']);
        expect(rec.of('close')).toEqual([{ type: 'close', code: 1000, reason: '', wasClean: true }]);
        expect(driver.readyState).toBe(3);
      });
    }

    it('ignores what the client sends after its 0xFF 0x00', () => {
      const { driver, rec } = open76();
      driver.parse(concat(CLOSING_FRAME, sentinelFrame('after'), Uint8Array.of(0xc0, 0xff)));
      expect(rec.types).toEqual(['close']);
    });

    it('close() sends 0xFF 0x00 and waits in the closing state', () => {
      const { driver, rec } = open76();
      expect(driver.close()).toBe(true);
      expect(rec.take()).toEqual(CLOSING_FRAME);
      expect(driver.readyState).toBe(2);
      expect(rec.types).toEqual([]);
    });
  });

  describe('while failing', () => {
    it("an error listener's close() returns false and writes no 0xFF 0x00: failing a draft connection sends nothing", () => {
      const { driver, rec } = open76();
      const returned: boolean[] = [];
      driver.on('error', () => returned.push(driver.close(1000)));
      driver.parse(Uint8Array.of(0x00, 0xff - 0x3f, 0xff));
      expect(returned).toEqual([false]);
      expect(rec.take()).toEqual(nothing);
      expect(rec.of('close')).toEqual([expect.objectContaining({ code: 1007, wasClean: false })]);
    });
  });

  describe('in the closing state', () => {
    it("emits close with close()'s code and reason when the client answers", () => {
      const { driver, rec } = open76();
      driver.close(4000, 'done');
      rec.take();
      driver.parse(CLOSING_FRAME.slice());
      expect(rec.take()).toEqual(nothing);
      expect(rec.of('close')).toEqual([{ type: 'close', code: 4000, reason: 'done', wasClean: true }]);
    });

    it('still delivers messages the client sent before its answer', () => {
      const { driver, rec } = open76();
      driver.close();
      feed(driver, concat(sentinelFrame('in flight'), CLOSING_FRAME), 'bytewise');
      expect(rec.types).toEqual(['message', 'close']);
      expect(rec.messages).toEqual(['in flight']);
    });

    it('refuses to send: text() and close() return false', () => {
      const { driver, rec } = open76();
      driver.close();
      rec.take();
      expect(driver.text('late')).toBe(false);
      expect(driver.close()).toBe(false);
      expect(rec.take()).toEqual(nothing);
    });

    it('reports 1006 if the transport ends before the answer', () => {
      const { driver, rec } = open76();
      driver.close();
      driver.transportClosed();
      expect(rec.of('close')).toEqual([{ type: 'close', code: 1006, reason: '', wasClean: false }]);
    });

    it('still fails on bad UTF-8', () => {
      const { driver, rec } = open76();
      driver.close();
      driver.parse(Uint8Array.of(0x00, 0xff - 0x3f, 0xff));
      expect(rec.of('error').map((e) => e.code)).toEqual(['INVALID_UTF8']);
      expect(rec.of('close')[0]!.code).toBe(1007);
    });
  });

  describe('before key3 has arrived', () => {
    it('close() ends the driver without writing 0xFF 0x00', () => {
      const { driver, rec } = draftServer(draft76Request());
      driver.start();
      rec.take();
      expect(driver.close()).toBe(true);
      expect(rec.take()).toEqual(nothing);
      expect(rec.of('close')).toEqual([{ type: 'close', code: 1000, reason: '', wasClean: false }]);
      driver.parse(new Uint8Array(8));
      expect(rec.take()).toEqual(nothing);
    });
  });

  it('close() throws on a code that is not an integer', () => {
    const { driver } = open76();
    expect(() => driver.close(1000.5, '')).toThrow(RangeError);
  });
});

// One rule for close()'s arguments, whatever the stage: before the head
// (when nothing says which protocol), once the head names a draft, and
// open. Neither draft sends a code, but what throws must not depend on
// when the call is made.
describe.each(['hixie-75', 'hixie-76'] as const)("%s: close()'s code and reason are checked as RFC 6455's at every stage", (version) => {
  const request = version === 'hixie-75' ? draftRequestText() : draft76Request();
  const stages = {
    'before the head': () => Driver.server({ write: () => {} }, { allowDrafts: true }),
    'the head in, not started': () => draftServer(request).driver,
    open: () => (version === 'hixie-75' ? open75() : open76()).driver,
  };

  it.each(Object.keys(stages) as Array<keyof typeof stages>)('%s', (stage) => {
    const driver = stages[stage]();
    for (const code of [1005, 1006, 1015, 1004, 999, 2000, 5000, 1000.5]) {
      expect(() => driver.close(code), `close(${code})`).toThrow(RangeError);
    }
    expect(() => driver.close(1000, 'x'.repeat(124))).toThrow(RangeError);
    expect(driver.readyState).toBe(stage === 'open' ? 1 : 0);
    // A code that may be sent, with a 123-byte reason, is accepted.
    expect(driver.close(4000, 'x'.repeat(123))).toBe(true);
  });
});
