import { describe, expect, it } from 'vitest';
import { BASIC_CHUNKINGS, chunkingName, concat, feed } from '../helpers/index.js';
import { CLOSING_FRAME, decodeTextFrames, lengthFrame, open75, open76, sentinelFrame } from './draft-helpers.js';

const bytes = (...values: number[]) => Uint8Array.from(values);
const HELLO = bytes(0x00, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0xff);

// Everything here holds for both drafts.
for (const [version, open] of [
  ['hixie-75', open75],
  ['hixie-76', open76],
] as const) {
  describe(`${version} in the open state`, () => {
    for (const chunking of BASIC_CHUNKINGS) {
      describe(`reading frames (${chunkingName(chunking)})`, () => {
        it('reads a text frame', () => {
          const { driver, rec } = open();
          feed(driver, HELLO, chunking);
          expect(rec.messages).toEqual(['Hello']);
        });

        it('reads several frames from one chunk, in order', () => {
          const { driver, rec } = open();
          feed(driver, concat(HELLO, sentinelFrame(''), sentinelFrame('world')), chunking);
          expect(rec.messages).toEqual(['Hello', '', 'world']);
        });

        it('reads multibyte UTF-8 split anywhere', () => {
          const { driver, rec } = open();
          // U+F8FF and U+1F600, as in websocket-driver's spec plus a 4-byte character.
          feed(driver, sentinelFrame('Apple = \uf8ff \u{1f600}'), chunking);
          expect(rec.messages).toEqual(['Apple = \uf8ff \u{1f600}']);
        });

        it('reads and discards length-prefixed frames (type byte with the high bit set)', () => {
          const { driver, rec } = open();
          const long = new Uint8Array(300).fill(0xff);
          feed(driver, concat(bytes(0x80, 0x02, 0x48, 0x65), HELLO, lengthFrame(long, 0x81), bytes(0x80, 0x00), HELLO), chunking);
          expect(rec.messages).toEqual(['Hello', 'Hello']);
          expect(rec.types).toEqual(['message', 'message']);
        });

        it('discards sentinel frames whose type is not 0x00, as the drafts say', () => {
          // websocket-driver delivers these as messages; the drafts discard them.
          const { driver, rec } = open();
          feed(driver, concat(sentinelFrame('ignored', 0x66), sentinelFrame('\xff\xfe bad utf-8 too', 0x01), HELLO), chunking);
          expect(rec.messages).toEqual(['Hello']);
        });

        it('fails with INVALID_UTF8 (1007) on a text frame that is not UTF-8', () => {
          const { driver, rec } = open();
          feed(driver, concat(HELLO, bytes(0x00, 0x61, 0xc0, 0x80, 0xff), HELLO), chunking);
          expect(rec.messages).toEqual(['Hello']);
          expect(rec.of('error').map((e) => [e.code, e.closeCode])).toEqual([['INVALID_UTF8', 1007]]);
          expect(rec.of('close')).toEqual([{ type: 'close', code: 1007, reason: expect.any(String), wasClean: false }]);
          expect(driver.readyState).toBe(3);
        });

        it('fails with INVALID_UTF8 on a text frame that ends inside a character', () => {
          const { driver, rec } = open();
          feed(driver, bytes(0x00, 0xe2, 0x82, 0xff), chunking);
          expect(rec.of('error').map((e) => e.code)).toEqual(['INVALID_UTF8']);
        });

        it('sends nothing when failing: the application ends the transport', () => {
          const { driver, rec } = open();
          feed(driver, bytes(0x00, 0xff - 1, 0xff), chunking);
          expect(rec.of('error')).toHaveLength(1);
          expect(rec.take()).toEqual(new Uint8Array(0));
        });
      });
    }

    describe('maxLength', () => {
      it('fails with MESSAGE_TOO_LONG (1009) as soon as a frame waiting for its 0xFF passes maxLength', () => {
        const { driver, rec } = open({ maxLength: 10 });
        driver.parse(concat(bytes(0x00), new Uint8Array(10).fill(0x61)));
        expect(rec.types).toEqual([]);
        expect(driver.retainedBytes).toBeGreaterThan(0);
        driver.parse(bytes(0x61));
        expect(rec.of('error').map((e) => [e.code, e.closeCode])).toEqual([['MESSAGE_TOO_LONG', 1009]]);
        expect(rec.of('close')[0]!.code).toBe(1009);
        expect(driver.retainedBytes).toBe(0);
      });

      it('accepts a frame of exactly maxLength bytes', () => {
        const { driver, rec } = open({ maxLength: 10 });
        driver.parse(sentinelFrame('0123456789'));
        expect(rec.messages).toEqual(['0123456789']);
      });

      it('bounds a discarded frame the same way', () => {
        const { driver, rec } = open({ maxLength: 10 });
        feed(driver, concat(bytes(0x05), new Uint8Array(11).fill(0x61)), 'bytewise');
        expect(rec.of('error').map((e) => e.code)).toEqual(['MESSAGE_TOO_LONG']);
      });

      it('fails on a length prefix over maxLength before any of its body arrives', () => {
        const { driver, rec } = open({ maxLength: 1000 });
        // 0x81 0x80 0x80 … never ends: the length grows past maxLength within a few bytes.
        feed(driver, bytes(0x80, 0x88, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80), 'bytewise');
        expect(rec.of('error').map((e) => e.code)).toEqual(['MESSAGE_TOO_LONG']);
      });

      it('keeps memory near the frame size when the frame arrives a byte at a time', () => {
        const { driver } = open();
        driver.parse(bytes(0x00));
        // Each byte in its own 64 KiB buffer, as a socket read can deliver it.
        for (let i = 0; i < 2000; i++) driver.parse(new Uint8Array(new ArrayBuffer(65536), 0, 1).fill(0x61));
        expect(driver.retainedBytes).toBeLessThan(1024 * 1024);
      });
    });

    describe('sending', () => {
      it('writes text as 0x00, UTF-8, 0xFF', () => {
        const { driver, rec } = open();
        expect(driver.text('Apple = \uf8ff')).toBe(true);
        expect(rec.take()).toEqual(bytes(0x00, 0x41, 0x70, 0x70, 0x6c, 0x65, 0x20, 0x3d, 0x20, 0xef, 0xa3, 0xbf, 0xff));
      });

      it('writes an empty message as 0x00 0xFF', () => {
        const { driver, rec } = open();
        driver.text('');
        expect(rec.take()).toEqual(bytes(0x00, 0xff));
      });

      it('returns false from binary(), ping() and pong(), writing nothing', () => {
        const { driver, rec } = open();
        expect(driver.binary(bytes(1, 2, 3))).toBe(false);
        expect(driver.ping('x', () => {})).toBe(false);
        expect(driver.pong('x')).toBe(false);
        expect(rec.take()).toEqual(new Uint8Array(0));
      });

      it('still reads input after a message listener throws, and rethrows from parse()', () => {
        const { driver, rec } = open();
        const seen: unknown[] = [];
        driver.on('message', (event) => {
          seen.push(event.data);
          throw new Error('listener failed');
        });
        expect(() => driver.parse(concat(HELLO, bytes(0x00, 0x57)))).toThrow('listener failed');
        expect(() => driver.parse(bytes(0x6f, 0x72, 0x6c, 0x64, 0xff))).toThrow('listener failed');
        expect(seen).toEqual(['Hello', 'World']);
        expect(rec.messages).toEqual(['Hello', 'World']);
      });

      it('round-trips what it sends through its own reader', () => {
        const { driver, rec } = open();
        const messages = ['a', '', 'ünïcödé', '\u{1f600}'.repeat(3)];
        for (const message of messages) driver.text(message);
        const sent = rec.take();
        expect(decodeTextFrames(sent)).toEqual(messages);
        const peer = open();
        peer.driver.parse(sent);
        expect(peer.rec.messages).toEqual(messages);
      });
    });
  });

  describe(`${version} in the connecting state`, () => {
    it('returns false from binary(), ping() and pong() rather than queueing them', async () => {
      const { draftServer, draftRequestText, draft76Request } = await import('./draft-helpers.js');
      const { driver, rec } = draftServer(version === 'hixie-75' ? draftRequestText() : draft76Request());
      expect(driver.binary(bytes(1))).toBe(false);
      expect(driver.ping()).toBe(false);
      expect(driver.pong()).toBe(false);
      expect(driver.text('queued')).toBe(true);
      driver.start();
      if (version === 'hixie-76') driver.parse(new Uint8Array(8));
      const written = rec.take();
      expect(decodeTextFrames(written.subarray(written.lastIndexOf(0x00)))).toEqual(['queued']);
    });

    it('sends text queued before the head named the draft, in the one queue, and fails a binary send callback', async () => {
      const { Driver } = await import('../../lib/index.js');
      const { Recorder, latin1Bytes } = await import('../helpers/index.js');
      const { draftRequestText, draft76Request } = await import('./draft-helpers.js');
      const rec = new Recorder();
      const driver = rec.attach(Driver.server(rec.socket, { allowDrafts: true }));
      // Before the head nothing says which protocol: these queue as for RFC 6455.
      expect(driver.text('first')).toBe(true);
      const binaryDone = new Promise<Error | undefined>((resolve) => driver.binary(bytes(1, 2), resolve));
      expect(driver.text('second')).toBe(true);
      driver.parse(latin1Bytes(version === 'hixie-75' ? draftRequestText() : draft76Request()));
      expect(driver.version).toBe(version);
      // Once the head named a draft, the same object answers as the draft.
      expect(driver.binary(bytes(3))).toBe(false);
      expect(driver.text('third')).toBe(true);
      driver.start();
      if (version === 'hixie-76') driver.parse(new Uint8Array(8));
      expect(driver.readyState).toBe(1);
      const written = rec.take();
      // After the response head (and hixie-76's 16-byte answer).
      const framesStart = new TextDecoder('latin1').decode(written).indexOf('\r\n\r\n') + 4 + (version === 'hixie-76' ? 16 : 0);
      expect(decodeTextFrames(written.subarray(framesStart))).toEqual(['first', 'second', 'third']);
      // The drafts have no binary messages: the queued one is not sent, and its callback says so.
      expect(await binaryDone).toBeInstanceOf(Error);
      expect((await binaryDone)?.message).toBe(`binary not sent on ${version}`);
    });

    it('reports a ping queued before the head named the draft: never sent, its callback gets an error', async () => {
      const { Driver } = await import('../../lib/index.js');
      const { Recorder, latin1Bytes } = await import('../helpers/index.js');
      const { draftRequestText, draft76Request } = await import('./draft-helpers.js');
      const rec = new Recorder();
      const driver = rec.attach(Driver.server(rec.socket, { allowDrafts: true }));
      const calls: Array<Error | undefined> = [];
      // Before the head nothing says which protocol: the ping queues as for RFC 6455.
      expect(driver.ping('early', (error) => calls.push(error))).toBe(true);
      expect(driver.text('after')).toBe(true);
      driver.on('connect', () => driver.start());
      driver.parse(latin1Bytes(version === 'hixie-75' ? draftRequestText() : draft76Request()));
      if (version === 'hixie-76') driver.parse(new Uint8Array(8));
      expect(driver.readyState).toBe(1);
      await new Promise<void>((resolve) => queueMicrotask(resolve));
      expect(calls).toHaveLength(1);
      expect(calls[0]).toBeInstanceOf(Error);
      expect(calls[0]!.message).toBe(`ping not sent on ${version}`);
      // Nothing but the handshake and the text went out.
      const written = rec.take();
      const framesStart = new TextDecoder('latin1').decode(written).indexOf('\r\n\r\n') + 4 + (version === 'hixie-76' ? 16 : 0);
      expect(decodeTextFrames(written.subarray(framesStart))).toEqual(['after']);
    });
  });
}

describe('hixie-75: 0xFF 0x00 is an empty length-prefixed frame, not a close', () => {
  for (const chunking of BASIC_CHUNKINGS) {
    it(chunkingName(chunking), () => {
      const { driver, rec } = open75();
      feed(driver, concat(CLOSING_FRAME, HELLO), chunking);
      expect(rec.types).toEqual(['message']);
      expect(driver.readyState).toBe(1);
    });
  }
});
