/**
 * The receiving half of flow control (docs/flow-control.md): `pause()`
 * and `resume()`, input held while paused up to `maxPausedBytes`, a pause
 * taking effect at the next frame of the chunk being read, and the one
 * pending pong while the transport is backed up (RFC 6455 §5.5.3).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Driver } from '../../lib/index.js';
import '../../lib/drafts/index.js';
import { MAX_PINGS_WHILE_BACKED_UP } from '../../lib/hybi/pending-pong.js';
import {
  BASIC_CHUNKINGS,
  concat,
  decodeFrames,
  feed,
  Op,
  readClosePayload,
  Recorder,
  requestHead,
  ROLES,
  split,
  type Chunking,
  type Role,
} from '../helpers/index.js';

interface Pausable {
  pause(): void;
  resume(): void;
  readonly isPaused: boolean;
  readonly retainedBytes: number;
  transportDrained(): void;
}

const CHUNKINGS: readonly Chunking[] = [...BASIC_CHUNKINGS, { seed: 11, maxChunk: 7 }, { seed: 12, maxChunk: 40 }];

describe.each(ROLES)('$name pause and resume', (role: Role) => {
  function open(options = {}) {
    const { driver, rec } = role.open(options);
    return { driver: driver as typeof driver & Pausable, rec };
  }
  const texts = (n: number) => concat(...Array.from({ length: n }, (_, i) => role.peerFrame(Op.TEXT, `m${i}`)));

  describe.each(CHUNKINGS)('fed %s', (chunking) => {
    it('holds input while paused and delivers it in order on resume', () => {
      const { driver, rec } = open();
      driver.pause();
      expect(driver.isPaused).toBe(true);
      feed(driver, texts(3), chunking);
      expect(rec.messages).toEqual([]);
      expect(driver.retainedBytes).toBeGreaterThan(0);
      driver.resume();
      expect(rec.messages).toEqual(['m0', 'm1', 'm2']);
      expect(rec.types.filter((t) => t === 'pause' || t === 'resume')).toEqual(['pause', 'resume']);
      expect(driver.retainedBytes).toBe(0);
    });

    it('a pause from a message listener stops delivery at the next frame', () => {
      const { driver, rec } = open();
      driver.on('message', () => driver.pause());
      feed(driver, texts(3), chunking);
      expect(rec.messages).toEqual(['m0']);
      driver.resume();
      expect(rec.messages).toEqual(['m0', 'm1']);
      driver.resume();
      expect(rec.messages).toEqual(['m0', 'm1', 'm2']);
    });

    it('fails with PAUSED_INPUT_TOO_LARGE (1009) past maxPausedBytes, and holds no more', () => {
      const { driver, rec } = open({ maxPausedBytes: 64 });
      driver.pause();
      feed(driver, texts(20), chunking);
      expect(rec.of('error').map((e) => [e.code, e.closeCode])).toEqual([['PAUSED_INPUT_TOO_LARGE', 1009]]);
      expect(rec.of('close')[0]).toMatchObject({ code: 1009 });
      expect(driver.retainedBytes).toBe(0);
    });
  });

  it('close() ends a pause: the closing handshake needs the peer\'s close frame', () => {
    const { driver, rec } = open();
    driver.pause();
    feed(driver, texts(2));
    (driver as unknown as { close(): boolean }).close();
    expect(driver.isPaused).toBe(false);
    expect(rec.messages).toEqual(['m0', 'm1']);
    driver.parse(role.peerFrame(Op.CLOSE, Uint8Array.of(0x03, 0xe8)));
    expect(rec.of('close')[0]).toMatchObject({ code: 1000, wasClean: true });
  });

  it('a pause ends with the connection: `resume` before `close`, then isPaused is false', () => {
    for (const end of ['transportClosed', 'PAUSED_INPUT_TOO_LARGE'] as const) {
      const { driver, rec } = open({ maxPausedBytes: 16 });
      driver.pause();
      if (end === 'transportClosed') driver.transportClosed();
      else driver.parse(texts(10));
      expect(driver.isPaused, end).toBe(false);
      expect(rec.types.filter((t) => t !== 'error'), end).toEqual(['pause', 'resume', 'close']);
      // Nothing is left to resume.
      driver.resume();
      expect(rec.types.at(-1), end).toBe('close');
    }
  });

  it('pause and resume are idempotent: one event each', () => {
    const { driver, rec } = open();
    driver.pause();
    driver.pause();
    driver.resume();
    driver.resume();
    expect(rec.types).toEqual(['pause', 'resume']);
  });
});

// Paused before the connection opened, then closed: the pause ends too,
// for every driver (RFC 6455 server with or without allowDrafts, before
// and after the request head; client before the response).
describe('a pause ends with the connection before it opened', () => {
  const REQUEST = requestHead();
  const cases = {
    'Driver.server, before the head': () => Driver.server(new Recorder().socket),
    'Driver.server with allowDrafts, before the head': () => Driver.server(new Recorder().socket, { allowDrafts: true }),
    'Driver.server, the head in': () => {
      const driver = Driver.server(new Recorder().socket);
      driver.parse(REQUEST);
      return driver;
    },
    'Driver.client, started': () => {
      const driver = Driver.client(new Recorder({ url: 'ws://example.com/' }).socket);
      driver.start();
      return driver;
    },
  };

  it.each(Object.keys(cases) as Array<keyof typeof cases>)('%s: close() while paused', (name) => {
    const driver = cases[name]();
    const rec = new Recorder();
    rec.attach(driver);
    driver.pause();
    expect(driver.isPaused).toBe(true);
    expect(driver.close()).toBe(true);
    expect(driver.readyState).toBe(3);
    expect(driver.isPaused).toBe(false);
    expect(rec.types).toEqual(['pause', 'resume', 'close']);
    driver.resume();
    expect(rec.types).toEqual(['pause', 'resume', 'close']);
  });
});

describe.each(ROLES)('$name pending pong while the transport is backed up', (role: Role) => {
  function open(options = {}) {
    const { driver, rec } = role.open(options);
    return { driver: driver as typeof driver & Pausable, rec };
  }

  describe.each(CHUNKINGS)('fed %s', (chunking) => {
    it('keeps one pong, for the latest ping, stops reading, and sends it on drain', () => {
      const { driver, rec } = open();
      rec.take();
      rec.socket.full = true;
      driver.text('fills the transport');
      rec.take();
      feed(driver, concat(role.peerFrame(Op.PING, 'a'), role.peerFrame(Op.PING, 'b'), role.peerFrame(Op.TEXT, 'after')), chunking);
      // Input pauses after the first ping: the rest is held, unread.
      expect(rec.take().length).toBe(0);
      expect(rec.of('ping').length).toBe(1);
      expect(driver.isPaused).toBe(true);
      rec.socket.full = false;
      driver.transportDrained();
      // The pong for "a" went out; reading resumed, "b" was answered at once.
      const pongs = decodeFrames(rec.take()).filter((f) => f.opcode === Op.PONG);
      expect(pongs.map((f) => new TextDecoder().decode(f.payload))).toEqual(['a', 'b']);
      expect(rec.messages).toEqual(['after']);
      expect(driver.isPaused).toBe(false);
      expect(rec.of('drain')).toHaveLength(1);
    });
  });

  it('answers only the latest of the pings read before the pause took effect', () => {
    const { driver, rec } = open();
    rec.socket.full = true;
    driver.text('x');
    rec.take();
    // Two pings in one frame run cannot be separated: both are read, one pong waits.
    driver.parse(role.peerFrame(Op.PING, 'first'));
    driver.parse(role.peerFrame(Op.PING, 'second'));
    rec.socket.full = false;
    driver.transportDrained();
    const pongs = decodeFrames(rec.take()).filter((f) => f.opcode === Op.PONG);
    expect(pongs.map((f) => new TextDecoder().decode(f.payload))).toEqual(['first', 'second']);
  });

  it(`fails a peer whose pings are answered late ${MAX_PINGS_WHILE_BACKED_UP + 1} times in a row with PING_FLOOD (1008)`, () => {
    const { driver, rec } = open();
    rec.socket.full = true;
    driver.text('x');
    for (let i = 0; i <= MAX_PINGS_WHILE_BACKED_UP && driver.readyState === 1; i++) {
      driver.parse(role.peerFrame(Op.PING, `p${i}`));
      // The transport drains, but our pong fills it again: the peer does not read.
      driver.transportDrained();
    }
    expect(rec.of('error').map((e) => [e.code, e.closeCode])).toEqual([['PING_FLOOD', 1008]]);
    const close = decodeFrames(rec.take()).find((f) => f.opcode === Op.CLOSE)!;
    expect(readClosePayload(close.payload).code).toBe(1008);
  });

  it('a ping answered at once ends the run of late answers', () => {
    const { driver, rec } = open();
    for (let i = 0; i < 3 * MAX_PINGS_WHILE_BACKED_UP; i++) {
      rec.socket.full = i % 2 === 0;
      driver.text('x');
      driver.parse(role.peerFrame(Op.PING, 'p'));
      rec.socket.full = false;
      driver.transportDrained();
    }
    expect(rec.of('error')).toEqual([]);
    expect(driver.readyState).toBe(1);
  });
});

describe('pause before the connection opens', () => {
  it('Driver.server holds the input paused before the request and reads it on resume', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket));
    driver.pause();
    driver.parse(requestHead());
    driver.on('connect', () => driver.start());
    expect(rec.types).toEqual(['pause']);
    driver.resume();
    expect(rec.types).toEqual(['pause', 'connect', 'open', 'resume']);
  });
});

describe('property: pausing anywhere loses and reorders nothing', () => {
  it.each(ROLES)('$name', (role) => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 30 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }),
        (messages, seed, toggles) => {
          const { driver, rec } = role.open();
          const pausable = driver as typeof driver & Pausable;
          const bytes = concat(...messages.map((m) => role.peerFrame(Op.TEXT, m)));
          const chunks = split(bytes, { seed, maxChunk: 16 });
          // Listeners pause too, between messages.
          driver.on('message', () => (toggles[rec.messages.length % toggles.length] ? pausable.pause() : undefined));
          chunks.forEach((chunk, i) => {
            if (toggles[i % toggles.length]) pausable.pause();
            else pausable.resume();
            driver.parse(chunk);
          });
          for (let i = 0; i < messages.length + 1; i++) pausable.resume();
          expect(rec.messages).toEqual(messages);
          expect(rec.of('error')).toEqual([]);
        },
      ),
      { numRuns: 80 },
    );
  });
});
