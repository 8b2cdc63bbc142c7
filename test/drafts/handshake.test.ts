import { describe, expect, it } from 'vitest';
import { Driver } from '../../lib/index.js';
import { BASIC_CHUNKINGS, chunkingName, concat, feed, latin1Bytes, Recorder, split } from '../helpers/index.js';
import {
  DRAFT75_EXAMPLE,
  DRAFT76_EXAMPLE,
  draft76Request,
  draftRequestText,
  draftServer,
  expectedAnswer,
  FAYE76,
  rackEnvFromHead,
} from './draft-helpers.js';

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');

describe('hixie-75 opening handshake', () => {
  it("answers draft-75's worked example byte for byte", () => {
    const { driver, rec } = draftServer(DRAFT75_EXAMPLE.head, { protocols: ['sample'] });
    expect(driver.version).toBe('hixie-75');
    expect(driver.start()).toBe(true);
    expect(text(rec.take())).toBe(DRAFT75_EXAMPLE.responseHead);
    expect(driver.readyState).toBe(1);
    expect(driver.protocol).toBe('sample');
    expect(rec.types).toEqual(['connect', 'open']);
  });

  it('leaves WebSocket-Protocol out when no offered subprotocol is supported', () => {
    const { driver, rec } = draftServer(draftRequestText({ protocol: 'other' }), { protocols: ['sample'] });
    driver.start();
    expect(text(rec.take())).toBe(
      'HTTP/1.1 101 Web Socket Protocol Handshake\r\n' +
        'Upgrade: WebSocket\r\n' +
        'Connection: Upgrade\r\n' +
        'WebSocket-Origin: http://example.com\r\n' +
        'WebSocket-Location: ws://example.com/socket\r\n' +
        '\r\n',
    );
    expect(driver.protocol).toBeNull();
  });

  it('sends a wss: location for a request that came over TLS', () => {
    const env = rackEnvFromHead(draftRequestText({ target: '/chat?room=1' }), { 'rack.url_scheme': 'https' });
    const rec = new Recorder({ env });
    const driver = rec.attach(Driver.rack(rec.socket, { allowDrafts: true }));
    driver.start();
    expect(text(rec.take())).toContain('WebSocket-Location: wss://example.com/chat?room=1\r\n');
  });

  it('sends socket.url as the location when the application gives one', () => {
    const rec = new Recorder({ env: rackEnvFromHead(draftRequestText()), url: 'wss://public.example/ws' });
    const driver = rec.attach(Driver.rack(rec.socket, { allowDrafts: true }));
    driver.start();
    expect(driver.url).toBe('wss://public.example/ws');
    expect(text(rec.take())).toContain('WebSocket-Location: wss://public.example/ws\r\n');
  });

  it('adds headers set with setHeader() after the draft headers', () => {
    const { driver, rec } = draftServer(draftRequestText());
    driver.setHeader('X-Server', 'wsdriver');
    driver.start();
    expect(text(rec.take())).toMatch(/WebSocket-Location: ws:\/\/example\.com\/socket\r\nX-Server: wsdriver\r\n\r\n$/);
  });

  it.each(['WebSocket-Origin', 'websocket-location', 'Sec-WebSocket-Origin', 'Upgrade'])(
    'refuses to let setHeader() replace %s',
    (name) => {
      const { driver } = draftServer(draftRequestText());
      expect(() => driver.setHeader(name, 'x')).toThrow(TypeError);
    },
  );

  describe('refuses a faulty request with 400 and closes', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['no Origin', draftRequestText({ origin: null }), /no Origin/],
      ['no Host', draftRequestText({ host: null }), /no Host/],
      ['a POST', draftRequestText({ method: 'POST' }), /not GET/],
    ];
    it.each(cases)('%s', (_name, request, message) => {
      const { driver, rec } = draftServer(request);
      expect(driver.start()).toBe(false);
      const response = text(rec.take());
      expect(response).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect(response).toMatch(message);
      expect(rec.types).toEqual(['connect', 'error', 'close']);
      expect(rec.of('error')[0]!.code).toBe('HANDSHAKE_BAD_REQUEST');
      expect(rec.of('close')[0]!.wasClean).toBe(false);
      expect(driver.readyState).toBe(3);
    });
  });

  it('reject() sends the given status instead of the handshake', () => {
    const { driver, rec } = draftServer(draftRequestText());
    expect(driver.reject(403, 'go away')).toBe(true);
    expect(text(rec.take())).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n[\s\S]*\r\n\r\ngo away\n$/);
    expect(rec.of('close')).toEqual([{ type: 'close', code: 1006, reason: 'go away', wasClean: false }]);
    expect(driver.start()).toBe(false);
  });
});

