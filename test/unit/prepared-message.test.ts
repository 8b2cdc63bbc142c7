/**
 * PreparedMessage: a message framed once that server connections write as
 * it is, and every other connection sends its usual way.
 */
import { describe, expect, it } from 'vitest';
import { Driver, PreparedMessage } from '../../lib/index.js';
import { GatedExtension } from '../extensions/fixtures.js';
import { concat, decodeFrames, Op, openClient, openServer, Pair, Recorder, requestHead, serverFrame } from '../helpers/index.js';

const encoder = new TextEncoder();

/** A socket that keeps the arrays it is given, by reference. */
function referenceSocket() {
  const writes: Uint8Array[] = [];
  return { writes, write: (bytes: Uint8Array) => void writes.push(bytes) };
}

function openOn(socket: { write(bytes: Uint8Array): void }, options = {}) {
  const driver = Driver.server(socket, options);
  driver.parse(requestHead());
  driver.start();
  return driver;
}

describe('PreparedMessage', () => {
  for (const size of [0, 5, 125, 126, 65535, 65536]) {
    it(`frames a ${size}-byte text and binary message as a server does (RFC 6455 §5.2)`, () => {
      const text = 'é'.repeat(size >> 1) + (size & 1 ? 'x' : '');
      expect(new PreparedMessage(text).frame).toEqual(serverFrame(Op.TEXT, encoder.encode(text)));
      const bytes = Uint8Array.from({ length: size }, (_, i) => i & 0xff);
      const prepared = new PreparedMessage(bytes);
      expect(prepared.frame).toEqual(serverFrame(Op.BINARY, bytes));
      expect(prepared.text).toBeNull();
    });
  }

  it('copies the bytes it is given', () => {
    const bytes = Uint8Array.of(1, 2, 3);
    const prepared = new PreparedMessage(bytes);
    bytes[0] = 9;
    expect(Array.from(prepared.payload)).toEqual([1, 2, 3]);
    expect(Array.from(new PreparedMessage(Uint8Array.of(7, 8).buffer).payload)).toEqual([7, 8]);
  });

  it('prepares UTF-8 bytes as a text message with type "text": the same frame as the string, the text decoded once (a leading U+FEFF kept)', () => {
    for (const text of ['', 'héllo ✓', '\ufeffmarked', 'ü'.repeat(40_000)]) {
      const bytes = encoder.encode(text);
      const prepared = new PreparedMessage(bytes, 'text');
      expect(prepared.frame).toEqual(new PreparedMessage(text).frame);
      expect(prepared.opcode).toBe(Op.TEXT);
      expect(prepared.text).toBe(text);
    }
    // An offset view sends its own bytes only; an explicit type that agrees changes nothing.
    const larger = concat(Uint8Array.of(0xff), encoder.encode('mid'), Uint8Array.of(0xff));
    expect(new PreparedMessage(larger.subarray(1, 4), 'text').text).toBe('mid');
    expect(new PreparedMessage(Uint8Array.of(1), 'binary').frame).toEqual(serverFrame(Op.BINARY, Uint8Array.of(1)));
    expect(new PreparedMessage('s', 'text').text).toBe('s');
  });

  it('refuses bytes that are not UTF-8 as text, a string as binary, and an unknown type', () => {
    expect(() => new PreparedMessage(Uint8Array.of(0x61, 0xc0, 0xaf), 'text')).toThrow(/not UTF-8/);
    expect(() => new PreparedMessage('text', 'binary')).toThrow(/'binary' for bytes/);
    expect(() => new PreparedMessage(Uint8Array.of(1), 'ping' as never)).toThrow(TypeError);
  });

  it('refuses anything but a string or bytes', () => {
    expect(() => new PreparedMessage(42 as unknown as string)).toThrow(TypeError);
    const { driver } = openServer();
    expect(() => driver.sendPrepared('text' as unknown as PreparedMessage)).toThrow(TypeError);
  });
});

