/**
 * `transportClosed(cause?)`: the core entry point through which adapters
 * report the end of the transport. Without a cause it is the plain 1006
 * of websocket-driver; with one, the driver first emits `error`
 * (TRANSPORT_ERROR, closeCode 1006, `cause` the transport's error) and the
 * `close` reason is the cause's message.
 */
import { describe, expect, it } from 'vitest';
import { Driver, ProtocolError, ReadyState } from '../../lib/index.js';
import { Op, closePayload, clientFrame, openClient, openServer, Recorder, startedClient } from '../helpers/index.js';

const reset = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });

describe('transportClosed(cause)', () => {
  const drivers = {
    'an open server': () => openServer(),
    'an open client': () => openClient(),
    'a client waiting for its response': () => startedClient(),
    'Driver.server before the request arrived': () => {
      const rec = new Recorder();
      return { driver: rec.attach(Driver.server(rec.socket)), rec };
    },
  };

  for (const [name, make] of Object.entries(drivers)) {
    it(`${name}: emits a TRANSPORT_ERROR error with the cause, then close 1006 with its message`, () => {
      const { driver, rec } = make();
      const cause = reset();
      driver.transportClosed(cause);
      const [error, close, ...rest] = rec.events;
      expect(rest).toEqual([]);
      expect(error).toMatchObject({ type: 'error', code: 'TRANSPORT_ERROR', closeCode: 1006, message: 'read ECONNRESET' });
      const reported = (error as unknown as { error: ProtocolError }).error;
      expect(reported).toBeInstanceOf(ProtocolError);
      expect(reported.cause).toBe(cause);
      expect(close).toEqual({ type: 'close', code: 1006, reason: 'read ECONNRESET', wasClean: false });
      expect(driver.readyState).toBe(ReadyState.CLOSED);
    });
  }

  it('without a cause: close 1006 with an empty reason and no error, as before', () => {
    const { driver, rec } = openServer();
    driver.transportClosed();
    expect(rec.events).toEqual([{ type: 'close', code: 1006, reason: '', wasClean: false }]);
  });

  it('a cause that is not an Error becomes the message as a string', () => {
    const { driver, rec } = openServer();
    driver.transportClosed('socket hang up');
    expect(rec.events[0]).toMatchObject({ type: 'error', message: 'socket hang up' });
    expect(rec.events[1]).toMatchObject({ type: 'close', reason: 'socket hang up' });
  });

  it('reports a failure during the closing handshake, while waiting for the peer', () => {
    const { driver, rec } = openServer();
    driver.close(1000);
    rec.clearEvents();
    driver.transportClosed(reset());
    expect(rec.events.map((event) => event.type)).toEqual(['error', 'close']);
  });

  it('says nothing once the connection is closed: a late socket error is no news', () => {
    const { driver, rec } = openServer();
    driver.parse(clientFrame(Op.CLOSE, closePayload(1000)));
    rec.clearEvents();
    driver.transportClosed(reset());
    expect(rec.events).toEqual([]);
  });
});
