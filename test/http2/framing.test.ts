/**
 * The framing drivers once open, in memory: messages both ways,
 * fragmentation, ping/pong, the closing handshake and protocol errors,
 * each with the bytes delivered whole and byte by byte, and the same
 * connection opened without any handshake (a pre-negotiated stream).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CloseCode, framingDriver } from '../../lib/index.js';
import { BASIC_CHUNKINGS, chunkingName, clientFrame, closePayload, decodeFrames, feed, Op, readClosePayload, Recorder, serverFrame } from '../helpers/index.js';
import { FramingPair, framingClient, framingServer } from './support.js';

function bytes(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + 7) & 0xff;
  return out;
}

describe.each(BASIC_CHUNKINGS)('framing drivers in the open state, bytes delivered %s', (chunking) => {
  const label = chunkingName(chunking);
  const open = (options: ConstructorParameters<typeof FramingPair>[0] = {}) => new FramingPair({ ...options, chunking }).connect();

  describe(`messages (${label})`, () => {
    it('carry text and binary of every length encoding both ways, in order', () => {
      const pair = open();
      const sizes = [0, 125, 126, 65535, 65536];
      pair.client.text('héllo ✓ 🎉');
      for (const size of sizes) pair.client.binary(bytes(size));
      pair.server.text('back');
      pair.server.binary(bytes(300));
      pair.flush();
      expect(pair.serverRec.messages).toEqual(['héllo ✓ 🎉', ...sizes.map(bytes)]);
      expect(pair.clientRec.messages).toEqual(['back', bytes(300)]);
    });

    it('are masked by the client and never by the server (RFC 6455 §5.3)', () => {
      const pair = open();
      pair.clientRec.take();
      pair.serverRec.take();
      pair.client.text('up');
      pair.server.text('down');
      expect(decodeFrames(pair.clientRec.take()).map((f) => f.masked)).toEqual([true]);
      expect(decodeFrames(pair.serverRec.take()).map((f) => f.masked)).toEqual([false]);
    });

    it('are sent in fragments of fragmentSize and reassembled', () => {
      const pair = open({ client: { fragmentSize: 10 } });
      pair.clientRec.take();
      pair.client.text('a message of thirty-two bytes!!!');
      const frames = decodeFrames(pair.clientRec.take());
      expect(frames.map((f) => [f.opcode, f.fin])).toEqual([
        [Op.TEXT, false],
        [Op.CONTINUATION, false],
        [Op.CONTINUATION, false],
        [Op.CONTINUATION, true],
      ]);
      pair.flush();
      expect(pair.serverRec.messages).toEqual(['a message of thirty-two bytes!!!']);
    });
  });

  describe(`ping and pong (${label})`, () => {
    it('answers a ping with its payload and runs the ping callback on the pong', () => {
      const pair = open();
      let answered = 0;
      pair.client.ping('are you there', () => answered++);
      pair.flush();
      expect(pair.serverRec.of('ping').map((e) => new TextDecoder().decode(e.data))).toEqual(['are you there']);
      expect(pair.clientRec.of('pong').map((e) => new TextDecoder().decode(e.data))).toEqual(['are you there']);
      expect(answered).toBe(1);
    });

    it('delivers a ping from the server to the client', () => {
      const pair = open();
      pair.server.ping(bytes(125));
      pair.flush();
      expect(pair.clientRec.of('ping')[0]!.data).toEqual(bytes(125));
      expect(pair.serverRec.of('pong')[0]!.data).toEqual(bytes(125));
    });
  });

  describe(`the closing handshake (${label})`, () => {
    it.each([CloseCode.NORMAL, CloseCode.GOING_AWAY, 4000])('started by the client with %i ends cleanly on both sides', (code) => {
      const pair = open();
      pair.client.close(code, 'done here');
      expect(pair.client.readyState).toBe(2);
      pair.flush();
      expect(pair.serverRec.of('close')).toEqual([{ type: 'close', code, reason: 'done here', wasClean: true }]);
      expect(pair.clientRec.of('close')).toEqual([{ type: 'close', code, reason: '', wasClean: true }]);
    });

    it('started by the server ends cleanly, and still delivers the messages sent before it', () => {
      const pair = open();
      pair.client.text('in flight');
      pair.server.close(CloseCode.GOING_AWAY, 'shutting down');
      pair.flush();
      expect(pair.serverRec.messages).toEqual(['in flight']);
      expect(pair.clientRec.of('close')[0]).toMatchObject({ code: CloseCode.GOING_AWAY, reason: 'shutting down', wasClean: true });
      expect(pair.server.text('late')).toBe(false);
    });

    it('reports 1006 when the stream ends without it', () => {
      const pair = open();
      pair.client.transportClosed();
      expect(pair.clientRec.of('close')).toEqual([{ type: 'close', code: CloseCode.ABNORMAL, reason: '', wasClean: false }]);
    });
  });

  describe(`protocol errors (${label})`, () => {
    function openServer() {
      const { driver, rec } = framingServer({ maxLength: 1000 });
      driver.start();
      rec.clearEvents();
      return { driver, rec };
    }

    it.each([
      { name: 'an unmasked frame', frame: serverFrame(Op.TEXT, 'x'), code: 'UNMASKED_FRAME', closeCode: CloseCode.PROTOCOL_ERROR },
      { name: 'invalid UTF-8 in text', frame: clientFrame(Op.TEXT, Uint8Array.of(0x68, 0xc3, 0x28)), code: 'INVALID_UTF8', closeCode: CloseCode.INVALID_DATA },
      { name: 'a frame over maxLength', frame: clientFrame(Op.BINARY, bytes(1001)), code: 'MESSAGE_TOO_LONG', closeCode: CloseCode.TOO_LARGE },
      { name: 'a reserved opcode', frame: clientFrame(0x3, 'x'), code: 'RESERVED_OPCODE', closeCode: CloseCode.PROTOCOL_ERROR },
      { name: 'RSV1 with no extension', frame: clientFrame(Op.TEXT, 'x', { rsv: 0x40 }), code: 'RESERVED_BITS', closeCode: CloseCode.PROTOCOL_ERROR },
    ])('the server fails the connection on $name, sending close $closeCode', ({ frame, code, closeCode }) => {
      const { driver, rec } = openServer();
      feed(driver, frame, chunking);
      expect(rec.of('error').map((e) => [e.code, e.closeCode])).toEqual([[code, closeCode]]);
      expect(rec.of('close')[0]).toMatchObject({ code: closeCode, wasClean: false });
      const sent = decodeFrames(rec.take());
      expect(sent.map((f) => f.opcode)).toEqual([Op.CLOSE]);
      expect(readClosePayload(sent[0]!.payload).code).toBe(closeCode);
    });

    it('the client fails the connection on a masked frame from the server', () => {
      const { driver, rec } = framingClient();
      driver.start();
      feed(driver, clientFrame(Op.TEXT, 'masked'), chunking);
      expect(rec.of('error')[0]).toMatchObject({ code: 'MASKED_FRAME', closeCode: CloseCode.PROTOCOL_ERROR });
    });

    it('the server takes unmasked frames when requireMasking is off', () => {
      const { driver, rec } = framingServer({ requireMasking: false });
      driver.start();
      feed(driver, serverFrame(Op.TEXT, 'trusted peer'), chunking);
      expect(rec.messages).toEqual(['trusted peer']);
    });

    it('a close frame with an invalid code fails with 1002', () => {
      const { driver, rec } = openServer();
      feed(driver, clientFrame(Op.CLOSE, closePayload(1005)), chunking);
      expect(rec.of('error')[0]!.code).toBe('INVALID_CLOSE_CODE');
    });
  });
});

describe('a pre-negotiated stream (no handshake headers)', () => {
  it('opens on start() on both ends with no subprotocol and no extensions, writing no head', () => {
    const serverRec = new Recorder();
    const clientRec = new Recorder();
    const server = serverRec.attach(framingDriver(serverRec.socket, 'server', { protocols: ['chat'] }));
    const client = clientRec.attach(framingDriver(clientRec.socket, 'client'));
    client.text('queued before open');
    expect(clientRec.written.length).toBe(0);
    server.start();
    client.start();
    expect([server.readyState, client.readyState, server.protocol, client.extensions.length]).toEqual([1, 1, null, 0]);
    const written = clientRec.take();
    expect(decodeFrames(written).map((f) => [f.opcode, f.masked])).toEqual([[Op.TEXT, true]]);
    feed(server, written, 'bytewise');
    expect(serverRec.messages).toEqual(['queued before open']);
  });

  it('holds frames that arrive before start() and reads them at start()', () => {
    const { driver, rec } = framingServer();
    feed(driver, clientFrame(Op.TEXT, 'early'), 'bytewise');
    expect(rec.messages).toEqual([]);
    driver.start();
    expect(rec.types).toEqual(['open', 'message']);
    expect(rec.messages).toEqual(['early']);
  });
});

describe('property: any messages, any chunking', () => {
  it('what the client sends, the server receives, whole and in order', () => {
    const message = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.uint8Array({ maxLength: 70_000 }));
    fc.assert(
      fc.property(fc.array(message, { maxLength: 8 }), fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 300 }), (messages, seed, fragmentSize) => {
        const pair = new FramingPair({ chunking: { seed, maxChunk: 97 }, client: { fragmentSize } }).connect();
        for (const m of messages) {
          if (typeof m === 'string') pair.client.text(m);
          else pair.client.binary(m);
        }
        pair.flush();
        expect(pair.serverRec.messages).toEqual(messages);
      }),
      { numRuns: 60 },
    );
  });
});

describe('a close frame from the peer', () => {
  it('with no code with no code is reported as 1005 and answered with an empty close', () => {
    const { driver, rec } = framingClient();
    driver.start();
    rec.clearEvents();
    feed(driver, serverFrame(Op.CLOSE), 'bytewise');
    expect(rec.of('close')[0]).toMatchObject({ code: CloseCode.NO_STATUS, wasClean: true });
    const [answer] = decodeFrames(rec.take());
    expect([answer!.opcode, answer!.payload.length]).toEqual([Op.CLOSE, 0]);
  });
});
