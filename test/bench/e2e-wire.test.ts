/**
 * The end-to-end benchmark's load generator writes its own frames and
 * counts the server's without decoding them (bench/e2e/wire.ts,
 * broadcast-tally.ts): checked here against the tests' independent frame
 * codec, so a miscounted message cannot inflate a figure, and a server
 * that corrupts, drops or repeats a message is caught.
 */
import { describe, expect, it } from 'vitest';
import { BroadcastTally } from '../../bench/e2e/broadcast-tally.js';
import { clientFrame, FrameScanner, handshakeRequest, RepeatedFrameCounter, RepeatedFrames, serverFrame } from '../../bench/e2e/wire.js';
import { concat, decodeFrames, Op, serverFrame as referenceServerFrame } from '../helpers/index.js';

const SIZES = [0, 1, 125, 126, 65535, 65536, 70000];

describe('the load generator’s frames', () => {
  for (const size of SIZES) {
    it(`a client frame of ${size} bytes decodes, masked, to its payload`, () => {
      const payload = Uint8Array.from({ length: size }, (_, i) => (i * 7) & 0xff);
      const [frame, ...rest] = decodeFrames(clientFrame(Op.BINARY, payload));
      expect(rest).toHaveLength(0);
      expect(frame).toMatchObject({ fin: true, opcode: Op.BINARY, masked: true });
      expect(frame!.payload).toEqual(payload);
    });

    it(`the expected server frame of ${size} bytes is the reference encoding`, () => {
      const payload = Uint8Array.from({ length: size }, (_, i) => i & 0xff);
      expect(new Uint8Array(serverFrame(Op.TEXT, payload))).toEqual(referenceServerFrame(Op.TEXT, payload));
    });
  }

  it('a frame announcing more than it carries says so in its header', () => {
    const frame = clientFrame(Op.BINARY, new Uint8Array(10), 60 * 1024 * 1024);
    expect(frame.length).toBe(2 + 8 + 4 + 10);
    expect(frame.readBigUInt64BE(2)).toBe(BigInt(60 * 1024 * 1024));
  });

  it('the upgrade request offers permessage-deflate only when asked', () => {
    expect(handshakeRequest(false).toString()).not.toMatch(/Sec-WebSocket-Extensions/);
    expect(handshakeRequest(true).toString()).toMatch(/\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n$/);
  });
});

describe('FrameScanner', () => {
  const messages = [
    referenceServerFrame(Op.TEXT, 'hello'),
    referenceServerFrame(Op.BINARY, new Uint8Array(300)),
    referenceServerFrame(Op.TEXT, 'part', { fin: false }),
    referenceServerFrame(Op.CONTINUATION, ' two', { fin: true }),
    referenceServerFrame(Op.BINARY, new Uint8Array(70000), { rsv: 0x40 }),
    referenceServerFrame(Op.TEXT, ''),
  ];
  const stream = Buffer.from(concat(...messages));

  it('counts whole messages (fragments count once, at FIN) in one chunk', () => {
    expect(new FrameScanner().push(stream)).toBe(5);
  });

  it('counts the same however the stream is cut', () => {
    for (const step of [1, 2, 3, 7, 1000]) {
      const scanner = new FrameScanner();
      let total = 0;
      for (let at = 0; at < stream.length; at += step) total += scanner.push(stream.subarray(at, at + step));
      expect(total, `chunks of ${step}`).toBe(5);
      expect(scanner.messages).toBe(5);
    }
  });
});

