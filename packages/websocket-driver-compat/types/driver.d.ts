// Types for websocket-driver-compat: websocket-driver 0.8.0's API.
import { EventEmitter } from 'node:events';
import { Stream } from 'node:stream';

declare namespace driver {
  /** Options of `client`, `server` and `http`; any other key throws `Unrecognized option: <key>`. */
  interface Options {
    /** Largest message accepted, in bytes (default 2^26 - 1); also bounds inflated messages. */
    maxLength?: number;
    /** Subprotocols, as an array or a comma-separated string. */
    protocols?: string[] | string | null;
    /** Server: accept hixie-75/76 requests too. */
    allowDrafts?: boolean;
    /** Client: ignored, every client frame is masked (RFC 6455 §5.3). */
    masking?: boolean;
    /** Server: refuse unmasked frames with 1003 (default true). */
    requireMasking?: boolean;
  }

  /** A request as an HTTP server parsed it (Node's IncomingMessage fits). */
  interface Request {
    method?: string;
    url?: string;
    headers: Record<string, string | string[] | undefined>;
    connection?: { authorized?: boolean } | null;
    socket?: { secure?: boolean } | null;
  }

  /** A websocket-extensions extension (faye's permessage-deflate, say). */
  interface Extension {
    name: string;
    type: string;
    rsv1?: boolean;
    rsv2?: boolean;
    rsv3?: boolean;
    [key: string]: unknown;
  }

  class ConnectEvent {}
  class OpenEvent {}
  class CloseEvent {
    readonly code: number;
    readonly reason: string;
  }
  class MessageEvent {
    /** Text as a string, binary as a Buffer. */
    readonly data: string | Buffer;
  }
  class PingEvent {
    readonly data: string;
  }
  class PongEvent {
    readonly data: string;
  }

  /** An error event: websocket-driver's text, plus wsdriver's stable `code` and the `closeCode` sent. */
  interface DriverError extends Error {
    code: string;
    closeCode: number;
  }

  /** The transport side: pipe the socket into it and it into the socket. */
  class IO extends Stream {
    readable: boolean;
    writable: boolean;
    write(chunk: Buffer | Uint8Array): boolean;
    end(chunk?: Buffer | Uint8Array): void;
    pause(): void;
    resume(): void;
    destroy(): this;
  }

  /** The application side: messages in (`write`) and out (`data`). */
  class Messages extends Stream {
    readable: boolean;
    writable: boolean;
    write(message: string | Buffer | Uint8Array): boolean;
    end(message?: string | Buffer | Uint8Array): void;
    pause(): void;
    resume(): void;
    destroy(): this;
  }

  interface DriverEvents {
    connect: [ConnectEvent];
    open: [OpenEvent];
    message: [MessageEvent];
    error: [DriverError];
    close: [CloseEvent];
    ping: [PingEvent];
    pong: [PongEvent];
  }

  /** What every driver offers. */
  class Driver extends EventEmitter {
    readonly io: IO;
    readonly messages: Messages;
    readonly readyState: number;
    getState(): 'connecting' | 'open' | 'closing' | 'closed' | null;
    start(): boolean;
    parse(chunk: Buffer | Uint8Array): void;
    /** A string, or bytes (a Buffer, as websocket-driver takes) sent as they are when UTF-8 (`text-bytes-utf8`). */
    text(message: string | Buffer | Uint8Array | number[]): boolean;
    binary(message: Buffer | Uint8Array | number[] | string): boolean;
    ping(message?: string | Buffer | null, callback?: () => void): boolean;
    pong(message?: string | Buffer | null): boolean;
    /** websocket-driver's order: reason first, then code (default 1000). */
    close(reason?: string | null, code?: number | null): boolean;
    frame(buffer: string | Buffer | Uint8Array | number[] | number, type?: string, code?: number): boolean;
    setHeader(name: string, value: unknown): boolean;
    addExtension(extension: Extension): boolean;
    on<K extends keyof DriverEvents>(event: K, listener: (...args: DriverEvents[K]) => void): this;
    on(event: string | symbol, listener: (...args: any[]) => void): this;
  }

  class Client extends Driver {
    readonly url: string;
    readonly version: 'hybi-13';
    readonly statusCode: number | undefined;
    readonly headers: Record<string, string> | undefined;
    readonly protocol: string | null | undefined;
    proxy(origin: string, options?: unknown): Proxy;
  }

  class Http extends Driver {
    readonly url: string;
    readonly version: string;
    readonly protocol: string | undefined;
  }

  class Server extends Driver {
    method: string | undefined;
    url: string | undefined;
    headers: Record<string, string> | undefined;
    readonly version: string | undefined;
    readonly protocol: string | undefined;
  }

  /** A client driver for a ws: or wss: URL; throws `<url> is not a valid WebSocket URL` otherwise. */
  function client(url: string, options?: Options | null): Client;
  /** A server driver that reads the HTTP request from the bytes itself. */
  function server(options?: Options | null): Server;
  /** A server driver for a request an HTTP server has already parsed. */
  function http(request: Request, options?: Options | null): Http;
  /** True if the request came over TLS (or a proxy in front says so). */
  function isSecureRequest(request: Request): boolean;
  /** True for a GET whose Connection holds `upgrade` and whose Upgrade is `websocket`. */
  function isWebSocket(request: Request): boolean;
  /** Throws `Unrecognized option: <key>` for a key not in `validKeys`. */
  function validateOptions<T extends object>(options: T | null | undefined, validKeys: readonly string[]): T;

  /** An HTTP CONNECT proxy stream: emits `connect` or `error`, then ends. */
  class Proxy extends Stream {
    readable: boolean;
    writable: boolean;
    statusCode: number | undefined;
    headers: Record<string, string> | undefined;
    setHeader(name: string, value: unknown): boolean;
    start(): boolean;
    write(chunk: Buffer | Uint8Array): boolean;
    end(chunk?: Buffer | Uint8Array): void;
    pause(): void;
    resume(): void;
    destroy(): this;
  }
}

export = driver;
