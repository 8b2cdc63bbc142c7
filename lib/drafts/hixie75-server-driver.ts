/**
 * The hixie-75 server driver (draft-hixie-thewebsocketprotocol-75).
 *
 * The handshake is one response head; the connection opens as soon as it
 * is sent. The draft has no closing handshake: either side closes the
 * connection by ending the transport, so `close()` emits `close` at once
 * (code 1000 unless given, `wasClean` true) and the application then ends
 * the transport. When the client ends it, `transportClosed()` reports 1006,
 * as faye-websocket does for every version.
 *
 * @module
 */
import type { EventHub } from '../emitter.js';
import type { DriverEventMap, Socket } from '../events.js';
import type { HandshakeRequest, RackEnv } from '../http/request.js';
import type { ResolvedOptions } from '../options.js';
import { HixieServerDriver } from './hixie-server-driver.js';

/** Server side of a hixie-75 connection; see the module comment. */
export class Hixie75ServerDriver extends HixieServerDriver {
  readonly version = 'hixie-75' as const;

  /**
   * Made by `Driver.server` and `Driver.rack` with `allowDrafts: true` once
   * this module is imported, or by {@link selectDraftDriver}; use those.
   *
   * @internal
   */
  constructor(
    request: HandshakeRequest,
    socket: Socket,
    options: ResolvedOptions,
    hub?: EventHub<DriverEventMap>,
    env?: RackEnv,
  ) {
    // draft-75 has no closing frame: 0xFF 0x00 is an empty, discarded frame.
    super(request, socket, options, hub, false, env);
  }

  protected checkDraftSpecifics(): null {
    return null;
  }

  protected afterResponseHead(): void {
    this.openConnection();
  }

  protected closeOpenConnection(code: number, reason: string): void {
    this.finish(code, reason, true);
  }

  protected onClosingFrame(): void {
    // Not reached: the parser reports closing frames only for draft-76.
  }
}
