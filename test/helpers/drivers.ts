/**
 * Drivers already past the opening handshake, and an in-memory client ↔
 * server pair, for tests about what happens once a connection is open.
 */
import { Driver, type DriverOptions, type HttpServerDriver, type HybiClientDriver, type ServerSideDriver } from '../../lib/index.js';
import { feed, split, type Chunking } from './chunking.js';
import { requestHead, requestHeadText, responseHead, type RequestSpec } from './http.js';
import { Recorder } from './recorder.js';

export const CLIENT_URL = 'ws://example.com/chat';

/** A server driver and its recorder. */
export interface ServerSetup<D> {
  driver: D;
  rec: Recorder;
}

/**
 * A `Driver.server` that has read a valid handshake request and sent its
 * 101. The handshake bytes and events are already taken from `rec`, so a
 * test sees only what follows.
 */
export function openServer(options?: DriverOptions, request: RequestSpec = {}): ServerSetup<HttpServerDriver> {
  const rec = new Recorder();
  const driver = rec.attach(Driver.server(rec.socket, options));
  driver.parse(requestHead(request));
  if (!driver.start()) throw new Error('openServer: start() sent no handshake');
  const head = rec.takeHead();
  if (head.status !== 101) throw new Error(`openServer: got ${head.startLine}`);
  rec.clearEvents();
  return { driver, rec };
}

/** Like {@link openServer}, with `Driver.rack` and a Rack env request. */
export function openRackServer(options?: DriverOptions, request: RequestSpec = {}): ServerSetup<ServerSideDriver> {
  const rec = new Recorder({ env: rackEnvOf(requestHeadText(request)) });
  const driver = rec.attach(Driver.rack(rec.socket, options));
  if (!driver.start()) throw new Error('openRackServer: start() sent no handshake');
  rec.take();
  rec.clearEvents();
  return { driver, rec };
}

/** A client driver and its recorder, and the key it sent. */
export interface ClientSetup {
  driver: HybiClientDriver;
  rec: Recorder;
  key: string;
}

/** A client driver that has started: its request is taken from `rec`. */
export function startedClient(options?: DriverOptions, url: string = CLIENT_URL): ClientSetup {
  const rec = new Recorder({ url });
  const driver = rec.attach(Driver.client(rec.socket, options));
  driver.start();
  const head = rec.takeHead();
  const key = head.headers['sec-websocket-key'];
  if (key === undefined) throw new Error('startedClient: no Sec-WebSocket-Key sent');
  return { driver, rec, key };
}

/**
 * A `Driver.client` that has sent its request and read a valid 101. The
 * handshake bytes and events are already taken from `rec`.
 */
export function openClient(options?: DriverOptions, protocol?: string): ClientSetup {
  const setup = startedClient(options);
  feed(setup.driver, responseHead(protocol === undefined ? { key: setup.key } : { key: setup.key, protocol }));
  if (setup.driver.readyState !== 1) throw new Error('openClient: the client did not open');
  setup.rec.clearEvents();
  return setup;
}

/** Turns a request head's text into a Rack env, as a Rack server would. */
export function rackEnvOf(headText: string): Record<string, string> {
  const [requestLine = '', ...lines] = headText.split('\r\n');
  const [method = '', target = '', protocol = ''] = requestLine.split(' ');
  const queryAt = target.indexOf('?');
  const env: Record<string, string> = {
    REQUEST_METHOD: method,
    PATH_INFO: queryAt < 0 ? target : target.slice(0, queryAt),
    QUERY_STRING: queryAt < 0 ? '' : target.slice(queryAt + 1),
    SERVER_PROTOCOL: protocol,
  };
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    env[`HTTP_${line.slice(0, colon).toUpperCase().replaceAll('-', '_')}`] = line.slice(colon + 1).trim();
  }
  return env;
}

export interface PairOptions {
  client?: DriverOptions;
  server?: DriverOptions;
  /** How bytes are cut on the way across, both directions. Default 'whole'. */
  chunking?: Chunking;
  /** Call `server.start()` on `connect`. Default true. */
  autoStart?: boolean;
}

/**
 * A client driver wired to a `Driver.server` in memory. Writes are queued
 * and delivered, cut as `chunking` says, by `flush()`.
 */
export class Pair {
  readonly client: HybiClientDriver;
  readonly server: HttpServerDriver;
  readonly clientRec = new Recorder({ url: CLIENT_URL });
  readonly serverRec = new Recorder();
  readonly #toServer: Uint8Array[] = [];
  readonly #toClient: Uint8Array[] = [];
  readonly #chunking: Chunking;
  #deliveries = 0;

  constructor(options: PairOptions = {}) {
    this.#chunking = options.chunking ?? 'whole';
    this.clientRec.socket.onWrite = (bytes) => this.#toServer.push(bytes);
    this.serverRec.socket.onWrite = (bytes) => this.#toClient.push(bytes);
    this.client = this.clientRec.attach(Driver.client(this.clientRec.socket, options.client));
    this.server = this.serverRec.attach(Driver.server(this.serverRec.socket, options.server));
    if (options.autoStart !== false) this.server.on('connect', () => this.server.start());
  }

  /** Starts the client and runs the handshake; throws unless both sides opened. */
  connect(): this {
    this.client.start();
    this.flush();
    if (this.client.readyState !== 1 || this.server.readyState !== 1) {
      throw new Error(`Pair.connect: client ${this.client.readyState}, server ${this.server.readyState}`);
    }
    return this;
  }

  /** Delivers queued bytes both ways until neither side has more to say. */
  flush(): void {
    for (let rounds = 0; this.#toServer.length > 0 || this.#toClient.length > 0; rounds++) {
      if (rounds > 10_000) throw new Error('Pair.flush: the drivers keep talking');
      this.#deliver(this.#toServer, this.server);
      this.#deliver(this.#toClient, this.client);
    }
  }

  /** Bytes queued for the server, not yet delivered. */
  get pendingToServer(): number {
    return this.#toServer.reduce((sum, b) => sum + b.length, 0);
  }

  /** Bytes queued for the client, not yet delivered. */
  get pendingToClient(): number {
    return this.#toClient.reduce((sum, b) => sum + b.length, 0);
  }

  #deliver(queue: Uint8Array[], to: { parse(bytes: Uint8Array): void }): void {
    if (queue.length === 0) return;
    const joined = new Uint8Array(queue.reduce((sum, b) => sum + b.length, 0));
    let at = 0;
    for (const bytes of queue.splice(0)) {
      joined.set(bytes, at);
      at += bytes.length;
    }
    const chunking = this.#chunking;
    // A different cut for each delivery, still reproducible from the seed.
    const cut = typeof chunking === 'object' && 'seed' in chunking ? { ...chunking, seed: chunking.seed + this.#deliveries } : chunking;
    this.#deliveries++;
    for (const chunk of split(joined, cut)) to.parse(chunk);
  }
}
