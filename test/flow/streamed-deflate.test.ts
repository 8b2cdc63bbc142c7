/**
 * Streamed messages through wsdriver's own permessage-deflate (RFC 7692):
 * one message compressed across pieces (RSV1 on the first frame only),
 * inflated piece by piece, bounded by maxStreamedMessageSize and stopped
 * while the application has paused delivery. With another extension the
 * stream falls back to whole messages (streamed.test.ts).
 */
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { startMessage, type DriverOptions } from '../../lib/index.js';
import { perMessageDeflate } from '../../lib/adapters/node/index.js';
import { concat, decodeFrames, Op, Pair, type Chunking } from '../helpers/index.js';
import { settle, tick } from '../extensions/fixtures.js';

function deflatePair(options: { client?: DriverOptions; server?: DriverOptions; chunking?: Chunking } = {}): Pair {
  const pair = new Pair({ client: options.client, server: options.server, chunking: options.chunking ?? 'whole' });
  pair.client.addExtension(perMessageDeflate());
  pair.server.addExtension(perMessageDeflate());
  pair.connect();
  return pair;
}

function pieces(driver: { on(type: 'messagepiece' | 'messageend' | 'messagestart', listener: (event: never) => void): unknown }) {
  const log = { type: '', parts: [] as Array<string | Uint8Array>, ended: 0 };
  driver.on('messagestart', (event: { type: string }) => (log.type = event.type));
  driver.on('messagepiece', (event: { data: string | Uint8Array }) => log.parts.push(typeof event.data === 'string' ? event.data : Uint8Array.from(event.data)));
  driver.on('messageend', () => log.ended++);
  return log;
}

describe.each([['whole', 'whole'], ['random chunks', { seed: 3, maxChunk: 13 }]] as const)('streamed through permessage-deflate, fed %s', (_name, chunking) => {
  it('sends one compressed message across pieces, RSV1 on the first frame only; the peer streams it back out whole', async () => {
    const pair = deflatePair({ server: { streamMessages: true }, chunking: chunking as Chunking });
    const log = pieces(pair.server as never);
    const before = pair.clientRec.socket.writes.length;
    const out = startMessage(pair.client, 'text')!;
    const text = 'streamed and compressed, ünïcödé 😀 '.repeat(200);
    // Cut inside a surrogate pair too.
    const cut = text.indexOf('😀') + 1;
    out.write(text.slice(0, cut));
    out.write(text.slice(cut, 4000));
    out.end(text.slice(4000));
    await settle(pair, () => log.ended === 1, 'the streamed message');
    expect(log.type).toBe('text');
    expect(log.parts.join('')).toBe(text);
    const frames = decodeFrames(concat(...pair.clientRec.socket.writes.slice(before)));
    expect(frames.map((f) => [f.opcode, f.rsv, f.fin])).toEqual([
      [Op.TEXT, 0x40, false],
      [Op.CONTINUATION, 0, false],
      [Op.CONTINUATION, 0, true],
    ]);
    // Compressed: fewer bytes on the wire than the text.
    expect(frames.reduce((sum, f) => sum + f.payload.length, 0)).toBeLessThan(new TextEncoder().encode(text).length / 4);
  });

  it('a whole compressed message is inflated in pieces for a streaming receiver', async () => {
    const pair = deflatePair({ client: { streamMessages: true }, chunking: chunking as Chunking });
    const log = pieces(pair.client as never);
    const payload = new Uint8Array(300_000).map((_, i) => (i * 7) & 0x3f);
    pair.server.binary(payload);
    await settle(pair, () => log.ended === 1, 'the message');
    expect(log.type).toBe('binary');
    expect(log.parts.length).toBeGreaterThan(1);
    expect(concat(...(log.parts as Uint8Array[]))).toEqual(payload);
  });
});

