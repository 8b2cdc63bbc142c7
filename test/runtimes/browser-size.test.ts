/**
 * What the portable entries cost a browser application (esbuild --bundle
 * --minify --platform=browser, gzip -9; scripts/browser-sizes.mjs, whose
 * figures docs/runtimes.md reports): an app that imports only `Driver`
 * stays within issue 10's 24.6 KB (24,523 bytes once issue 10's refactor
 * was done; the send slab and prepared messages came after, then issue
 * 11's flow control took it to 29.4 KB; 25.8 KB once the framing driver,
 * the proxy, streamed messages out and the deadline clock became functions
 * of their own, left out of an app that does not import them; 25,566 bytes
 * once `Driver.server` was no longer a second driver in front of the
 * RFC 6455 one; 25,977 after the adapters' and compat's core additions;
 * 23,672 once extension negotiation and the message pipeline were written
 * here, 2.3 KB of gzip smaller than the websocket-extensions dependency
 * they replace, and the optional modules' top-level constants were marked
 * pure).
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
  it('an app importing only Driver stays within 24.6 KB (minified, gzip -9), wsdriver/callbacks within 3.2 KB; no bundle imports a node: module', async () => {
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
    expect(driverOnly.gzipped).toBeLessThanOrEqual(24_600);
    // Only an app that imports them holds the framing driver's HTTP/2
    // headers (framingDriver), the CONNECT request (httpProxy), the piece
    // encoder (startMessage) and the deadline clock (deadlineKeeper).
    const separate = [':protocol', 'Proxy-Authorization', 'the bytes of a text message are not UTF-8', 'finite number of milliseconds, 0 or more'];
    for (const text of separate) {
      expect(driverOnly.code, text).not.toContain(text);
      expect(measured[2]!.code, text).toContain(text);
    }
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
