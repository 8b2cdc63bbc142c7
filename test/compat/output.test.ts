/**
 * What a compat driver's `io` emits: each frame the engine writes, as it
 * is, in one Buffer; a handshake head in websocket-driver's header order
 * (packages/websocket-driver-compat/src/rules.ts, asWritten).
 */
import { describe, expect, it } from 'vitest';
import compat from '../../packages/websocket-driver-compat/src/driver.js';
import { asWritten } from '../../packages/websocket-driver-compat/src/rules.js';
import { decodeFrames, Op } from '../helpers/index.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const request = {
  method: 'GET',
  url: '/chat',
  headers: { host: 'example.com', upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': KEY, 'sec-websocket-version': '13' },
};

describe('compat output', () => {
  it('emits each frame as one data chunk, a Buffer holding exactly the frame', () => {
    const driver = compat.http(request);
    const chunks: unknown[] = [];
    driver.io.on('data', (chunk: unknown) => chunks.push(chunk));
    driver.start();
    const payload = Buffer.from('0123456789abcdef');
    for (let i = 0; i < 3; i++) driver.binary(payload);
    driver.text('short');
    expect(chunks).toHaveLength(5);
    for (const chunk of chunks) expect(Buffer.isBuffer(chunk)).toBe(true);
    expect((chunks[0] as Buffer).toString('latin1')).toMatch(/^HTTP\/1\.1 101 /);
    for (const chunk of chunks.slice(1, 4)) expect(chunk).toEqual(Buffer.concat([Buffer.of(0x82, 16), payload]));
    const [text, ...rest] = decodeFrames(chunks[4] as Buffer);
    expect(rest).toHaveLength(0);
    expect(text).toMatchObject({ fin: true, opcode: Op.TEXT });
    expect(Buffer.from(text!.payload).toString()).toBe('short');
  });

  it('passes every frame first byte the engine can write through unchanged', () => {
    // FIN, RSV1 (permessage-deflate) and every opcode the engine sends; hixie's 0x00 and 0xFF.
    const firsts = [0x00, 0x01, 0x02, 0x41, 0x42, 0x80, 0x81, 0x82, 0x88, 0x89, 0x8a, 0xc1, 0xc2, 0xff];
    for (const first of firsts) {
      const frame = Uint8Array.of(first, 3, 0x47, 0x48, 0x0d);
      expect(asWritten(frame)).toBe(frame);
    }
  });

  it("puts a 101's application headers before the handshake's own, as websocket-driver writes them", () => {
    const head = new TextEncoder().encode('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x\r\nX-App: 1\r\n\r\n');
    expect(Buffer.from(asWritten(head)).toString('latin1')).toBe('HTTP/1.1 101 Switching Protocols\r\nX-App: 1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n');
    const refusal = new TextEncoder().encode('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
    expect(asWritten(refusal)).toBe(refusal);
  });
});
