/**
 * The published flaws of the libraries wsdriver learns from, each tested
 * by name against wsdriver:
 * - ws CVE-2021-32640 (and websocket-driver 0.8.0): quadratic splitting of
 *   header lists on a pattern of optional spaces around a comma;
 * - websocket-extensions CVE-2020-7662: catastrophic backtracking on a
 *   hostile Sec-WebSocket-Extensions header;
 * - ws GHSA-96hv-2xvq-fx4p: memory exhaustion by a flood of tiny fragments
 *   of a message that never ends (ws answered with a fragment count limit);
 * - decompression bombs: a small compressed message that inflates past
 *   maxLength;
 * - header injection through setHeader().
 *
 * No test measures time: the hostile inputs are sized so that the flawed
 * algorithm would need minutes (or forever) and trip the test timeout,
 * and linearity is checked by counting steps (fuzz/lib/counting-string.ts).
 */
import { deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkLinear } from '../../fuzz/lib/counting-string.js';
import { perMessageDeflate } from '../../lib/adapters/node/index.js';
import { hasToken, splitHeaderList } from '../../lib/http/tokens.js';
import { selectSubprotocol } from '../../lib/handshake/server-handshake.js';
import { Driver, httpProxy } from '../../lib/index.js';
import {
  clientFrame,
  concat,
  feed,
  frame,
  latin1Bytes,
  openServer,
  parseHead,
  Recorder,
  requestHeadText,
  type RecordedEvent,
} from '../helpers/index.js';

/** A server that has read `headText` and been started from its connect event. */
function serverFor(headText: string, options: Parameters<typeof Driver.server>[1] = {}) {
  const rec = new Recorder();
  const driver = rec.attach(Driver.server(rec.socket, options));
  driver.on('connect', () => driver.start());
  driver.parse(latin1Bytes(headText));
  return { driver, rec };
}

describe('ws CVE-2021-32640: header lists split in linear time', () => {
  // The flawed split was value.split(/ *, */): on a long run of spaces not
  // followed by a comma, each start position rescans the run.
  const hostile = [' ', '\t', ' ,', ', ', 'a ', ' \t,', ',,'];

  for (const unit of hostile) {
    it(`splitHeaderList, hasToken and selectSubprotocol cost ~16x for 16x ${JSON.stringify(unit)}s`, () => {
      expect(checkLinear(unit, 4096, splitHeaderList)).toBeNull();
      expect(checkLinear(unit, 4096, (v) => hasToken(v, 'upgrade'))).toBeNull();
      expect(checkLinear(unit, 4096, (v) => selectSubprotocol(v, ['chat']))).toBeNull();
    });
  }

  it('the step count tells a quadratic splitter and a regular expression apart from a linear one', () => {
    // Trims one character at a time, copying the rest each time.
    const quadratic = (v: string) => {
      const items: string[] = [];
      for (let i = 0; i < v.length; i++) items.push(v.slice(i));
      return items;
    };
    expect(checkLinear(' ', 1024, quadratic)).toMatch(/cost grew/);
    expect(checkLinear(' ', 1024, (v) => v.split(/ *, */))).toMatch(/cannot be counted/);
  });

  it('a handshake whose Sec-WebSocket-Protocol holds 500,000 spaces opens (a quadratic split would not finish)', () => {
    const head = requestHeadText({ headers: { 'Sec-WebSocket-Protocol': `a${' '.repeat(500_000)}b, chat` } });
    const { rec } = serverFor(head, { protocols: ['chat'], maxHeadSize: 1 << 20 });
    expect(rec.types).toEqual(['connect', 'open']);
    expect(parseHead(rec.written).headers['sec-websocket-protocol']).toBe('chat');
  });

  it('a Connection header of 500,000 commas and spaces is read as a token list', () => {
    const head = requestHeadText({ headers: { Connection: `${', '.repeat(250_000)}Upgrade` } });
    const { rec } = serverFor(head, { maxHeadSize: 1 << 20 });
    expect(rec.types).toEqual(['connect', 'open']);
  });
});

