/**
 * What the portable entries cost a browser application (esbuild --bundle
 * --minify --platform=browser, gzip -9; scripts/browser-sizes.mjs, whose
 * figures docs/runtimes.md reports): an app that imports only `Driver`
 * stays under its 32 KB budget (26 KB before flow control, issue 11:
 * backpressure, pause/resume, deadlines and streamed messages added about
 * 5 KB), and no bundle reaches for a Node module.
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
  it('an app importing only Driver stays under 32 KB (minified, gzip -9); no bundle imports a node: module', async () => {
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
    expect(driverOnly.gzipped).toBeLessThan(32_000);
    // Tree-shaking works through the browser build: the app holds the
    // drivers but not the hixie drafts, which only wsdriver/drafts registers.
    expect(driverOnly.code).toContain('Sec-WebSocket-Accept');
    expect(driverOnly.code).not.toContain('Sec-WebSocket-Key1');
    // …and a bare import of wsdriver/drafts keeps them.
    expect(measured[1]!.code).toContain('Sec-WebSocket-Key1');
    for (const bundle of measured) expect(bundle.code, bundle.name).not.toMatch(/["']node:|\brequire\(/);
  }, 60_000);
});
