/**
 * Borrowed input (lib/frame/borrowed-input.ts): the Node adapter parses
 * socket reads out of one buffer it reuses, so nothing the driver keeps
 * may be a view of a read. Every case here parses from one scratch buffer
 * and writes random bytes over it after each `parse()` call, as the next
 * read would; what the driver delivered or still holds must be exact.
 */
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { DriverOptions } from '../../lib/index.js';
import { borrowInput } from '../../lib/frame/borrowed-input.js';
import { perMessageDeflate } from '../../lib/adapters/node/index.js';
import { READ_BUFFER_SIZE } from '../../lib/adapters/node/read-buffer.js';
import { Op, SAMPLE_KEY, SERVER, acceptFor, concat, requestHead, responseHead, ROLES, seededRandom, type OpenDriver, type Role } from '../helpers/index.js';
import { Driver } from '../../lib/index.js';
import { Recorder } from '../helpers/recorder.js';
import { BorrowedReads } from '../helpers/borrowed-reads.js';

/** Everything delivered, kept by reference (the recorder copies). */
function collect(driver: OpenDriver): { messages: Array<string | Uint8Array>; pieces: Array<string | Uint8Array> } {
  const messages: Array<string | Uint8Array> = [];
  const pieces: Array<string | Uint8Array> = [];
  driver.on('message', (event) => void messages.push(event.data));
  (driver as unknown as { on(type: 'messagepiece', listener: (event: { data: string | Uint8Array }) => void): void }).on('messagepiece', (event) => void pieces.push(event.data));
  return { messages, pieces };
}

function pattern(length: number, seed: number): Uint8Array {
  const random = seededRandom(seed);
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (random() * 256) | 0;
  return bytes;
}

function mixedText(length: number): string {
  const parts = ['a', 'é', '€', '😀', 'z', ' '];
  let text = '';
  for (let i = 0; text.length < length; i++) text += parts[i % parts.length];
  return text;
}

const encoder = new TextEncoder();

/** Cuts `bytes` in two at every position (and whole). */
function everyCut(bytes: Uint8Array): Uint8Array[][] {
  const cuts: Uint8Array[][] = [];
  for (let at = 0; at <= bytes.length; at++) cuts.push([bytes.subarray(0, at), bytes.subarray(at)].filter((c) => c.length > 0));
  return cuts;
}

function bytewise(bytes: Uint8Array): Uint8Array[] {
  return Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
}

/** Cuts `bytes` into pieces of `size` (reads of a socket), the last shorter. */
function reads(bytes: Uint8Array, size: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  return chunks;
}

function expectSame(got: ReadonlyArray<string | Uint8Array>, want: ReadonlyArray<string | Uint8Array>): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const expected = want[i]!;
    const actual = got[i]!;
    if (typeof expected === 'string') expect(actual).toBe(expected);
    else {
      expect(actual).toBeInstanceOf(Uint8Array);
      // Compared as Buffers: one comparison, not one expect per byte.
      expect(Buffer.compare(Buffer.from(actual as Uint8Array), Buffer.from(expected))).toBe(0);
    }
  }
}

