// RFC 6455 §8.1: text messages must be valid UTF-8 (RFC 3629); invalid
// data fails the connection with 1007 as soon as it arrives. Run twice: the
// portable core (fatal TextDecoder, JavaScript validator), and with the Node
// adapter's hooks (`buffer.isUtf8` checks each piece, the message's bytes
// are gathered and decoded once at the end).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useNodeTextDecoder } from '../../lib/adapters/node/native-text.js';
import { useNodeUtf8Check } from '../../lib/adapters/node/native-utf8.js';
import { useCheckedTextDecoder } from '../../lib/frame/checked-text.js';
import { useNativeUtf8Check } from '../../lib/frame/utf8-validator.js';
import { BASIC_CHUNKINGS, bytesOf, concat, feed, Op, readClosePayload, ROLES, type Role } from '../helpers/index.js';
import { INVALID, VALID } from '../helpers/utf8-cases.js';

const PATHS = [
  { name: 'portable core', install: () => {} },
  {
    name: 'Node hooks',
    install: () => {
      useNodeUtf8Check();
      useNodeTextDecoder();
    },
  },
];

// Long enough to take the paths large pieces take (whole messages of at least 1 KiB, pieces of at least 64 B).
const FILLER = 'x'.repeat(2000);

function expect1007(rec: ReturnType<Role['open']>['rec'], driver: { readyState: number }): void {
  expect(rec.messages).toEqual([]);
  expect(rec.of('error')).toEqual([expect.objectContaining({ code: 'INVALID_UTF8', closeCode: 1007 })]);
  expect(rec.of('close')).toEqual([expect.objectContaining({ code: 1007, wasClean: false })]);
  const frames = rec.takeFrames();
  expect(frames.map((f) => f.opcode)).toEqual([Op.CLOSE]);
  expect(readClosePayload(frames[0]!.payload).code).toBe(1007);
  expect(driver.readyState).toBe(3);
}

