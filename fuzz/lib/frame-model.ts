/**
 * A reference reading of a byte stream by RFC 6455's rules, written for
 * clarity rather than speed: it sees the whole stream at once, decodes one
 * frame after another with no incremental state, and says what a driver
 * must report for it. The fuzz targets compare the real driver, fed the
 * same bytes cut in many ways, against it.
 *
 * Where RFC 6455 leaves the order of checks open (a frame that breaks two
 * rules), the model checks in the order wsdriver documents: length
 * encoding, opcode, RSV bits, control-frame rules, masking, then size.
 */
import type { ErrorCode } from '../../lib/index.js';

export type ModelEvent =
  | { readonly type: 'message'; readonly data: string | Uint8Array }
  | { readonly type: 'ping'; readonly data: Uint8Array }
  | { readonly type: 'pong'; readonly data: Uint8Array };

export type ModelOutcome =
  /** The stream ended with the connection still up (maybe mid-frame). */
  | { readonly kind: 'pending' }
  /** A valid close frame arrived: the driver answers it and closes cleanly. */
  | { readonly kind: 'peer-closed'; readonly code: number; readonly reason: string }
  /** The peer broke a rule: one `error`, one `close` with this code. */
  | { readonly kind: 'failed'; readonly errorCode: ErrorCode; readonly closeCode: number };

export interface ModelResult {
  readonly events: readonly ModelEvent[];
  readonly outcome: ModelOutcome;
  /**
   * The stream ends inside a text frame whose bytes so far are already not
   * UTF-8. RFC 6455 §8.1 lets an endpoint fail as soon as it knows, so the
   * driver may report INVALID_UTF8 (1007) instead of waiting.
   */
  readonly mayFailEarlyOnUtf8: boolean;
}

export interface ModelRules {
  readonly role: 'server' | 'client';
  readonly maxLength: number;
}

const TEXT = 1;
const CLOSE = 8;
const PING = 9;

/** True if `bytes` could still begin a valid UTF-8 string (WHATWG decoder, fail-fast). */
export function isUtf8Prefix(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true });
    return true;
  } catch {
    return false;
  }
}

function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return null;
  }
}

function joined(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** RFC 6455 §7.4.1/§7.4.2 and the IANA registry: codes a close frame may carry. */
export function mayBeSentInCloseFrame(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

/** Reads the stream; see the module comment. Never mutates `wire`. */
export function readStream(wire: Uint8Array, rules: ModelRules): ModelResult {
  const events: ModelEvent[] = [];
  let pos = 0;
  let messageOpcode = 0;
  let messageParts: Uint8Array[] = [];
  let messageLength = 0;
  const done = (outcome: ModelOutcome, mayFailEarlyOnUtf8 = false): ModelResult => ({ events, outcome, mayFailEarlyOnUtf8 });
  const fail = (errorCode: ErrorCode, closeCode = 1002) => done({ kind: 'failed', errorCode, closeCode });

  for (;;) {
    const left = wire.length - pos;
    if (left < 2) return done({ kind: 'pending' });
    const b0 = wire[pos]!;
    const b1 = wire[pos + 1]!;
    const length7 = b1 & 0x7f;
    const masked = (b1 & 0x80) !== 0;
    const headerSize = 2 + (length7 === 126 ? 2 : length7 === 127 ? 8 : 0) + (masked ? 4 : 0);
    if (left < headerSize) return done({ kind: 'pending' });

    // §5.2: payload length, in the minimal number of bytes, top bit 0.
    let length = length7;
    if (length7 === 126) {
      length = wire[pos + 2]! * 256 + wire[pos + 3]!;
      if (length < 126) return fail('NON_MINIMAL_LENGTH');
    } else if (length7 === 127) {
      let big = 0n;
      for (let i = 0; i < 8; i++) big = (big << 8n) | BigInt(wire[pos + 2 + i]!);
      if (big >= 1n << 63n) return fail('LENGTH_OUT_OF_RANGE');
      if (big < 65536n) return fail('NON_MINIMAL_LENGTH');
      length = Number(big);
    }
    const fin = (b0 & 0x80) !== 0;
    const rsv = b0 & 0x70;
    const opcode = b0 & 0x0f;
    const control = opcode >= 8;
    if (![0, 1, 2, 8, 9, 10].includes(opcode)) return fail('RESERVED_OPCODE');
    // No extension is negotiated, so every RSV bit is reserved.
    if (rsv !== 0) return fail('RESERVED_BITS');
    // §5.5: control frames are never fragmented and carry at most 125 bytes.
    if (control && !fin) return fail('FRAGMENTED_CONTROL_FRAME');
    if (control && length > 125) return fail('CONTROL_FRAME_TOO_LONG');
    // §5.1: clients mask, servers do not.
    if (rules.role === 'server' && !masked) return fail('UNMASKED_FRAME');
    if (rules.role === 'client' && masked) return fail('MASKED_FRAME');
    if (!control) {
      // maxLength bounds data frames and messages; control frames have §5.5's 125.
      if (length > rules.maxLength) return fail('MESSAGE_TOO_LONG', 1009);
      // §5.4: continuation frames continue a message; data frames start one.
      if (opcode === 0 && messageOpcode === 0) return fail('UNEXPECTED_CONTINUATION');
      if (opcode !== 0 && messageOpcode !== 0) return fail('EXPECTED_CONTINUATION');
      if (opcode !== 0) messageOpcode = opcode;
      if (messageLength + length > rules.maxLength) return fail('MESSAGE_TOO_LONG', 1009);
    }

    const start = pos + headerSize;
    const available = Math.min(length, wire.length - start);
    const payload = wire.slice(start, start + available);
    if (masked) {
      const key = wire.subarray(start - 4, start);
      for (let i = 0; i < payload.length; i++) payload[i]! ^= key[i & 3]!;
    }
    if (available < length) {
      const partialText = !control && messageOpcode === TEXT && !isUtf8Prefix(joined([...messageParts, payload]));
      return done({ kind: 'pending' }, partialText);
    }
    pos = start + length;

    if (control) {
      if (opcode === CLOSE) {
        // §5.5.1: nothing, or a 2-byte code and a UTF-8 reason.
        if (payload.length === 0) return done({ kind: 'peer-closed', code: 1005, reason: '' });
        if (payload.length === 1) return fail('INVALID_CLOSE_PAYLOAD');
        const code = payload[0]! * 256 + payload[1]!;
        if (!mayBeSentInCloseFrame(code)) return fail('INVALID_CLOSE_CODE');
        const reason = decodeUtf8(payload.subarray(2));
        if (reason === null) return fail('INVALID_CLOSE_REASON', 1007);
        return done({ kind: 'peer-closed', code, reason });
      }
      events.push({ type: opcode === PING ? 'ping' : 'pong', data: payload });
      continue;
    }

    messageParts.push(payload);
    messageLength += length;
    const all = joined(messageParts);
    // §8.1: invalid UTF-8 in a text message fails the connection (1007).
    if (messageOpcode === TEXT && !isUtf8Prefix(all)) return fail('INVALID_UTF8', 1007);
    if (!fin) continue;
    if (messageOpcode === TEXT) {
      const text = decodeUtf8(all);
      if (text === null) return fail('INVALID_UTF8', 1007);
      events.push({ type: 'message', data: text });
    } else {
      events.push({ type: 'message', data: all });
    }
    messageOpcode = 0;
    messageParts = [];
    messageLength = 0;
  }
}
