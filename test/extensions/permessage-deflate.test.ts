/**
 * wsdriver's permessage-deflate (RFC 7692): negotiation of its four
 * parameters, compressed round trips between wsdriver drivers (fed whole
 * and byte by byte), context takeover, the decompression-bomb limit,
 * corrupt data, and faye's `permessage-deflate` through `addExtension()`.
 */
import zlib from 'node:zlib';
import fayeDeflate from 'permessage-deflate';
import { describe, expect, it } from 'vitest';
import { Driver, PreparedMessage, type DriverOptions, type Extension } from '../../lib/index.js';
import { DEFAULT_ZLIB_CONCURRENCY, perMessageDeflate, type PerMessageDeflateOptions } from '../../lib/adapters/node/index.js';
import {
  BASIC_CHUNKINGS,
  chunkingName,
  clientFrame,
  concat,
  decodeFrames,
  feed,
  Op,
  Pair,
  Recorder,
  requestHead,
  responseHead,
  type Chunking,
} from '../helpers/index.js';
import { settle, waitFor } from './fixtures.js';

const encoder = new TextEncoder();

/** The response header a server with `options` gives to `offer` (undefined: no extension accepted). */
function serverAnswer(options: PerMessageDeflateOptions, offer: string): string | undefined {
  const rec = new Recorder();
  const driver = Driver.server(rec.socket);
  driver.addExtension(perMessageDeflate(options));
  driver.parse(requestHead({ headers: { 'Sec-WebSocket-Extensions': offer } }));
  driver.start();
  return rec.takeHead().headers['sec-websocket-extensions'];
}

/** A client with `options`: its offer, and whether `response` opens the connection. */
function clientExchange(options: PerMessageDeflateOptions, response?: string) {
  const rec = new Recorder({ url: 'ws://example.com/' });
  const driver = rec.attach(Driver.client(rec.socket));
  driver.addExtension(perMessageDeflate(options));
  driver.start();
  const head = rec.takeHead();
  if (response !== undefined) {
    feed(driver, responseHead({ key: head.headers['sec-websocket-key']!, headers: { 'Sec-WebSocket-Extensions': response } }));
  }
  return { offer: head.headers['sec-websocket-extensions'], driver, rec };
}

