/**
 * In-memory plumbing for the framing-driver tests: an RFC 8441 request's
 * headers, and a client ↔ server pair of framing drivers that negotiate
 * through headers (as an HTTP/2 stack would carry them) and then exchange
 * frames through queues, cut as a {@link Chunking} says.
 */
import {
  framingDriver,
  type DriverOptions,
  type Extension,
  type FramingClientDriver,
  type FramingResponse,
  type FramingServerDriver,
  type Http2HeaderInput,
} from '../../lib/index.js';
import { Recorder, split, type Chunking } from '../helpers/index.js';

export const URL_WS = 'ws://example.com/chat?room=1';

/** A valid extended CONNECT for ws://example.com/chat, with fields replaced or (as undefined) removed. */
export function connectRequest(overrides: Record<string, string | number | string[] | undefined> = {}): Http2HeaderInput {
  const headers: Record<string, string | number | string[] | undefined> = {
    ':method': 'CONNECT',
    ':protocol': 'websocket',
    ':scheme': 'http',
    ':path': '/chat',
    ':authority': 'example.com',
    'sec-websocket-version': '13',
    origin: 'http://example.com',
  };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete headers[name];
    else headers[name] = value;
  }
  return headers;
}

/** A server framing driver with its recorder. */
export function framingServer(options?: DriverOptions): { driver: FramingServerDriver; rec: Recorder } {
  const rec = new Recorder();
  return { driver: rec.attach(framingDriver(rec.socket, 'server', options)), rec };
}

/** A client framing driver for {@link URL_WS} with its recorder. */
export function framingClient(options?: DriverOptions, url: string | null = URL_WS): { driver: FramingClientDriver; rec: Recorder } {
  const rec = new Recorder(url === null ? {} : { url });
  return { driver: rec.attach(framingDriver(rec.socket, 'client', options)), rec };
}

export interface FramingPairOptions {
  client?: DriverOptions;
  server?: DriverOptions;
  /** Extensions to add on each side, before negotiation. */
  clientExtensions?: Extension[];
  serverExtensions?: Extension[];
  /** How bytes are cut on the way across, both directions. Default 'whole'. */
  chunking?: Chunking;
}

/**
 * A client and a server framing driver wired together in memory. `connect()`
 * carries the request headers to the server and its answer back, as an
 * HTTP/2 stack would; `flush()` then delivers the frames both ways.
 */
export class FramingPair {
  readonly clientRec = new Recorder({ url: URL_WS });
  readonly serverRec = new Recorder();
  readonly client: FramingClientDriver;
  readonly server: FramingServerDriver;
  /** What the server answered, once `connect()` ran. */
  response: FramingResponse | null = null;
  readonly #toServer: Uint8Array[] = [];
  readonly #toClient: Uint8Array[] = [];
  readonly #chunking: Chunking;

  constructor(options: FramingPairOptions = {}) {
    this.#chunking = options.chunking ?? 'whole';
    this.clientRec.socket.onWrite = (bytes) => this.#toServer.push(bytes);
    this.serverRec.socket.onWrite = (bytes) => this.#toClient.push(bytes);
    this.client = this.clientRec.attach(framingDriver(this.clientRec.socket, 'client', options.client));
    this.server = this.serverRec.attach(framingDriver(this.serverRec.socket, 'server', options.server));
    for (const extension of options.clientExtensions ?? []) this.client.addExtension(extension);
    for (const extension of options.serverExtensions ?? []) this.server.addExtension(extension);
  }

  /** Negotiates through headers, opens both ends; throws unless both opened. */
  connect(): this {
    const response = this.server.respond(this.client.requestHeaders());
    this.response = response;
    this.server.start();
    this.client.acceptResponse({ ':status': response.status, ...response.headers });
    this.flush();
    if (this.client.readyState !== 1 || this.server.readyState !== 1) {
      throw new Error(`FramingPair.connect: client ${this.client.readyState}, server ${this.server.readyState}`);
    }
    return this;
  }

  /** Delivers queued bytes both ways until neither side has more to say. */
  flush(): void {
    for (let rounds = 0; this.#toServer.length > 0 || this.#toClient.length > 0; rounds++) {
      if (rounds > 10_000) throw new Error('FramingPair.flush: the drivers keep talking');
      this.#deliver(this.#toServer, this.server);
      this.#deliver(this.#toClient, this.client);
    }
  }

  #deliver(queue: Uint8Array[], to: { parse(bytes: Uint8Array): void }): void {
    for (const bytes of queue.splice(0)) {
      for (const chunk of split(bytes, this.#chunking)) to.parse(chunk);
    }
  }
}