describe('bounds on streamed inflation', () => {
  /** A client frame (masked) carrying `data` compressed as one message. */
  function compressedFrame(data: Uint8Array): Uint8Array {
    const compressed = deflateRawSync(data);
    // RFC 7692 §7.2.1: a message's compressed data ends without the final empty block's trailer.
    const body = compressed.subarray(0, compressed.length);
    const header = body.length < 126 ? [0xc2, 0x80 | body.length] : [0xc2, 0x80 | 126, body.length >> 8, body.length & 0xff];
    return concat(Uint8Array.from([...header, 0, 0, 0, 0]), body);
  }

  it('a small frame that inflates past maxStreamedMessageSize fails with 1009 and inflates little more', async () => {
    const pair = deflatePair({ server: { streamMessages: true, maxStreamedMessageSize: 1 << 20 } });
    const log = pieces(pair.server as never);
    let inflated = 0;
    pair.server.on('messagepiece', (event) => (inflated += event.data.length));
    const bomb = compressedFrame(new Uint8Array(64 << 20));
    expect(bomb.length).toBeLessThan(100_000);
    pair.server.parse(bomb);
    await settle(pair, () => pair.serverRec.of('close').length === 1, 'the failure');
    expect(pair.serverRec.of('error').map((e) => [e.code, e.closeCode])).toEqual([['MESSAGE_TOO_LONG', 1009]]);
    expect(inflated).toBeLessThanOrEqual(1 << 20);
    expect(log.ended).toBe(0);
  });

  it('stops inflating while delivery is paused, and goes on when resumed', async () => {
    const pair = deflatePair({ server: { streamMessages: true } });
    const log = pieces(pair.server as never);
    let inflated = 0;
    pair.server.on('messagepiece', (event) => {
      inflated += event.data.length;
      pair.server.pause();
    });
    pair.server.parse(compressedFrame(new Uint8Array(8 << 20)));
    for (let i = 0; i < 20; i++) await tick();
    // One zlib chunk delivered, a few more held in zlib's small buffer at most.
    expect(inflated).toBeLessThanOrEqual(64 * 1024);
    expect(log.ended).toBe(0);
    pair.server.off('messagepiece', () => {});
    const resumeUntilDone = async () => {
      while (log.ended === 0) {
        pair.server.resume();
        await tick();
      }
    };
    await resumeUntilDone();
    expect(inflated).toBe(8 << 20);
  });

  it('a paused streamed inflation gives back its concurrencyLimit slot: another connection still compresses and decompresses', async () => {
    // One extension object, so one limiter of a single slot, shared by both servers.
    const shared = perMessageDeflate({ concurrencyLimit: 1 });
    const withShared = (server: DriverOptions): Pair => {
      const pair = new Pair({ server });
      pair.client.addExtension(perMessageDeflate());
      pair.server.addExtension(shared);
      return pair.connect();
    };
    const paused = withShared({ streamMessages: true });
    const log = pieces(paused.server as never);
    let inflated = 0;
    const stopAtFirstPiece = (event: { data: string | Uint8Array }) => {
      inflated += event.data.length;
      paused.server.pause();
    };
    paused.server.on('messagepiece', stopAtFirstPiece);
    paused.server.parse(compressedFrame(new Uint8Array(8 << 20)));
    for (let i = 0; i < 20; i++) await tick();
    expect(paused.server.isPaused).toBe(true);
    expect(log.ended).toBe(0);

    const other = withShared({});
    other.client.text('to the server '.repeat(1000));
    await settle(other, () => other.serverRec.of('message').length === 1, 'the other server to decompress');
    other.server.text('to the client '.repeat(1000));
    await settle(other, () => other.clientRec.of('message').length === 1, 'the other server to compress');
    expect(other.clientRec.of('message')[0]!.data).toBe('to the client '.repeat(1000));

    // The paused reader takes a slot again and finishes.
    paused.server.off('messagepiece', stopAtFirstPiece);
    paused.server.on('messagepiece', (event) => (inflated += event.data.length));
    await settle(
      paused,
      () => {
        paused.server.resume();
        return log.ended === 1;
      },
      'the paused message to finish',
    );
    expect(inflated).toBe(8 << 20);
  });
});