describe('permessage-deflate negotiation', () => {
  describe('server response (RFC 7692 §7.1)', () => {
    const cases: Array<[string, PerMessageDeflateOptions, string, string | undefined]> = [
      ['a bare offer', {}, 'permessage-deflate', 'permessage-deflate'],
      ['client_max_window_bits with no value', {}, 'permessage-deflate; client_max_window_bits', 'permessage-deflate'],
      ['server_no_context_takeover', {}, 'permessage-deflate; server_no_context_takeover', 'permessage-deflate; server_no_context_takeover'],
      ['client_no_context_takeover', {}, 'permessage-deflate; client_no_context_takeover', 'permessage-deflate; client_no_context_takeover'],
      ['server_max_window_bits=10, echoed', {}, 'permessage-deflate; server_max_window_bits=10', 'permessage-deflate; server_max_window_bits=10'],
      ['server_max_window_bits=12 with maxWindowBits 9: answered 9', { maxWindowBits: 9 }, 'permessage-deflate; server_max_window_bits=12', 'permessage-deflate; server_max_window_bits=9'],
      ['client_max_window_bits=12 as a hint', {}, 'permessage-deflate; client_max_window_bits=12', 'permessage-deflate; client_max_window_bits=12'],
      ['requestMaxWindowBits 10 with client_max_window_bits', { requestMaxWindowBits: 10 }, 'permessage-deflate; client_max_window_bits', 'permessage-deflate; client_max_window_bits=10'],
      ['requestMaxWindowBits 10 without client_max_window_bits: cannot limit', { requestMaxWindowBits: 10 }, 'permessage-deflate', 'permessage-deflate'],
      ['noContextTakeover: declared unasked', { noContextTakeover: true }, 'permessage-deflate', 'permessage-deflate; server_no_context_takeover'],
      ['requestNoContextTakeover: imposed on the client', { requestNoContextTakeover: true }, 'permessage-deflate', 'permessage-deflate; client_no_context_takeover'],
      ['all four parameters', {}, 'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=8', 'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=8'],
      ['an unknown parameter: declined', {}, 'permessage-deflate; color=blue', undefined],
      ['an unknown parameter named __proto__: declined', {}, 'permessage-deflate; __proto__', undefined],
      ['an unknown parameter named __proto__ with a value: declined', {}, 'permessage-deflate; __proto__=1', undefined],
      ['server_max_window_bits with no value: declined', {}, 'permessage-deflate; server_max_window_bits', undefined],
      ['server_max_window_bits=7: declined', {}, 'permessage-deflate; server_max_window_bits=7', undefined],
      ['client_max_window_bits=16: declined', {}, 'permessage-deflate; client_max_window_bits=16', undefined],
      ['a parameter given twice: declined', {}, 'permessage-deflate; server_no_context_takeover; server_no_context_takeover', undefined],
      ['a value on server_no_context_takeover: declined', {}, 'permessage-deflate; server_no_context_takeover=1', undefined],
      ['a bad offer, then a good one: the good one', {}, 'permessage-deflate; server_max_window_bits=4, permessage-deflate; client_max_window_bits', 'permessage-deflate'],
    ];
    for (const [what, options, offer, expected] of cases) {
      it(`${what}`, () => {
        expect(serverAnswer(options, offer)).toBe(expected);
      });
    }
  });

  describe('client offer and its check of the response', () => {
    it('offers client_max_window_bits, and what the options ask of the server', () => {
      expect(clientExchange({}).offer).toBe('permessage-deflate; client_max_window_bits');
      expect(clientExchange({ noContextTakeover: true, maxWindowBits: 11, requestNoContextTakeover: true, requestMaxWindowBits: 10 }).offer).toBe(
        'permessage-deflate; client_max_window_bits=11; client_no_context_takeover; server_no_context_takeover; server_max_window_bits=10',
      );
    });

    const cases: Array<[string, PerMessageDeflateOptions, string, boolean]> = [
      ['a bare response', {}, 'permessage-deflate', true],
      ['every parameter with values in range', {}, 'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=8; client_max_window_bits=8', true],
      ['server_max_window_bits within what was asked', { requestMaxWindowBits: 10 }, 'permessage-deflate; server_max_window_bits=9', true],
      ['server_max_window_bits above what was asked', { requestMaxWindowBits: 10 }, 'permessage-deflate; server_max_window_bits=11', false],
      ['no server_max_window_bits when it was asked for', { requestMaxWindowBits: 10 }, 'permessage-deflate', false],
      ['no server_no_context_takeover when it was asked for', { requestNoContextTakeover: true }, 'permessage-deflate', false],
      ['client_max_window_bits above the offered value', { maxWindowBits: 10 }, 'permessage-deflate; client_max_window_bits=11', false],
      ['an unknown parameter', {}, 'permessage-deflate; color=blue', false],
      ['an unknown parameter named __proto__', {}, 'permessage-deflate; __proto__', false],
    ];
    for (const [what, options, response, opens] of cases) {
      it(`${opens ? 'accepts' : 'fails with 1010 on'} ${what}`, () => {
        const { driver, rec } = clientExchange(options, response);
        if (opens) {
          expect(driver.readyState).toBe(1);
          expect(driver.extensions[0]?.name).toBe('permessage-deflate');
        } else {
          expect(rec.of('close')[0]).toMatchObject({ code: 1010 });
        }
      });
    }
  });

  it('rejects bad options at once', () => {
    expect(() => perMessageDeflate({ maxWindowBits: 16 })).toThrow(RangeError);
    expect(() => perMessageDeflate({ level: 10 })).toThrow(RangeError);
    expect(() => perMessageDeflate({ noContextTakeover: 'yes' as unknown as boolean })).toThrow(TypeError);
    expect(() => perMessageDeflate({ windowBits: 10 } as PerMessageDeflateOptions)).toThrow(/unknown permessage-deflate option 'windowBits'/);
  });
});

/** A connected pair, both sides with permessage-deflate. */
async function deflatePair(
  client: PerMessageDeflateOptions | Extension,
  server: PerMessageDeflateOptions | Extension,
  extra: { chunking?: Chunking; client?: DriverOptions; server?: DriverOptions } = {},
): Promise<Pair> {
  const asExtension = (x: PerMessageDeflateOptions | Extension) => ('createClientSession' in x ? (x as Extension) : perMessageDeflate(x));
  const pair = new Pair({ chunking: extra.chunking ?? 'whole', client: extra.client ?? {}, server: extra.server ?? {} });
  pair.client.addExtension(asExtension(client));
  pair.server.addExtension(asExtension(server));
  pair.connect();
  return pair;
}

