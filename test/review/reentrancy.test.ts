// Calls made from inside listeners while the driver is reading: parse()
// (a synchronous transport delivers the next chunk from inside an event),
// close(), transportClosed(), and start() from `connect`.
import { describe, expect, it } from 'vitest';
import { Driver } from '../../lib/index.js';
import {
  chunkingName,
  clientFrame,
  closePayload,
  concat,
  Op,
  Recorder,
  requestHead,
  ROLES,
  split,
  type Chunking,
} from '../helpers/index.js';

// 'whole' would leave nothing to deliver from inside a listener, so the
// stream is always cut in several chunks here.
const CHUNKINGS: readonly Chunking[] = ['bytewise', { sizes: [5] }, { sizes: [9, 2] }, { seed: 7, maxChunk: 12 }];

/**
 * Feeds `chunks` in order, as a synchronous transport would: each message
 * event pulls the next chunk in with a nested parse(), and whatever is left
 * afterwards is fed from the outside.
 */
function feedFromListeners(driver: { parse(bytes: Uint8Array): void; on(type: 'message', listener: () => void): unknown }, chunks: Uint8Array[]): void {
  let next = 0;
  driver.on('message', () => {
    if (next < chunks.length) driver.parse(chunks[next++]!);
  });
  while (next < chunks.length) driver.parse(chunks[next++]!);
}

describe.each(ROLES)('$name: parse() called from a listener', (role) => {
  describe.each(CHUNKINGS.map((chunking) => ({ chunking, name: chunkingName(chunking) })))('stream cut in $name', ({ chunking }) => {
    it('reads the nested input after the chunk in hand, so messages keep their order', () => {
      const { driver, rec } = role.open();
      const words = ['one', 'two', 'three', 'four', 'five', 'six'];
      const stream = concat(
        ...words.map((word) => role.peerFrame(Op.TEXT, word)),
        role.peerFrame(Op.TEXT, 'frag', { fin: false }),
        role.peerFrame(Op.CONTINUATION, 'mented'),
      );
      feedFromListeners(driver, split(stream, chunking));
      expect(rec.of('error')).toEqual([]);
      expect(rec.messages).toEqual([...words, 'fragmented']);
      expect(driver.readyState).toBe(1);
    });
  });

  it('stops reading nested input once a listener has ended the transport', () => {
    const { driver, rec } = role.open();
    driver.on('message', (event) => {
      if (event.data === 'first') {
        driver.parse(role.peerFrame(Op.TEXT, 'nested'));
        driver.transportClosed();
      }
    });
    driver.parse(concat(role.peerFrame(Op.TEXT, 'first'), role.peerFrame(Op.TEXT, 'second')));
    expect(rec.messages).toEqual(['first']);
    expect(rec.of('close')).toEqual([{ type: 'close', code: 1006, reason: '', wasClean: false }]);
  });
});

describe('server: parse() called from an open listener during start()', () => {
  it('reads the input that arrived before start() first, then the nested input', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket));
    driver.on('connect', () => driver.start());
    driver.on('open', () => driver.parse(clientFrame(Op.TEXT, 'after open')));
    driver.parse(concat(requestHead(), clientFrame(Op.TEXT, 'before start')));
    expect(rec.of('error')).toEqual([]);
    expect(rec.messages).toEqual(['before start', 'after open']);
  });

  it('keeps stream order when the early input ends inside a frame', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket));
    const frame = clientFrame(Op.TEXT, 'split across the start');
    driver.on('connect', () => driver.start());
    driver.on('open', () => driver.parse(frame.slice(4)));
    driver.parse(concat(requestHead(), frame.subarray(0, 4)));
    expect(rec.of('error')).toEqual([]);
    expect(rec.messages).toEqual(['split across the start']);
  });
});

describe('server: close() from a message listener', () => {
  it('reads the rest of the chunk, answers nothing more, and closes on the peer close frame', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket));
    driver.on('connect', () => driver.start());
    driver.parse(requestHead());
    rec.take();
    driver.on('message', () => driver.close(4000, 'done'));
    driver.parse(concat(clientFrame(Op.TEXT, 'a'), clientFrame(Op.PING, 'p'), clientFrame(Op.TEXT, 'b'), clientFrame(Op.CLOSE, closePayload(1000))));
    expect(rec.messages).toEqual(['a', 'b']);
    // One close frame and nothing after it: the ping arrived once closing had begun.
    expect(rec.takeFrames().map((f) => f.opcode)).toEqual([Op.CLOSE]);
    expect(rec.of('close')).toEqual([{ type: 'close', code: 1000, reason: '', wasClean: true }]);
  });
});
