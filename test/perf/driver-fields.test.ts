/**
 * The driver chain's fields are declared (`declare`) and every one is set
 * in its constructor (lib/connection/base-driver.ts explains why: no field
 * initializers for V8 to compile on the accept path). TypeScript does not
 * check that a declared field is set, so a field added later and set only
 * on first use would change the object's shape part-way through a
 * connection's life (and be `undefined`, not `null`, before that). Here a
 * driver's own property names are the same once it is made as after a
 * whole connection: handshake, messages both ways, fragments, ping,
 * pause and resume, streamed send, close.
 */
import { describe, expect, it } from 'vitest';
import { Driver } from '../../lib/index.js';
import { Op, Recorder, clientFrame, requestHead, responseHead, serverFrame, acceptFor } from '../helpers/index.js';

function names(object: object): string[] {
  return Object.getOwnPropertyNames(object).sort();
}

/** Everything a connection commonly goes through, fed to an open driver by its peer and sent by it. */
function liveAConnection(driver: ReturnType<typeof Driver.server> | ReturnType<typeof Driver.client>, peerFrame: typeof clientFrame): void {
  driver.text('hello');
  driver.binary(new Uint8Array(300));
  driver.ping('p');
  driver.parse(peerFrame(Op.TEXT, 'a message'));
  driver.parse(peerFrame(Op.TEXT, 'frag', { fin: false }));
  driver.parse(peerFrame(Op.PING, 'x'));
  driver.parse(peerFrame(Op.CONTINUATION, 'ment'));
  const large = peerFrame(Op.BINARY, new Uint8Array(70_000));
  driver.parse(large.subarray(0, 30_000));
  driver.parse(large.subarray(30_000));
  driver.pause();
  driver.parse(peerFrame(Op.TEXT, 'held'));
  driver.resume();
  driver.close(1000, 'bye');
  driver.parse(peerFrame(Op.CLOSE, new Uint8Array([0x03, 0xe8])));
}

describe('a driver has all its fields from the constructor on', () => {
  it('Driver.server: the same own properties when made as after a whole connection', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket));
    const made = names(driver);
    driver.parse(requestHead());
    expect(driver.start()).toBe(true);
    liveAConnection(driver, clientFrame);
    expect(driver.readyState).toBe(3);
    expect(names(driver)).toEqual(made);
  });

  it('Driver.client: the same own properties when made as after a whole connection', () => {
    const rec = new Recorder({ url: 'ws://example.com/' });
    const driver = rec.attach(Driver.client(rec.socket));
    const made = names(driver);
    driver.start();
    const key = rec.takeHead().headers['sec-websocket-key']!;
    expect(acceptFor(key).length).toBeGreaterThan(0);
    driver.parse(responseHead({ key }));
    expect(driver.readyState).toBe(1);
    liveAConnection(driver, serverFrame);
    expect(driver.readyState).toBe(3);
    expect(names(driver)).toEqual(made);
  });
});