describe.each(ROLES)('borrowed input, $name', (role: Role) => {
  /** A stream of frames and the messages it carries. */
  function smallStream(decodeText: boolean) {
    const binary = pattern(300, 1);
    const text = mixedText(40);
    const textBytes = encoder.encode(text);
    const fragments = [pattern(5, 2), pattern(130, 3), pattern(1, 4)];
    // A character split between two fragments.
    const split = textBytes.indexOf(0xe2) + 1;
    const bytes = concat(
      role.peerFrame(Op.BINARY, binary),
      role.peerFrame(Op.TEXT, text),
      role.peerFrame(Op.BINARY, fragments[0]!, { fin: false }),
      role.peerFrame(Op.PING, 'in between'),
      role.peerFrame(Op.CONTINUATION, fragments[1]!, { fin: false }),
      role.peerFrame(Op.CONTINUATION, fragments[2]!),
      role.peerFrame(Op.TEXT, textBytes.subarray(0, split), { fin: false }),
      role.peerFrame(Op.CONTINUATION, textBytes.subarray(split)),
      role.peerFrame(Op.BINARY, new Uint8Array(0)),
    );
    const asText = (t: string) => (decodeText ? t : encoder.encode(t));
    return { bytes, messages: [binary, asText(text), concat(...fragments), asText(text), new Uint8Array(0)] };
  }

  for (const decodeText of [true, false]) {
    it(`small messages, fragments and text cut at every byte (decodeText ${decodeText}) stay exact`, () => {
      const { bytes, messages } = smallStream(decodeText);
      const reads = new BorrowedReads();
      for (const chunks of [...everyCut(bytes), bytewise(bytes)]) {
        const { driver } = role.open({ decodeText } as DriverOptions);
        const got = collect(driver);
        reads.feed(driver, chunks);
        expectSame(got.messages, messages);
        expect(driver.readyState).toBe(1);
      }
    });
  }

  it('large binary and text, in one frame (gathered whole, and past 1 MiB in pieces) and in fragments, read 64 KiB or 256 KiB at a time, stay exact', () => {
    const medium = pattern(200 * 1024, 5);
    const large = pattern(1024 * 1024 + 4321, 6);
    const text = mixedText(150 * 1024);
    const parts = [pattern(70 * 1024, 7), pattern(3, 8), pattern(100 * 1024, 9)];
    const bytes = concat(
      role.peerFrame(Op.BINARY, medium),
      role.peerFrame(Op.BINARY, large),
      role.peerFrame(Op.TEXT, text),
      role.peerFrame(Op.BINARY, parts[0]!, { fin: false }),
      role.peerFrame(Op.CONTINUATION, parts[1]!, { fin: false }),
      role.peerFrame(Op.CONTINUATION, parts[2]!),
    );
    const want = [medium, large, text, concat(...parts)];
    const borrowed = new BorrowedReads();
    for (const size of [65536, READ_BUFFER_SIZE, 7919, 40_009]) {
      for (const decodeText of [true, false]) {
        const { driver } = role.open({ decodeText, maxLength: 4 * 1024 * 1024 } as DriverOptions);
        const got = collect(driver);
        borrowed.feed(driver, reads(bytes, size));
        expectSame(got.messages, decodeText ? want : want.map((m) => (typeof m === 'string' ? encoder.encode(m) : m)));
      }
    }
  });

  it('input held while paused, and the rest of a read a pause left unread, stay exact until resumed', () => {
    const { bytes, messages } = smallStream(true);
    const borrowed = new BorrowedReads();
    for (const chunks of [...everyCut(bytes), bytewise(bytes)]) {
      const { driver } = role.open();
      const got = collect(driver);
      // Paused by the first message's listener: the rest of its read, and every later read, is held.
      driver.on('message', () => {
        if (got.messages.length === 1) (driver as unknown as { pause(): void }).pause();
      });
      borrowed.feed(driver, chunks);
      expect(got.messages.length).toBe(1);
      borrowed.overwrite(bytes.length);
      (driver as unknown as { resume(): void }).resume();
      expectSame(got.messages, messages);
    }
  });

  it('streamed messages (streamMessages): binary pieces and text kept as bytes stay exact', () => {
    const binary = pattern(3000, 10);
    const text = mixedText(1000);
    const bytes = concat(role.peerFrame(Op.BINARY, binary), role.peerFrame(Op.TEXT, text, { fin: false }), role.peerFrame(Op.CONTINUATION, '!'));
    const borrowed = new BorrowedReads();
    for (const decodeText of [true, false]) {
      for (const size of [1, 7, 100, 4096]) {
        const { driver } = role.open({ streamMessages: true, decodeText } as DriverOptions);
        const got = collect(driver);
        borrowed.feed(driver, reads(bytes, size));
        // The pieces joined are the messages: binary first, then the text.
        let joinedBinary: Uint8Array = new Uint8Array(0);
        let textBytes: Uint8Array = new Uint8Array(0);
        let textString = '';
        let inText = false;
        for (const piece of got.pieces) {
          if (!inText && joinedBinary.length < binary.length) joinedBinary = concat(joinedBinary, piece as Uint8Array);
          else {
            inText = true;
            if (typeof piece === 'string') textString += piece;
            else textBytes = concat(textBytes, piece);
          }
        }
        expectSame([joinedBinary], [binary]);
        if (decodeText) expect(textString).toBe(`${text}!`);
        else expectSame([textBytes], [encoder.encode(`${text}!`)]);
      }
    }
  });
});