describe('driver.sendPrepared()', () => {
  it('an open server writes the one shared frame to every socket, by reference', () => {
    const prepared = new PreparedMessage('to everyone');
    const sockets = Array.from({ length: 5 }, referenceSocket);
    const drivers = sockets.map((socket) => openOn(socket));
    for (const driver of drivers) expect(driver.sendPrepared(prepared)).toBe(true);
    for (const socket of sockets) expect(socket.writes.at(-1)).toBe(prepared.frame);
  });

  it('a Driver.rack server does the same', () => {
    const rec = new Recorder({ env: { REQUEST_METHOD: 'GET', HTTP_HOST: 'example.com', HTTP_UPGRADE: 'websocket', HTTP_CONNECTION: 'Upgrade', HTTP_SEC_WEBSOCKET_KEY: 'dGhlIHNhbXBsZSBub25jZQ==', HTTP_SEC_WEBSOCKET_VERSION: '13', PATH_INFO: '/' } });
    const driver = Driver.rack(rec.socket);
    driver.start();
    rec.take();
    driver.sendPrepared(new PreparedMessage(Uint8Array.of(1, 2)));
    expect(rec.takeFrames()).toMatchObject([{ opcode: Op.BINARY, masked: false, payload: Uint8Array.of(1, 2) }]);
  });

  it('a client masks its own frame with its own key', () => {
    const { driver, rec } = openClient();
    driver.sendPrepared(new PreparedMessage('from a client'));
    const [frame] = rec.takeFrames();
    expect(frame).toMatchObject({ opcode: Op.TEXT, masked: true });
    expect(new TextDecoder().decode(frame!.payload)).toBe('from a client');
  });

  it('bytes prepared as text go out as text where the shared frame cannot: a client, a smaller fragmentSize', () => {
    const prepared = new PreparedMessage(encoder.encode('ünï ✓'), 'text');
    const client = openClient();
    client.driver.sendPrepared(prepared);
    const server = openServer({ fragmentSize: 4 });
    server.driver.sendPrepared(prepared);
    const [masked] = client.rec.takeFrames();
    expect(masked).toMatchObject({ opcode: Op.TEXT, masked: true });
    expect(new TextDecoder().decode(masked!.payload)).toBe('ünï ✓');
    const fragments = server.rec.takeFrames();
    expect(fragments[0]!.opcode).toBe(Op.TEXT);
    expect(new TextDecoder().decode(concat(...fragments.map((f) => f.payload)))).toBe('ünï ✓');
  });

  it('a connection with a smaller fragmentSize sends it in fragments', () => {
    const { driver, rec } = openServer({ fragmentSize: 4 });
    driver.sendPrepared(new PreparedMessage('0123456789'));
    const frames = rec.takeFrames();
    expect(frames.map((f) => f.opcode)).toEqual([Op.TEXT, Op.CONTINUATION, Op.CONTINUATION]);
  });

  it('a connection with an extension active sends it through the extension', () => {
    const pair = new Pair();
    pair.server.addExtension(new GatedExtension('x-xor', true));
    pair.client.addExtension(new GatedExtension('x-xor', true));
    pair.connect();
    const before = pair.serverRec.socket.writes.length;
    pair.server.sendPrepared(new PreparedMessage('through it'));
    const written = decodeFrames(concat(...pair.serverRec.socket.writes.slice(before)));
    // Transformed by the extension (RSV1 set, payload XORed), not the shared frame.
    expect(written).toMatchObject([{ opcode: Op.TEXT, rsv: 0x40 }]);
    pair.flush();
    expect(pair.clientRec.messages).toEqual(['through it']);
  });

  it('before open it is queued, and sent once the connection opens', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket));
    expect(driver.sendPrepared(new PreparedMessage('early'))).toBe(true);
    driver.parse(requestHead());
    driver.start();
    const written = rec.take();
    const frames = decodeFrames(written.subarray(Buffer.from(written).indexOf('\r\n\r\n') + 4));
    expect(frames).toMatchObject([{ opcode: Op.TEXT, payload: encoder.encode('early') }]);
  });

  it('returns false once the close frame is sent, writing nothing', () => {
    const socket = referenceSocket();
    const driver = openOn(socket);
    driver.close();
    const before = socket.writes.length;
    expect(driver.sendPrepared(new PreparedMessage('late'))).toBe(false);
    expect(socket.writes).toHaveLength(before);
    expect(decodeFrames(socket.writes.at(-1)!)[0]!.opcode).toBe(Op.CLOSE);
  });
});
