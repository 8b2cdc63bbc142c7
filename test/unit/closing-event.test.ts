import { describe, expect, it } from 'vitest';
import { GatedExtension } from '../extensions/fixtures.js';
import { openClient, openServer } from '../helpers/drivers.js';
import { clientFrame, closePayload } from '../helpers/frames.js';
import { Pair } from '../helpers/index.js';

describe('the closing event', () => {
  it('fires once, in readyState 2, when this side starts the closing handshake (server)', () => {
    const { driver } = openServer();
    const states: number[] = [];
    driver.on('closing', () => states.push(driver.readyState));
    expect(driver.close(1000, 'bye')).toBe(true);
    expect(driver.close(1000, 'again')).toBe(false);
    expect(states).toEqual([2]);
  });

  it('fires when a client starts the closing handshake, before the peer answers', () => {
    const { driver } = openClient();
    let closing = 0;
    let closed = 0;
    driver.on('closing', () => closing++);
    driver.on('close', () => closed++);
    driver.close();
    expect([closing, closed]).toEqual([1, 0]);
  });

  it('fires when the peer starts the closing handshake and its close is held behind a busy extension pipeline', () => {
    const pair = new Pair({ chunking: 'whole' });
    const gated = new GatedExtension('x-xor', false);
    pair.server.addExtension(gated);
    pair.client.addExtension(new GatedExtension('x-xor', true));
    pair.connect();
    const states: number[] = [];
    pair.server.on('closing', () => states.push(pair.server.readyState));
    pair.client.text('still in the pipeline');
    pair.client.close(1000, 'done');
    pair.flush();
    // The peer started; the server's answer waits for the message before it: readyState is 2.
    expect(states).toEqual([2]);
    gated.session.incoming.release();
    pair.flush();
    expect(states).toEqual([2]);
    expect(pair.server.readyState).toBe(3);
  });

  it('does not fire when the peer starts the closing handshake and is answered at once (1 to 3, never 2)', () => {
    const { driver } = openServer();
    let closing = 0;
    driver.on('closing', () => closing++);
    driver.parse(clientFrame(0x8, closePayload(1000)));
    expect(driver.readyState).toBe(3);
    expect(closing).toBe(0);
  });
});