/** Sends from the client and waits until the server has `count` messages. */
async function roundTrip(pair: Pair, count: number): Promise<void> {
  await settle(pair, () => pair.serverRec.messages.length >= count, `${count} messages`);
}

const PARAMETER_SETS: Array<[string, PerMessageDeflateOptions, PerMessageDeflateOptions]> = [
  ['defaults', {}, {}],
  ['no context takeover both ways', { noContextTakeover: true, requestNoContextTakeover: true }, {}],
  ['smallest windows (8 bits) both ways', { maxWindowBits: 8, requestMaxWindowBits: 8 }, {}],
  ['server limits the client to 9 bits and resets itself', {}, { requestMaxWindowBits: 9, noContextTakeover: true }],
];

describe('compressed round trips between wsdriver drivers', () => {
  for (const chunking of BASIC_CHUNKINGS) {
    for (const [what, clientOptions, serverOptions] of PARAMETER_SETS) {
      it(`${what}, fed ${chunkingName(chunking)}: text and binary arrive intact, compressed on the wire`, async () => {
        const pair = await deflatePair(clientOptions, serverOptions, { chunking });
        const words = 'the quick brown fox jumps over the lazy dog; '.repeat(40) + 'é ✓ 🎉';
        const binary = new Uint8Array(3000).map((_, i) => (i * 7) % 13);
        pair.clientRec.take();
        pair.client.text(words);
        pair.client.binary(binary);
        pair.client.text('');
        await roundTrip(pair, 3);
        expect(pair.serverRec.messages).toEqual([words, binary, '']);
        expect(pair.serverRec.of('error')).toEqual([]);
        const frames = decodeFrames(pair.clientRec.take());
        expect(frames.map((f) => f.rsv)).toEqual([0x40, 0x40, 0x40]);
        expect(frames[0]!.payload.length).toBeLessThan(new TextEncoder().encode(words).length / 4);
      });
    }
  }

  it('with context takeover, a repeated message costs less the second time; without, the same', async () => {
    const message = 'a message that repeats itself, word for word: ' + 'lorem ipsum dolor sit amet '.repeat(8);
    const sizes = async (options: PerMessageDeflateOptions) => {
      const pair = await deflatePair(options, {});
      pair.clientRec.take();
      pair.client.text(message);
      pair.client.text(message);
      await roundTrip(pair, 2);
      return decodeFrames(pair.clientRec.take()).map((f) => f.payload.length);
    };
    const [first, second] = await sizes({});
    expect(second).toBeLessThan(first! / 2);
    const [alone, again] = await sizes({ noContextTakeover: true });
    expect(again).toBe(alone);
  });

  it('sends messages under `threshold` uncompressed (RSV1 clear)', async () => {
    const pair = await deflatePair({ threshold: 100 }, {});
    pair.clientRec.take();
    pair.client.text('short');
    pair.client.text('long '.repeat(40));
    await roundTrip(pair, 2);
    expect(decodeFrames(pair.clientRec.take()).map((f) => f.rsv)).toEqual([0, 0x40]);
  });

  it('keeps order when small uncompressed and large compressed messages interleave', async () => {
    const pair = await deflatePair({ threshold: 64 }, {});
    const sent: string[] = [];
    for (let i = 0; i < 200; i++) sent.push(i % 3 === 0 ? `big ${i} `.repeat(200) : `s${i}`);
    for (const message of sent) pair.client.text(message);
    await roundTrip(pair, sent.length);
    expect(pair.serverRec.messages).toEqual(sent);
  });
});

/** node:zlib, with a count of the bytes every inflater produced. */
function countingZlib() {
  const counter = { inflated: 0 };
  const streams = {
    createInflateRaw(options: zlib.ZlibOptions) {
      const inflater = zlib.createInflateRaw(options);
      inflater.on('data', (chunk: Buffer) => (counter.inflated += chunk.length));
      return inflater;
    },
    createDeflateRaw: (options: zlib.ZlibOptions) => zlib.createDeflateRaw(options),
  };
  return { counter, streams };
}

