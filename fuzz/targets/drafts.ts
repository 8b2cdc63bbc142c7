/**
 * Fuzz target `drafts`: the hixie-75 framing (0x00 text 0xFF, length-
 * prefixed binary frames, the 0xFF 0x00 closing frame) after a real
 * handshake through `Driver.server({ allowDrafts: true })`: valid frames,
 * spliced bytes and arbitrary bytes, under random chunkings. The answers
 * are invariants: no exception, a legal event log, every message a string
 * made of whole frames, memory within maxLength.
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

type DraftFrame = { kind: 'text'; text: string } | { kind: 'binary'; length: number } | { kind: 'close' } | { kind: 'raw'; bytes: Uint8Array };

export interface DraftCase {
  frames: DraftFrame[];
  damage: ByteMutation[];
  maxLength: number;
  chunkSizes: number[];
}

export const draftCase: fc.Arbitrary<DraftCase> = fc.record({
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
  const wire = mutateBytes(concat(...c.frames.map(encode)), c.damage);
  const chunkings: Chunking[] = ['whole', { sizes: c.chunkSizes }];
  for (const chunking of chunkings) {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket, { allowDrafts: true, maxLength: c.maxLength }));
    driver.on('connect', () => driver.start());
    driver.parse(latin1Bytes(HEAD));
    ensure(driver.version === 'hixie-75' && driver.readyState === 1, `the hixie-75 handshake did not open (${driver.version}, ${driver.readyState})`);
    const limit = retainedLimit(c.maxLength);
    for (const chunk of split(wire, chunking)) {
      parseOrFail(driver, chunk);
      checkEventLog(rec.events, driver.readyState);
      ensure(driver.retainedBytes <= limit, `holds ${driver.retainedBytes} bytes, over ${limit}`);
    }
    for (const message of rec.messages) {
      ensure(typeof message === 'string', 'a draft message must be text');
      ensure(new TextEncoder().encode(message).length <= c.maxLength, `a message over maxLength (${c.maxLength}) was delivered`);
    }
  }
}

export const draftsTarget: FuzzTarget<DraftCase> = {
  name: 'drafts',
  description: 'hixie-75 frames (valid, spliced, arbitrary) into a draft server driver: invariants',
  arbitrary: draftCase,
  check: checkDraftCase,
};
