// pause() and resume() on a draft connection, as docs/flow-control.md says
// for every driver: once a listener pauses, nothing more is delivered, even
// from the chunk being read; what was left unread is held (counted against
// maxPausedBytes) and read by resume(), nothing lost.
import { describe, expect, it } from 'vitest';
import { Driver, type HttpServerDriver } from '../../lib/index.js';
import '../../lib/drafts/index.js';
import { concat, latin1Bytes, Recorder } from '../helpers/index.js';
import { draft76Request, draftRequestText, FAYE76, open75, open76, sentinelFrame } from './draft-helpers.js';

const opens = { 'hixie-75': open75, 'hixie-76': open76 } as const;
const MESSAGES = ['m1', 'm2', 'm3'];
const FRAMES = concat(...MESSAGES.map((text) => sentinelFrame(text)));

/** Pauses in the first `message` listener call; returns what it saw. */
function pauseOnFirstMessage(driver: HttpServerDriver): string[] {
  const seen: string[] = [];
  driver.on('message', (event) => {
    seen.push(event.data as string);
    if (seen.length === 1) driver.pause();
  });
  return seen;
}

/** Each split of `bytes` in two, at every byte. */
function splitsOf(bytes: Uint8Array): Array<[Uint8Array, Uint8Array]> {
  const splits: Array<[Uint8Array, Uint8Array]> = [];
  for (let at = 0; at <= bytes.length; at++) splits.push([bytes.slice(0, at), bytes.slice(at)]);
  return splits;
}

describe.each(['hixie-75', 'hixie-76'] as const)('pause() on %s', (version) => {
  it('in a message listener: the rest of the chunk waits for resume()', () => {
    const { driver, rec } = opens[version]();
    const seen = pauseOnFirstMessage(driver);
    driver.parse(FRAMES.slice());
    expect(seen).toEqual(['m1']);
    expect(driver.isPaused).toBe(true);
    // What is held is counted as held.
    expect(driver.retainedBytes).toBeGreaterThanOrEqual(FRAMES.length - sentinelFrame('m1').length);
    driver.resume();
    expect(seen).toEqual(MESSAGES);
    expect(rec.types).toEqual(['message', 'pause', 'message', 'message', 'resume']);
    expect(driver.retainedBytes).toBe(0);
  });

  it('in a message listener, with the frames split in two at every byte', () => {
    for (const [first, second] of splitsOf(FRAMES)) {
      const { driver } = opens[version]();
      const seen = pauseOnFirstMessage(driver);
      driver.parse(first);
      driver.parse(second);
      expect(seen, `split at ${first.length}`).toEqual(['m1']);
      driver.resume();
      expect(seen, `split at ${first.length}`).toEqual(MESSAGES);
    }
  });

  it('in a message listener, with the frames fed a byte at a time', () => {
    const { driver } = opens[version]();
    const seen = pauseOnFirstMessage(driver);
    for (const byte of FRAMES) driver.parse(Uint8Array.of(byte));
    expect(seen).toEqual(['m1']);
    driver.resume();
    expect(seen).toEqual(MESSAGES);
  });

  it('pausing again from the message read on resume() stops again', () => {
    const { driver } = opens[version]();
    const seen: string[] = [];
    driver.on('message', (event) => {
      seen.push(event.data as string);
      driver.pause();
    });
    driver.parse(FRAMES.slice());
    for (let n = 1; n <= MESSAGES.length; n++) {
      expect(seen).toEqual(MESSAGES.slice(0, n));
      driver.resume();
    }
    expect(seen).toEqual(MESSAGES);
  });

  it('close() while paused ends the pause: `resume` before `close`, isPaused false after', () => {
    const { driver, rec } = opens[version]();
    driver.pause();
    driver.parse(FRAMES.slice());
    driver.close();
    // hixie-75 closes at once; hixie-76 reads what was held while it waits for the client's 0xFF 0x00.
    expect(rec.messages).toEqual(version === 'hixie-75' ? [] : MESSAGES);
    expect(driver.isPaused).toBe(false);
    if (version === 'hixie-76') driver.parse(Uint8Array.of(0xff, 0x00));
    expect(rec.types.filter((type) => type !== 'message')).toEqual(['pause', 'resume', 'close']);
    expect(driver.isPaused).toBe(false);
  });

  it('transportClosed() from a message listener stops delivery of the rest of the chunk', () => {
    const { driver, rec } = opens[version]();
    driver.on('message', () => driver.transportClosed());
    driver.parse(FRAMES.slice());
    expect(rec.messages).toEqual(['m1']);
    expect(rec.of('close')).toHaveLength(1);
  });

  it('held input past maxPausedBytes fails the connection with PAUSED_INPUT_TOO_LARGE (1009)', () => {
    const { driver, rec } = opens[version]({ maxPausedBytes: 8 });
    pauseOnFirstMessage(driver);
    driver.parse(concat(sentinelFrame('m1'), sentinelFrame('a longer message than eight bytes')));
    expect(rec.of('error').map((error) => [error.code, error.closeCode])).toEqual([['PAUSED_INPUT_TOO_LARGE', 1009]]);
    expect(driver.readyState).toBe(3);
  });
});

describe('pause() in an open listener on a draft', () => {
  /** The frames a client sends right after its handshake, with the head (and key3). */
  const handshakes = {
    'hixie-75': latin1Bytes(draftRequestText()),
    'hixie-76': concat(latin1Bytes(draft76Request()), FAYE76.key3),
  } as const;

  it.each(['hixie-75', 'hixie-76'] as const)('%s: frames in the same chunk as the handshake wait for resume()', (version) => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket, { allowDrafts: true }));
    driver.on('connect', () => driver.start());
    driver.on('open', () => driver.pause());
    driver.parse(concat(handshakes[version], FRAMES));
    expect(driver.readyState).toBe(1);
    expect(rec.messages).toEqual([]);
    driver.resume();
    expect(rec.messages).toEqual(MESSAGES);
  });

  it('hixie-76: key3 and the frames behind it, split in two at every byte', () => {
    const tail = concat(FAYE76.key3, FRAMES);
    for (const [first, second] of splitsOf(tail)) {
      const rec = new Recorder();
      const driver = rec.attach(Driver.server(rec.socket, { allowDrafts: true }));
      driver.on('connect', () => driver.start());
      driver.on('open', () => driver.pause());
      driver.parse(latin1Bytes(draft76Request()));
      driver.parse(first);
      driver.parse(second);
      expect(driver.readyState, `split at ${first.length}`).toBe(1);
      expect(rec.messages, `split at ${first.length}`).toEqual([]);
      driver.resume();
      expect(rec.messages, `split at ${first.length}`).toEqual(MESSAGES);
    }
  });

  it('hixie-76: close() while paused reads what was held (the closing handshake needs the client frames)', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket, { allowDrafts: true }));
    driver.on('connect', () => driver.start());
    driver.on('open', () => driver.pause());
    driver.parse(concat(handshakes['hixie-76'], FRAMES, Uint8Array.of(0xff, 0x00)));
    expect(rec.messages).toEqual([]);
    driver.close();
    expect(rec.messages).toEqual(MESSAGES);
    expect(rec.of('close')).toEqual([{ type: 'close', code: 1000, reason: '', wasClean: true }]);
  });
});
