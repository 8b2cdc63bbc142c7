// Text as bytes: `decodeText: false` delivers a text message as its UTF-8
// bytes, checked as strictly and as early as a string (RFC 6455 §8.1), and
// `text(bytes)` sends UTF-8 bytes as a text frame without an encode
// (checked too: §5.6 says a text frame's payload is UTF-8).
import { isUtf8 } from 'node:buffer';
import { afterEach, describe, expect, it } from 'vitest';
import { Driver } from '../../lib/index.js';
import { Utf8Validator, isValidUtf8, useNativeUtf8Check } from '../../lib/frame/utf8-validator.js';
import { BASIC_CHUNKINGS, bytesOf, concat, feed, Op, Pair, readClosePayload, Recorder, ROLES, type Role } from '../helpers/index.js';
import { INVALID, VALID } from '../helpers/utf8-cases.js';

const BYTES = { decodeText: false } as const;

type Message = [type: string, data: string | Uint8Array];

/** The messages `driver` delivers from now on, each as [type, data copied]. */
function received(driver: { on(type: 'message', listener: (event: { type: string; data: string | Uint8Array }) => void): unknown }): Message[] {
  const messages: Message[] = [];
  driver.on('message', (event) => messages.push([event.type, typeof event.data === 'string' ? event.data : Uint8Array.from(event.data)]));
  return messages;
}

function expect1007(rec: Recorder, driver: { readyState: number }): void {
  expect(rec.messages).toEqual([]);
  expect(rec.of('error')).toEqual([expect.objectContaining({ code: 'INVALID_UTF8', closeCode: 1007 })]);
  const frames = rec.takeFrames();
  expect(frames.map((f) => f.opcode)).toEqual([Op.CLOSE]);
  expect(readClosePayload(frames[0]!.payload).code).toBe(1007);
  expect(driver.readyState).toBe(3);
}

// Both UTF-8 checks of the core: the JavaScript loop, and a native whole-buffer check as the Node adapter supplies.
const CHECKS = [
  ['the JavaScript check', null],
  ['a native check (buffer.isUtf8)', isUtf8],
] as const;