/** Parses `bytes` as one borrowed read, from a buffer of the shared read buffer's size; returns the read as the driver left it. */
function parseOneBorrowedRead(driver: Pick<OpenDriver, 'parse'>, bytes: Uint8Array): Uint8Array {
  const read = new Uint8Array(READ_BUFFER_SIZE);
  read.set(bytes);
  const was = borrowInput(true);
  try {
    driver.parse(read.subarray(0, bytes.length));
  } finally {
    borrowInput(was);
  }
  return read.subarray(0, bytes.length);
}

describe('a masked text frame whole in one borrowed read (server)', () => {
  /** Parses `bytes` as one borrowed read, then overwrites the read as the next one would. */
  function parseBorrowed(driver: Pick<OpenDriver, 'parse'>, bytes: Uint8Array): void {
    parseOneBorrowedRead(driver, bytes).fill(0x41);
  }

  it('text kept as bytes is still checked: a bad sequence fails with 1007', () => {
    const bad = encoder.encode(mixedText(1400));
    bad[bad.length - 700] = 0xff;
    const { driver, rec } = SERVER.open({ decodeText: false });
    parseBorrowed(driver, SERVER.peerFrame(Op.TEXT, bad));
    expect(rec.messages).toEqual([]);
    expect(rec.of('error').map((e) => e.closeCode)).toEqual([1007]);
  });

  it('text decoded to a string is decoded from the read, and is the text sent', () => {
    const text = mixedText(1400);
    const { driver, rec } = SERVER.open();
    parseBorrowed(driver, SERVER.peerFrame(Op.TEXT, text));
    expect(rec.messages).toEqual([text]);
  });
});

describe('a masked binary frame whole in one borrowed read (server)', () => {
  const parseBorrowed = parseOneBorrowedRead;

  it('from 16 KiB is unmasked straight into its own exact buffer: the read is left as it came', () => {
    for (const size of [16 * 1024, 64 * 1024, 200 * 1024]) {
      const payload = pattern(size, size);
      const frame = SERVER.peerFrame(Op.BINARY, payload);
      const { driver } = SERVER.open();
      const { messages } = collect(driver);
      const read = parseBorrowed(driver, frame);
      // Not unmasked in place: the copy the driver keeps was the unmask itself.
      expect(Buffer.compare(read, frame)).toBe(0);
      const got = messages[0] as Uint8Array;
      expect(messages.length).toBe(1);
      expect([got.byteOffset, got.byteLength, got.buffer.byteLength]).toEqual([0, size, size]);
      expect(Buffer.compare(got, payload)).toBe(0);
    }
  });

  it('below 16 KiB, a fragment and text stay exact (unmasked in the read, then copied or decoded)', () => {
    const small = pattern(16 * 1024 - 1, 1);
    const first = pattern(64 * 1024, 2);
    const last = pattern(10, 3);
    const text = mixedText(40 * 1024);
    const { driver, rec } = SERVER.open();
    for (const frame of [
      SERVER.peerFrame(Op.BINARY, small),
      SERVER.peerFrame(Op.BINARY, first, { fin: false }),
      SERVER.peerFrame(Op.CONTINUATION, last),
      SERVER.peerFrame(Op.TEXT, text),
    ]) {
      parseBorrowed(driver, frame).fill(0x41);
    }
    expectSame(rec.messages, [small, concat(first, last), text]);
  });
});

