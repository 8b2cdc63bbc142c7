/**
 * Streamed messages, in (`streamMessages`: messagestart, messagepiece,
 * messageend) and out (`startMessage(driver, type)`), for server and client alike;
 * fed whole, byte by byte and in random chunks. A property checks the
 * streamed and whole-message paths agree.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { startMessage } from '../../lib/index.js';
import { BASIC_CHUNKINGS, bytesOf, concat, decodeFrames, feed, Op, Pair, readClosePayload, ROLES, type Chunking, type Role } from '../helpers/index.js';
import { GatedExtension, tick } from '../extensions/fixtures.js';
import { anyText } from '../properties/arbitraries.js';

const CHUNKINGS: readonly Chunking[] = [...BASIC_CHUNKINGS, { seed: 5, maxChunk: 9 }];

/** The streamed events, with text pieces joined, as [type, data] pairs. */
function streamedLog(driver: { on(type: string, listener: (event: never) => void): unknown }) {
  const log: Array<[string, unknown]> = [];
  driver.on('messagestart', (event: { type: string }) => log.push(['start', event.type]));
  driver.on('messagepiece', (event: { data: string | Uint8Array }) =>
    log.push(['piece', typeof event.data === 'string' ? event.data : Uint8Array.from(event.data)]),
  );
  driver.on('messageend', () => log.push(['end', null]));
  driver.on('ping', (event: { data: Uint8Array }) => log.push(['ping', new TextDecoder().decode(event.data)]));
  return log;
}

const joinedText = (log: Array<[string, unknown]>) => log.filter(([kind]) => kind === 'piece').map(([, data]) => data as string).join('');

describe.each(ROLES)('$name receiving streamed messages', (role: Role) => {
  describe.each(CHUNKINGS)('fed %s', (chunking) => {
    it('delivers the type first, the pieces as they come, then the end; no message event', () => {
      const { driver, rec } = role.open({ streamMessages: true });
      const log = streamedLog(driver as never);
      const text = 'héllo wörld 😀 ok';
      const bytes = bytesOf(text);
      // Fragments cut inside the é and inside the emoji's four bytes.
      const cuts = [2, 9, 15, 17, bytes.length];
      const frames: Uint8Array[] = [];
      let from = 0;
      cuts.forEach((to, i) => {
        frames.push(role.peerFrame(i === 0 ? Op.TEXT : Op.CONTINUATION, bytes.slice(from, to), { fin: i === cuts.length - 1 }));
        from = to;
      });
      feed(driver, concat(...frames), chunking);
      expect(log[0]).toEqual(['start', 'text']);
      expect(log[log.length - 1]).toEqual(['end', null]);
      expect(joinedText(log)).toBe(text);
      expect(rec.of('message')).toEqual([]);
      expect(rec.of('error')).toEqual([]);
    });

    it('fails with 1007 in the piece that holds a bad sequence, after delivering the good pieces', () => {
      const { driver, rec } = role.open({ streamMessages: true });
      const log = streamedLog(driver as never);
      feed(
        driver,
        concat(role.peerFrame(Op.TEXT, 'good ', { fin: false }), role.peerFrame(Op.CONTINUATION, Uint8Array.of(0x41, 0xc0, 0x80), { fin: true })),
        chunking,
      );
      expect(joinedText(log).startsWith('good ')).toBe(true);
      expect(log.some(([kind]) => kind === 'end')).toBe(false);
      expect(rec.of('error').map((e) => [e.code, e.closeCode])).toEqual([['INVALID_UTF8', 1007]]);
    });

    it('delivers control frames between the pieces and answers pings', () => {
      const { driver, rec } = role.open({ streamMessages: true });
      rec.take();
      const log = streamedLog(driver as never);
      feed(
        driver,
        concat(
          role.peerFrame(Op.BINARY, Uint8Array.of(1, 2), { fin: false }),
          role.peerFrame(Op.PING, 'between'),
          role.peerFrame(Op.CONTINUATION, Uint8Array.of(3), { fin: true }),
        ),
        chunking,
      );
      const kinds = log.map(([kind]) => kind);
      expect(kinds[0]).toBe('start');
      expect(kinds.indexOf('ping')).toBeGreaterThan(0);
      expect(kinds.indexOf('ping')).toBeLessThan(kinds.indexOf('end'));
      const bytes = log.filter(([kind]) => kind === 'piece').flatMap(([, data]) => [...(data as Uint8Array)]);
      expect(bytes).toEqual([1, 2, 3]);
      expect(decodeFrames(rec.take()).map((f) => f.opcode)).toEqual([Op.PONG]);
    });
  });

  it('is bounded by maxStreamedMessageSize, not maxLength', () => {
    const { driver, rec } = role.open({ streamMessages: true, maxLength: 10, maxStreamedMessageSize: 2000 });
    const log = streamedLog(driver as never);
    driver.parse(role.peerFrame(Op.BINARY, new Uint8Array(1000), { fin: false }));
    driver.parse(role.peerFrame(Op.CONTINUATION, new Uint8Array(1000), { fin: true }));
    expect(log.map(([kind]) => kind)).toEqual(['start', 'piece', 'piece', 'end']);
    driver.parse(role.peerFrame(Op.BINARY, new Uint8Array(1500), { fin: false }));
    driver.parse(role.peerFrame(Op.CONTINUATION, new Uint8Array(501), { fin: true }));
    expect(rec.of('error').map((e) => [e.code, e.closeCode])).toEqual([['MESSAGE_TOO_LONG', 1009]]);
  });

  it('holds nothing while streaming a large message', () => {
    const { driver } = role.open({ streamMessages: true });
    driver.parse(role.peerFrame(Op.BINARY, new Uint8Array(100_000), { fin: false }));
    expect((driver as unknown as { retainedBytes: number }).retainedBytes).toBe(0);
  });
});