describe.each(CHECKS)('UTF-8 through %s', (_name, native) => {
  afterEach(() => useNativeUtf8Check(null));

  it('the streaming validator agrees with a fatal TextDecoder on every case, cut at every byte, padded past the native threshold', () => {
    useNativeUtf8Check(native);
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const cases = [...VALID.map(([, text]) => bytesOf(text)), ...INVALID.map(([, bytes]) => Uint8Array.from(bytes))];
    for (const core of cases) {
      for (const pad of [0, 70]) {
        const bytes = concat(new Uint8Array(pad).fill(0x61), core, new Uint8Array(pad).fill(0x62));
        let expected = true;
        try {
          decoder.decode(bytes);
        } catch {
          expected = false;
        }
        expect(isValidUtf8(bytes)).toBe(expected);
        for (let cut = 0; cut <= bytes.length; cut++) {
          const validator = new Utf8Validator();
          const ok = validator.push(bytes.subarray(0, cut)) && validator.push(bytes.subarray(cut)) && validator.end();
          expect(ok, `cut at ${cut} of ${Array.from(bytes)}`).toBe(expected);
        }
      }
    }
  });

  describe.each(ROLES)('$name with decodeText: false', (role: Role) => {
    describe.each(BASIC_CHUNKINGS)('fed %s', (chunking) => {
      it('delivers text as its bytes with type "text", binary with type "binary"', () => {
        useNativeUtf8Check(native);
        const { driver } = role.open(BYTES);
        const got = received(driver);
        feed(driver, concat(role.peerFrame(Op.TEXT, 'héllo'), role.peerFrame(Op.BINARY, Uint8Array.of(1, 2))), chunking);
        expect(got).toEqual([
          ['text', bytesOf('héllo')],
          ['binary', Uint8Array.of(1, 2)],
        ]);
      });

      it.each(VALID)('delivers %s fragmented at every byte boundary as the same bytes', (_name, text) => {
        useNativeUtf8Check(native);
        const bytes = bytesOf(text);
        for (let cut = 0; cut <= bytes.length; cut++) {
          const { driver } = role.open(BYTES);
          const got = received(driver);
          feed(driver, concat(role.peerFrame(Op.TEXT, bytes.subarray(0, cut), { fin: false }), role.peerFrame(Op.CONTINUATION, bytes.subarray(cut))), chunking);
          expect(got).toEqual([['text', bytes]]);
        }
      });

      it.each(INVALID)('fails %s with 1007, in one frame and fragmented', (_name, bad) => {
        useNativeUtf8Check(native);
        const one = role.open(BYTES);
        feed(one.driver, role.peerFrame(Op.TEXT, Uint8Array.from(bad)), chunking);
        expect1007(one.rec, one.driver);
        const data = concat(bytesOf('ok '), Uint8Array.from(bad));
        const two = role.open(BYTES);
        feed(two.driver, concat(role.peerFrame(Op.TEXT, data.subarray(0, 2), { fin: false }), role.peerFrame(Op.CONTINUATION, data.subarray(2))), chunking);
        expect1007(two.rec, two.driver);
      });

      it('fails fast: in the fragment that holds the bad byte, before the message ends', () => {
        useNativeUtf8Check(native);
        const { driver, rec } = role.open(BYTES);
        feed(driver, role.peerFrame(Op.TEXT, 'valid start', { fin: false }), chunking);
        expect(rec.events).toEqual([]);
        feed(driver, role.peerFrame(Op.CONTINUATION, Uint8Array.of(0xc0, 0xaf), { fin: false }), chunking);
        expect1007(rec, driver);
      });
    });

    it('a large one-frame text message across reads: the bytes, exact-size; a bad byte fails before the frame ends', () => {
      useNativeUtf8Check(native);
      const text = 'ünïcödé 😀 '.repeat(6000);
      const { driver } = role.open(BYTES);
      const events: Array<{ type: string; data: string | Uint8Array }> = [];
      driver.on('message', (event) => events.push(event));
      feed(driver, role.peerFrame(Op.TEXT, text), { sizes: [1000, 65536] });
      expect(events.map((event) => event.type)).toEqual(['text']);
      const data = events[0]!.data as Uint8Array;
      expect(new TextDecoder().decode(data)).toBe(text);
      // Gathered into an exact-size buffer of its own, as binary is.
      expect(data.byteLength).toBe(data.buffer.byteLength);

      const bad = bytesOf(text);
      bad[5000] = 0xff;
      const second = role.open(BYTES);
      const frame = role.peerFrame(Op.TEXT, bad);
      second.driver.parse(frame.slice(0, 2000));
      expect(second.rec.events).toEqual([]);
      second.driver.parse(frame.slice(2000, 8000));
      expect1007(second.rec, second.driver);
    });

    it('with streamMessages: pieces are checked bytes; a character may be split between them; a bad one fails with 1007', () => {
      useNativeUtf8Check(native);
      const { driver } = role.open({ decodeText: false, streamMessages: true });
      const pieces: Uint8Array[] = [];
      const types: string[] = [];
      let ends = 0;
      driver.on('messagestart', (event) => types.push(event.type));
      driver.on('messagepiece', (event) => pieces.push(Uint8Array.from(event.data as Uint8Array)));
      driver.on('messageend', () => ends++);
      const bytes = bytesOf('a😀b'.repeat(40));
      feed(driver, concat(role.peerFrame(Op.TEXT, bytes.subarray(0, 2), { fin: false }), role.peerFrame(Op.CONTINUATION, bytes.subarray(2))), 'bytewise');
      expect(types).toEqual(['text']);
      expect(pieces.length).toBeGreaterThan(1);
      expect(concat(...pieces)).toEqual(bytes);
      expect(ends).toBe(1);

      const bad = role.open({ decodeText: false, streamMessages: true });
      feed(bad.driver, concat(role.peerFrame(Op.TEXT, Uint8Array.of(0x61, 0xf0, 0x9f), { fin: false }), role.peerFrame(Op.CONTINUATION, Uint8Array.of(0x41))), 'whole');
      expect(bad.rec.of('error')).toEqual([expect.objectContaining({ code: 'INVALID_UTF8', closeCode: 1007 })]);
    });
  });
});