/** What a peer would send for `data`: raw DEFLATE, sync-flushed, trailer removed (§7.2.1). */
function compress(data: Uint8Array): Uint8Array {
  const out = zlib.deflateRawSync(data, { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4);
}

describe('decompression limits', () => {
  const MAX = 1024 * 1024;

  for (const chunking of BASIC_CHUNKINGS) {
    it(`a small frame that inflates far past maxLength closes with 1009, inflating little more than maxLength (fed ${chunkingName(chunking)})`, async () => {
      const { counter, streams } = countingZlib();
      const pair = await deflatePair({}, { zlib: streams }, { server: { maxLength: MAX } });
      const bomb = compress(new Uint8Array(64 * 1024 * 1024));
      expect(bomb.length).toBeLessThan(MAX / 8);
      // Fed byte by byte, a 65 KB frame is slow: the whole-frame run covers the limit,
      // the byte-wise one a smaller bomb with the same ratio to maxLength.
      const payload = chunking === 'whole' ? bomb : compress(new Uint8Array(4 * MAX));
      feed(pair.server, clientFrame(Op.BINARY, payload, { rsv: 0x40 }), chunking);
      await waitFor(() => pair.serverRec.of('close').length > 0, 'close');
      expect(pair.serverRec.of('error')[0]).toMatchObject({ code: 'MESSAGE_TOO_LONG', closeCode: 1009 });
      expect(pair.serverRec.messages).toEqual([]);
      // The inflater stopped within one zlib chunk (16 KiB) past the limit.
      expect(counter.inflated).toBeGreaterThan(MAX);
      expect(counter.inflated).toBeLessThanOrEqual(MAX + 64 * 1024);
      pair.flush();
      expect(pair.clientRec.of('close')[0]).toMatchObject({ code: 1009 });
    });
  }

  it('a message that inflates to exactly maxLength is delivered', async () => {
    const pair = await deflatePair({}, {}, { server: { maxLength: 4096 } });
    feed(pair.server, clientFrame(Op.BINARY, compress(new Uint8Array(4096).fill(7)), { rsv: 0x40 }));
    await waitFor(() => pair.serverRec.messages.length === 1, 'the message');
    expect(pair.serverRec.messages[0]).toEqual(new Uint8Array(4096).fill(7));
  });

  it('data that is not DEFLATE closes with 1007', async () => {
    const pair = await deflatePair({}, {});
    feed(pair.server, clientFrame(Op.TEXT, new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x12]), { rsv: 0x40 }));
    await waitFor(() => pair.serverRec.of('close').length > 0, 'close');
    expect(pair.serverRec.of('error')[0]).toMatchObject({ code: 'EXTENSION_ERROR', closeCode: 1007 });
    expect(pair.serverRec.of('error')[0]!.message).toMatch(/^permessage-deflate: invalid compressed data/);
  });

  it('compressed text that inflates to bad UTF-8 closes with 1007', async () => {
    const pair = await deflatePair({}, {});
    feed(pair.server, clientFrame(Op.TEXT, compress(new Uint8Array([0x61, 0xed, 0xa0, 0x80])), { rsv: 0x40 }));
    await waitFor(() => pair.serverRec.of('close').length > 0, 'close');
    expect(pair.serverRec.of('error')[0]).toMatchObject({ code: 'INVALID_UTF8', closeCode: 1007 });
  });
});

describe("faye's permessage-deflate through addExtension()", () => {
  it("round-trips text and binary with wsdriver's own on the other side, both ways", async () => {
    const pair = await deflatePair(fayeDeflate, {});
    expect(pair.server.extensions.map((e) => e.name)).toEqual(['permessage-deflate']);
    const words = 'faye and wsdriver, compressed '.repeat(30);
    pair.client.text(words);
    pair.client.binary(new Uint8Array(2000).fill(1));
    await roundTrip(pair, 2);
    expect(pair.serverRec.messages).toEqual([words, new Uint8Array(2000).fill(1)]);
    pair.server.text(words);
    await settle(pair, () => pair.clientRec.messages.length >= 1, 'the reply');
    expect(pair.clientRec.messages).toEqual([words]);
  });

  it('negotiates its parameters, configured', async () => {
    const pair = await deflatePair(fayeDeflate.configure({ requestNoContextTakeover: true, requestMaxWindowBits: 10 }), {});
    expect(pair.client.extensions).toEqual([
      { name: 'permessage-deflate', params: { server_no_context_takeover: true, server_max_window_bits: 10 } },
    ]);
    pair.server.text('x'.repeat(500));
    await settle(pair, () => pair.clientRec.messages.length >= 1, 'the message');
    expect(pair.clientRec.messages).toEqual(['x'.repeat(500)]);
  });

  it('cannot bound inflation, but the driver still refuses the oversized result with 1009', async () => {
    const pair = await deflatePair({}, fayeDeflate, { server: { maxLength: 64 * 1024 } });
    feed(pair.server, clientFrame(Op.BINARY, compress(new Uint8Array(1024 * 1024)), { rsv: 0x40 }));
    await waitFor(() => pair.serverRec.of('close').length > 0, 'close');
    expect(pair.serverRec.messages).toEqual([]);
    expect(pair.serverRec.of('error')[0]).toMatchObject({ code: 'MESSAGE_TOO_LONG', closeCode: 1009 });
  });
});