describe('websocket-extensions CVE-2020-7662: hostile Sec-WebSocket-Extensions', () => {
  // The flawed quoted-string pattern let "\c" match two ways, so an
  // unterminated run of them backtracked exponentially.
  const hostileValues = [
    `permessage-deflate; x="${'\\c'.repeat(6000)}`,
    `permessage-deflate; x="${'\\c'.repeat(6000)}"`,
    `permessage-deflate;${' '.repeat(6000)};`,
    `${'permessage-deflate, '.repeat(600)}`,
    `permessage-deflate${'; a=1'.repeat(2000)}`,
  ];
  for (const value of hostileValues) {
    it(`the server answers at once: ${JSON.stringify(value.slice(0, 40))}… (${value.length} chars)`, () => {
      const rec = new Recorder();
      const driver = rec.attach(Driver.server(rec.socket));
      driver.addExtension(perMessageDeflate());
      driver.on('connect', () => driver.start());
      driver.parse(latin1Bytes(requestHeadText({ headers: { 'Sec-WebSocket-Extensions': value } })));
      const status = parseHead(rec.written).status;
      expect([101, 400]).toContain(status);
      if (status === 400) expect(rec.of('error')[0]?.code).toBe('HANDSHAKE_BAD_EXTENSION');
    });
  }

  it('an extension header is never longer than maxHeadSize: a longer one is refused before parsing (431)', () => {
    const value = `permessage-deflate; x="${'\\c'.repeat(20_000)}"`;
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket));
    driver.addExtension(perMessageDeflate());
    driver.parse(latin1Bytes(requestHeadText({ headers: { 'Sec-WebSocket-Extensions': value } })));
    expect(rec.of('error').map((e) => e.code)).toEqual(['HTTP_HEAD_TOO_LARGE']);
    expect(parseHead(rec.written).status).toBe(431);
  });
});

describe('ws GHSA-96hv-2xvq-fx4p: fragment floods', () => {
  // ws kept one Buffer object per fragment, so a message cut into tiny
  // fragments held far more memory than its bytes; the fix capped the
  // fragment count. wsdriver bounds the memory itself (ByteAccumulator):
  // about twice the bytes received plus 64 KiB, however they are cut.
  it('100,000 one-byte fragments, each in its own chunk, hold about twice their size; the message arrives once, whole', () => {
    const { driver, rec } = openServer({ maxLength: 1 << 20 });
    const count = 100_000;
    let peak = 0;
    driver.parse(clientFrame(0x2, Uint8Array.of(0), { fin: false }));
    for (let i = 1; i < count; i++) {
      driver.parse(clientFrame(0x0, Uint8Array.of(i & 0xff), { fin: i === count - 1 }));
      peak = Math.max(peak, driver.retainedBytes);
    }
    expect(peak).toBeLessThanOrEqual(2 * count + 64 * 1024 + 64 * 1024);
    const messages = rec.messages as Uint8Array[];
    expect(messages).toHaveLength(1);
    expect(messages[0]!.length).toBe(count);
    expect(messages[0]!.every((b, i) => b === (i & 0xff))).toBe(true);
    expect(driver.retainedBytes).toBe(0);
  });

  it('a message of a million empty fragments that never ends holds nothing and stays open', () => {
    const { driver, rec } = openServer({ maxLength: 1024 });
    const empty = clientFrame(0x0, new Uint8Array(0), { fin: false });
    const batch = concat(...Array.from({ length: 10_000 }, () => empty));
    driver.parse(clientFrame(0x1, 'x', { fin: false }));
    const before = driver.retainedBytes;
    for (let i = 0; i < 100; i++) driver.parse(batch.slice());
    expect(before).toBeLessThanOrEqual(256);
    expect(driver.retainedBytes).toBe(before);
    expect(driver.readyState).toBe(1);
    expect(rec.events).toEqual([]);
  });

  it('fragments past maxLength in total fail with MESSAGE_TOO_LONG and 1009, whatever their count', () => {
    const { driver, rec } = openServer({ maxLength: 1000 });
    driver.parse(clientFrame(0x2, new Uint8Array(1), { fin: false }));
    for (let i = 0; i < 1000; i++) driver.parse(clientFrame(0x0, new Uint8Array(1), { fin: false }));
    expect(rec.of('error').map((e) => [e.code, e.closeCode])).toEqual([['MESSAGE_TOO_LONG', 1009]]);
    expect(rec.of('close')).toMatchObject([{ code: 1009, wasClean: false }]);
  });
});

