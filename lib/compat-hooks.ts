/**
 * Compat-only hooks: the few points where packages/websocket-driver-compat
 * makes this engine behave as websocket-driver 0.8.0 does, observably, for
 * code that depends on its quirks (faye-websocket, sockjs). Not for
 * applications: every hook replaces an RFC 6455 rule with websocket-driver's
 * reading of it. With no hooks (the default) nothing here runs.
 *
 * Each hook is named for the one rule it replaces; the frame parser,
 * message reader, handshakes, extension pipeline and limits stay the
 * engine's own.
 *
 * @module
 * @internal
 */
import type { ProtocolError } from './errors.js';
import type { ClosePayload } from './frame/close-payload.js';

/**
 * Replacements for RFC 6455 rules, passed as the internal `compat` option.
 *
 * @internal
 */
export interface CompatHooks {
  /**
   * Reads a received close frame in place of `parseClosePayload`: what to
   * report in `close` and send back. Never a fault (websocket-driver
   * reports an empty frame as 1000, a bad code or reason as 1002).
   */
  readClose(payload: Uint8Array): ClosePayload;
  /** The answer to the peer's close frame repeats its reason (RFC 6455 leaves the reason free). */
  readonly echoCloseReason: boolean;
  /**
   * Encodes every close frame this side sends, in place of
   * `encodeClosePayload`; throws on a caller mistake. websocket-driver
   * sends any code the application passes.
   */
  encodeClose(code: number, reason: string): Uint8Array;
  /** The reason sent in the close frame that fails the connection. */
  failureReason(error: ProtocolError): string;
  /** The close code for an unmasked client frame (RFC 6455 §7.4.1: 1002). */
  readonly unmaskedFrameCloseCode: number;
}
