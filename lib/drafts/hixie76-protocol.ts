/**
 * The hixie-76 protocol part (draft-hixie-thewebsocketprotocol-76).
 *
 * Opening (§5.2): `start()` checks the two keys and writes the response
 * head at once; the 16-byte answer follows as soon as the client's 8-byte
 * key3 body has arrived. Some proxies hold that body back until they see
 * the server's response, so it may come in later chunks, a byte at a time,
 * and frames may follow it in the same chunk: the part waits for it, and
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
import type { DraftHost } from '../connection/server-side.js';
import type { ProtocolError } from '../errors.js';
import { CloseCode } from '../errors.js';
import type { HandshakeRequest } from '../http/request.js';
import type { ResolvedOptions } from '../options.js';
import { challengeAnswer, KEY3_LENGTH, keyValue } from './hixie-handshake.js';
import { HixieProtocol } from './hixie-protocol.js';

const CLOSING_FRAME = Uint8Array.of(0xff, 0x00);

/** The server side of a hixie-76 connection; see the module comment. */
export class Hixie76Protocol extends HixieProtocol {
  readonly version = 'hixie-76' as const;

  #keyValues: readonly [number, number] = [0, 0];
  // The key3 body as it arrives; null when not (or no longer) awaited.
  #key3: Uint8Array | null = null;
  #key3Length = 0;

  /**
   * Made by {@link draftProtocolFor}; use `Driver.server` or `Driver.rack`
   * with `allowDrafts: true`.
   *
   * @internal
   */
  constructor(request: HandshakeRequest, url: string, options: ResolvedOptions, host: DraftHost) {
    super(request, url, options, host, true);
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

  override receive(bytes: Uint8Array): Uint8Array | void {
    const key3 = this.#key3;
    if (key3 === null) return this.parser.push(bytes);
    const taken = Math.min(KEY3_LENGTH - this.#key3Length, bytes.length);
    key3.set(bytes.subarray(0, taken), this.#key3Length);
    this.#key3Length += taken;
    if (this.#key3Length < KEY3_LENGTH) return;
    this.#key3 = null;
    const [value1, value2] = this.#keyValues;
    this.host.write(challengeAnswer(value1, value2, key3));
    this.host.open();
    // Frames sent right behind key3; an `open` listener may have closed,
    // or paused (then the parser hands them back unread).
    if (taken < bytes.length && this.host.state.kind !== 'closed') return this.parser.push(bytes.subarray(taken));
  }

  closeOpenConnection(code: number, reason: string): void {
    // §5.3: the server starts the closing handshake with 0xFF 0x00, then
    // waits for the client's, and sends no more data.
    this.host.write(CLOSING_FRAME);
    this.host.enterClosing({ kind: 'closing', by: 'us', ours: { code, reason }, oursSent: true, theirs: null });
  }

  onClosingFrame(): void {
    const state = this.host.state;
    if (state.kind === 'closing' && state.by === 'us') {
      this.host.finish(state.ours.code, state.ours.reason, true);
      return;
    }
    // The client started: answer, so it sees the closing handshake finish.
    if (state.kind === 'open') this.host.write(CLOSING_FRAME);
    this.host.finish(CloseCode.NORMAL, '', true);
  }

  override stop(): void {
    super.stop();
    this.#key3 = null;
  }
}
