/**
 * Every finding of the fuzz targets, as a named test with the minimal
 * input the fuzzer shrank it to. Each is fed whole and byte by byte.
 */
import { describe, expect, it } from 'vitest';
import { Driver } from '../../lib/index.js';
import { BASIC_CHUNKINGS, chunkingName, clientFrame, closePayload, feed, latin1Bytes, openClient, openServer, Recorder, requestHeadText, serverFrame } from '../helpers/index.js';

describe('request heads (fuzz target heads)', () => {
  // Found by: bend 'duplicate' on Host. Joined as "example.com, example.com",
  // the two hosts were accepted as one odd name.
  for (const chunking of BASIC_CHUNKINGS) {
    it(`a second Host header is refused with 400, RFC 9112 §3.2 (${chunkingName(chunking)})`, () => {
      const rec = new Recorder();
      const driver = rec.attach(Driver.server(rec.socket));
      driver.on('connect', () => driver.start());
      feed(driver, latin1Bytes(requestHeadText().replace('\r\n\r\n', '\r\nHost: evil.example\r\n\r\n')), chunking);
      expect(rec.types).toEqual(['error', 'close']);
      expect(rec.of('error')[0]).toMatchObject({ code: 'HTTP_MALFORMED', closeCode: 1002 });
      expect(rec.takeHead().status).toBe(400);
    });
  }

  it('one Host header still opens', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket));
    driver.on('connect', () => driver.start());
    driver.parse(latin1Bytes(requestHeadText()));
    expect(rec.types).toEqual(['connect', 'open']);
  });
});

describe('control frames and maxLength (fuzz target differential)', () => {
  // Found by: maxLength 1 and a close frame with a 2-byte code. The frame
  // parser applied maxLength to control frames too, so the peer's close
  // frame failed the connection with 1009 instead of closing it cleanly.
  for (const chunking of BASIC_CHUNKINGS) {
    it(`server: a close frame longer than maxLength still closes cleanly (${chunkingName(chunking)})`, () => {
      const { driver, rec } = openServer({ maxLength: 1 });
      feed(driver, clientFrame(0x8, closePayload(1000, 'bye')), chunking);
      expect(rec.of('error')).toEqual([]);
      expect(rec.of('close')).toEqual([{ type: 'close', code: 1000, reason: 'bye', wasClean: true }]);
    });

    it(`client: a ping longer than maxLength is answered, not refused (${chunkingName(chunking)})`, () => {
      const { driver, rec } = openClient({ maxLength: 7 });
      feed(driver, serverFrame(0x9, 'twelve bytes'), chunking);
      expect(rec.types).toEqual(['ping']);
      const frames = rec.takeFrames();
      expect(frames.map((f) => [f.opcode, new TextDecoder().decode(f.payload)])).toEqual([[0xa, 'twelve bytes']]);
    });

    it(`a data frame over maxLength is still refused with 1009 (${chunkingName(chunking)})`, () => {
      const { driver, rec } = openServer({ maxLength: 7 });
      feed(driver, clientFrame(0x2, new Uint8Array(8)), chunking);
      expect(rec.of('error').map((e) => [e.code, e.closeCode])).toEqual([['MESSAGE_TOO_LONG', 1009]]);
    });
  }
});
