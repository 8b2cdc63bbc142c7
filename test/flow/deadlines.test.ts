/**
 * Deadlines without timers (docs/flow-control.md): `useDeadlines`,
 * `deadline` and `tick(now)` on the core, with the time passed in.
 */
import { describe, expect, it } from 'vitest';
import { deadlineKeeper, Driver, type DeadlineKeeper } from '../../lib/index.js';
import { DeadlineClock, checkDeadlineSettings } from '../../lib/connection/deadlines.js';
import {
  decodeFrames,
  Op,
  openRackServer,
  openServer,
  parseHead,
  readClosePayload,
  Recorder,
  requestHead,
  ROLES,
  startedClient,
  type Role,
} from '../helpers/index.js';

interface Timed {
  useDeadlines(keeper: DeadlineKeeper, now: number): void;
  readonly deadline: number | null;
  tick(now: number): void;
}

describe('the handshake deadline', () => {
  it('Driver.server: a head still incomplete at the deadline is answered 408 and the driver closes (1006)', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket));
    driver.useDeadlines(deadlineKeeper({ handshakeTimeout: 1000 }), 5000);
    expect(driver.deadline).toBe(6000);
    const head = requestHead();
    driver.parse(head.slice(0, 20));
    driver.tick(5999);
    expect(rec.written.length).toBe(0);
    driver.tick(6000);
    expect(parseHead(rec.take()).status).toBe(408);
    expect(rec.of('error').map((e) => [e.code, e.closeCode])).toEqual([['HANDSHAKE_TIMEOUT', 1006]]);
    expect(rec.of('close')).toEqual([{ type: 'close', code: 1006, reason: expect.any(String), wasClean: false }]);
    expect(driver.deadline).toBeNull();
  });

  it('Driver.server: a request the application has not started by the deadline is answered 408', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket));
    driver.useDeadlines(deadlineKeeper({ handshakeTimeout: 1000 }), 0);
    driver.parse(requestHead());
    expect(rec.types).toEqual(['connect']);
    driver.tick(1000);
    expect(parseHead(rec.take()).status).toBe(408);
    expect(rec.types).toEqual(['connect', 'error', 'close']);
  });

  it('Driver.server: nothing happens once the handshake completed in time', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket));
    driver.useDeadlines(deadlineKeeper({ handshakeTimeout: 1000 }), 0);
    driver.parse(requestHead());
    driver.start();
    expect(driver.deadline).toBeNull();
    driver.tick(10_000);
    expect(rec.of('close')).toEqual([]);
    expect(driver.readyState).toBe(1);
  });

  it('Driver.rack: not started in time, answered 408', () => {
    const { rec } = openRackServer();
    const rack = new Recorder({ env: (rec.socket as { env?: unknown }).env });
    const driver = rack.attach(Driver.rack(rack.socket));
    driver.useDeadlines(deadlineKeeper({ handshakeTimeout: 10 }), 0);
    driver.tick(10);
    expect(parseHead(rack.take()).status).toBe(408);
    expect(driver.readyState).toBe(3);
  });

  it('a client with no response by the deadline fails with HANDSHAKE_TIMEOUT and writes nothing more', () => {
    const { driver, rec } = startedClient();
    driver.useDeadlines(deadlineKeeper({ handshakeTimeout: 50 }), 0);
    driver.tick(50);
    expect(rec.take().length).toBe(0);
    expect(rec.of('error').map((e) => e.code)).toEqual(['HANDSHAKE_TIMEOUT']);
    expect(rec.of('close')[0]).toMatchObject({ code: 1006, wasClean: false });
  });
});

