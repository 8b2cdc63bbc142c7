/**
 * Turns the engine's writes into websocket-driver's `data` chunks: one per
 * handshake head and one per whole frame. The engine writes a large
 * server frame as its header and then the payload as-is (to save a copy);
 * code that reads `io`'s chunks as frames expects them joined.
 *
 * @module
 */

/** The longest frame header: 2 bytes, 8 of length, 4 of mask key. */
const MAX_HEADER = 14;

/** Header size and payload length of the frame that starts `bytes`, or null if it does not hold a whole header. */
function frameHeaderOf(bytes: Uint8Array): { size: number; length: number } | null {
  if (bytes.length < 2) return null;
  const b1 = bytes[1]!;
  const short = b1 & 0x7f;
  const size = 2 + (short === 126 ? 2 : short === 127 ? 8 : 0) + (b1 & 0x80 ? 4 : 0);
  if (bytes.length < size) return null;
  let length = short;
  if (short === 126) length = (bytes[2]! << 8) | bytes[3]!;
  else if (short === 127) length = (bytes[2]! * 2 ** 24 + ((bytes[3]! << 16) | (bytes[4]! << 8) | bytes[5]!)) * 2 ** 32 + (bytes[6]! * 2 ** 24 + ((bytes[7]! << 16) | (bytes[8]! << 8) | bytes[9]!));
  return { size, length };
}

/** Joins a lone frame header to the payload written after it; see the module comment. */
export class FrameJoiner {
  /** Off for the hixie drafts, whose frames are not RFC 6455 frames (and never split). */
  enabled = true;
  #headWritten = false;
  #header: Uint8Array | null = null;

  /** The chunk to emit for `bytes`, or null while a header waits for its payload. */
  push(bytes: Uint8Array): Uint8Array | null {
    if (!this.enabled) return bytes;
    if (!this.#headWritten) {
      // The first write is the handshake response (or a refusal).
      this.#headWritten = true;
      return bytes;
    }
    const header = this.#header;
    if (header !== null) {
      this.#header = null;
      // Not zero-filled: every byte is written next.
      const joined = Buffer.allocUnsafe(header.length + bytes.length);
      joined.set(header, 0);
      joined.set(bytes, header.length);
      return joined;
    }
    // A lone header is at most 14 bytes; anything longer holds a payload.
    if (bytes.length > MAX_HEADER) return bytes;
    const frame = frameHeaderOf(bytes);
    if (frame !== null && frame.length > 0 && bytes.length === frame.size) {
      this.#header = bytes;
      return null;
    }
    return bytes;
  }
}
