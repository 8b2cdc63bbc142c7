/**
 * The `websocket-driver` module, over the wsdriver engine: what
 * `require('websocket-driver')` returns once npm `overrides` point the
 * name at this package. Same shape as websocket-driver 0.8.0's module.
 *
 * @module
 */
import '../../../lib/drafts/index.js'; // registers the hixie drivers, for `allowDrafts`
import { Driver as Engine, type RequestSource } from '../../../lib/index.js';
import { ClientDriver } from './client.js';
import { HttpDriver, isSecureRequest, type LegacyRequest } from './http.js';
import { validateOptions, type LegacyOptions } from './options.js';
import { ServerDriver } from './server.js';

const driver = {
  /** A client driver for a ws: or wss: URL. */
  client(url: string, options?: LegacyOptions | null): ClientDriver {
    return new ClientDriver(url, options);
  },

  /** A server driver that reads the HTTP request from the bytes itself. */
  server(options?: LegacyOptions | null): ServerDriver {
    return new ServerDriver(options);
  },

  /** A server driver for a request an HTTP server has already parsed. */
  http(request: LegacyRequest, options?: LegacyOptions | null): HttpDriver {
    return new HttpDriver(request, options);
  },

  /** True if the request came over TLS (or a proxy in front says so). */
  isSecureRequest(request: LegacyRequest): boolean {
    return isSecureRequest(request);
  },

  /** True for a GET whose Connection holds `upgrade` and whose Upgrade is `websocket`. */
  isWebSocket(request: LegacyRequest): boolean {
    return Engine.isWebSocket(request as RequestSource);
  },

  /** Throws `Unrecognized option: <key>` for a key not in `validKeys`. */
  validateOptions<T extends object>(options: T | null | undefined, validKeys: readonly string[]): T {
    return validateOptions(options, validKeys);
  },
};

export default driver;
