/**
 * An extension whose offer (client) or answer (server) cannot be sent as a
 * header fails the connection cleanly on both sides: `error`
 * (EXTENSION_ERROR, 1011, as for any extension that fails to negotiate),
 * then `close`; nothing of the handshake is sent (a server answers 500),
 * and the driver is closed for good. Before, a client's start() threw and
 * left the driver connecting, unable to start or close.
 */
import { describe, expect, it } from 'vitest';
import { Driver, ReadyState, type Extension } from '../../lib/index.js';
import { Recorder, parseHead, requestHead } from '../helpers/index.js';

const INJECTED = { p: 'a\r\nInjected: 1' };

function brokenExtension(): Extension {
  const session = {
    generateOffer: () => INJECTED,
    generateResponse: () => INJECTED,
    activate: () => true,
    processIncomingMessage: (message: unknown, callback: (error: Error | null, message: unknown) => void) => callback(null, message),
    processOutgoingMessage: (message: unknown, callback: (error: Error | null, message: unknown) => void) => callback(null, message),
    close: () => {},
  };
  return {
    name: 'x-broken',
    type: 'permessage',
    rsv1: true,
    rsv2: false,
    rsv3: false,
    createClientSession: () => session,
    createServerSession: () => session,
  } as unknown as Extension;
}

describe('an extension that makes a handshake that cannot be sent', () => {
  it('client: start() sends nothing and fails the connection with EXTENSION_ERROR; the driver stays consistent', () => {
    const rec = new Recorder({ url: 'ws://example.com/' });
    const driver = rec.attach(Driver.client(rec.socket));
    driver.addExtension(brokenExtension());
    expect(driver.start()).toBe(false);
    expect(rec.socket.writes).toEqual([]);
    expect(driver.readyState).toBe(ReadyState.CLOSED);
    expect(rec.events.map((event) => event.type)).toEqual(['error', 'close']);
    expect(rec.events[0]).toMatchObject({ code: 'EXTENSION_ERROR', closeCode: 1011, message: expect.stringMatching(/invalid Sec-WebSocket-Extensions/) });
    expect(rec.events[1]).toMatchObject({ code: 1011, wasClean: false });
    // Consistent: no restart, nothing sent, no second close.
    expect(driver.start()).toBe(false);
    expect(driver.close()).toBe(false);
    expect(driver.text('x')).toBe(false);
    driver.transportClosed();
    expect(rec.socket.writes).toEqual([]);
    expect(rec.events.filter((event) => event.type === 'close')).toHaveLength(1);
  });

  it('server: the same extension is answered 500 and fails with EXTENSION_ERROR', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket));
    driver.addExtension(brokenExtension());
    driver.parse(requestHead({ headers: { 'Sec-WebSocket-Extensions': 'x-broken' } }));
    expect(driver.start()).toBe(false);
    expect(parseHead(rec.take()).status).toBe(500);
    expect(driver.readyState).toBe(ReadyState.CLOSED);
    expect(rec.events.map((event) => event.type)).toEqual(['connect', 'error', 'close']);
    expect(rec.events[1]).toMatchObject({ code: 'EXTENSION_ERROR', closeCode: 1011 });
  });
});
