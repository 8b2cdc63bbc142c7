/**
 * Sec-WebSocket-Extensions negotiation (RFC 6455 §9, §4.1, §4.2.2), the
 * RSV bits extensions claim (§5.2), and `driver.extensions`.
 */
import { describe, expect, it } from 'vitest';
import { Driver, type Extension } from '../../lib/index.js';
import { perMessageDeflate } from '../../lib/adapters/node/index.js';
import '../../lib/drafts/index.js';
import {
  BASIC_CHUNKINGS,
  chunkingName,
  clientFrame,
  feed,
  Op,
  Pair,
  readClosePayload,
  Recorder,
  requestHead,
  responseHead,
  serverFrame,
  startedClient,
} from '../helpers/index.js';
import { GatedExtension, xorBytes } from './fixtures.js';

/** A Driver.server that has read `offer` (or no extension header) and started. */
function serverWith(extensions: Extension[], offer?: string) {
  const rec = new Recorder();
  const driver = rec.attach(Driver.server(rec.socket));
  for (const extension of extensions) driver.addExtension(extension);
  driver.parse(requestHead(offer === undefined ? {} : { headers: { 'Sec-WebSocket-Extensions': offer } }));
  driver.start();
  return { driver, rec, head: rec.takeHead() };
}

/** A started client with `extensions`, and its request head. */
function clientWith(extensions: Extension[]) {
  const rec = new Recorder({ url: 'ws://example.com/chat' });
  const driver = rec.attach(Driver.client(rec.socket));
  for (const extension of extensions) driver.addExtension(extension);
  driver.start();
  const head = rec.takeHead();
  return { driver, rec, head, key: head.headers['sec-websocket-key']! };
}

function answer(client: ReturnType<typeof clientWith>, extensions: string | null) {
  const headers = extensions === null ? {} : { 'Sec-WebSocket-Extensions': extensions };
  feed(client.driver, responseHead({ key: client.key, headers }));
}

describe('server negotiation', () => {
  it('accepts an offered extension it has, answers with its parameters and exposes them', () => {
    const { driver, head } = serverWith([new GatedExtension()], 'x-xor; mode=xor');
    expect(head.status).toBe(101);
    expect(head.headers['sec-websocket-extensions']).toBe('x-xor; mode=xor');
    expect(driver.extensions).toEqual([{ name: 'x-xor', params: { mode: 'xor' } }]);
  });

  it('hands the extension every offer for its name, in the client order', () => {
    const ext = new GatedExtension();
    serverWith([ext], 'x-other, x-xor; mode=plain, x-xor; mode=xor; level=3');
    expect(ext.offers).toEqual([[{ mode: 'plain' }, { mode: 'xor', level: 3 }]]);
  });

  it('sends no extension header when the client offers nothing it has', () => {
    const { driver, head } = serverWith([new GatedExtension()], 'permessage-bzip2');
    expect(head.status).toBe(101);
    expect(head.headers['sec-websocket-extensions']).toBeUndefined();
    expect(driver.extensions).toEqual([]);
  });

  it('sends no extension header when the extension declines every offer', () => {
    const { head } = serverWith([new GatedExtension()], 'x-xor; mode=rot13');
    expect(head.headers['sec-websocket-extensions']).toBeUndefined();
  });

  it('ignores an offer when no extension was added', () => {
    const { driver, head } = serverWith([], 'permessage-deflate; client_max_window_bits');
    expect(head.status).toBe(101);
    expect(head.headers['sec-websocket-extensions']).toBeUndefined();
    expect(driver.extensions).toEqual([]);
  });

  it('accepts two extensions that claim different RSV bits, in the order they were added', () => {
    const rsv2: Extension = { ...new GatedExtension('x-two'), name: 'x-two', type: 'permessage', rsv1: false, rsv2: true, rsv3: false, createClientSession: () => null, createServerSession: () => new GatedExtension().createServerSession([{ mode: 'xor' }]) };
    const { driver, head } = serverWith([new GatedExtension(), rsv2], 'x-two, x-xor; mode=xor');
    expect(head.headers['sec-websocket-extensions']).toBe('x-xor; mode=xor, x-two; mode=xor');
    expect(driver.extensions.map((e) => e.name)).toEqual(['x-xor', 'x-two']);
  });

  it('accepts only the first of two extensions that claim the same RSV bit', () => {
    const { head } = serverWith([new GatedExtension('x-a'), new GatedExtension('x-b')], 'x-a; mode=xor, x-b; mode=xor');
    expect(head.headers['sec-websocket-extensions']).toBe('x-a; mode=xor');
  });

  it('answers a malformed extension offer with 400 and reports HANDSHAKE_BAD_EXTENSION', () => {
    const { rec, head } = serverWith([new GatedExtension()], 'x-xor; mode="unterminated');
    expect(head.status).toBe(400);
    expect(rec.of('error')[0]).toMatchObject({ code: 'HANDSHAKE_BAD_EXTENSION' });
    expect(rec.types).toEqual(['connect', 'error', 'close']);
  });

  it('answers 500 when an extension throws while negotiating', () => {
    const broken = new GatedExtension();
    broken.createServerSession = () => {
      throw new Error('out of sessions');
    };
    const { rec, head } = serverWith([broken], 'x-xor; mode=xor');
    expect(head.status).toBe(500);
    expect(rec.of('error')[0]).toMatchObject({ code: 'EXTENSION_ERROR', closeCode: 1011 });
  });

  it('refuses parameters that would put CR or LF in the response', () => {
    const evil = new GatedExtension();
    evil.createServerSession = () => Object.assign(new GatedExtension().createServerSession([{ mode: 'xor' }])!, { generateResponse: () => ({ x: 'a\r\nSet-Cookie: 1' }) });
    const { head } = serverWith([evil], 'x-xor; mode=xor');
    expect(head.status).toBe(500);
    expect(head.headers['set-cookie']).toBeUndefined();
  });
});

