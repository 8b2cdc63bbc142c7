/**
 * What an extension's session offers so a message can go through it in
 * pieces instead of whole (docs/flow-control.md, "Streamed messages"):
 * the `websocket-extensions` interface's pipeline works on whole messages
 * only. wsdriver's own permessage-deflate implements it; a connection whose only
 * negotiated extension does streams messages through it, any other falls
 * back to whole messages.
 *
 * @module
 */
import type { ProtocolError } from '../errors.js';

/** A session that compresses and decompresses messages piece by piece. */
export interface PieceCodec {
  /**
   * Compresses one piece of the message being sent (`fin` on its last);
   * `done` gets the bytes to frame, in the order the pieces were given,
   * after any whole message given to the session before.
   */
  compressPiece(piece: Uint8Array, fin: boolean, done: (error: Error | null, bytes: Uint8Array | null) => void): void;
  /**
   * Decompresses one piece of a compressed message received (`fin` on its
   * last). `output` gets the bytes as they are produced, in order; when it
   * returns false, production stops until `resumeOutput()`. `done` runs once
   * the piece is consumed, with an error for bad data or for a message past
   * `limit` bytes inflated (then production stops at once).
   */
  decompressPiece(
    piece: Uint8Array,
    fin: boolean,
    limit: number,
    output: (bytes: Uint8Array) => boolean,
    done: (error: ProtocolError | null) => void,
  ): void;
  /** Lets output stopped by `output()` returning false go on. */
  resumeOutput(): void;
}

/** True if `session` implements {@link PieceCodec}. */
export function isPieceCodec(session: unknown): session is PieceCodec {
  const candidate = session as Partial<PieceCodec> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.compressPiece === 'function' &&
    typeof candidate.decompressPiece === 'function' &&
    typeof candidate.resumeOutput === 'function'
  );
}
