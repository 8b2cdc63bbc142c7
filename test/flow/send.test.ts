/**
 * The sending half of the socket contract (docs/flow-control.md): a write
 * returning false, `transportDrained()` and `drain`, `bufferedAmount`,
 * `maxBufferedBytes`, send callbacks, ownership of written bytes, and
 * `wholeFrames`.
 */
import { describe, expect, it } from 'vitest';
import { Driver } from '../../lib/index.js';
import { CLIENT, decodeFrames, Op, openServer, Pair, ROLES, SERVER, type Role } from '../helpers/index.js';
import { GatedExtension, tick } from '../extensions/fixtures.js';

const microtask = () => new Promise<void>((resolve) => queueMicrotask(resolve));

describe.each(ROLES)('$name sending under backpressure', (role: Role) => {
  function open(options = {}) {
    const { driver, rec } = role.open(options);
    return { driver: driver as ReturnType<Role['open']>['driver'] & FlowDriver, rec };
  }

  it('emits drain once after a write returned false and the transport reports it drained', () => {
    const { driver, rec } = open();
    rec.socket.full = true;
    expect(driver.text('a')).toBe(true);
    rec.socket.full = false;
    driver.transportDrained();
    driver.transportDrained();
    expect(rec.of('drain')).toHaveLength(1);
  });

  it('emits no drain when nothing was ever backed up', () => {
    const { driver, rec } = open();
    driver.text('a');
    driver.transportDrained();
    expect(rec.of('drain')).toHaveLength(0);
  });

  it('reports the socket\'s bufferedAmount', () => {
    const { driver, rec } = open();
    expect(driver.bufferedAmount).toBe(0);
    rec.socket.bufferedAmount = 12345;
    expect(driver.bufferedAmount).toBe(12345);
  });

  it('above maxBufferedBytes, text() and binary() return false and write nothing; drain follows', () => {
    const { driver, rec } = open({ maxBufferedBytes: 100 });
    rec.take();
    rec.socket.bufferedAmount = 60;
    expect(driver.binary(new Uint8Array(41))).toBe(false);
    // "é" is 2 bytes in UTF-8: 21 characters are 42 bytes, over the bound; 20 are 40, at it.
    expect(driver.text('é'.repeat(21))).toBe(false);
    expect(rec.take().length).toBe(0);
    expect(driver.text('é'.repeat(20))).toBe(true);
    expect(decodeFrames(rec.take()).map((f) => f.opcode)).toEqual([Op.TEXT]);
    rec.socket.bufferedAmount = 0;
    driver.transportDrained();
    expect(rec.of('drain')).toHaveLength(1);
    expect(driver.binary(new Uint8Array(41))).toBe(true);
  });

  it('sends one message larger than maxBufferedBytes when nothing is buffered', () => {
    const { driver, rec } = open({ maxBufferedBytes: 10 });
    rec.take();
    expect(driver.binary(new Uint8Array(1000))).toBe(true);
    expect(decodeFrames(rec.take())[0]!.payload.length).toBe(1000);
  });

  it('never refuses a ping, a pong or a close over maxBufferedBytes', () => {
    const { driver, rec } = open({ maxBufferedBytes: 1 });
    rec.take();
    rec.socket.bufferedAmount = 1000;
    expect(driver.ping('p')).toBe(true);
    expect(driver.pong('q')).toBe(true);
    expect(driver.close()).toBe(true);
    expect(decodeFrames(rec.take()).map((f) => f.opcode)).toEqual([Op.PING, Op.PONG, Op.CLOSE]);
  });

  it('runs a send callback after the frame was written, never inside the call', async () => {
    const { driver, rec } = open();
    rec.take();
    const calls: unknown[] = [];
    driver.text('hi', (error) => calls.push(error ?? 'sent'));
    driver.binary(Uint8Array.of(1), (error) => calls.push(error ?? 'sent'));
    expect(calls).toEqual([]);
    expect(decodeFrames(rec.take())).toHaveLength(2);
    await microtask();
    expect(calls).toEqual(['sent', 'sent']);
  });

  it('never runs the callback of a refused send', async () => {
    const { driver, rec } = open({ maxBufferedBytes: 1 });
    rec.socket.bufferedAmount = 10;
    let called = false;
    expect(driver.text('x', () => (called = true))).toBe(false);
    await microtask();
    expect(called).toBe(false);
  });

  it('never changes a buffer after handing it to write()', () => {
    const { driver, rec } = open();
    const before = rec.socket.handed.length;
    driver.text('first');
    driver.binary(new Uint8Array(20_000).fill(7));
    driver.ping('p');
    const snapshots = rec.socket.handed.slice(before).map((b) => Uint8Array.from(b));
    for (let i = 0; i < 50; i++) {
      driver.text('more text ' + i);
      driver.binary(new Uint8Array(100).fill(i));
    }
    rec.socket.handed.slice(before, before + snapshots.length).forEach((bytes, i) => expect(bytes).toEqual(snapshots[i]));
  });
});