describe.each(PATHS)('$name', ({ install }) => {
  beforeAll(install);
  afterAll(() => {
    useNativeUtf8Check(null);
    useCheckedTextDecoder(null);
  });

  describe.each(ROLES)('$name UTF-8 validation (§8.1)', (role: Role) => {
    describe.each(BASIC_CHUNKINGS)('fed %s', (chunking) => {
      it.each(VALID)('accepts %s', (_name, text) => {
        const { driver, rec } = role.open();
        feed(driver, role.peerFrame(Op.TEXT, text), chunking);
        expect(rec.messages).toEqual([text]);
      });

      it('keeps a leading byte order mark', () => {
        const { driver, rec } = role.open();
        feed(driver, role.peerFrame(Op.TEXT, '\ufeffhi'), chunking);
        expect(rec.messages).toEqual(['\ufeffhi']);
      });

      it.each(VALID)('accepts %s fragmented at every byte boundary', (_name, text) => {
        const bytes = bytesOf(text);
        for (let cut = 0; cut <= bytes.length; cut++) {
          const { driver, rec } = role.open();
          feed(
            driver,
            concat(role.peerFrame(Op.TEXT, bytes.subarray(0, cut), { fin: false }), role.peerFrame(Op.CONTINUATION, bytes.subarray(cut))),
            chunking,
          );
          expect(rec.messages).toEqual([text]);
        }
      });

      it('accepts a 4-byte character cut into four one-byte fragments', () => {
        const { driver, rec } = role.open();
        const bytes = bytesOf('🌍');
        feed(
          driver,
          concat(...[...bytes].map((b, i) => role.peerFrame(i === 0 ? Op.TEXT : Op.CONTINUATION, Uint8Array.of(b), { fin: i === 3 }))),
          chunking,
        );
        expect(rec.messages).toEqual(['🌍']);
      });

      it.each(INVALID)('fails %s in one frame with 1007', (_name, bytes) => {
        const { driver, rec } = role.open();
        feed(driver, role.peerFrame(Op.TEXT, Uint8Array.from(bytes)), chunking);
        expect1007(rec, driver);
      });

      it.each(INVALID)('fails %s in a fragmented message with 1007', (_name, bytes) => {
        const { driver, rec } = role.open();
        const data = concat(bytesOf('ok '), Uint8Array.from(bytes));
        feed(driver, concat(role.peerFrame(Op.TEXT, data.subarray(0, 2), { fin: false }), role.peerFrame(Op.CONTINUATION, data.subarray(2))), chunking);
        expect1007(rec, driver);
      });

      it('fails fast: in the first fragment holding the bad byte, before the message ends', () => {
        const { driver, rec } = role.open();
        feed(driver, role.peerFrame(Op.TEXT, Uint8Array.of(0x61, 0xff, 0x62), { fin: false }), chunking);
        expect1007(rec, driver);
      });

      it('fails fast in a later fragment, with earlier ones valid', () => {
        const { driver, rec } = role.open();
        feed(driver, role.peerFrame(Op.TEXT, 'valid start', { fin: false }), chunking);
        expect(rec.events).toEqual([]);
        feed(driver, role.peerFrame(Op.CONTINUATION, Uint8Array.of(0xc0, 0xaf), { fin: false }), chunking);
        expect1007(rec, driver);
      });

      it('fails fast when a sequence split across fragments is continued wrongly', () => {
        const { driver, rec } = role.open();
        feed(driver, role.peerFrame(Op.TEXT, Uint8Array.of(0x61, 0xe2), { fin: false }), chunking);
        expect(rec.events).toEqual([]);
        feed(driver, role.peerFrame(Op.CONTINUATION, Uint8Array.of(0x28, 0x61), { fin: false }), chunking);
        expect1007(rec, driver);
      });

      it('fails fast when a surrogate is split across fragments', () => {
        const { driver, rec } = role.open();
        feed(driver, concat(role.peerFrame(Op.TEXT, Uint8Array.of(0xed), { fin: false }), role.peerFrame(Op.CONTINUATION, Uint8Array.of(0xa0, 0x80), { fin: false })), chunking);
        expect1007(rec, driver);
      });

      it('fails fast inside one large frame, before the rest of its payload arrives', () => {
        const { driver, rec } = role.open();
        const payload = new Uint8Array(1000).fill(0x61);
        payload[10] = 0xff;
        const bytes = role.peerFrame(Op.TEXT, payload);
        feed(driver, bytes.subarray(0, 100), chunking);
        expect1007(rec, driver);
      });

      it('fails a message whose last fragment ends inside a sequence', () => {
        const { driver, rec } = role.open();
        feed(driver, concat(role.peerFrame(Op.TEXT, 'abc', { fin: false }), role.peerFrame(Op.CONTINUATION, Uint8Array.of(0xf0, 0x9f, 0x8c))), chunking);
        expect1007(rec, driver);
      });

      it('delivers consecutive messages independently, fragmented or not', () => {
        const { driver, rec } = role.open();
        feed(driver, concat(role.peerFrame(Op.TEXT, 'é'), role.peerFrame(Op.TEXT, '€', { fin: false }), role.peerFrame(Op.CONTINUATION, '')), chunking);
        expect(rec.messages).toEqual(['é', '€']);
      });

      it('does not validate binary messages', () => {
        const { driver, rec } = role.open();
        feed(driver, role.peerFrame(Op.BINARY, Uint8Array.of(0xff, 0xc0, 0x80, 0xed, 0xa0, 0x80)), chunking);
        expect(rec.messages).toEqual([Uint8Array.of(0xff, 0xc0, 0x80, 0xed, 0xa0, 0x80)]);
      });

      it.each(VALID)('accepts %s inside large text, whole and cut into two fragments at every byte of it', (_name, text) => {
        const large = FILLER + text + FILLER;
        const bytes = bytesOf(large);
        const from = bytesOf(FILLER).length;
        const { driver, rec } = role.open();
        feed(driver, role.peerFrame(Op.TEXT, bytes), chunking);
        for (let cut = from; cut <= from + bytesOf(text).length; cut++) {
          feed(
            driver,
            concat(role.peerFrame(Op.TEXT, bytes.subarray(0, cut), { fin: false }), role.peerFrame(Op.CONTINUATION, bytes.subarray(cut))),
            chunking,
          );
        }
        expect(rec.messages).toEqual(Array.from({ length: bytesOf(text).length + 2 }, () => large));
      });

      it('keeps a leading byte order mark on large text, whole and fragmented', () => {
        const large = '\ufeff' + FILLER + 'é';
        const bytes = bytesOf(large);
        const { driver, rec } = role.open();
        feed(
        driver,
        concat(role.peerFrame(Op.TEXT, bytes), role.peerFrame(Op.TEXT, bytes.subarray(0, 700), { fin: false }), role.peerFrame(Op.CONTINUATION, bytes.subarray(700))),
        chunking,
      );
        expect(rec.messages).toEqual([large, large]);
      });

      it.each(INVALID)('fails %s inside large text in one frame with 1007', (_name, bytes) => {
        const { driver, rec } = role.open();
        feed(driver, role.peerFrame(Op.TEXT, concat(bytesOf(FILLER), Uint8Array.from(bytes))), chunking);
        expect1007(rec, driver);
      });

      it.each(INVALID)('fails %s in the large fragment that holds it, before the message ends', (_name, bytes) => {
        const { driver, rec } = role.open();
        feed(driver, role.peerFrame(Op.TEXT, FILLER, { fin: false }), chunking);
        expect(rec.events).toEqual([]);
        // A truncated sequence is only known bad once the next byte (an ASCII one here) arrives.
        feed(driver, role.peerFrame(Op.CONTINUATION, concat(bytesOf(FILLER), Uint8Array.from(bytes), bytesOf('a')), { fin: false }), chunking);
        expect1007(rec, driver);
      });

      it('fails fast inside one large frame of large text, before the rest of its payload arrives', () => {
        const { driver, rec } = role.open();
        const payload = new Uint8Array(8000).fill(0x61);
        payload[3000] = 0xff;
        const bytes = role.peerFrame(Op.TEXT, payload);
        feed(driver, bytes.subarray(0, 3100), chunking);
        expect1007(rec, driver);
      });
    });
  });
});