describe('client negotiation', () => {
  it('offers what was added, in order', () => {
    const { head } = clientWith([new GatedExtension(), perMessageDeflate()]);
    expect(head.headers['sec-websocket-extensions']).toBe('x-xor; mode=xor, permessage-deflate; client_max_window_bits');
  });

  it('sends no extension header with no extension added', () => {
    const { head } = clientWith([]);
    expect(head.headers['sec-websocket-extensions']).toBeUndefined();
  });

  it('opens with what the server accepted, and exposes it', () => {
    const client = clientWith([new GatedExtension()]);
    answer(client, 'x-xor; mode=xor');
    expect(client.driver.readyState).toBe(1);
    expect(client.driver.extensions).toEqual([{ name: 'x-xor', params: { mode: 'xor' } }]);
  });

  it('opens with no extension when the server accepted none', () => {
    const client = clientWith([new GatedExtension()]);
    answer(client, null);
    expect(client.driver.readyState).toBe(1);
    expect(client.driver.extensions).toEqual([]);
  });

  describe('fails the connection with 1010 and tells the server with a close frame', () => {
    const cases: Array<[string, Extension[], string]> = [
      ['an extension that was not offered', [new GatedExtension()], 'x-unknown'],
      ['an extension when none was offered', [], 'permessage-deflate'],
      ['parameters the extension refuses', [new GatedExtension()], 'x-xor; mode=rot13'],
      ['the same extension twice', [new GatedExtension()], 'x-xor; mode=xor, x-xor; mode=xor'],
      ['a malformed header', [new GatedExtension()], 'x-xor; ;;'],
      ['permessage-deflate with an unknown parameter', [perMessageDeflate()], 'permessage-deflate; color=blue'],
      ['permessage-deflate with client_max_window_bits and no value', [perMessageDeflate()], 'permessage-deflate; client_max_window_bits'],
      ['permessage-deflate with server_max_window_bits=16', [perMessageDeflate()], 'permessage-deflate; server_max_window_bits=16'],
    ];
    for (const [what, extensions, header] of cases) {
      it(`when the server answers with ${what}`, () => {
        const client = clientWith(extensions);
        answer(client, header);
        expect(client.rec.types).toEqual(['error', 'close']);
        expect(client.rec.of('error')[0]).toMatchObject({ code: 'HANDSHAKE_BAD_EXTENSION', closeCode: 1010 });
        expect(client.rec.of('close')[0]).toMatchObject({ code: 1010, wasClean: false });
        const frames = client.rec.takeFrames();
        expect(frames).toHaveLength(1);
        expect(frames[0]!.opcode).toBe(Op.CLOSE);
        expect(readClosePayload(frames[0]!.payload).code).toBe(1010);
      });
    }
  });

  it('ignores frames that followed a refused response in the same chunk', () => {
    const client = clientWith([new GatedExtension()]);
    const response = responseHead({ key: client.key, headers: { 'Sec-WebSocket-Extensions': 'x-unknown' } });
    const frame = serverFrame(Op.TEXT, 'hi');
    const both = new Uint8Array(response.length + frame.length);
    both.set(response);
    both.set(frame, response.length);
    client.driver.parse(both);
    expect(client.rec.types).toEqual(['error', 'close']);
  });
});

