/**
 * The layers of lib/, bottom first: the one table the layer rule
 * (layers.test.ts) reads and docs/ARCHITECTURE.md describes.
 *
 * A module may import from its own layer or any layer below, never from
 * one above; and no two folders may import each other, directly or
 * through others (a folder is a unit; a file directly in lib/ is a unit of
 * its own). Every file in lib/ must fall under an entry: the longest
 * matching path wins, so `lib/drafts/index.ts` (an entry point) sits above
 * the rest of `lib/drafts/`.
 */
export interface Layer {
  /** What the layer is, in a few words. */
  readonly name: string;
  /** Paths from the repository root: a folder ends in `/`, a file does not. */
  readonly paths: readonly string[];
}

export const LAYERS: readonly Layer[] = [
  {
    name: 'foundation: bytes and text helpers, errors, the event hub, the event and socket contract',
    paths: ['lib/bytes.ts', 'lib/errors.ts', 'lib/emitter.ts', 'lib/events.ts'],
  },
  {
    name: 'wire: HTTP/1.1 heads and tokens, RFC 6455 frames, options (with the compat-only hooks)',
    paths: ['lib/http/', 'lib/frame/', 'lib/options.ts', 'lib/compat-hooks.ts'],
  },
  {
    name: 'negotiation: opening handshakes, extensions, HTTP/2 extended CONNECT, the proxy tunnel',
    paths: ['lib/handshake/', 'lib/extensions/', 'lib/http2/', 'lib/proxy/'],
  },
  {
    name: 'connection: what every driver shares (state, queue before open, input before start)',
    paths: ['lib/connection/'],
  },
  {
    name: 'protocol state machines: RFC 6455 messages and closing, the hixie drafts',
    paths: ['lib/hybi/', 'lib/drafts/'],
  },
  {
    name: 'drivers and factories: concrete client/server/framing drivers, server driver selection, Driver',
    paths: ['lib/driver/'],
  },
  {
    name: 'entry points: the package root and wsdriver/drafts',
    paths: ['lib/index.ts', 'lib/drafts/index.ts'],
  },
  {
    name: 'adapters: Node streams and servers, WHATWG streams, handler-style sockets, callback handlers',
    paths: ['lib/adapters/'],
  },
];