describe('concurrencyLimit: zlib jobs in flight across connections', () => {
  /** zlib streams whose flushes are counted: how many run at once, at most. */
  function watchedZlib() {
    const watch = { active: 0, most: 0, jobs: 0 };
    const watched = <T extends zlib.DeflateRaw | zlib.InflateRaw>(stream: T): T => {
      const flush = stream.flush.bind(stream) as (...args: unknown[]) => void;
      (stream as unknown as { flush: (...args: unknown[]) => void }).flush = (...args: unknown[]) => {
        watch.active++;
        watch.jobs++;
        watch.most = Math.max(watch.most, watch.active);
        const callback = args.pop() as () => void;
        flush(...args, () => {
          watch.active--;
          callback();
        });
      };
      return stream;
    };
    const streams = {
      createInflateRaw: (options: zlib.ZlibOptions) => watched(zlib.createInflateRaw(options)),
      createDeflateRaw: (options: zlib.ZlibOptions) => watched(zlib.createDeflateRaw(options)),
    };
    return { watch, streams };
  }

  async function broadcastThrough(extension: Extension, connections: number) {
    const pairs = Array.from({ length: connections }, () => {
      const pair = new Pair();
      pair.client.addExtension(perMessageDeflate());
      pair.server.addExtension(extension);
      pair.connect();
      return pair;
    });
    for (const pair of pairs) pair.server.text('x'.repeat(4096));
    for (const pair of pairs) pair.client.text('y'.repeat(4096));
    for (const pair of pairs) {
      await settle(pair, () => pair.clientRec.messages.length === 1 && pair.serverRec.messages.length === 1, 'both messages');
    }
    return pairs;
  }

  it('runs at most concurrencyLimit compressions and decompressions at once, and every message arrives', async () => {
    const { watch, streams } = watchedZlib();
    const pairs = await broadcastThrough(perMessageDeflate({ concurrencyLimit: 3, zlib: streams }), 40);
    expect(watch.jobs).toBe(80);
    expect(watch.most).toBe(3);
    for (const pair of pairs) expect(pair.clientRec.messages).toEqual(['x'.repeat(4096)]);
  });

  it(`defaults to ${DEFAULT_ZLIB_CONCURRENCY}, as ws`, async () => {
    const { watch, streams } = watchedZlib();
    await broadcastThrough(perMessageDeflate({ zlib: streams }), 40);
    expect(DEFAULT_ZLIB_CONCURRENCY).toBe(10);
    expect(watch.most).toBe(10);
  });

  it('a connection closed while its job runs or waits gives its turn back', async () => {
    const { watch, streams } = watchedZlib();
    const extension = perMessageDeflate({ concurrencyLimit: 1, zlib: streams });
    const pairs = Array.from({ length: 4 }, () => {
      const pair = new Pair();
      pair.client.addExtension(perMessageDeflate());
      pair.server.addExtension(extension);
      pair.connect();
      return pair;
    });
    for (const pair of pairs) pair.server.text('z'.repeat(4096));
    // The first is compressing, the next two wait: all three go away.
    for (const pair of pairs.slice(0, 3)) pair.server.transportClosed();
    await settle(pairs[3]!, () => pairs[3]!.clientRec.messages.length === 1, 'the last connection’s message');
    expect(pairs[3]!.clientRec.messages).toEqual(['z'.repeat(4096)]);
    expect(watch.most).toBe(1);
  });

  it('refuses a limit under 1', () => {
    expect(() => perMessageDeflate({ concurrencyLimit: 0 })).toThrow(RangeError);
  });
});

