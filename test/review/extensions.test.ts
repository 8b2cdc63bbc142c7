// Extensions: caller mistakes caught at addExtension() on every driver,
// an extension's fault never breaks the close rules, and received
// messages waiting in a slow extension count in retainedBytes.
import { describe, expect, it } from 'vitest';
import { Driver, ProtocolError, type Extension, type ExtensionMessage } from '../../lib/index.js';
import { BASIC_CHUNKINGS, chunkingName, clientFrame, concat, feed, Op, Pair, readClosePayload, Recorder, requestHead, type Chunking } from '../helpers/index.js';
import { GatedExtension } from '../extensions/fixtures.js';

function gatedPair(chunking: Chunking = 'whole', transforms?: ConstructorParameters<typeof GatedExtension>[2]) {
  const pair = new Pair({ chunking });
  const serverExtension = new GatedExtension('x-xor', false, transforms);
  pair.server.addExtension(serverExtension);
  pair.client.addExtension(new GatedExtension('x-xor', true));
  pair.connect();
  pair.serverRec.clearEvents();
  pair.clientRec.clearEvents();
  return { pair, session: serverExtension.session };
}

describe('Driver.server: addExtension() before the request arrives', () => {
  it('throws at once for a name already added, as Driver.rack does', () => {
    const rec = new Recorder();
    const driver = Driver.server(rec.socket);
    driver.addExtension(new GatedExtension('x-a'));
    expect(() => driver.addExtension(new GatedExtension('x-a'))).toThrow(/x-a/);
  });

  it('throws at once for a malformed extension', () => {
    const rec = new Recorder();
    const driver = Driver.server(rec.socket);
    expect(() => driver.addExtension({ name: 'not a token' } as unknown as Extension)).toThrow(TypeError);
  });

  it.each(BASIC_CHUNKINGS.map((chunking) => [chunkingName(chunking), chunking] as const))(
    'leaves parse() of the request, fed %s, free to connect and open',
    (_name, chunking) => {
      const rec = new Recorder();
      const driver = rec.attach(Driver.server(rec.socket));
      driver.addExtension(new GatedExtension('x-a'));
      expect(() => driver.addExtension(new GatedExtension('x-a'))).toThrow();
      driver.on('connect', () => driver.start());
      feed(driver, concat(requestHead(), clientFrame(Op.TEXT, 'hello')), chunking);
      expect(rec.types).toEqual(['connect', 'open', 'message']);
    },
  );
});

describe('an extension failing with a ProtocolError whose close code may not be sent', () => {
  it.each([1005, 1006, 1015, 999])('closes with 1011 instead of %i, sending one valid close frame', (closeCode) => {
    const fail = () => new ProtocolError('EXTENSION_ERROR', 'gave up', closeCode);
    const { pair, session } = gatedPair('whole', { incoming: fail as unknown as (m: ExtensionMessage) => Error });
    pair.client.text('x');
    pair.flush();
    pair.serverRec.take();
    expect(() => session.incoming.release()).not.toThrow();
    const frames = pair.serverRec.takeFrames();
    expect(frames.map((f) => f.opcode)).toEqual([Op.CLOSE]);
    expect(readClosePayload(frames[0]!.payload).code).toBe(1011);
    expect(pair.serverRec.of('close')).toEqual([{ type: 'close', code: 1011, reason: expect.any(String), wasClean: false }]);
    expect(pair.server.readyState).toBe(3);
  });
});

describe.each(BASIC_CHUNKINGS.map((chunking) => ({ chunking, name: chunkingName(chunking) })))(
  'retainedBytes with received messages held by a slow extension, fed $name',
  ({ chunking }) => {
    it('counts them until the extension hands them on', () => {
      const { pair, session } = gatedPair(chunking);
      for (let i = 0; i < 3; i++) pair.client.binary(new Uint8Array(1000));
      pair.flush();
      expect(session.incoming.held).toHaveLength(3);
      expect(pair.server.retainedBytes).toBeGreaterThanOrEqual(3000);
      session.incoming.release();
      expect(pair.serverRec.messages).toHaveLength(3);
      expect(pair.server.retainedBytes).toBe(0);
    });
  },
);