describe('hixie-76 opening handshake', () => {
  it("answers draft-76's worked example byte for byte, with the answer 8jKS'y:G*Co,Wxa-", () => {
    const request = DRAFT76_EXAMPLE.head + DRAFT76_EXAMPLE.key3;
    for (const chunking of BASIC_CHUNKINGS) {
      const rec = new Recorder();
      const driver = rec.attach(Driver.server(rec.socket, { allowDrafts: true, protocols: ['sample'] }));
      feed(driver, latin1Bytes(request), chunking);
      expect(driver.version).toBe('hixie-76');
      expect(driver.start()).toBe(true);
      expect(text(rec.take())).toBe(DRAFT76_EXAMPLE.responseHead + DRAFT76_EXAMPLE.answer);
      expect(driver.protocol).toBe('sample');
      expect(rec.types).toEqual(['connect', 'open']);
    }
  });

  it("matches websocket-driver's draft-76 vector and node:crypto's MD5", () => {
    expect(expectedAnswer(FAYE76.key1, FAYE76.key2, FAYE76.key3)).toEqual(FAYE76.answer);
    const { driver, rec } = draftServer(draft76Request());
    driver.parse(FAYE76.key3.slice());
    driver.start();
    expect(text(rec.take())).toBe(
      'HTTP/1.1 101 WebSocket Protocol Handshake\r\n' +
        'Upgrade: WebSocket\r\n' +
        'Connection: Upgrade\r\n' +
        'Sec-WebSocket-Origin: http://example.com\r\n' +
        'Sec-WebSocket-Location: ws://example.com/socket\r\n' +
        '\r\n' +
        text(FAYE76.answer),
    );
  });

  describe('when key3 arrives after the response head (a delaying proxy)', () => {
    it('sends the head at once and stays connecting', () => {
      const { driver, rec } = draftServer(draft76Request());
      expect(driver.start()).toBe(true);
      expect(text(rec.take())).toMatch(/^HTTP\/1\.1 101 WebSocket Protocol Handshake\r\n[\s\S]*\r\n\r\n$/);
      expect(driver.readyState).toBe(0);
      expect(rec.types).toEqual(['connect']);
    });

    it('sends the 16-byte answer and opens when the 8th byte arrives one byte at a time', () => {
      const { driver, rec } = draftServer(draft76Request());
      driver.start();
      rec.take();
      for (let i = 0; i < 7; i++) {
        driver.parse(FAYE76.key3.slice(i, i + 1));
        expect(rec.take()).toEqual(new Uint8Array(0));
        expect(driver.readyState).toBe(0);
      }
      driver.parse(FAYE76.key3.slice(7));
      expect(rec.take()).toEqual(FAYE76.answer);
      expect(driver.readyState).toBe(1);
      expect(rec.types).toEqual(['connect', 'open']);
    });

    it('sends messages queued before open right after the answer', () => {
      const { driver, rec } = draftServer(draft76Request());
      driver.start();
      rec.take();
      expect(driver.text('hello')).toBe(true);
      expect(rec.take()).toEqual(new Uint8Array(0));
      driver.parse(FAYE76.key3.slice());
      expect(rec.take()).toEqual(concat(FAYE76.answer, Uint8Array.of(0x00, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0xff)));
    });

    for (const chunking of [...BASIC_CHUNKINGS, { sizes: [3, 7] }, { seed: 76, maxChunk: 5 }] as const) {
      it(`keeps the frames that come with or after key3 (${chunkingName(chunking)})`, () => {
        const { driver, rec } = draftServer(draft76Request());
        driver.start();
        const frames = latin1Bytes('\x00one\xff\x00two\xff');
        feed(driver, concat(FAYE76.key3, frames), chunking);
        expect(rec.messages).toEqual(['one', 'two']);
        expect(rec.types).toEqual(['connect', 'open', 'message', 'message']);
      });
    }

    it('keeps frames that came with key3 before start()', () => {
      const rec = new Recorder();
      const driver = rec.attach(Driver.server(rec.socket, { allowDrafts: true }));
      driver.parse(concat(latin1Bytes(draft76Request()), FAYE76.key3, latin1Bytes('\x00early\xff')));
      expect(rec.messages).toEqual([]);
      driver.start();
      expect(rec.types).toEqual(['connect', 'open', 'message']);
      expect(rec.messages).toEqual(['early']);
    });

    it('reports 1006 if the transport ends before key3 is complete', () => {
      const { driver, rec } = draftServer(draft76Request());
      driver.start();
      driver.parse(FAYE76.key3.slice(0, 4));
      driver.transportClosed();
      expect(rec.of('close')).toEqual([{ type: 'close', code: 1006, reason: '', wasClean: false }]);
      expect(rec.types).not.toContain('open');
    });
  });

  describe('refuses keys a conforming client never sends, with 400', () => {
    const cases: Array<[string, string | null, string | null, RegExp]> = [
      ['a key with no spaces', '12345', FAYE76.key2, /no spaces/],
      ['a number not divisible by its spaces', '2 L785 8o% s9Sy9@V. 4<1P5', FAYE76.key2, /not a multiple/],
      ['a key with no digits', 'a b c', FAYE76.key2, /no digits/],
      ['a number past 2^32 - 1', '4294967296 0', FAYE76.key2, /larger than 2\^32 - 1/],
      ['a very long run of digits', `${'9'.repeat(400)} `, FAYE76.key2, /larger than 2\^32 - 1/],
      ['Key1 without Key2', FAYE76.key1, null, /no Sec-WebSocket-Key2/],
      ['Key2 without Key1', null, FAYE76.key2, /no Sec-WebSocket-Key1/],
    ];
    for (const [name, key1, key2, message] of cases) {
      it(name, () => {
        const { driver, rec } = draftServer(draftRequestText({ key1, key2 }));
        expect(driver.version).toBe('hixie-76');
        expect(driver.start()).toBe(false);
        const response = text(rec.take());
        expect(response).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
        expect(response).toMatch(message);
        expect(rec.of('error')[0]!.code).toBe('HANDSHAKE_BAD_REQUEST');
        expect(rec.of('close')).toHaveLength(1);
        // Key3 and frames after a refusal are ignored.
        driver.parse(concat(FAYE76.key3, latin1Bytes('\x00x\xff')));
        expect(rec.take()).toEqual(new Uint8Array(0));
        expect(rec.messages).toEqual([]);
      });
    }
  });

  it('accepts the largest key number, 4294967295', () => {
    // 4294967295 = 3 × 5 × 17 × 257 × 65537: five spaces divide it.
    const key1 = '42949 67295 a b c d';
    const { driver, rec } = draftServer(draftRequestText({ key1, key2: FAYE76.key2 }));
    driver.start();
    driver.parse(FAYE76.key3.slice());
    const written = rec.take();
    expect(written.subarray(written.length - 16)).toEqual(expectedAnswer(key1, FAYE76.key2, FAYE76.key3));
    expect(driver.readyState).toBe(1);
  });

  it('echoes Sec-WebSocket-Protocol when the server supports the offer', () => {
    const { driver, rec } = draftServer(draft76Request({ protocol: 'chat' }), { protocols: ['chat'] });
    driver.start();
    expect(text(rec.take())).toContain('Sec-WebSocket-Location: ws://example.com/socket\r\nSec-WebSocket-Protocol: chat\r\n\r\n');
  });

  it('refuses a request split anywhere the same way as whole', () => {
    for (const chunking of BASIC_CHUNKINGS) {
      const rec = new Recorder();
      const driver = rec.attach(Driver.server(rec.socket, { allowDrafts: true }));
      for (const chunk of split(latin1Bytes(draftRequestText({ key1: '12345', key2: FAYE76.key2 })), chunking)) driver.parse(chunk);
      expect(driver.start()).toBe(false);
      expect(text(rec.take())).toMatch(/^HTTP\/1\.1 400 /);
    }
  });
});
