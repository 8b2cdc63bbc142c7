/**
 * `decodeText: false` and `text(bytes)` through permessage-deflate (RFC
 * 7692): compressed text is inflated, checked as UTF-8 (RFC 6455 §8.1,
 * 1007 if it is not) and delivered as its bytes, whole and streamed;
 * bytes sent as text are compressed as a string's bytes would be.
 */
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { DriverOptions } from '../../lib/index.js';
import { perMessageDeflate } from '../../lib/adapters/node/index.js';
import { clientFrame, concat, decodeFrames, feed, Op, Pair } from '../helpers/index.js';
import { settle, waitFor } from './fixtures.js';

const encoder = new TextEncoder();

function deflatePair(server: DriverOptions): Pair {
  const pair = new Pair({ server });
  pair.client.addExtension(perMessageDeflate());
  pair.server.addExtension(perMessageDeflate());
  return pair.connect();
}

/** A message compressed as RFC 7692 §7.2.1 says: the trailing 00 00 FF FF taken off. */
function compress(bytes: Uint8Array): Uint8Array {
  const out = deflateRawSync(bytes, { finishFlush: 2 /* Z_SYNC_FLUSH */ });
  return out.subarray(0, out.length - 4);
}

describe('decodeText: false through permessage-deflate', () => {
  it('compressed text arrives as its bytes with type "text"; binary as binary', async () => {
    const pair = deflatePair({ decodeText: false });
    const got: Array<[string, Uint8Array | string]> = [];
    pair.server.on('message', (event) => got.push([event.type, typeof event.data === 'string' ? event.data : Uint8Array.from(event.data)]));
    const text = 'compressed ünïcödé 😀 '.repeat(300);
    pair.client.text(text);
    pair.client.binary(Uint8Array.of(1, 2, 3));
    await settle(pair, () => got.length === 2, 'two messages');
    expect(got).toEqual([
      ['text', encoder.encode(text)],
      ['binary', Uint8Array.of(1, 2, 3)],
    ]);
  });

  it('compressed text that inflates to bad UTF-8 closes with 1007', async () => {
    const pair = deflatePair({ decodeText: false });
    feed(pair.server, clientFrame(Op.TEXT, compress(Uint8Array.of(0x61, 0xed, 0xa0, 0x80)), { rsv: 0x40 }));
    await waitFor(() => pair.serverRec.of('close').length > 0, 'close');
    expect(pair.serverRec.messages).toEqual([]);
    expect(pair.serverRec.of('error')[0]).toMatchObject({ code: 'INVALID_UTF8', closeCode: 1007 });
  });

  it('with streamMessages: inflated text pieces are checked bytes; bad UTF-8 closes with 1007', async () => {
    const pair = deflatePair({ decodeText: false, streamMessages: true });
    const pieces: Uint8Array[] = [];
    let ended = 0;
    pair.server.on('messagepiece', (event) => pieces.push(Uint8Array.from(event.data as Uint8Array)));
    pair.server.on('messageend', () => ended++);
    const text = 'streamed ✓ '.repeat(20_000);
    pair.client.text(text);
    await settle(pair, () => ended === 1, 'the streamed message');
    expect(pieces.every((piece) => piece instanceof Uint8Array)).toBe(true);
    expect(concat(...pieces)).toEqual(encoder.encode(text));

    const bad = deflatePair({ decodeText: false, streamMessages: true });
    // Ends inside a 3-byte sequence: caught at the message's end.
    feed(bad.server, clientFrame(Op.TEXT, compress(Uint8Array.of(0x61, 0xe2, 0x82)), { rsv: 0x40 }));
    await waitFor(() => bad.serverRec.of('close').length > 0, 'close');
    expect(bad.serverRec.of('error')[0]).toMatchObject({ code: 'INVALID_UTF8', closeCode: 1007 });
  });

  it('text(bytes) is compressed and arrives as the same text; the caller may reuse its buffer at once', async () => {
    const pair = deflatePair({ decodeText: false });
    const before = pair.serverRec.socket.writes.length;
    const bytes = encoder.encode('echoed as bytes ✓ '.repeat(100));
    const sent = Uint8Array.from(bytes);
    pair.server.text(sent);
    // Copied before the pipeline: changing the buffer now does not change the message.
    sent.fill(0x21);
    await settle(pair, () => pair.clientRec.messages.length === 1, 'the message');
    expect(pair.clientRec.messages).toEqual([new TextDecoder().decode(bytes)]);
    const frames = decodeFrames(concat(...pair.serverRec.socket.writes.slice(before)));
    expect(frames.map((f) => [f.opcode, f.rsv])).toEqual([[Op.TEXT, 0x40]]);
  });
});
