// RFC 6455 §5: framing, for the server and the client, every input fed
// whole and byte by byte.
import { describe, expect, it } from 'vitest';
import {
  BASIC_CHUNKINGS,
  closePayload,
  concat,
  feed,
  frame,
  Op,
  readClosePayload,
  ROLES,
  SERVER,
  CLIENT,
  type Chunking,
  type Recorder,
  type Role,
} from '../helpers/index.js';

/** Checks that the driver failed the connection: error, one close frame with the code, close event, nothing more. */
function expectFailed(rec: Recorder, driver: { readyState: number }, code: string, closeCode: number): void {
  const errors = rec.of('error');
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatchObject({ code, closeCode });
  expect(rec.of('close')).toEqual([expect.objectContaining({ code: closeCode, wasClean: false })]);
  expect(rec.types.slice(-2)).toEqual(['error', 'close']);
  const frames = rec.takeFrames();
  expect(frames.map((f) => f.opcode)).toEqual([Op.CLOSE]);
  expect(readClosePayload(frames[0]!.payload).code).toBe(closeCode);
  expect(driver.readyState).toBe(3);
}

function bytesOfLength(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);
}

describe.each(ROLES)('$name framing (§5.2)', (role: Role) => {
  describe.each(BASIC_CHUNKINGS)('input fed %s', (chunking: Chunking) => {
    describe('payload lengths', () => {
      it.each([0, 1, 125, 126, 127, 65535, 65536, 70000])('receives a binary message of %i bytes', (n) => {
        const { driver, rec } = role.open();
        const payload = bytesOfLength(n);
        feed(driver, role.peerFrame(Op.BINARY, payload), chunking);
        expect(rec.messages).toEqual([payload]);
        expect(rec.of('error')).toEqual([]);
      });

      it.each([0, 125, 126, 65536])('receives a text message of %i bytes', (n) => {
        const { driver, rec } = role.open();
        const text = 'é'.repeat(n >> 1) + 'a'.repeat(n & 1);
        feed(driver, role.peerFrame(Op.TEXT, text), chunking);
        expect(rec.messages).toEqual([text]);
      });

      it.each([
        ['16-bit length for 0 bytes', 0, 16],
        ['16-bit length for 125 bytes', 125, 16],
        ['64-bit length for 125 bytes', 125, 64],
        ['64-bit length for 65535 bytes', 65535, 64],
      ] as const)('rejects a non-minimal %s with 1002', (_name, n, lengthEncoding) => {
        const { driver, rec } = role.open();
        feed(driver, role.peerFrame(Op.BINARY, bytesOfLength(n), { lengthEncoding }), chunking);
        expect(rec.messages).toEqual([]);
        expectFailed(rec, driver, 'NON_MINIMAL_LENGTH', 1002);
      });

      it('rejects a 64-bit length with its most significant bit set with 1002', () => {
        const { driver, rec } = role.open();
        feed(driver, role.peerFrame(Op.BINARY, '', { declaredLength: 2n ** 63n + 5n }), chunking);
        expectFailed(rec, driver, 'LENGTH_OUT_OF_RANGE', 1002);
      });

      it.each([
        ['2^32', 2n ** 32n],
        ['2^53 + 1', 2n ** 53n + 1n],
        ['2^63 - 1', 2n ** 63n - 1n],
      ])('answers a length of %s with 1009 from the header alone', (_name, declaredLength) => {
        const { driver, rec } = role.open();
        feed(driver, role.peerFrame(Op.BINARY, '', { declaredLength }), chunking);
        expectFailed(rec, driver, 'MESSAGE_TOO_LONG', 1009);
      });
    });

    describe('maxLength', () => {
      it('accepts a frame of exactly maxLength bytes', () => {
        const { driver, rec } = role.open({ maxLength: 300 });
        feed(driver, role.peerFrame(Op.BINARY, bytesOfLength(300)), chunking);
        expect(rec.messages).toHaveLength(1);
      });

      it('fails a longer frame with 1009 as soon as its header is read, before any payload', () => {
        const { driver, rec } = role.open({ maxLength: 300 });
        const bytes = role.peerFrame(Op.BINARY, bytesOfLength(301));
        const headerSize = 4 + (role.masks ? 0 : 4);
        feed(driver, bytes.subarray(0, headerSize), chunking);
        expectFailed(rec, driver, 'MESSAGE_TOO_LONG', 1009);
      });

      it('fails a fragmented message that grows past maxLength at the header of the fragment that overflows', () => {
        const { driver, rec } = role.open({ maxLength: 300 });
        feed(driver, role.peerFrame(Op.BINARY, bytesOfLength(200), { fin: false }), chunking);
        expect(rec.events).toEqual([]);
        const second = role.peerFrame(Op.CONTINUATION, bytesOfLength(101));
        feed(driver, second.subarray(0, role.masks ? 2 : 6), chunking);
        expectFailed(rec, driver, 'MESSAGE_TOO_LONG', 1009);
      });

      it('accepts a fragmented message of exactly maxLength bytes', () => {
        const { driver, rec } = role.open({ maxLength: 300 });
        feed(driver, concat(role.peerFrame(Op.BINARY, bytesOfLength(200), { fin: false }), role.peerFrame(Op.CONTINUATION, bytesOfLength(100))), chunking);
        expect(rec.messages.map((m) => m.length)).toEqual([300]);
      });

      it('does not count control frames towards a fragmented message', () => {
        const { driver, rec } = role.open({ maxLength: 10 });
        feed(
          driver,
          concat(
            role.peerFrame(Op.TEXT, 'abcde', { fin: false }),
            role.peerFrame(Op.PING, 'x'.repeat(8)),
            role.peerFrame(Op.CONTINUATION, 'fghij'),
          ),
          chunking,
        );
        expect(rec.messages).toEqual(['abcdefghij']);
      });
    });

    describe('RSV bits and opcodes', () => {
      it.each([0x40, 0x20, 0x10, 0x70])('rejects RSV bits 0x%s on a data frame with no extension, with 1002', (rsv) => {
        const { driver, rec } = role.open();
        feed(driver, role.peerFrame(Op.TEXT, 'x', { rsv }), chunking);
        expect(rec.messages).toEqual([]);
        expectFailed(rec, driver, 'RESERVED_BITS', 1002);
      });

      it('rejects RSV bits on a control frame', () => {
        const { driver, rec } = role.open();
        feed(driver, role.peerFrame(Op.PING, '', { rsv: 0x40 }), chunking);
        expectFailed(rec, driver, 'RESERVED_BITS', 1002);
      });

      it.each([0x3, 0x4, 0x5, 0x6, 0x7, 0xb, 0xc, 0xd, 0xe, 0xf])('rejects reserved opcode 0x%s with 1002', (opcode) => {
        const { driver, rec } = role.open();
        feed(driver, role.peerFrame(opcode, 'x'), chunking);
        expectFailed(rec, driver, 'RESERVED_OPCODE', 1002);
      });
    });

    describe('control frames (§5.5)', () => {
      it('accepts a ping of 125 bytes', () => {
        const { driver, rec } = role.open();
        feed(driver, role.peerFrame(Op.PING, bytesOfLength(125)), chunking);
        expect(rec.of('ping')[0]!.data).toEqual(bytesOfLength(125));
      });

      it.each([Op.PING, Op.PONG, Op.CLOSE])('rejects control frame 0x%s of 126 bytes with 1002', (opcode) => {
        const { driver, rec } = role.open();
        feed(driver, role.peerFrame(opcode, bytesOfLength(126)), chunking);
        expectFailed(rec, driver, 'CONTROL_FRAME_TOO_LONG', 1002);
      });

      it.each([Op.PING, Op.PONG, Op.CLOSE])('rejects a fragmented control frame 0x%s with 1002', (opcode) => {
        const { driver, rec } = role.open();
        feed(driver, role.peerFrame(opcode, 'ab', { fin: false }), chunking);
        expectFailed(rec, driver, 'FRAGMENTED_CONTROL_FRAME', 1002);
      });
    });

    describe('fragmentation (§5.4)', () => {
      it('reassembles a text message with control frames interleaved, delivering the controls first', () => {
        const { driver, rec } = role.open();
        feed(
          driver,
          concat(
            role.peerFrame(Op.TEXT, 'Hel', { fin: false }),
            role.peerFrame(Op.PING, 'p1'),
            role.peerFrame(Op.CONTINUATION, 'lo, ', { fin: false }),
            role.peerFrame(Op.PONG, 'q'),
            role.peerFrame(Op.CONTINUATION, 'world'),
            role.peerFrame(Op.TEXT, 'next'),
          ),
          chunking,
        );
        expect(rec.types).toEqual(['ping', 'pong', 'message', 'message']);
        expect(rec.messages).toEqual(['Hello, world', 'next']);
        // The ping was answered straight away, in the middle of the message.
        expect(rec.takeFrames().map((f) => f.opcode)).toEqual([Op.PONG]);
      });

      it('reassembles a binary message from many fragments, empty ones included', () => {
        const { driver, rec } = role.open();
        const parts = [bytesOfLength(0), bytesOfLength(10), bytesOfLength(0), bytesOfLength(300), bytesOfLength(1)];
        const frames = parts.map((part, i) =>
          role.peerFrame(i === 0 ? Op.BINARY : Op.CONTINUATION, part, { fin: i === parts.length - 1 }),
        );
        feed(driver, concat(...frames), chunking);
        expect(rec.messages).toEqual([concat(...parts)]);
      });

      it('rejects a continuation frame with no message to continue, with 1002', () => {
        const { driver, rec } = role.open();
        feed(driver, role.peerFrame(Op.CONTINUATION, 'x'), chunking);
        expectFailed(rec, driver, 'UNEXPECTED_CONTINUATION', 1002);
      });

      it('rejects a continuation after a complete message, with 1002', () => {
        const { driver, rec } = role.open();
        feed(driver, concat(role.peerFrame(Op.TEXT, 'done'), role.peerFrame(Op.CONTINUATION, 'x')), chunking);
        expect(rec.messages).toEqual(['done']);
        expectFailed(rec, driver, 'UNEXPECTED_CONTINUATION', 1002);
      });

      it.each([Op.TEXT, Op.BINARY])('rejects a new data frame (0x%s) inside a fragmented message, with 1002', (opcode) => {
        const { driver, rec } = role.open();
        feed(driver, concat(role.peerFrame(Op.TEXT, 'a', { fin: false }), role.peerFrame(opcode, 'b')), chunking);
        expect(rec.messages).toEqual([]);
        expectFailed(rec, driver, 'EXPECTED_CONTINUATION', 1002);
      });
    });

    it('ignores everything after a protocol error', () => {
      const { driver, rec } = role.open();
      feed(driver, concat(role.peerFrame(0x3, ''), role.peerFrame(Op.TEXT, 'after'), role.peerFrame(Op.PING, '')), chunking);
      expectFailed(rec, driver, 'RESERVED_OPCODE', 1002);
      feed(driver, role.peerFrame(Op.TEXT, 'later'), chunking);
      expect(rec.of('message')).toEqual([]);
      expect(rec.take().length).toBe(0);
    });
  });

  describe('sending', () => {
    it.each([0, 125, 126, 65535, 65536])('writes a %i-byte message with the minimal length encoding', (n) => {
      const { driver, rec } = role.open();
      driver.binary(bytesOfLength(n));
      const [sent] = rec.takeFrames();
      expect(sent).toMatchObject({ fin: true, rsv: 0, opcode: Op.BINARY, masked: role.masks });
      expect(sent!.extendedLengthBytes).toBe(n < 126 ? 0 : n < 65536 ? 2 : 8);
      expect(sent!.payload).toEqual(bytesOfLength(n));
    });

    it('writes text as one TEXT frame of UTF-8', () => {
      const { driver, rec } = role.open();
      expect(driver.text('héllo 🌍')).toBe(true);
      const [sent] = rec.takeFrames();
      expect(sent).toMatchObject({ fin: true, opcode: Op.TEXT });
      expect(new TextDecoder().decode(sent!.payload)).toBe('héllo 🌍');
    });

    it('splits messages into frames of fragmentSize bytes, controls whole', () => {
      const { driver, rec } = role.open({ fragmentSize: 4 });
      driver.text('abcdefghij');
      driver.binary(bytesOfLength(8));
      driver.binary(bytesOfLength(0));
      driver.ping('123456789');
      const frames = rec.takeFrames();
      expect(frames.map((f) => [f.opcode, f.fin, f.payload.length])).toEqual([
        [Op.TEXT, false, 4],
        [Op.CONTINUATION, false, 4],
        [Op.CONTINUATION, true, 2],
        [Op.BINARY, false, 4],
        [Op.CONTINUATION, true, 4],
        [Op.BINARY, true, 0],
        [Op.PING, true, 9],
      ]);
      expect(new TextDecoder().decode(concat(...frames.slice(0, 3).map((f) => f.payload)))).toBe('abcdefghij');
    });

    it('does not change the bytes the caller passes to binary()', () => {
      const { driver } = role.open();
      const data = bytesOfLength(1000);
      driver.binary(data);
      expect(data).toEqual(bytesOfLength(1000));
    });
  });
});

