/**
 * What the portable entries cost a browser application (esbuild --bundle
 * --minify --platform=browser, gzip -9; scripts/browser-sizes.mjs, whose
 * figures docs/runtimes.md reports): an app that imports only `Driver`
 * stays within 31 KB: issue 14's budget for the previous round's features
 * was 26 KB (24,523 bytes once issue 10's refactor was done; the send slab
 * and prepared messages came after), and issue 11's flow control
 * (backpressure, pause/resume, the pending pong, deadlines, streamed
 * messages both ways and through permessage-deflate) adds about 5 KB.
 * `wsdriver/callbacks`
 * within 3.2 KB (it must not pull the error catalogue in for `CloseCode`),
 * and no bundle reaches for a Node module.
 */
import { describe, expect, it } from 'vitest';

interface Measured {
  name: string;
  minified: number;
  gzipped: number;
  code: string;
}

const sizes = async () =>
  ((await import('../../scripts/browser-sizes.mjs' as string)) as { measure(): Promise<Measured[]> }).measure();

describe('browser bundles of the portable entries', () => {
  it('an app importing only Driver stays within 31 KB (minified, gzip -9), wsdriver/callbacks within 3.2 KB; no bundle imports a node: module', async () => {
    const measured = await sizes();
    expect(measured.map((m) => m.name)).toEqual([
      'app importing only `Driver`',
      'app importing `Driver` and, for its side effect, `wsdriver/drafts`',
      '`wsdriver`, every export',
      '`wsdriver/drafts`, every export',
      '`wsdriver/streams`, every export',
      '`wsdriver/callbacks`, every export',
      '`wsdriver/sockets`, every export',
    ]);
    const driverOnly = measured[0]!;
    expect(driverOnly.gzipped).toBeLessThanOrEqual(31_000);
    // Only an app that imports traceFrames holds the frame formatter
    // (lib/frame/frame-trace.ts, the one module that calls padStart).
    expect(driverOnly.code).not.toContain('padStart');
    expect(measured[2]!.code).toContain('padStart');
    const callbacks = measured.find((m) => m.name === '`wsdriver/callbacks`, every export')!;
    // 1.9 KB after issue 10; ClientGroup.broadcast and PreparedMessage came after.
    expect(callbacks.gzipped).toBeLessThanOrEqual(3_200);
    expect(callbacks.code).not.toContain('Sec-WebSocket-Accept mismatch');
    // Tree-shaking works through the browser build: the app holds the
    // drivers but not the hixie drafts, which only wsdriver/drafts registers.
    expect(driverOnly.code).toContain('Sec-WebSocket-Accept');
    expect(driverOnly.code).not.toContain('Sec-WebSocket-Key1');
    // …and a bare import of wsdriver/drafts keeps them.
    expect(measured[1]!.code).toContain('Sec-WebSocket-Key1');
    for (const bundle of measured) expect(bundle.code, bundle.name).not.toMatch(/["']node:|\brequire\(/);
  }, 60_000);
});
