/**
 * The hixie-76 server driver (draft-hixie-thewebsocketprotocol-76).
 *
 * Opening (§5.2): `start()` checks the two keys and writes the response
 * head at once; the 16-byte answer follows as soon as the client's 8-byte
 * key3 body has arrived. Some proxies hold that body back until they see
 * the server's response, so it may come in later chunks, a byte at a time,
 * and frames may follow it in the same chunk: the driver waits for it, and
 * reads whatever comes after it as frames.
 *
 * Closing (§5.3): the client's 0xFF 0x00 is answered with 0xFF 0x00 and
 * `close` fires with 1000, `wasClean` true. `close()` sends 0xFF 0x00 and
 * waits for the client's; messages that arrive meanwhile are still
 * delivered. websocket-driver emits `close` as soon as it sends 0xFF 0x00
 * instead; here, as with RFC 6455, the application ends the transport after
 * a timeout of its choosing if the client never answers.
 *
 * @module
 */
import type { EventHub } from '../emitter.js';
import type { DriverEventMap, Socket } from '../events.js';
import type { ProtocolError } from '../errors.js';
import { CloseCode } from '../errors.js';
import type { HandshakeRequest, RackEnv } from '../http/request.js';
import type { ResolvedOptions } from '../options.js';
import { challengeAnswer, KEY3_LENGTH, keyValue } from './hixie-handshake.js';
import { HixieServerDriver } from './hixie-server-driver.js';

const CLOSING_FRAME = Uint8Array.of(0xff, 0x00);

/** Server side of a hixie-76 connection; see the module comment. */
export class Hixie76ServerDriver extends HixieServerDriver {
  readonly version = 'hixie-76' as const;

  #keyValues: readonly [number, number] = [0, 0];
  // The key3 body as it arrives; null when not (or no longer) awaited.
  #key3: Uint8Array | null = null;
  #key3Length = 0;
  // What close() was called with, reported when the client answers.
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
    super(request, socket, options, hub, true, env);
  }

  protected checkDraftSpecifics(): ProtocolError | null {
    const value1 = keyValue('Sec-WebSocket-Key1', this.headers['sec-websocket-key1']);
    if (typeof value1 !== 'number') return value1;
    const value2 = keyValue('Sec-WebSocket-Key2', this.headers['sec-websocket-key2']);
    if (typeof value2 !== 'number') return value2;
    this.#keyValues = [value1, value2];
    return null;
  }

  protected afterResponseHead(): void {
    // Open once key3 is in; receive() gets it, including bytes that came
    // before start().
    this.#key3 = new Uint8Array(KEY3_LENGTH);
    this.#key3Length = 0;
  }

  protected override receive(bytes: Uint8Array): void {
    const key3 = this.#key3;
    if (key3 === null) {
      this.parser.push(bytes);
      return;
    }
    const taken = Math.min(KEY3_LENGTH - this.#key3Length, bytes.length);
    key3.set(bytes.subarray(0, taken), this.#key3Length);
    this.#key3Length += taken;
    if (this.#key3Length < KEY3_LENGTH) return;
    this.#key3 = null;
    const [value1, value2] = this.#keyValues;
    this.socket.write(challengeAnswer(value1, value2, key3));
    this.openConnection();
    // Frames sent right behind key3; an `open` listener may have closed.
    if (taken < bytes.length && this.state.kind !== 'closed') this.parser.push(bytes.subarray(taken));
  }

  protected closeOpenConnection(code: number, reason: string): void {
    // §5.3: the server starts the closing handshake with 0xFF 0x00, then
    // waits for the client's, and sends no more data.
    this.socket.write(CLOSING_FRAME);
    this.enterClosing({ kind: 'closing', by: 'us', ours: { code, reason }, oursSent: true, theirs: null });
  }

  protected onClosingFrame(): void {
    const state = this.state;
    if (state.kind === 'closing' && state.by === 'us') {
      this.finish(state.ours.code, state.ours.reason, true);
      return;
    }
    // The client started: answer, so it sees the closing handshake finish.
    if (state.kind === 'open') this.socket.write(CLOSING_FRAME);
    this.finish(CloseCode.NORMAL, '', true);
  }

  protected override onClosed(): void {
    super.onClosed();
    this.#key3 = null;
  }
}