describe.each(BASIC_CHUNKINGS)('masking (§5.1, §5.3), fed %s', (chunking) => {
  it('a server fails an unmasked client frame with 1002 (websocket-driver uses 1003)', () => {
    const { driver, rec } = SERVER.open();
    feed(driver, frame({ opcode: Op.TEXT, payload: 'plain' }), chunking);
    expect(rec.messages).toEqual([]);
    expectFailed(rec, driver, 'UNMASKED_FRAME', 1002);
  });

  it('a server with requireMasking: false accepts unmasked frames, and masked ones too', () => {
    const { driver, rec } = SERVER.open({ requireMasking: false });
    feed(driver, concat(frame({ opcode: Op.TEXT, payload: 'plain' }), frame({ opcode: Op.TEXT, payload: 'masked', mask: true })), chunking);
    expect(rec.messages).toEqual(['plain', 'masked']);
  });

  it('a client fails a masked server frame with 1002 (websocket-driver accepts it)', () => {
    const { driver, rec } = CLIENT.open();
    feed(driver, frame({ opcode: Op.TEXT, payload: 'masked', mask: true }), chunking);
    expect(rec.messages).toEqual([]);
    expectFailed(rec, driver, 'MASKED_FRAME', 1002);
  });

  it('a server unmasks with any key, including all-zero', () => {
    const { driver, rec } = SERVER.open();
    feed(driver, concat(frame({ opcode: Op.TEXT, payload: 'zero', mask: [0, 0, 0, 0] }), frame({ opcode: Op.BINARY, payload: bytesOfLength(100), mask: [1, 2, 3, 4] })), chunking);
    expect(rec.messages).toEqual(['zero', bytesOfLength(100)]);
  });
});

describe('masking of sent frames', () => {
  it('a client masks every frame, with a fresh key each time', () => {
    const { driver, rec } = CLIENT.open();
    for (let i = 0; i < 50; i++) driver.text('same');
    driver.ping('p');
    driver.close(1000, 'bye');
    const frames = rec.takeFrames();
    expect(frames.every((f) => f.masked)).toBe(true);
    const keys = new Set(frames.map((f) => Buffer.from(f.maskKey!).toString('hex')));
    expect(keys.size).toBe(frames.length);
    expect(readClosePayload(frames.at(-1)!.payload)).toEqual({ code: 1000, reason: 'bye' });
  });

  it('a server never masks', () => {
    const { driver, rec } = SERVER.open();
    driver.text('a');
    driver.binary(bytesOfLength(70000));
    driver.ping();
    driver.close();
    expect(rec.takeFrames().some((f) => f.masked)).toBe(false);
  });

  it('the close frame a client sends carries its code masked', () => {
    const { driver, rec } = CLIENT.open();
    driver.close(4000, '');
    expect(rec.takeFrames()[0]!.payload).toEqual(closePayload(4000));
  });
});