describe.each(ROLES)('$name sending streamed messages', (role: Role) => {
  function open() {
    const { driver, rec } = role.open();
    rec.take();
    return { driver, rec };
  }

  it('sends each piece as a frame: the opcode first, continuations, FIN on the last; masked on the client', () => {
    const { driver, rec } = open();
    const out = startMessage(driver, 'binary')!;
    expect(out.write(Uint8Array.of(1, 2))).toBe(true);
    expect(out.write(Uint8Array.of(3))).toBe(true);
    expect(out.end(Uint8Array.of(4))).toBe(true);
    const frames = decodeFrames(rec.take());
    expect(frames.map((f) => [f.opcode, f.fin, f.masked])).toEqual([
      [Op.BINARY, false, role.masks],
      [Op.CONTINUATION, false, role.masks],
      [Op.CONTINUATION, true, role.masks],
    ]);
    expect(frames.flatMap((f) => [...f.payload])).toEqual([1, 2, 3, 4]);
    expect(out.write(Uint8Array.of(5))).toBe(false);
  });

  it('sends text split inside a surrogate pair, or inside a UTF-8 sequence, correctly', () => {
    const { driver, rec } = open();
    const out = startMessage(driver, 'text')!;
    const emoji = '😀';
    out.write('a' + emoji[0]);
    out.write(emoji[1] + 'b');
    const e = bytesOf('é');
    out.write(Uint8Array.of(e[0]!));
    out.end(Uint8Array.of(e[1]!));
    const frames = decodeFrames(rec.take());
    const joined = concat(...frames.map((f) => f.payload));
    expect(new TextDecoder('utf-8', { fatal: true }).decode(joined)).toBe('a😀bé');
  });

  it('throws on text bytes that are not UTF-8, or that end inside a sequence', () => {
    const { driver } = open();
    const out = startMessage(driver, 'text')!;
    expect(() => out.write(Uint8Array.of(0xff))).toThrow(TypeError);
    const { driver: other } = open();
    const out2 = startMessage(other, 'text')!;
    out2.write(Uint8Array.of(0xc3));
    expect(() => out2.end()).toThrow(TypeError);
  });

  it('lets pings, pongs and close go between pieces; text() and binary() wait for the end', () => {
    const { driver, rec } = open();
    const out = startMessage(driver, 'text')!;
    out.write('one ');
    expect(driver.text('whole')).toBe(true);
    expect(driver.ping('p')).toBe(true);
    out.end('two');
    const frames = decodeFrames(rec.take());
    expect(frames.map((f) => f.opcode)).toEqual([Op.TEXT, Op.PING, Op.CONTINUATION, Op.TEXT]);
    expect(new TextDecoder().decode(frames[3]!.payload)).toBe('whole');
  });

  it('a close between pieces ends the message: later pieces return false, waiting messages get an error', async () => {
    const { driver, rec } = open();
    const out = startMessage(driver, 'binary')!;
    out.write(Uint8Array.of(1));
    let error: unknown = null;
    (driver as unknown as { text(m: string, done: (e?: Error) => void): boolean }).text('waits', (e) => (error = e));
    driver.close(1001, 'bye');
    expect(out.write(Uint8Array.of(2))).toBe(false);
    const frames = decodeFrames(rec.take());
    expect(frames.map((f) => f.opcode)).toEqual([Op.BINARY, Op.CLOSE]);
    expect(readClosePayload(frames[1]!.payload).code).toBe(1001);
    await tick();
    expect(error).toBeInstanceOf(Error);
  });

  it('allows one streamed message at a time, and none unless open', () => {
    const { driver } = open();
    startMessage(driver, 'text');
    expect(() => startMessage(driver, 'binary')).toThrow(Error);
    const closed = open().driver;
    closed.close();
    expect(startMessage(closed, 'text')).toBeNull();
  });

  it('refuses a piece past maxBufferedBytes, sending nothing; the same piece goes after drain', () => {
    const { driver, rec } = role.open({ maxBufferedBytes: 10 });
    const streaming = driver;
    rec.take();
    const out = startMessage(streaming, 'text')!;
    rec.socket.bufferedAmount = 8;
    expect(out.write('abc' + '😀'[0])).toBe(false);
    expect(rec.take().length).toBe(0);
    rec.socket.bufferedAmount = 0;
    expect(out.write('abc' + '😀'[0])).toBe(true);
    expect(out.end('😀'[1]!)).toBe(true);
    const joined = concat(...decodeFrames(rec.take()).map((f) => f.payload));
    expect(new TextDecoder('utf-8', { fatal: true }).decode(joined)).toBe('abc😀');
  });
});