describe('a prepared message compressed once per configuration', () => {
  /** zlib whose deflate flushes (one per message compressed) are counted. */
  function countingDeflate() {
    const counter = { deflates: 0 };
    const streams = {
      createInflateRaw: (options: zlib.ZlibOptions) => zlib.createInflateRaw(options),
      createDeflateRaw: (options: zlib.ZlibOptions) => {
        const stream = zlib.createDeflateRaw(options);
        const flush = stream.flush.bind(stream) as (...args: unknown[]) => void;
        (stream as unknown as { flush: (...args: unknown[]) => void }).flush = (...args: unknown[]) => {
          counter.deflates++;
          flush(...args);
        };
        return stream;
      },
    };
    return { counter, streams };
  }

  function pairsWith(extension: Extension, count: number): Pair[] {
    return Array.from({ length: count }, () => {
      const pair = new Pair();
      pair.client.addExtension(perMessageDeflate());
      pair.server.addExtension(extension);
      pair.connect();
      return pair;
    });
  }

  async function delivered(pairs: Pair[], count: number): Promise<void> {
    for (const pair of pairs) await settle(pair, () => pair.clientRec.messages.length >= count, `${count} messages`);
  }

  const text = 'the same news for everyone, '.repeat(40);

  it('no context takeover: one compression for every connection, each frame the same bytes, in order after earlier messages', async () => {
    const { counter, streams } = countingDeflate();
    const pairs = pairsWith(perMessageDeflate({ noContextTakeover: true, zlib: streams }), 20);
    for (const [i, pair] of pairs.entries()) pair.server.text(`own message ${i}`);
    const prepared = new PreparedMessage(text);
    const before = pairs.map((pair) => pair.serverRec.socket.writes.length);
    for (const pair of pairs) expect(pair.server.sendPrepared(prepared)).toBe(true);
    await delivered(pairs, 2);
    expect(counter.deflates).toBe(20 + 1);
    for (const [i, pair] of pairs.entries()) expect(pair.clientRec.messages).toEqual([`own message ${i}`, text]);
    const frames = pairs.map((pair, i) => decodeFrames(concat(...pair.serverRec.socket.writes.slice(before[i]))).at(-1)!);
    for (const frame of frames) {
      expect(frame.rsv).toBe(0x40);
      expect(frame.payload).toEqual(frames[0]!.payload);
    }
    expect(frames[0]!.payload.length).toBeLessThan(text.length / 4);
  });

  it('context takeover: each connection compresses with its own context', async () => {
    const { counter, streams } = countingDeflate();
    const pairs = pairsWith(perMessageDeflate({ zlib: streams }), 10);
    const prepared = new PreparedMessage(text);
    for (const pair of pairs) pair.server.sendPrepared(prepared);
    await delivered(pairs, 1);
    expect(counter.deflates).toBe(10);
    for (const pair of pairs) expect(pair.clientRec.messages).toEqual([text]);
  });

  it('one compression per distinct configuration', async () => {
    const { counter, streams } = countingDeflate();
    const fast = pairsWith(perMessageDeflate({ noContextTakeover: true, level: 1, zlib: streams }), 5);
    const small = pairsWith(perMessageDeflate({ noContextTakeover: true, level: 9, zlib: streams }), 5);
    const prepared = new PreparedMessage(Uint8Array.from(encoder.encode(text)));
    for (const pair of [...fast, ...small]) pair.server.sendPrepared(prepared);
    await delivered([...fast, ...small], 1);
    expect(counter.deflates).toBe(2);
    for (const pair of [...fast, ...small]) expect(pair.clientRec.messages).toEqual([encoder.encode(text)]);
  });

  it('if the connection compressing it closes first, the others compress it themselves', async () => {
    const { streams } = countingDeflate();
    const pairs = pairsWith(perMessageDeflate({ noContextTakeover: true, zlib: streams }), 4);
    const prepared = new PreparedMessage(text);
    for (const pair of pairs) pair.server.sendPrepared(prepared);
    pairs[0]!.server.transportClosed();
    await delivered(pairs.slice(1), 1);
    for (const pair of pairs.slice(1)) expect(pair.clientRec.messages).toEqual([text]);
  });
});