describe('addExtension', () => {
  it('throws after start()', () => {
    const { driver } = startedClient();
    expect(() => driver.addExtension(new GatedExtension())).toThrow(/before start/);
  });

  it('throws a TypeError for a name that is not a token, a wrong type, or a name already added', () => {
    const { driver } = { driver: Driver.client({ write() {}, url: 'ws://example.com/' }) };
    expect(() => driver.addExtension(new GatedExtension('bad name'))).toThrow(TypeError);
    expect(() => driver.addExtension({ ...new GatedExtension(), name: 'x', type: 'perframe' } as unknown as Extension)).toThrow(TypeError);
    driver.addExtension(new GatedExtension('x-once'));
    expect(() => driver.addExtension(new GatedExtension('x-once'))).toThrow(TypeError);
  });

  it('returns false on a hixie-75 connection, which has no extensions', () => {
    const rec = new Recorder();
    const driver = Driver.server(rec.socket, { allowDrafts: true });
    driver.parse(new TextEncoder().encode('GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\nOrigin: http://example.com\r\n\r\n'));
    expect(driver.version).toBe('hixie-75');
    expect(driver.addExtension(perMessageDeflate())).toBe(false);
    expect(driver.extensions).toEqual([]);
  });

  it('on Driver.server before the request arrived, applies to the driver chosen later', () => {
    const { driver, head } = serverWith([perMessageDeflate()], 'permessage-deflate');
    expect(head.headers['sec-websocket-extensions']).toBe('permessage-deflate');
    expect(driver.extensions.map((e) => e.name)).toEqual(['permessage-deflate']);
  });
});

describe('RSV bits (§5.2)', () => {
  for (const chunking of BASIC_CHUNKINGS) {
    describe(`fed ${chunkingName(chunking)}`, () => {
      it('without an active extension, RSV1 on a data frame fails with 1002', () => {
        const pair = new Pair().connect();
        feed(pair.server, clientFrame(Op.TEXT, 'x', { rsv: 0x40 }), chunking);
        expect(pair.serverRec.of('error')[0]).toMatchObject({ code: 'RESERVED_BITS', closeCode: 1002 });
      });

      it('with an extension that claims RSV1, RSV1 is accepted on the first frame of a message', () => {
        const pair = new Pair();
        pair.server.addExtension(new GatedExtension('x-xor', true));
        pair.client.addExtension(new GatedExtension('x-xor', true));
        pair.connect();
        feed(pair.server, clientFrame(Op.TEXT, xorBytes(new TextEncoder().encode('hé')), { rsv: 0x40 }), chunking);
        expect(pair.serverRec.messages).toEqual(['hé']);
      });

      for (const [what, bytes] of [
        ['RSV2, which no extension claims', clientFrame(Op.TEXT, 'x', { rsv: 0x20 })],
        ['RSV1 on a ping', clientFrame(Op.PING, '', { rsv: 0x40 })],
        ['RSV1 on a continuation frame', new Uint8Array([...clientFrame(Op.TEXT, 'a', { fin: false, rsv: 0x40 }), ...clientFrame(Op.CONTINUATION, 'b', { rsv: 0x40 })])],
      ] as const) {
        it(`with RSV1 claimed, ${what} fails with 1002`, () => {
          const pair = new Pair();
          pair.server.addExtension(new GatedExtension('x-xor', true));
          pair.client.addExtension(new GatedExtension('x-xor', true));
          pair.connect();
          feed(pair.server, bytes, chunking);
          expect(pair.serverRec.of('error')[0]).toMatchObject({ code: 'RESERVED_BITS', closeCode: 1002 });
        });
      }
    });
  }
});
