/**
 * The hixie-75 protocol part (draft-hixie-thewebsocketprotocol-75).
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
import type { DraftHost } from '../connection/server-side.js';
import type { HandshakeRequest } from '../http/request.js';
import type { ResolvedOptions } from '../options.js';
import { HixieProtocol } from './hixie-protocol.js';

/** The server side of a hixie-75 connection; see the module comment. */
export class Hixie75Protocol extends HixieProtocol {
  readonly version = 'hixie-75' as const;

  /**
   * Made by {@link draftProtocolFor}; use `Driver.server` or `Driver.rack`
   * with `allowDrafts: true`.
   *
   * @internal
   */
  constructor(request: HandshakeRequest, url: string, options: ResolvedOptions, host: DraftHost) {
    // draft-75 has no closing frame: 0xFF 0x00 is an empty, discarded frame.
    super(request, url, options, host, false);
  }

  protected checkDraftSpecifics(): null {
    return null;
  }

  protected afterResponseHead(): void {
    this.host.open();
  }

  closeOpenConnection(code: number, reason: string): void {
    this.host.finish(code, reason, true);
  }

  onClosingFrame(): void {
    // Not reached: the parser reports closing frames only for draft-76.
  }
}
