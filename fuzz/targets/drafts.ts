/**
 * Fuzz target `drafts`: the hixie framing (0x00 text 0xFF, length-prefixed
 * binary frames, the 0xFF 0x00 closing frame) after a real handshake
 * through `Driver.server({ allowDrafts: true })`, hixie-75 or hixie-76 (for
 * 76, the 8-byte key3 body leads the stream, so it arrives split and mixed
 * with frames and damage like the rest): valid frames, spliced bytes and
 * arbitrary bytes, under random chunkings. The answers are invariants: no
 * exception, a legal event log, every message a string made of whole
 * frames, memory within maxLength, and for hixie-76 with an intact key3 the
 * draft's 16-byte challenge answer.
 */
import fc from 'fast-check';
import '../../lib/drafts/index.js';
import { Driver } from '../../lib/index.js';
import { concat, latin1Bytes, Recorder, split, type Chunking } from '../../test/helpers/index.js';
import { byteMutation, chunkSizes, mutateBytes, type ByteMutation } from '../lib/frame-streams.js';
import { checkEventLog, ensure, parseOrFail, retainedLimit } from '../lib/invariants.js';
import type { FuzzTarget } from './target.js';

const HEAD =
  'GET /demo HTTP/1.1\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\nHost: example.com\r\nOrigin: http://example.com\r\n\r\n';

// The worked example of draft-hixie-thewebsocketprotocol-76 §1.3.
const HEAD_76 =
  'GET /demo HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade\r\nSec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\n' +
  'Upgrade: WebSocket\r\nSec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\nOrigin: http://example.com\r\n\r\n';
const KEY3 = latin1Bytes('^n:ds[4U');
const ANSWER_76 = "8jKS'y:G*Co,Wxa-";

type DraftFrame = { kind: 'text'; text: string } | { kind: 'binary'; length: number } | { kind: 'close' } | { kind: 'raw'; bytes: Uint8Array };

export interface DraftCase {
  version: 'hixie-75' | 'hixie-76';
  frames: DraftFrame[];
  damage: ByteMutation[];
  maxLength: number;
  chunkSizes: number[];
}

export const draftCase: fc.Arbitrary<DraftCase> = fc.record({
  version: fc.constantFrom('hixie-75' as const, 'hixie-76' as const),
  frames: fc.array(
    fc.oneof(
      { weight: 5, arbitrary: fc.record({ kind: fc.constant('text' as const), text: fc.string({ unit: 'binary', maxLength: 20 }) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('binary' as const), length: fc.integer({ min: 0, max: 300 }) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('close' as const) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('raw' as const), bytes: fc.uint8Array({ maxLength: 12 }) }) },
    ),
    { maxLength: 6 },
  ),
  damage: fc.oneof(fc.constant<ByteMutation[]>([]), fc.array(byteMutation, { minLength: 1, maxLength: 3 })),
  maxLength: fc.constantFrom(0, 5, 64, 2 ** 26 - 1),
  chunkSizes,
});

function encode(frame: DraftFrame): Uint8Array {
  switch (frame.kind) {
    case 'text':
      return concat(Uint8Array.of(0x00), new TextEncoder().encode(frame.text), Uint8Array.of(0xff));
    case 'binary': {
      // A length in base-128 digits, high bit on all but the last (hixie-76 §4.2).
      const digits: number[] = [];
      let n = frame.length;
      do {
        digits.unshift(n & 0x7f);
        n >>>= 7;
      } while (n > 0);
      return concat(Uint8Array.of(0x80, ...digits.map((d, i) => (i < digits.length - 1 ? d | 0x80 : d))), new Uint8Array(frame.length));
    }
    case 'close':
      return Uint8Array.of(0xff, 0x00);
    case 'raw':
      return frame.bytes;
  }
}

export function checkDraftCase(c: DraftCase): void {
  const is76 = c.version === 'hixie-76';
  const wire = mutateBytes(concat(...(is76 ? [KEY3] : []), ...c.frames.map(encode)), c.damage);
  const key3Intact = is76 && wire.length >= 8 && wire.subarray(0, 8).every((byte, i) => byte === KEY3[i]);
  const chunkings: Chunking[] = ['whole', { sizes: c.chunkSizes }];
  for (const chunking of chunkings) {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket, { allowDrafts: true, maxLength: c.maxLength }));
    driver.on('connect', () => driver.start());
    driver.parse(latin1Bytes(is76 ? HEAD_76 : HEAD));
    ensure(driver.version === c.version, `chose ${driver.version} for a ${c.version} request`);
    if (!is76) ensure(driver.readyState === 1, `the hixie-75 handshake did not open (${driver.readyState})`);
    const limit = retainedLimit(c.maxLength);
    for (const chunk of split(wire, chunking)) {
      parseOrFail(driver, chunk);
      checkEventLog(rec.events, driver.readyState);
      ensure(driver.retainedBytes <= limit, `holds ${driver.retainedBytes} bytes, over ${limit}`);
    }
    if (key3Intact) {
      const written = String.fromCharCode(...rec.written);
      const headEnd = written.indexOf('\r\n\r\n') + 4;
      ensure(written.slice(headEnd, headEnd + 16) === ANSWER_76, 'hixie-76: the challenge answer is wrong or missing');
    }
    for (const message of rec.messages) {
      ensure(typeof message === 'string', 'a draft message must be text');
      ensure(new TextEncoder().encode(message).length <= c.maxLength, `a message over maxLength (${c.maxLength}) was delivered`);
    }
  }
}

export const draftsTarget: FuzzTarget<DraftCase> = {
  name: 'drafts',
  description: 'hixie-75 and hixie-76 (key3 included) frames, valid, spliced, arbitrary, into a draft server driver: invariants',
  arbitrary: draftCase,
  check: checkDraftCase,
};
