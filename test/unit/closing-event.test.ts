import { describe, expect, it } from 'vitest';
import { openClient, openServer } from '../helpers/drivers.js';
import { clientFrame, closePayload } from '../helpers/frames.js';

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

  it('does not fire when the peer starts the closing handshake', () => {
    const { driver } = openServer();
    let closing = 0;
    driver.on('closing', () => closing++);
    driver.parse(clientFrame(0x8, closePayload(1000)));
    expect(driver.readyState).toBe(3);
    expect(closing).toBe(0);
  });
});
