/**
 * websocket-driver's `client(url, options)`: the engine's RFC 6455 client
 * driver, with websocket-driver's state before `start()` (-1, `getState()`
 * null), its handshake error texts, and its proxy stream.
 *
 * @module
 */
import { Driver, httpProxy, type HybiClientDriver, type ProtocolError } from '../../../lib/index.js';
import { LegacyDriver } from './base.js';
import { clientHandshakeErrorText } from './messages.js';
import { engineOptions, type LegacyOptions } from './options.js';
import { ProxyStream } from './proxy.js';
import { WEBSOCKET_DRIVER_RULES, asWritten } from './rules.js';

/** The URL as given, or throws websocket-driver's error unless it is ws: or wss:. */
function checkUrl(url: string): URL {
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    parsed = null;
  }
  if (parsed === null || (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:')) {
    throw new Error(url + ' is not a valid WebSocket URL');
  }
  return parsed;
}

/** The client driver; see the module comment. */
export class ClientDriver extends LegacyDriver {
  /** The URL, as given. */
  readonly url: string;
  readonly version = 'hybi-13';
  readonly #client: HybiClientDriver;
  readonly #origin: URL;
  #started = false;
  #proxy: ProxyStream | null = null;

  constructor(url: string, options?: LegacyOptions | null) {
    super();
    this.url = url;
    this.#origin = checkUrl(url);
    const resolved = engineOptions(options);
    this.maxLength = resolved.maxLength!;
    this.#client = Driver.client(
      {
        url: this.#origin,
        write: (bytes) => {
          const proxy = this.#proxy;
          if (proxy !== null && proxy.carriesOutput) proxy.emitOutput(bytes);
          else this.emitOutput(asWritten(bytes));
        },
        // One write, so one `data` chunk, per frame.
        wholeFrames: true,
      },
      { ...resolved, compat: WEBSOCKET_DRIVER_RULES },
    );
    this.attach(this.#client);
  }

  override get readyState(): number {
    const state = this.#client.readyState;
    return this.#started || state === 3 ? state : -1;
  }

  /** The response's status code, once it has arrived. */
  get statusCode(): number | undefined {
    return this.#client.statusCode ?? undefined;
  }

  /** The response's headers by lower-case name, once they have arrived. */
  get headers(): Record<string, string> | undefined {
    return this.#client.statusCode === null ? undefined : this.#client.headers;
  }

  /** The subprotocol the server chose (null if none), once the response has arrived. */
  get protocol(): string | null | undefined {
    return this.#client.statusCode === null ? undefined : this.#client.protocol;
  }

  /** Sends the handshake request. */
  override start(): boolean {
    if (this.readyState !== -1) return false;
    this.#started = true;
    return this.#client.start();
  }

  /** A CONNECT tunnel through the HTTP proxy at `origin`: see proxy.ts. */
  proxy(origin: string, _options?: unknown): ProxyStream {
    const proxy = new ProxyStream(httpProxy(this.#client, origin), this.#origin.href);
    this.#proxy = proxy;
    return proxy;
  }

  protected override errorText(error: ProtocolError): string {
    if (error.code.startsWith('HANDSHAKE_') || error.code.startsWith('HTTP_')) {
      return clientHandshakeErrorText(error, { statusCode: this.#client.statusCode, headers: this.#client.headers });
    }
    return super.errorText(error);
  }

  // websocket-driver reports a proxy's refusal on the proxy only.
  protected override reportsFault(error: ProtocolError): boolean {
    return !error.code.startsWith('PROXY_');
  }
}
