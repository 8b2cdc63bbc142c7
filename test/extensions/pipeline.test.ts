/**
 * Messages through an extension whose processing is asynchronous: order
 * is kept both ways, control frames are never delayed behind a message,
 * close frames wait for the messages before them, and an extension's
 * failure closes with the right code.
 *
 * The server's extension holds every message until the test releases it
 * (see fixtures.ts), so "slow" needs no timers; the client's passes at once.
 */
import { describe, expect, it } from 'vitest';
import type { DriverOptions, ExtensionMessage } from '../../lib/index.js';
import { BASIC_CHUNKINGS, chunkingName, clientFrame, decodeFrames, feed, Op, Pair, readClosePayload, type Chunking } from '../helpers/index.js';
import { GatedExtension, xorBytes } from './fixtures.js';

type Transforms = ConstructorParameters<typeof GatedExtension>[2];

/** A pair whose server extension is gated (and optionally transformed), client's passes through. */
function gatedPair(options: { chunking?: Chunking; server?: DriverOptions; transforms?: Transforms } = {}) {
  const pair = new Pair({ chunking: options.chunking ?? 'whole', server: options.server ?? {} });
  const serverExtension = new GatedExtension('x-xor', false, options.transforms);
  pair.server.addExtension(serverExtension);
  pair.client.addExtension(new GatedExtension('x-xor', true));
  pair.connect();
  pair.serverRec.clearEvents();
  pair.clientRec.clearEvents();
  return { pair, session: serverExtension.session };
}

const text = (s: string) => new TextEncoder().encode(s);

