// Checks the helpers themselves, so a failing driver test points at the driver.
import { describe, expect, it } from 'vitest';
import {
  acceptFor,
  clientFrame,
  closePayload,
  concat,
  decodeFrames,
  frame,
  Op,
  openClient,
  openServer,
  Pair,
  parseHead,
  readClosePayload,
  requestHead,
  SAMPLE_ACCEPT,
  SAMPLE_KEY,
  split,
} from './index.js';

describe('frame builder', () => {
  it('writes the RFC 6455 §5.7 examples byte for byte', () => {
    expect([...frame({ opcode: Op.TEXT, payload: 'Hello' })]).toEqual([0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
    expect([...frame({ opcode: Op.TEXT, payload: 'Hello', mask: [0x37, 0xfa, 0x21, 0x3d] })]).toEqual([
      0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ]);
    expect([...frame({ fin: false, opcode: Op.TEXT, payload: 'Hel' })]).toEqual([0x01, 0x03, 0x48, 0x65, 0x6c]);
    expect([...frame({ opcode: Op.BINARY, payload: new Uint8Array(256) }).subarray(0, 4)]).toEqual([0x82, 0x7e, 0x01, 0x00]);
    expect([...frame({ opcode: Op.BINARY, payload: new Uint8Array(65536) }).subarray(0, 10)]).toEqual([
      0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0,
    ]);
  });

  it('writes forced non-minimal length encodings and declared lengths', () => {
    expect([...frame({ opcode: Op.BINARY, payload: 'ab', lengthEncoding: 16 })]).toEqual([0x82, 126, 0, 2, 97, 98]);
    expect([...frame({ opcode: Op.BINARY, payload: '', lengthEncoding: 64 })]).toEqual([0x82, 127, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect([...frame({ opcode: Op.BINARY, declaredLength: 2n ** 63n })]).toEqual([0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('round-trips through the decoder, masked and unmasked', () => {
    const payload = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const frames = decodeFrames(concat(clientFrame(Op.BINARY, payload), frame({ opcode: Op.PING, payload: 'x', rsv: 0x40 })));
    expect(frames).toHaveLength(2);
    expect(frames[0]!.masked).toBe(true);
    expect(frames[0]!.extendedLengthBytes).toBe(2);
    expect(frames[0]!.payload).toEqual(payload);
    expect(frames[1]).toMatchObject({ opcode: Op.PING, rsv: 0x40, masked: false });
  });

  it('decoder throws on a truncated frame', () => {
    expect(() => decodeFrames(frame({ opcode: Op.TEXT, payload: 'abc' }).subarray(0, 4))).toThrow(/truncated/);
  });

  it('close payloads read back', () => {
    expect(readClosePayload(closePayload(1000, 'bye'))).toEqual({ code: 1000, reason: 'bye' });
    expect(closePayload().length).toBe(0);
  });
});

describe('http helpers', () => {
  it('computes the §1.3 sample accept key', () => {
    expect(acceptFor(SAMPLE_KEY)).toBe(SAMPLE_ACCEPT);
  });

  it('builds and reads back a request head, with overrides and omissions', () => {
    const head = parseHead(requestHead({ protocols: ['a', 'b'], headers: { connection: 'keep-alive, Upgrade', Host: null } }));
    expect(head.startLine).toBe('GET /chat HTTP/1.1');
    expect(head.headers['connection']).toBe('keep-alive, Upgrade');
    expect(head.headers['host']).toBeUndefined();
    expect(head.headers['sec-websocket-protocol']).toBe('a, b');
  });
});

describe('split', () => {
  it.each(['whole', 'bytewise', { seed: 7 }, { sizes: [3, 1] }] as const)('keeps every byte in order (%o)', (chunking) => {
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff);
    const chunks = split(bytes, chunking);
    expect(concat(...chunks)).toEqual(bytes);
    if (chunking === 'bytewise') expect(chunks).toHaveLength(1000);
  });

  it('is reproducible for a seed and differs between seeds', () => {
    const bytes = new Uint8Array(500);
    const sizes = (seed: number) => split(bytes, { seed }).map((c) => c.length);
    expect(sizes(1)).toEqual(sizes(1));
    expect(sizes(1)).not.toEqual(sizes(2));
  });
});

describe('driver set-ups', () => {
  it('openServer and openClient leave open drivers with nothing recorded', () => {
    const server = openServer();
    const client = openClient();
    for (const { driver, rec } of [server, client]) {
      expect(driver.readyState).toBe(1);
      expect(rec.events).toEqual([]);
      expect(rec.take().length).toBe(0);
    }
  });

  it('Pair connects and carries a message each way', () => {
    const pair = new Pair({ chunking: 'bytewise' }).connect();
    pair.client.text('hi');
    pair.server.binary(Uint8Array.of(1, 2, 3));
    pair.flush();
    expect(pair.serverRec.messages).toEqual(['hi']);
    expect(pair.clientRec.messages).toEqual([Uint8Array.of(1, 2, 3)]);
  });
});