/** The flow-control members, on any driver. */
interface FlowDriver {
  readonly bufferedAmount: number;
  transportDrained(): void;
  text(message: string, done?: (error?: Error) => void): boolean;
  binary(message: Uint8Array, done?: (error?: Error) => void): boolean;
}

describe('frames and writes', () => {
  it('a server writes a large payload after its header, uncopied; with wholeFrames, as one write', () => {
    for (const wholeFrames of [false, true]) {
      const { driver, rec } = SERVER.open();
      (rec.socket as { wholeFrames?: boolean }).wholeFrames = wholeFrames;
      const payload = new Uint8Array(20_000).fill(3);
      const before = rec.socket.handed.length;
      driver.binary(payload);
      const handed = rec.socket.handed.slice(before);
      if (wholeFrames) {
        expect(handed).toHaveLength(1);
        expect(decodeFrames(handed[0]!)[0]!.payload).toEqual(payload);
      } else {
        expect(handed).toHaveLength(2);
        expect(handed[1]).toBe(payload);
      }
    }
  });

  it('a client always writes a frame as one write', () => {
    const { driver, rec } = CLIENT.open();
    const before = rec.socket.handed.length;
    driver.binary(new Uint8Array(50_000));
    expect(rec.socket.handed.length - before).toBe(1);
  });
});

describe('send callbacks around the handshake and the pipeline', () => {
  it('a message queued before open is settled once it is written on open', async () => {
    const pair = new Pair();
    const calls: unknown[] = [];
    pair.client.text('early', (error) => calls.push(error ?? 'sent'));
    await microtask();
    expect(calls).toEqual([]);
    pair.connect();
    await microtask();
    expect(calls).toEqual(['sent']);
    expect(pair.serverRec.messages).toEqual(['early']);
  });

  it('a message queued before open gets an error if the connection ends first', async () => {
    const pair = new Pair();
    const calls: unknown[] = [];
    pair.client.text('early', (error) => calls.push(error));
    pair.client.close();
    await microtask();
    expect(calls).toHaveLength(1);
    expect(calls[0]).toBeInstanceOf(Error);
  });

  it('a ping queued before open gets an error if the connection ends first; one sent waits for its pong', async () => {
    const pair = new Pair();
    const calls: unknown[] = [];
    expect(pair.client.ping('early', (error) => calls.push(error ?? 'pong'))).toBe(true);
    pair.client.close();
    await microtask();
    expect(calls).toHaveLength(1);
    expect(calls[0]).toBeInstanceOf(Error);
    expect((calls[0] as Error).message).toBe('the connection closed before the message was sent');

    const open = new Pair();
    const answered: unknown[] = [];
    open.client.ping('early', (error) => answered.push(error ?? 'pong'));
    open.connect();
    await microtask();
    expect(answered).toEqual(['pong']);
  });

  it('a ping queued before open past maxPendingPings gets an error when the connection opens', async () => {
    const pair = new Pair({ client: { maxPendingPings: 1 } });
    const calls: unknown[] = [];
    expect(pair.client.ping('a', (error) => calls.push(error ?? 'pong a'))).toBe(true);
    expect(pair.client.ping('b', (error) => calls.push(error ?? 'pong b'))).toBe(true);
    pair.connect();
    await microtask();
    expect(calls).toHaveLength(2);
    expect(calls[0]).toBe('pong a');
    expect((calls[1] as Error).message).toBe('ping not sent on hybi-13');
  });

  it('with an extension, the callback waits until the pipeline wrote the message', async () => {
    const pair = new Pair();
    const extension = new GatedExtension('x-xor', false);
    pair.client.addExtension(extension);
    pair.server.addExtension(new GatedExtension('x-xor', true));
    pair.connect();
    const calls: unknown[] = [];
    pair.client.text('one', (error) => calls.push(error ?? 'one sent'));
    pair.client.text('two', (error) => calls.push(error ?? 'two sent'));
    await microtask();
    expect(calls).toEqual([]);
    extension.session.outgoing.release();
    await tick();
    expect(calls).toEqual(['one sent', 'two sent']);
  });

  it('with an extension, a message still in the pipeline at close gets an error', async () => {
    const pair = new Pair();
    const extension = new GatedExtension('x-xor', false);
    pair.client.addExtension(extension);
    pair.server.addExtension(new GatedExtension('x-xor', true));
    pair.connect();
    const calls: unknown[] = [];
    pair.client.text('held', (error) => calls.push(error));
    pair.client.transportClosed();
    await microtask();
    expect(calls).toHaveLength(1);
    expect(calls[0]).toBeInstanceOf(Error);
  });
});

describe('Driver.server before the request', () => {
  it('reports bufferedAmount 0 and passes send callbacks to the protocol driver', async () => {
    const { driver } = openServer();
    expect(driver.bufferedAmount).toBe(0);
    const early = Driver.server({ write: () => true });
    let called = false;
    expect(early.text('queued', () => (called = true))).toBe(true);
    await microtask();
    expect(called).toBe(false);
  });
});