for (const chunking of BASIC_CHUNKINGS) {
  describe(`with a slow extension, fed ${chunkingName(chunking)}`, () => {
    describe('receiving', () => {
      it('delivers messages in wire order even when the extension finishes them out of order', () => {
        const { pair, session } = gatedPair({ chunking });
        pair.client.text('one');
        pair.client.binary(new Uint8Array([1, 2, 3]));
        pair.client.text('three');
        pair.flush();
        expect(session.incoming.held).toHaveLength(3);
        expect(pair.serverRec.messages).toEqual([]);
        session.incoming.release(2);
        expect(pair.serverRec.messages).toEqual([]);
        session.incoming.release(0);
        expect(pair.serverRec.messages).toEqual(['one']);
        session.incoming.release();
        expect(pair.serverRec.messages).toEqual(['one', new Uint8Array([1, 2, 3]), 'three']);
      });

      it('answers pings at once while messages before them are still held', () => {
        const { pair, session } = gatedPair({ chunking });
        pair.client.text('held');
        pair.client.ping('p1');
        pair.client.text('also held');
        pair.client.ping('p2');
        pair.flush();
        expect(pair.serverRec.types).toEqual(['ping', 'ping']);
        expect(pair.clientRec.of('pong').map((e) => new TextDecoder().decode(e.data))).toEqual(['p1', 'p2']);
        session.incoming.release();
        expect(pair.serverRec.types).toEqual(['ping', 'ping', 'message', 'message']);
        expect(pair.serverRec.messages).toEqual(['held', 'also held']);
      });

      it("holds the peer's close until the messages before it are delivered, then answers it", () => {
        const { pair, session } = gatedPair({ chunking });
        pair.client.text('last words');
        pair.client.close(1000, 'done');
        pair.flush();
        expect(pair.serverRec.types).toEqual([]);
        expect(pair.server.readyState).toBe(2);
        // No answer yet: the client still waits in `closing`.
        expect(pair.client.readyState).toBe(2);
        session.incoming.release();
        pair.flush();
        expect(pair.serverRec.types).toEqual(['message', 'close']);
        expect(pair.serverRec.of('close')[0]).toMatchObject({ code: 1000, reason: 'done', wasClean: true });
        expect(pair.clientRec.of('close')[0]).toMatchObject({ code: 1000, wasClean: true });
      });

      it('validates uncompressed text too, once the extensions have run (1007)', () => {
        const { pair, session } = gatedPair({ chunking });
        session.incoming.open = true;
        feed(pair.server, clientFrame(Op.TEXT, new Uint8Array([0x68, 0xc3])), chunking);
        expect(pair.serverRec.of('error')[0]).toMatchObject({ code: 'INVALID_UTF8', closeCode: 1007 });
      });

      it('validates text after decoding: bad UTF-8 out of the extension fails with 1007', () => {
        const { pair, session } = gatedPair({ chunking });
        session.incoming.open = true;
        // Valid only before decoding: the XOR turns it into 0xff bytes.
        feed(pair.server, clientFrame(Op.TEXT, xorBytes(new Uint8Array([0xff, 0xfe])), { rsv: 0x40 }), chunking);
        expect(pair.serverRec.of('error')[0]).toMatchObject({ code: 'INVALID_UTF8', closeCode: 1007 });
        pair.flush();
        expect(pair.clientRec.of('close')[0]).toMatchObject({ code: 1007 });
      });
    });

    describe('sending', () => {
      it('sends messages in order and pings and pongs at once, ahead of held messages', () => {
        const { pair, session } = gatedPair({ chunking });
        pair.server.text('a');
        pair.server.ping('p');
        pair.server.binary(new Uint8Array([9]));
        pair.server.pong('unsolicited');
        pair.flush();
        expect(pair.clientRec.types).toEqual(['ping', 'pong']);
        session.outgoing.release(1);
        pair.flush();
        expect(pair.clientRec.messages).toEqual([]);
        session.outgoing.release();
        pair.flush();
        expect(pair.clientRec.messages).toEqual(['a', new Uint8Array([9])]);
      });

      it('sends what the extension produced, with its RSV bit on the first frame only', () => {
        const { pair, session } = gatedPair({ chunking, server: { fragmentSize: 2 } });
        session.outgoing.open = true;
        pair.serverRec.take();
        pair.server.text('hello');
        const frames = pair.serverRec.takeFrames();
        expect(frames.map((f) => f.rsv)).toEqual([0x40, 0, 0]);
        expect(frames.map((f) => f.opcode)).toEqual([Op.TEXT, Op.CONTINUATION, Op.CONTINUATION]);
        expect(xorBytes(new Uint8Array(frames.flatMap((f) => [...f.payload])))).toEqual(text('hello'));
      });

      it('does not let the caller change a binary message after binary() returned', () => {
        const { pair, session } = gatedPair({ chunking });
        const data = new Uint8Array([1, 2, 3]);
        pair.server.binary(data);
        data.fill(0);
        session.outgoing.release();
        pair.flush();
        expect(pair.clientRec.messages).toEqual([new Uint8Array([1, 2, 3])]);
      });

      it('close() sends the close frame after the messages already in the pipeline', () => {
        const { pair, session } = gatedPair({ chunking });
        pair.server.text('first');
        expect(pair.server.close(1000, 'bye')).toBe(true);
        expect(pair.server.readyState).toBe(2);
        expect(pair.server.text('too late')).toBe(false);
        pair.serverRec.take();
        pair.flush();
        expect(pair.clientRec.types).toEqual([]);
        session.outgoing.release();
        const frames = decodeFrames(pair.serverRec.take());
        expect(frames.map((f) => f.opcode)).toEqual([Op.TEXT, Op.CLOSE]);
        pair.flush();
        expect(pair.clientRec.types).toEqual(['message', 'close']);
        expect(pair.serverRec.of('close')[0]).toMatchObject({ code: 1000, wasClean: true });
      });

      it('messages queued before open go through the extension', () => {
        const pair = new Pair({ chunking });
        pair.server.addExtension(new GatedExtension('x-xor', true));
        pair.client.addExtension(new GatedExtension('x-xor', true));
        pair.client.text('early');
        pair.connect();
        expect(pair.serverRec.messages).toEqual(['early']);
      });
    });
  });
}

