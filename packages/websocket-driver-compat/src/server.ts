/**
 * websocket-driver's `server(options)`: a driver for a bare TCP or TLS
 * server that reads the HTTP request from the bytes itself. The engine's
 * `Driver.server` underneath (its bounded head parser instead of
 * http-parser-js). As in websocket-driver, calls made before the request
 * head is in are queued and replayed once it is, just before `connect`.
 *
 * @module
 */
import { Driver, type HttpServerDriver } from '../../../lib/index.js';
import { IoSocket, LegacyDriver, type EngineDriver } from './base.js';
import { ConnectEvent } from './events.js';
import { engineOptions, type LegacyOptions } from './options.js';
import { WEBSOCKET_DRIVER_RULES, type RequestFacts } from './rules.js';

type QueuedCall = readonly [name: 'addExtension' | 'setHeader' | 'start' | 'frame' | 'text' | 'binary' | 'ping' | 'close', args: unknown[]];

/** The self-parsing server driver; see the module comment. */
export class ServerDriver extends LegacyDriver {
  /** The request method, once the head is in. */
  method: string | undefined;
  /** The request target (path and query), once the head is in. */
  url: string | undefined;
  /** The request headers by lower-case name, once the head is in. */
  headers: Record<string, string> | undefined;
  #queue: QueuedCall[] | null = [];
  readonly #server: HttpServerDriver;

  constructor(options?: LegacyOptions | null) {
    super();
    const resolved = engineOptions(options);
    this.maxLength = resolved.maxLength!;
    this.#server = Driver.server(new IoSocket(this), { ...resolved, compat: WEBSOCKET_DRIVER_RULES });
    this.attach(this.#server as unknown as EngineDriver);
    this.#server.on('connect', () => this.#connected());
  }

  /** `'hybi-13'` (or a hixie draft) once the head is in; undefined before. */
  get version(): string | undefined {
    const version = this.#server.version;
    if (version === '') return undefined;
    return version.startsWith('hixie') ? version : 'hybi-13';
  }

  /** The subprotocol chosen, once the handshake was sent. */
  get protocol(): string | undefined {
    return this.#server.protocol ?? undefined;
  }

  protected override requestToCheck(): RequestFacts | null {
    const version = this.version;
    if (version === undefined || version.startsWith('hixie')) return null;
    return { method: this.method, headers: this.headers ?? {} };
  }

  #connected(): void {
    const env = this.#server.env!;
    this.method = String(env['REQUEST_METHOD']);
    this.url = String(env['REQUEST_URI']);
    this.headers = { ...this.#server.headers! };
    const queue = this.#queue ?? [];
    this.#queue = null;
    for (const [name, args] of queue) (this[name] as (...args: unknown[]) => unknown)(...args);
    this.emit('connect', new ConnectEvent());
  }

  #queued(name: QueuedCall[0], args: unknown[]): boolean {
    if (this.#queue === null) return false;
    this.#queue.push([name, args]);
    return true;
  }

  override addExtension(...args: Parameters<LegacyDriver['addExtension']>): boolean {
    return this.#queued('addExtension', args) || super.addExtension(...args);
  }

  override setHeader(...args: Parameters<LegacyDriver['setHeader']>): boolean {
    return this.#queued('setHeader', args) || super.setHeader(...args);
  }

  override start(): boolean {
    return this.#queued('start', []) || super.start();
  }

  override frame(...args: Parameters<LegacyDriver['frame']>): boolean {
    return this.#queued('frame', args) || super.frame(...args);
  }

  override text(...args: Parameters<LegacyDriver['text']>): boolean {
    return this.#queued('text', args) || super.text(...args);
  }

  override binary(...args: Parameters<LegacyDriver['binary']>): boolean {
    return this.#queued('binary', args) || super.binary(...args);
  }

  override ping(...args: Parameters<LegacyDriver['ping']>): boolean {
    return this.#queued('ping', args) || super.ping(...args);
  }

  override close(...args: Parameters<LegacyDriver['close']>): boolean {
    return this.#queued('close', args) || super.close(...args);
  }
}
