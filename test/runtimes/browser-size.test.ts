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
 * RFC 6455 one; 26,202 bytes (from 25,972) once text could be received
 * and sent as its UTF-8 bytes (`decodeText: false`, `text(bytes)`: about
 * 300 bytes, after 70 won back by marking opt-in modules' top-level
 * values pure); 25,935 bytes once the close codes and pause reasons
 * the library uses were const enums, whose numbers the bundler puts in
 * place, leaving the public `CloseCode` object out; 25,982 with the short
 * ASCII text written four units a step (issue 10's dropped send rows);
 * 26,000 with the draft fixes (a ping never sent reports it; a pause ends
 * with the connection), after one failSend replaced three copies;
 * 25,995 with `text(bytes)` copying what it queues before open; 25,999
 * once `PreparedMessage` took bytes as text (none of its code is in this
 * bundle, yet 4 bytes more). Branch i10-bundle, measured before those two:
 * 23,775 once extension negotiation and the message pipeline were
 * wsdriver's own (lib/extensions/extension-header.ts,
 * extension-pipeline.ts) instead of the websocket-extensions package, now
 * a dev dependency only: 2.2 KB of gzip less, the extension interface
 * unchanged); 23,614 once what a message sent in pieces needs of the
 * driver (its host, the release of messages that waited) moved to
 * outgoing-message.ts, reached through the driver's static-block
 * accessors (PieceAccess) rather than public members; 23,626 with all of
 * it merged; 23,756 with the accept path's cuts (issue 13, i13-accept2:
 * `isWebSocket` reading a Node request's three fields, 57 B; the
 * `useNativeSha1` hook, 18 B; an ASCII head by TextEncoder); 24,120
 * (from 23,756) once the drivers' state was in
 * TypeScript `private` fields, whose names are not minified, rather than
 * `#` ones (V8 keeps an object with more than 15 private-name fields fast
 * only while an instance is alive: test/perf/object-shapes.test.ts;
 * branch i10-shapes). `wsdriver/callbacks`
 * within 3.2 KB (3,194 bytes with `write(data, type)` and text bytes in
 * `PreparedMessage`) (it must not pull the error catalogue in for `CloseCode`),
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
    // The streamed-send host (what startMessage needs of the driver) too.
    const separate = [
      ':protocol',
      'Proxy-Authorization',
      'the bytes of a text message are not UTF-8',
      'a streamed message is already being sent',
      'finite number of milliseconds, 0 or more',
    ];
    for (const text of separate) {
      expect(driverOnly.code, text).not.toContain(text);
      expect(measured[2]!.code, text).toContain(text);
    }
    // The library reads its close codes as a const enum (numbers in
    // place): only an app that imports CloseCode holds that object.
    expect(driverOnly.code).not.toContain('TRY_AGAIN_LATER');
    expect(measured[2]!.code).toContain('TRY_AGAIN_LATER');
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
