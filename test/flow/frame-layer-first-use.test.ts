/**
 * An RFC 6455 driver makes its frame parser, message reader and frame
 * writer at first use (the first frame received or sent, or the first
 * pause), not when it is made: an idle connection never holds them. These
 * are the moments where one is made on the way, checked end to end: a
 * pause before any frame, a pause before the handshake, a close frame or a
 * ping as the first thing sent, and a paused driver's held bytes.
 */
import { describe, expect, it } from 'vitest';
import { Driver } from '../../lib/index.js';
import { Op, Recorder, clientFrame, openServer, rackEnvOf, requestHeadText } from '../helpers/index.js';

function joined(...chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, c) => sum + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

describe('the frame layer, made at first use', () => {
  it('an open driver that has received nothing holds nothing, and its first close frame is well formed', () => {
    const { driver, rec } = openServer();
    expect(driver.retainedBytes).toBe(0);
    driver.close(1000, 'bye');
    expect(rec.takeFrames()).toEqual([expect.objectContaining({ fin: true, opcode: Op.CLOSE, payload: Uint8Array.of(0x03, 0xe8, 0x62, 0x79, 0x65) })]);
    driver.parse(clientFrame(Op.CLOSE, Uint8Array.of(0x03, 0xe8)));
    expect(rec.of('close')).toMatchObject([{ code: 1000, wasClean: true }]);
  });

  it('a ping as the first frame sent goes out, and its pong (the first frame received) reaches the callback', () => {
    const { driver, rec } = openServer();
    let answered = 0;
    expect(driver.ping('p', () => answered++)).toBe(true);
    expect(rec.takeFrames()).toEqual([expect.objectContaining({ opcode: Op.PING, payload: Uint8Array.of(0x70) })]);
    driver.parse(clientFrame(Op.PONG, 'p'));
    expect(answered).toBe(1);
  });

  it('paused before its first frame: a chunk of two messages is held whole, then delivered in order on resume', () => {
    const { driver, rec } = openServer();
    driver.pause();
    const chunk = joined(clientFrame(Op.TEXT, 'one'), clientFrame(Op.TEXT, 'two'));
    driver.parse(chunk);
    expect(rec.messages).toEqual([]);
    expect(driver.retainedBytes).toBeGreaterThanOrEqual(chunk.length);
    driver.resume();
    expect(rec.messages).toEqual(['one', 'two']);
    expect(driver.retainedBytes).toBe(0);
  });

  it('a listener that pauses on the first message (the parser made in that read) stops the read at the next frame', () => {
    const { driver, rec } = openServer();
    driver.once('message', () => driver.pause());
    driver.parse(joined(clientFrame(Op.TEXT, 'one'), clientFrame(Op.TEXT, 'two'), clientFrame(Op.TEXT, 'three')));
    expect(rec.messages).toEqual(['one']);
    driver.resume();
    expect(rec.messages).toEqual(['one', 'two', 'three']);
  });

  it('paused before the handshake: frames sent with the request wait, then arrive in order', () => {
    const rec = new Recorder({ env: rackEnvOf(requestHeadText()) });
    const driver = rec.attach(Driver.rack(rec.socket));
    driver.pause();
    driver.parse(joined(clientFrame(Op.TEXT, 'early'), clientFrame(Op.BINARY, Uint8Array.of(1, 2))));
    expect(driver.start()).toBe(true);
    expect(rec.takeHead().status).toBe(101);
    expect(rec.messages).toEqual([]);
    driver.resume();
    expect(rec.messages).toEqual(['early', Uint8Array.of(1, 2)]);
  });
});
