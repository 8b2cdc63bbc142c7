/**
 * Declarations for faye's `permessage-deflate` 0.1 (test-only here: wsdriver
 * checks that it works through `addExtension()`), which ships no types.
 * Its sessions follow the `websocket-extensions` interface.
 */
declare module 'permessage-deflate' {
  interface PermessageDeflateOptions {
    level?: number;
    memLevel?: number;
    strategy?: number;
    noContextTakeover?: boolean;
    maxWindowBits?: number;
    requestNoContextTakeover?: boolean;
    requestMaxWindowBits?: number;
    zlib?: unknown;
  }

  interface PermessageDeflate {
    readonly name: 'permessage-deflate';
    readonly type: 'permessage';
    readonly rsv1: true;
    readonly rsv2: false;
    readonly rsv3: false;
    // Sessions as websocket-extensions defines them; typed loosely here.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    createClientSession(options?: object): any;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    createServerSession(offers: object[], options?: object): any;
    /** A copy of the extension with these options. */
    configure(options: PermessageDeflateOptions): PermessageDeflate;
  }

  const deflate: PermessageDeflate;
  export = deflate;
}