describe('decompression bombs (permessage-deflate)', () => {
  function closed(rec: Recorder): Promise<RecordedEvent[]> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const poll = () => {
        if (rec.events.some((e) => e.type === 'close')) resolve(rec.events);
        else if (Date.now() - started > 20_000) reject(new Error('no close event'));
        else setTimeout(poll, 5);
      };
      poll();
    });
  }

  for (const bytewise of [false, true]) {
    it(`a 90 KiB message that inflates to 64 MiB fails with 1009 at maxLength (${bytewise ? 'byte by byte' : 'whole'})`, async () => {
      const rec = new Recorder();
      const driver = rec.attach(Driver.server(rec.socket, { maxLength: 1 << 20 }));
      driver.addExtension(perMessageDeflate());
      driver.on('connect', () => driver.start());
      driver.parse(latin1Bytes(requestHeadText({ headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate' } })));
      expect(parseHead(rec.written).headers['sec-websocket-extensions']).toMatch(/^permessage-deflate/);
      // RFC 7692 §7.2.1: the message is the deflate stream without its final 00 00 ff ff.
      const deflated = deflateRawSync(new Uint8Array(64 << 20), { finishFlush: 2 /* Z_SYNC_FLUSH */ });
      const payload = deflated.subarray(0, deflated.length - 4);
      expect(payload.length).toBeLessThan(100 * 1024);
      const bomb = frame({ opcode: 0x2, rsv: 0x40, payload, mask: true });
      feed(driver, bomb, bytewise ? { sizes: [1] } : 'whole');
      const events = await closed(rec);
      expect(events.filter((e) => e.type === 'message')).toEqual([]);
      expect(events.filter((e) => e.type === 'error').map((e) => (e as { code: string }).code)).toEqual(['MESSAGE_TOO_LONG']);
      expect(events.at(-1)).toMatchObject({ type: 'close', code: 1009 });
    });
  }
});

describe('header injection through setHeader()', () => {
  const injections = ['a\r\nX-Injected: 1', 'a\nX-Injected: 1', 'a\rb', 'a\0b', '\r\n\r\nGET / HTTP/1.1', 'bell\x07', 'del\x7f', 'snow☃'];

  for (const value of injections) {
    it(`a value holding ${JSON.stringify(value)} throws, on the server before and after connect, on the client and on a proxy`, () => {
      const rec = new Recorder();
      const server = Driver.server(rec.socket);
      expect(() => server.setHeader('X-Test', value)).toThrow(TypeError);
      server.on('connect', () => expect(() => server.setHeader('X-Test', value)).toThrow(TypeError));
      server.parse(latin1Bytes(requestHeadText()));
      const { driver: client } = { driver: Driver.client(new Recorder({ url: 'ws://example.com/' }).socket) };
      expect(() => client.setHeader('X-Test', value)).toThrow(TypeError);
      expect(() => httpProxy(client, 'http://proxy.example:3128').setHeader('X-Test', value)).toThrow(TypeError);
    });
  }

  for (const name of ['X-Test\r\nX-Injected', 'X Test', 'X-Test:', '', 'X-Tést', 'X\0']) {
    it(`a header name ${JSON.stringify(name)} throws`, () => {
      expect(() => Driver.client(new Recorder({ url: 'ws://example.com/' }).socket).setHeader(name, 'v')).toThrow(TypeError);
    });
  }

  for (const name of ['Upgrade', 'connection', 'Sec-WebSocket-Accept', 'Sec-WebSocket-Key', 'Content-Length', 'Transfer-Encoding']) {
    it(`${name}, which the driver sets itself, cannot be overridden`, () => {
      expect(() => Driver.client(new Recorder({ url: 'ws://example.com/' }).socket).setHeader(name, 'x')).toThrow(TypeError);
    });
  }

  it('whatever the value, setHeader() either throws or the head carries it as one header line', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.integer({ min: 0, max: 0x2ff }).map((c) => String.fromCharCode(c)), maxLength: 16 }), (value) => {
        const { driver, rec } = startedClientWith('X-Test', value);
        if (driver === null) return;
        const head = parseHead(rec.written);
        expect(head.rawHeaders.filter(([n]) => n === 'X-Test')).toEqual([['X-Test', value.replace(/^[ \t]+|[ \t]+$/g, '')]]);
        // Host, Upgrade, Connection, Sec-WebSocket-Key, Sec-WebSocket-Version and X-Test.
        expect(head.rawHeaders).toHaveLength(6);
      }),
      { seed: 11, numRuns: 500 },
    );
  });
});

/** A client with one header set and started, or null when setHeader() threw. */
function startedClientWith(name: string, value: string): { driver: ReturnType<typeof Driver.client> | null; rec: Recorder } {
  const rec = new Recorder({ url: 'ws://example.com/chat' });
  const driver = Driver.client(rec.socket);
  try {
    driver.setHeader(name, value);
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError);
    return { driver: null, rec };
  }
  driver.start();
  return { driver, rec };
}
