/**
 * On Node, `Driver.isWebSocket(request)` of a node:http request whose
 * `headers` nobody has read takes `Connection` and `Upgrade` from
 * `rawHeaders` (raw-headers.ts). Otherwise node:http would build its
 * whole headers object for this check alone, and `handleUpgrade`, which
 * reads an unread request from `rawHeaders`, would then copy that object
 * instead: about 16 k instructions per accept (bench/analysis.md,
 * "Accepts, session 9"). Any other request, or one whose `headers` were
 * read, gets the core's check.
 *
 * Installed on `Driver` by this adapter's entry point as it loads: the
 * core carries no hook for it, since every byte of a hook would be in the
 * browser bundle of `Driver`, which has none to spare.
 *
 * @module
 */
import type * as http from 'node:http';
import { nodeHttp } from './builtins.js';
import { Driver } from '../../driver/factories.js';
import { asksForWebSocket } from '../../handshake/server-handshake.js';
import type { RequestSource } from '../../http/request.js';
import { unreadRawHeaders } from './raw-headers.js';

const { IncomingMessage } = nodeHttp();

const portableCheck = Driver.isWebSocket;

/**
 * `Driver.isWebSocket` for a request node:http parsed: its answer, read
 * from `rawHeaders` by node:http's rules for `headers` (repeated
 * `Connection` or `Upgrade` fields are joined with `, `; only the fields
 * node:http would take, up to its `maxHeadersCount`).
 */
function isWebSocket(request: RequestSource): boolean {
  const raw = request instanceof IncomingMessage ? unreadRawHeaders(request) : null;
  if (raw === null) return portableCheck(request);
  let connection: string | undefined;
  let upgrade: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    // Length first: most names are neither, and need no lower-case copy.
    if (name.length === 10 && name.toLowerCase() === 'connection') {
      connection = connection === undefined ? raw[i + 1]! : `${connection}, ${raw[i + 1]!}`;
    } else if (name.length === 7 && name.toLowerCase() === 'upgrade') {
      upgrade = upgrade === undefined ? raw[i + 1]! : `${upgrade}, ${raw[i + 1]!}`;
    }
  }
  return asksForWebSocket((request as http.IncomingMessage).method ?? 'GET', connection, upgrade);
}

/** Has `Driver.isWebSocket` read node:http's requests from `rawHeaders` while their `headers` are unread. */
export function useNodeRequestCheck(): void {
  (Driver as { isWebSocket: typeof isWebSocket }).isWebSocket = isWebSocket;
}