describe('when an extension fails', () => {
  it('an incoming failure closes with 1011, names the extension, and tells the peer', () => {
    const { pair, session } = gatedPair({ transforms: { incoming: () => new Error('cannot decode') } });
    pair.client.text('x');
    pair.flush();
    session.incoming.release();
    const [error] = pair.serverRec.of('error');
    expect(error).toMatchObject({ code: 'EXTENSION_ERROR', closeCode: 1011 });
    expect(error!.message).toBe('x-xor: cannot decode');
    pair.flush();
    expect(pair.clientRec.of('close')[0]).toMatchObject({ code: 1011 });
  });

  it("an error carrying closeCode 1009 closes with 1009", () => {
    const tooBig = () => Object.assign(new Error('inflated too far'), { closeCode: 1009 });
    const { pair, session } = gatedPair({ transforms: { incoming: tooBig } });
    pair.client.text('x');
    pair.flush();
    session.incoming.release();
    expect(pair.serverRec.of('error')[0]).toMatchObject({ code: 'EXTENSION_ERROR', closeCode: 1009 });
    expect(pair.serverRec.of('close')[0]).toMatchObject({ code: 1009 });
  });

  it('a decoded message above maxLength closes with 1009 and is not delivered', () => {
    const grow = (m: ExtensionMessage) => ({ ...m, rsv1: false, data: new Uint8Array(11) });
    const { pair, session } = gatedPair({ server: { maxLength: 10 }, transforms: { incoming: grow } });
    pair.client.binary(new Uint8Array(2));
    pair.flush();
    session.incoming.release();
    expect(pair.serverRec.messages).toEqual([]);
    expect(pair.serverRec.of('error')[0]).toMatchObject({ code: 'MESSAGE_TOO_LONG', closeCode: 1009 });
  });

  it('an outgoing failure closes with 1011 and sends no data frame', () => {
    const { pair, session } = gatedPair({ transforms: { outgoing: () => new Error('cannot encode') } });
    pair.serverRec.take();
    pair.server.text('x');
    session.outgoing.release();
    const frames = pair.serverRec.takeFrames();
    expect(frames.map((f) => f.opcode)).toEqual([Op.CLOSE]);
    expect(readClosePayload(frames[0]!.payload).code).toBe(1011);
    expect(pair.serverRec.of('error')[0]).toMatchObject({ code: 'EXTENSION_ERROR', closeCode: 1011 });
  });

  it('an outgoing message with an RSV bit no extension claims closes with 1011', () => {
    const rsv2 = (m: ExtensionMessage) => ({ ...m, rsv2: true });
    const { pair, session } = gatedPair({ transforms: { outgoing: rsv2 } });
    pair.serverRec.take();
    pair.server.text('x');
    session.outgoing.release();
    expect(pair.serverRec.takeFrames().map((f) => f.opcode)).toEqual([Op.CLOSE]);
    expect(pair.serverRec.of('error')[0]!.message).toMatch(/RSV bits 0x20/);
  });

  it('a failure while our close frame is held sends the failure close at once, and only one close frame', () => {
    const { pair, session } = gatedPair({ transforms: { incoming: () => new Error('bad input') } });
    pair.server.text('pending');
    pair.server.close();
    pair.client.text('x');
    pair.serverRec.take();
    pair.flush();
    session.incoming.release();
    session.outgoing.release();
    const frames = pair.serverRec.takeFrames();
    expect(frames.map((f) => f.opcode)).toEqual([Op.CLOSE]);
    expect(readClosePayload(frames[0]!.payload).code).toBe(1011);
  });
});

describe('when the connection ends with messages in the pipeline', () => {
  it('drops their results, reports 1006 and closes the sessions', () => {
    const { pair, session } = gatedPair();
    pair.client.text('in');
    pair.server.text('out');
    pair.flush();
    pair.serverRec.take();
    pair.server.transportClosed();
    expect(pair.serverRec.of('close')[0]).toMatchObject({ code: 1006 });
    session.incoming.release();
    session.outgoing.release();
    expect(pair.serverRec.messages).toEqual([]);
    expect(pair.serverRec.take()).toHaveLength(0);
    expect(session.closed).toBe(true);
  });

  it('closes the sessions after a clean close', () => {
    const { pair, session } = gatedPair();
    session.incoming.open = true;
    session.outgoing.open = true;
    pair.client.close();
    pair.flush();
    expect(pair.server.readyState).toBe(3);
    expect(session.closed).toBe(true);
  });
});
