/**
 * Heap held per open, idle `Driver.server` connection with `allowDrafts`:
 * one driver whatever the request speaks, and a hixie draft's protocol
 * part adds little to it. Measured (Node 20, the source under vitest,
 * three runs): 1,700-1,770 B for an RFC 6455 request (1.85 KiB with the
 * forwarding driver this replaced), 2,060-2,070 B for hixie-75 and 2,490 B
 * for hixie-76; each connection also holds its own resolved options, as
 * `Driver.server` resolves them per call. The limits sit about a quarter
 * above those figures, room for GC and V8-version noise; about 0.5 KiB
 * more per connection (a Map, or a handful of closures) fails.
 */
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Driver } from '../../lib/index.js';
import '../../lib/drafts/index.js';
import { latin1Bytes, requestHead } from '../helpers/index.js';
import { draft76Request, draftRequestText } from '../drafts/draft-helpers.js';

/** The smallest of three rounds of heap growth per connection, after GC, for `count` connections opened by `open`. */
function heapPerConnection(open: () => { readonly readyState: number }, count: number): number {
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  // One-off allocations (compiled code, caches) happen before the baseline.
  const warm = [open(), open()];
  const rounds: number[] = [];
  const kept: Array<Array<{ readonly readyState: number }>> = [];
  for (let round = 0; round < 3; round++) {
    gc();
    const before = process.memoryUsage().heapUsed;
    const held = Array.from({ length: count }, open);
    gc();
    rounds.push((process.memoryUsage().heapUsed - before) / count);
    kept.push(held);
  }
  // Every list stays alive up to here, so none is collected early.
  expect([...warm, ...kept.flat()].every((driver) => driver.readyState === 1)).toBe(true);
  return Math.min(...rounds);
}

describe('heap held per open, idle Driver.server connection with allowDrafts', () => {
  const socket = { write(): void {} };
  const cases = [
    ['RFC 6455', () => requestHead(), 2.2],
    ['hixie-75', () => latin1Bytes(draftRequestText()), 2.6],
    // The 8-byte key3 body follows the head.
    ['hixie-76', () => latin1Bytes(draft76Request() + 'abcdefgh'), 3.1],
  ] as const;
  for (const [name, head, limitKiB] of cases) {
    it(`${name}: under ${limitKiB} KiB`, () => {
      const open = () => {
        const driver = Driver.server(socket, { allowDrafts: true });
        driver.parse(head());
        driver.start();
        return driver;
      };
      const perConnection = heapPerConnection(open, 4000);
      expect(perConnection).toBeLessThan(limitKiB * 1024);
    });
  }
});
