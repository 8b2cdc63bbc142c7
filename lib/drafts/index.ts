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
import { registerDraftDrivers } from '../driver/select-server-driver.js';
import { selectDraftDriver } from './select-draft-driver.js';
import { DraftSelectingServerDriver } from '../driver/draft-selecting-server-driver.js';

/**
 * Makes the draft drivers available to `Driver.server` and `Driver.rack`
 * (with `allowDrafts: true`). Importing this module already does it; the
 * call is for builds that would drop a bare import. Safe to call again.
 */
export function enableDrafts(): void {
  registerDraftDrivers(selectDraftDriver, (socket, options) => new DraftSelectingServerDriver(socket, options));
}

enableDrafts();

// Types only: the drivers come from Driver.server and Driver.rack.
export type { Hixie75ServerDriver } from './hixie75-server-driver.js';
export type { Hixie76ServerDriver } from './hixie76-server-driver.js';
export type { HixieServerDriver } from './hixie-server-driver.js';
export { draftVersionOf } from './select-draft-driver.js';
export type { HixieVersion } from './hixie-handshake.js';