describe.each(ROLES)('$name text(bytes)', (role: Role) => {
  it('sends UTF-8 bytes as one text frame, as they are', () => {
    const { driver, rec } = role.open();
    const small = bytesOf('héllo');
    const large = bytesOf('ü'.repeat(20_000));
    expect(driver.text(small)).toBe(true);
    expect(driver.text(large)).toBe(true);
    const frames = rec.takeFrames();
    expect(frames.map((f) => [f.opcode, f.fin, f.masked])).toEqual([
      [Op.TEXT, true, role.masks],
      [Op.TEXT, true, role.masks],
    ]);
    expect(frames[0]!.payload).toEqual(small);
    expect(frames[1]!.payload).toEqual(large);
  });

  it('throws a TypeError, sending nothing, for bytes that are not UTF-8 and for other values', () => {
    const { driver, rec } = role.open();
    for (const [, bad] of INVALID) expect(() => driver.text(Uint8Array.from(bad))).toThrow(TypeError);
    expect(() => driver.text(new ArrayBuffer(2) as never)).toThrow(TypeError);
    expect(() => driver.text(123 as never)).toThrow(TypeError);
    expect(rec.take()).toHaveLength(0);
    expect(driver.readyState).toBe(1);
  });

  it('splits bytes into fragments of fragmentSize, text opcode first', () => {
    const { driver, rec } = role.open({ fragmentSize: 4 });
    driver.text(bytesOf('abcdefghij'));
    expect(rec.takeFrames().map((f) => [f.opcode, f.fin])).toEqual([
      [Op.TEXT, false],
      [Op.CONTINUATION, false],
      [Op.CONTINUATION, true],
    ]);
  });
});

describe('text(bytes) before open, and an echo of bytes', () => {
  it('a client queues bytes before open and sends them as text once open', () => {
    const pair = new Pair({ server: BYTES });
    const got = received(pair.server);
    pair.client.text(bytesOf('queued ✓'));
    pair.connect();
    pair.flush();
    expect(got).toEqual([['text', bytesOf('queued ✓')]]);
  });

  it('a server echoing what decodeText: false delivers sends the text back unchanged', () => {
    const pair = new Pair({ server: BYTES }).connect();
    pair.server.on('message', (event) => (event.type === 'text' ? pair.server.text(event.data) : pair.server.binary(event.data as Uint8Array)));
    const texts = ['', 'a', 'ünïcödé 😀', 'x'.repeat(70_000)];
    for (const text of texts) pair.client.text(text);
    pair.flush();
    expect(pair.clientRec.messages).toEqual(texts);
  });
});

describe('bytes a text message delivered, given back to text(): checked once', () => {
  afterEach(() => useNativeUtf8Check(null));

  /** A native check that counts the bytes it is asked about (by length). */
  function countingCheck(): number[] {
    const asked: number[] = [];
    useNativeUtf8Check((bytes) => {
      asked.push(bytes.length);
      return isUtf8(bytes);
    });
    return asked;
  }

  it('an echo during the message event is not checked again; the same bytes after the event are', () => {
    const asked = countingCheck();
    const pair = new Pair({ server: BYTES }).connect();
    let kept: Uint8Array | undefined;
    pair.server.on('message', (event) => {
      kept = event.data as Uint8Array;
      pair.server.text(kept);
    });
    pair.client.text('ünïcödé echo');
    pair.flush();
    const length = bytesOf('ünïcödé echo').length;
    // Checked on receipt only; the echo went out as it came.
    expect(asked).toEqual([length]);
    expect(pair.clientRec.messages).toEqual(['ünïcödé echo']);
    // Outside its event the view is bytes of unknown origin again.
    expect(pair.server.text(kept!)).toBe(true);
    expect(asked).toEqual([length, length]);
    kept![0] = 0xff;
    expect(() => pair.server.text(kept!)).toThrow(TypeError);
  });

  it('during the event, other bytes are still checked: a bad buffer throws, binary bytes given to text() are checked', () => {
    const asked = countingCheck();
    const pair = new Pair({ server: BYTES }).connect();
    const thrown: unknown[] = [];
    pair.server.on('message', (event) => {
      try {
        pair.server.text(event.type === 'text' ? Uint8Array.of(0x61, 0xc3) : (event.data as Uint8Array));
      } catch (error) {
        thrown.push(error);
      }
    });
    pair.client.text('fine');
    pair.client.binary(Uint8Array.of(0xc3, 0x28));
    pair.flush();
    expect(thrown).toHaveLength(2);
    expect(thrown.every((error) => error instanceof TypeError)).toBe(true);
    // The text's receipt, the bad buffer, the binary bytes: a binary message is never marked as checked.
    expect(asked).toEqual([4, 2, 2]);
    expect(pair.clientRec.messages).toEqual([]);
  });

  it('a relay to another connection during the event sends the bytes unchecked, and exactly', () => {
    const asked = countingCheck();
    const from = new Pair({ server: BYTES }).connect();
    const to = new Pair().connect();
    from.server.on('message', (event) => to.server.text(event.data));
    from.client.text('relayed ✓');
    from.flush();
    to.flush();
    expect(asked).toEqual([bytesOf('relayed ✓').length]);
    expect(to.clientRec.messages).toEqual(['relayed ✓']);
  });
});