describe('borrowed input before the connection opens', () => {
  it("Driver.server: the request head and frames after it, cut at every byte, read before start(), stay exact", () => {
    const binary = pattern(300, 21);
    const text = mixedText(30);
    const bytes = concat(requestHead(), ROLES[0]!.peerFrame(Op.BINARY, binary), ROLES[0]!.peerFrame(Op.TEXT, text, { fin: false }), ROLES[0]!.peerFrame(Op.CONTINUATION, '!'));
    const borrowed = new BorrowedReads();
    for (const chunks of [...everyCut(bytes), bytewise(bytes)]) {
      const rec = new Recorder();
      const driver = Driver.server(rec.socket);
      const got = collect(driver as unknown as OpenDriver);
      // start() waits until every read is in: the frames are held before start().
      borrowed.feed(driver, chunks);
      borrowed.overwrite(bytes.length);
      expect(driver.start()).toBe(true);
      // The head was read whole and right: the accept answers its key.
      expect(driver.url).toBe('ws://example.com/chat');
      const head = rec.takeHead();
      expect([head.status, head.headers['sec-websocket-accept']]).toEqual([101, acceptFor(SAMPLE_KEY)]);
      expectSame(got.messages, [binary, `${text}!`]);
    }
  });

  it('a client: the 101 and frames in the same reads stay exact', () => {
    // Large enough to be kept as a view of its read, were the read not borrowed.
    const binary = pattern(40_000, 22);
    const borrowed = new BorrowedReads();
    const frames = concat(ROLES[1]!.peerFrame(Op.BINARY, binary, { fin: false }), ROLES[1]!.peerFrame(Op.CONTINUATION, 'tail'));
    // Cuts in the 101 and the first header, and in the last frame (the first fragment then waits a read).
    const cuts = [...Array.from({ length: 67 }, (_, i) => i * 3), ...Array.from({ length: 10 }, (_, i) => -1 - i)];
    for (const cut of cuts) {
      const rec = new Recorder({ url: 'ws://example.com/chat' });
      const driver = Driver.client(rec.socket);
      const got = collect(driver as unknown as OpenDriver);
      driver.start();
      const key = /Sec-WebSocket-Key: (\S+)/i.exec(new TextDecoder().decode(rec.take()))![1]!;
      const bytes = concat(responseHead({ key }), frames);
      const at = cut < 0 ? bytes.length + cut : cut;
      borrowed.feed(driver, [bytes.subarray(0, at), bytes.subarray(at)].filter((c) => c.length > 0));
      expectSame(got.messages, [concat(binary, encoder.encode('tail'))]);
    }
  });
});

describe('borrowed input with permessage-deflate (zlib reads its input later, on its own thread)', () => {
  function compress(data: Uint8Array): Uint8Array {
    const out = zlib.deflateRawSync(data, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    return out.subarray(0, out.length - 4);
  }

  function deflateServer(): { driver: OpenDriver; rec: Recorder } {
    const rec = new Recorder();
    const driver = Driver.server(rec.socket, { decodeText: true });
    driver.addExtension(perMessageDeflate({ threshold: 0 }));
    rec.attach(driver);
    driver.parse(requestHead({ headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate' } }));
    driver.start();
    rec.take();
    return { driver: driver as unknown as OpenDriver, rec };
  }

  it('compressed messages, cut at every byte and read 64 KiB at a time, inflate exact', async () => {
    const small = pattern(200, 11);
    const text = mixedText(500);
    const large = pattern(300 * 1024, 12);
    const bytes = concat(
      ROLES[0]!.peerFrame(Op.BINARY, compress(small), { rsv: 0x40 }),
      ROLES[0]!.peerFrame(Op.TEXT, compress(encoder.encode(text)), { rsv: 0x40 }),
    );
    const largeBytes = ROLES[0]!.peerFrame(Op.BINARY, compress(large), { rsv: 0x40 });
    const borrowed = new BorrowedReads();
    const cuts = [...everyCut(bytes).filter((_, i) => i % 7 === 0), bytewise(bytes)];
    for (const chunks of cuts) {
      const { driver } = deflateServer();
      const got = collect(driver);
      borrowed.feed(driver, chunks);
      await new Promise((resolve) => setTimeout(resolve, 5));
      borrowed.overwrite(bytes.length);
      await waitForCount(got.messages, 2);
      expectSame(got.messages, [small, text]);
    }
    const { driver } = deflateServer();
    const got = collect(driver);
    borrowed.feed(driver, reads(largeBytes, 65536));
    await waitForCount(got.messages, 1);
    expectSame(got.messages, [large]);
  });
});

async function waitForCount(list: readonly unknown[], count: number): Promise<void> {
  for (let i = 0; i < 500 && list.length < count; i++) await new Promise((resolve) => setTimeout(resolve, 2));
}
