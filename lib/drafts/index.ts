/**
 * `wsdriver/drafts`: server drivers for the pre-RFC protocols hixie-75 and
 * hixie-76, for old clients (embedded browsers, set-top boxes).
 *
 * Importing this module makes them available to `Driver.server` and
 * `Driver.rack` with `allowDrafts: true`:
 *
 * ```ts
 * import 'wsdriver/drafts';
 * import { Driver } from 'wsdriver';
 * const driver = Driver.server(socket, { allowDrafts: true });
 * ```
 *
 * The package marks this file as having side effects (`sideEffects` in
 * package.json), so bundlers keep a bare import. A build that ignores that
 * hint can call {@link enableDrafts} instead, which it cannot drop.
 * Applications that never import this module do not bundle the drafts.
 *
 * @module wsdriver/drafts
 */
import { registerDrafts } from '../driver/select-server-driver.js';
import { draftProtocolFor, draftVersionOf } from './select-draft-protocol.js';
import { DraftServerDriver } from '../driver/draft-server-driver.js';

/**
 * Makes the hixie drafts available to `Driver.server` and `Driver.rack`
 * (with `allowDrafts: true`). Importing this module already does it; the
 * call is for builds that would drop a bare import. Safe to call again.
 */
export function enableDrafts(): void {
  registerDrafts(draftVersionOf, draftProtocolFor, (socket, options, request) =>
    request !== null && draftVersionOf(request) === null ? null : new DraftServerDriver(socket, options, request),
  );
}

enableDrafts();

// The drivers come from Driver.server and Driver.rack (types HttpServerDriver and ServerSideDriver).
export { draftVersionOf } from './select-draft-protocol.js';
export type { HixieVersion } from './hixie-handshake.js';