describe('the type of message events with decodeText on (the default)', () => {
  it('text is a string with type "text", binary bytes with type "binary"', () => {
    const pair = new Pair().connect();
    const got = received(pair.server);
    pair.client.text('hi');
    pair.client.binary(Uint8Array.of(7));
    pair.flush();
    expect(got).toEqual([
      ['text', 'hi'],
      ['binary', Uint8Array.of(7)],
    ]);
  });

  it('Driver.server rejects a decodeText that is not a boolean', () => {
    expect(() => Driver.server(new Recorder().socket, { decodeText: 'no' as never })).toThrow(TypeError);
  });
});

describe.each(ROLES)('$name text(bytes): edge cases', (role: Role) => {
  it('an empty Uint8Array is one empty text frame, FIN set', () => {
    const { driver, rec } = role.open();
    expect(driver.text(new Uint8Array(0))).toBe(true);
    const frames = rec.takeFrames();
    expect(frames.map((f) => [f.opcode, f.fin, f.payload.length])).toEqual([[Op.TEXT, true, 0]]);
  });

  it('a view with an offset into a larger buffer sends its own bytes only, and leaves the buffer as it was', () => {
    for (const size of [5, 20_000]) {
      const { driver, rec } = role.open();
      const text = bytesOf('é'.repeat(size));
      // Invalid bytes either side: only the view is checked and sent.
      const larger = concat(Uint8Array.of(0xff, 0xfe, 0xfd), text, Uint8Array.of(0xc0));
      const before = Uint8Array.from(larger);
      expect(driver.text(larger.subarray(3, 3 + text.length))).toBe(true);
      expect(rec.takeFrames().map((f) => [f.opcode, f.payload])).toEqual([[Op.TEXT, text]]);
      expect(larger).toEqual(before);
    }
  });

  it('a view of a SharedArrayBuffer is checked and sent as any other bytes, small and large', () => {
    for (const size of [5, 20_000]) {
      const { driver, rec } = role.open();
      const text = bytesOf('ü'.repeat(size));
      const shared = new Uint8Array(new SharedArrayBuffer(text.length + 4), 2, text.length);
      shared.set(text);
      expect(driver.text(shared)).toBe(true);
      expect(rec.takeFrames().map((f) => [f.opcode, f.payload])).toEqual([[Op.TEXT, text]]);
      shared[0] = 0xff;
      expect(() => driver.text(shared)).toThrow(TypeError);
      expect(rec.take()).toHaveLength(0);
    }
  });

  it('bytes changed after the call do not change what was sent, up to 16 KiB (copied into the frame at once)', () => {
    const { driver, rec } = role.open();
    const bytes = bytesOf('héllo');
    driver.text(bytes);
    bytes.fill(0xff);
    expect(rec.takeFrames()[0]!.payload).toEqual(bytesOf('héllo'));
  });

  it('bytes that are not UTF-8 are refused before open and while closing too: a TypeError, nothing queued or sent', () => {
    const bad = Uint8Array.of(0x61, 0xed, 0xa0, 0x80); // an encoded surrogate, RFC 3629 §3
    const pair = new Pair();
    const sender = role.name === 'client' ? pair.client : pair.server;
    const rec = role.name === 'client' ? pair.clientRec : pair.serverRec;
    const peerRec = role.name === 'client' ? pair.serverRec : pair.clientRec;
    expect(() => sender.text(bad)).toThrow(/UTF-8/);
    pair.connect();
    pair.flush();
    expect(peerRec.messages).toEqual([]);
    rec.take();
    sender.close(1000, '');
    expect(() => sender.text(bad)).toThrow(TypeError);
  });
});

// Queued before open, a message is a copy: what was checked at the call is what is sent, whatever the caller does to its buffer meanwhile.
describe.each([
  ['text(bytes)', 'text', BYTES, bytesOf('queued ✓'), bytesOf('ü'.repeat(20_000))],
  ['binary(bytes)', 'binary', {}, Uint8Array.from([1, 2, 3, 4]), new Uint8Array(20_000).fill(7)],
] as const)('%s queued before open', (_name, type, serverOptions, small, large) => {
  it('sends the bytes as they were at the call, though the caller changes them before open', () => {
    const pair = new Pair({ server: serverOptions });
    const got = received(pair.server);
    const [smallCopy, largeCopy] = [Uint8Array.from(small), Uint8Array.from(large)];
    pair.client[type](smallCopy);
    pair.client[type](largeCopy);
    smallCopy.fill(0xff);
    largeCopy.fill(0xff);
    pair.connect();
    pair.flush();
    expect(got).toEqual([
      [type, small],
      [type, large],
    ]);
    expect(pair.server.readyState).toBe(1);
  });
});