describe.each(ROLES)('$name keepalive', (role: Role) => {
  function open() {
    const { driver, rec } = role.open();
    rec.take();
    return { driver: driver as typeof driver & Timed, rec };
  }

  it('sends a ping after an idle interval, and fails with 1011 (PONG_TIMEOUT) when its pong is late', () => {
    const { driver, rec } = open();
    driver.useDeadlines(deadlineKeeper({ pingInterval: 100, pingTimeout: 40 }), 0);
    driver.tick(0);
    expect(driver.deadline).toBe(100);
    driver.tick(99);
    expect(rec.take().length).toBe(0);
    driver.tick(100);
    expect(decodeFrames(rec.take()).map((f) => f.opcode)).toEqual([Op.PING]);
    expect(driver.deadline).toBe(140);
    driver.tick(140);
    const frames = decodeFrames(rec.take());
    expect(frames.map((f) => f.opcode)).toEqual([Op.CLOSE]);
    expect(readClosePayload(frames[0]!.payload).code).toBe(1011);
    expect(rec.of('error').map((e) => [e.code, e.closeCode])).toEqual([['PONG_TIMEOUT', 1011]]);
    expect(rec.of('close')[0]).toMatchObject({ code: 1011, wasClean: false });
  });

  it('a pong in time keeps the connection; input during an interval spares the ping', () => {
    const { driver, rec } = open();
    driver.useDeadlines(deadlineKeeper({ pingInterval: 100 }), 0);
    driver.tick(0);
    driver.tick(100);
    expect(decodeFrames(rec.take()).map((f) => f.opcode)).toEqual([Op.PING]);
    driver.parse(role.peerFrame(Op.PONG));
    // The pong was input during the interval: no ping at 200.
    driver.tick(200);
    expect(rec.take().length).toBe(0);
    // Silence from 200 to 300: a ping.
    driver.tick(300);
    expect(decodeFrames(rec.take()).map((f) => f.opcode)).toEqual([Op.PING]);
    expect(driver.readyState).toBe(1);
  });

  it('keepalive starts once the connection opens (ticked on open) and stops when it closes', () => {
    const { driver } = open();
    driver.useDeadlines(deadlineKeeper({ pingInterval: 100 }), 0);
    driver.tick(50);
    expect(driver.deadline).toBe(150);
    driver.close();
    driver.tick(60);
    expect(driver.deadline).toBeNull();
  });

  it('drops a peer that does not finish the closing handshake within closeTimeout (1006, CLOSE_TIMEOUT)', () => {
    const { driver, rec } = open();
    driver.useDeadlines(deadlineKeeper({ closeTimeout: 30 }), 0);
    driver.close();
    // The deadline starts at the first tick after `closing`.
    driver.tick(10);
    expect(driver.deadline).toBe(40);
    driver.tick(39);
    expect(driver.readyState).toBe(2);
    driver.tick(40);
    expect(rec.of('error').map((e) => e.code)).toEqual(['CLOSE_TIMEOUT']);
    expect(rec.of('close')[0]).toMatchObject({ code: 1006, wasClean: false });
  });
});

describe('settings', () => {
  it('reject negative, NaN and infinite durations', () => {
    for (const bad of [-1, Number.NaN, Infinity]) {
      expect(() => checkDeadlineSettings({ pingInterval: bad })).toThrow(RangeError);
      expect(() => openServer().driver.useDeadlines(deadlineKeeper({ handshakeTimeout: bad }), 0)).toThrow(RangeError);
    }
  });

  it('are taken only from deadlineKeeper(), and a plain settings object says so', () => {
    const { driver } = openServer();
    expect(() => driver.useDeadlines({ handshakeTimeout: 10 } as never, 0)).toThrow(TypeError);
    expect(() => driver.useDeadlines({ handshakeTimeout: 10 } as never, 0)).toThrow(/deadlineKeeper\(settings\)/);
    expect(driver.deadline).toBeNull();
    // One keeper serves several drivers, each from its own start.
    const keeper = deadlineKeeper({ pingInterval: 100 });
    const first = openServer().driver;
    const second = openServer().driver;
    first.useDeadlines(keeper, 0);
    second.useDeadlines(keeper, 500);
    first.tick(0);
    second.tick(500);
    expect(first.deadline).toBe(100);
    expect(second.deadline).toBe(600);
  });

  it('pingTimeout defaults to pingInterval', () => {
    expect(checkDeadlineSettings({ pingInterval: 70 }).pingTimeout).toBe(70);
  });

  it('a clock told an earlier time keeps the later one', () => {
    const clock = new DeadlineClock(checkDeadlineSettings({ handshakeTimeout: 10 }), 100);
    expect(clock.advance(50)).toBeNull();
    expect(clock.advance(110)).toBe('handshake');
  });
});