describe('RepeatedFrameCounter', () => {
  const CUTS = [1, 2, 3, 7, 17, 18, 4099, 4100, 65536];

  /**
   * Feeds `stream` cut into `step`-byte reads, each copied into the front of
   * one reused buffer whose rest holds other bytes, as the load generator's
   * shared read buffer does; returns the frames each read completed.
   */
  function feedShared(counter: RepeatedFrameCounter, stream: Uint8Array, step: number): number[] {
    const shared = Buffer.alloc(Math.max(step, 1) + 64, 0xee);
    const completed: number[] = [];
    for (let at = 0; at < stream.length; at += step) {
      const piece = stream.subarray(at, at + step);
      shared.fill(0xee);
      shared.set(piece);
      completed.push(counter.push(shared, piece.length));
    }
    return completed;
  }

  for (const size of [16, 4096]) {
    const frame = referenceServerFrame(Op.TEXT, 'x'.repeat(size));
    const stream = concat(...Array.from({ length: 40 }, () => frame));

    it(`counts 40 frames of ${size} bytes of text however the stream is cut, completing each in the read that ends it`, () => {
      for (const step of CUTS) {
        const expected = new RepeatedFrames(frame, 4096);
        const counter = new RepeatedFrameCounter(expected);
        const completed = feedShared(counter, stream, step);
        expect(counter.frames, `reads of ${step}`).toBe(40);
        expect(counter.mismatchAt).toBe(-1);
        // The read that holds a frame's last byte is the one that completes it.
        const ends = completed.flatMap((count, read) => Array.from({ length: count }, () => read));
        expect(ends, `reads of ${step}`).toEqual(Array.from({ length: 40 }, (_, i) => Math.floor(((i + 1) * frame.length - 1) / step)));
      }
    });

    it(`finds a corrupted byte anywhere in ${size}-byte frames, at its offset, and stops counting`, () => {
      for (const offset of [0, 1, frame.length - 1, frame.length, 7 * frame.length + 3, stream.length - 1]) {
        const bad = stream.slice();
        bad[offset] = bad[offset]! ^ 0x20;
        for (const step of CUTS) {
          const counter = new RepeatedFrameCounter(new RepeatedFrames(frame, 4096));
          feedShared(counter, bad, step);
          expect(counter.mismatchAt, `byte ${offset}, reads of ${step}`).toBe(offset);
          // Nothing is counted from the read that held the bad byte on.
          expect(counter.frames).toBeLessThanOrEqual(Math.floor(offset / frame.length));
        }
      }
    });

    it(`finds a byte missing from, or added to, a ${size}-byte frame (every later frame is out of step)`, () => {
      const at = 5 * frame.length + 1;
      const missing = concat(stream.subarray(0, at), stream.subarray(at + 1));
      const added = concat(stream.subarray(0, at), Uint8Array.of(frame[1]! ^ 1), stream.subarray(at));
      for (const [name, bad] of [['missing', missing], ['added', added]] as const) {
        for (const step of CUTS) {
          const counter = new RepeatedFrameCounter(new RepeatedFrames(frame, 4096));
          feedShared(counter, bad, step);
          expect(counter.mismatchAt, `${name}, reads of ${step}`).toBeGreaterThanOrEqual(at);
          expect(counter.frames).toBeLessThan(40);
        }
      }
    });
  }

  it('refuses a frame of another message, even of the same length', () => {
    const counter = new RepeatedFrameCounter(new RepeatedFrames(referenceServerFrame(Op.TEXT, 'x'.repeat(16)), 1024));
    expect(counter.push(Buffer.from(referenceServerFrame(Op.TEXT, 'x'.repeat(16))))).toBe(1);
    expect(counter.push(Buffer.from(referenceServerFrame(Op.BINARY, 'x'.repeat(16))))).toBe(0);
    expect(counter.mismatchAt).toBe(18);
  });

  it('a whole frame that never came leaves the count one short (the broadcast tally then never completes it)', () => {
    const frame = referenceServerFrame(Op.TEXT, 'x'.repeat(100));
    const counter = new RepeatedFrameCounter(new RepeatedFrames(frame, 1024));
    counter.push(Buffer.from(concat(...Array.from({ length: 9 }, () => frame))));
    expect(counter.frames).toBe(9);
    expect(counter.mismatchAt).toBe(-1);
  });

  it('checks reads longer than the chunk it was sized for, piece by piece', () => {
    const frame = referenceServerFrame(Op.TEXT, 'x'.repeat(50));
    const stream = Buffer.from(concat(...Array.from({ length: 100 }, () => frame)));
    const counter = new RepeatedFrameCounter(new RepeatedFrames(frame, 10));
    expect(counter.push(stream)).toBe(100);
    const bad = Buffer.from(stream);
    bad[77 * frame.length + 40] = 0;
    const other = new RepeatedFrameCounter(new RepeatedFrames(frame, 10));
    expect(other.push(bad)).toBe(0);
    expect(other.mismatchAt).toBe(77 * frame.length + 40);
  });
});

describe('BroadcastTally', () => {
  it('completes a broadcast when its last client has it, in order', () => {
    const tally = new BroadcastTally(3, 4);
    for (let i = 0; i < 4; i++) tally.ask();
    expect(tally.received(0, 2)).toBe(0); // client A: broadcasts 0 and 1
    expect(tally.received(0, 1)).toBe(0); // client B: 0
    expect(tally.received(0, 3)).toBe(1); // client C: 0-2; 0 is complete
    expect(tally.completed).toBe(1);
    expect(tally.received(1, 3)).toBe(1); // B: 1-3; 1 is complete, 2 waits for A
    expect(tally.received(2, 2)).toBe(1); // A: 2-3; 2 complete, 3 waits for C
    expect(tally.received(3, 1)).toBe(1); // C: 3
    expect(tally.completed).toBe(4);
  });

  it('matches the slowest client over many rounds of the ring, whatever order deliveries come in', () => {
    let seed = 7;
    const random = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) >>> 16) % n;
    const clients = 5;
    const inFlight = 3;
    const tally = new BroadcastTally(clients, inFlight);
    const seen = new Array<number>(clients).fill(0);
    for (let i = 0; i < inFlight; i++) tally.ask();
    for (let step = 0; step < 5000; step++) {
      const client = random(clients);
      const count = random(tally.asked - seen[client]! + 1);
      const finished = tally.received(seen[client]!, count);
      seen[client]! += count;
      expect(tally.completed).toBe(Math.min(...seen));
      for (let i = 0; i < finished; i++) tally.ask();
      expect(tally.asked - tally.completed).toBe(inFlight);
    }
    expect(tally.completed).toBeGreaterThan(100);
  });

  it('never completes a broadcast one client did not receive', () => {
    const tally = new BroadcastTally(2, 8);
    for (let i = 0; i < 8; i++) tally.ask();
    tally.received(0, 8);
    // The other client's stream was one frame short: 7 of 8.
    tally.received(0, 7);
    expect(tally.completed).toBe(7);
    expect(tally.completed).toBeLessThan(tally.asked);
  });

  it('refuses a broadcast received more often than it was asked for', () => {
    const tally = new BroadcastTally(2, 4);
    tally.ask();
    tally.ask();
    expect(() => tally.received(0, 3)).toThrow(/received 3 broadcasts, 2 were asked for/);
  });

  it('refuses more outstanding broadcasts than it has room for', () => {
    const tally = new BroadcastTally(1, 2);
    tally.ask();
    tally.ask();
    expect(() => tally.ask()).toThrow(/more than 2 broadcasts outstanding/);
    tally.received(0, 1);
    expect(() => tally.ask()).not.toThrow();
  });
});
