/**
 * The end-to-end benchmark's load generator writes its own frames and
 * counts the server's without decoding them (bench/e2e/wire.ts): checked
 * here against the tests' independent frame codec, so a miscounted message
 * cannot inflate a figure.
 */
import { describe, expect, it } from 'vitest';
import { clientFrame, FrameScanner, handshakeRequest, serverFrame } from '../../bench/e2e/wire.js';
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