describe('streamed out through an extension', () => {
  it('gathers the pieces and sends the message whole through the pipeline', async () => {
    const pair = new Pair();
    pair.client.addExtension(new GatedExtension('x-xor', true));
    pair.server.addExtension(new GatedExtension('x-xor', true));
    pair.connect();
    const out = startMessage(pair.client, 'text')!;
    out.write('pie');
    out.end('ces');
    await tick();
    pair.flush();
    await tick();
    expect(pair.serverRec.messages).toEqual(['pieces']);
  });
});

describe('property: streamed and whole-message paths agree', () => {
  const message = fc.oneof(
    anyText.map((data) => ({ kind: 'text' as const, data })),
    fc.uint8Array({ maxLength: 3000 }).map((data) => ({ kind: 'binary' as const, data })),
  );

  it.each(ROLES)('$name sending pieces, the peer receiving whole and streamed', (role) => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 2 ** 30 }), (messages, seed) => {
        const whole = new Pair({ chunking: { seed, maxChunk: 50 } }).connect();
        const streamed = new Pair({ chunking: { seed, maxChunk: 50 }, client: { streamMessages: true }, server: { streamMessages: true } }).connect();
        const [wholeSender, wholeReceiver] = role.name === 'server' ? [whole.server, whole.clientRec] : [whole.client, whole.serverRec];
        const [streamSender, streamReceiverDriver] = role.name === 'server' ? [streamed.server, streamed.client] : [streamed.client, streamed.server];
        const log = streamedLog(streamReceiverDriver as never);
        let random = seed;
        const next = () => (random = (random * 1103515245 + 12345) % 2 ** 31);
        for (const m of messages) {
          if (m.kind === 'text') wholeSender.text(m.data);
          else wholeSender.binary(m.data);
          const out = startMessage(streamSender, m.kind)!;
          // Cut anywhere: strings by UTF-16 unit (so inside surrogate pairs too), bytes by byte.
          const data = m.data;
          let at = 0;
          while (at < data.length) {
            const size = 1 + (next() % 700);
            out.write(typeof data === 'string' ? data.slice(at, at + size) : data.slice(at, at + size));
            at += size;
          }
          out.end();
        }
        whole.flush();
        streamed.flush();
        const received: Array<string | Uint8Array> = [];
        let current: Array<string | Uint8Array> = [];
        let type = '';
        for (const [kind, data] of log) {
          if (kind === 'start') {
            type = data as string;
            current = [];
          } else if (kind === 'piece') current.push(data as string | Uint8Array);
          else if (kind === 'end') received.push(type === 'text' ? current.join('') : concat(...(current as Uint8Array[])));
        }
        expect(received).toEqual(wholeReceiver.messages);
        expect(wholeReceiver.messages).toEqual(messages.map((m) => m.data));
      }),
      { numRuns: 40 },
    );
  });
});

describe('startMessage(driver, type)', () => {
  it('takes a driver and a type, and says so', () => {
    const { driver } = ROLES[0]!.open();
    expect(() => startMessage(null as never, 'text')).toThrow(/startMessage\(driver, type\)/);
    expect(() => startMessage('text' as never, 'binary')).toThrow(TypeError);
    expect(() => startMessage(driver, 'json' as never)).toThrow(TypeError);
  });
});
