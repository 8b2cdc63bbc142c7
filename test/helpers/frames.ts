/**
 * Frames as bytes, built by hand (RFC 6455 §5.2), and a decoder for the
 * frames a driver writes.
 *
 * The builder deliberately allows what a correct sender never does
 * (non-minimal lengths, a 64-bit length with its top bit set, any RSV bits
 * or opcode, a declared length that differs from the payload) so tests can
 * feed those to a driver. The decoder is independent of lib/: it is the
 * yardstick the driver's own encoder is measured against.
 */

/** How the payload length is written: the minimal form, or a forced width. */
export type LengthEncoding = 'minimal' | 7 | 16 | 64;

export interface FrameSpec {
  /** FIN bit. Default true. */
  fin?: boolean;
  /** RSV bits as the 0x70 bits of the first byte (0x40 = RSV1). Default 0. */
  rsv?: number;
  /** Opcode, 0-15. */
  opcode: number;
  /** Payload bytes, or a string encoded as UTF-8. Default empty. */
  payload?: Uint8Array | string;
  /**
   * Masking key: 4 bytes, `true` for a fixed non-trivial key, or
   * `false`/absent for an unmasked frame.
   */
  mask?: Uint8Array | readonly number[] | boolean;
  /** Length field width. Default 'minimal'. */
  lengthEncoding?: LengthEncoding;
  /**
   * The length to declare, when it must differ from the payload's (say
   * 2^63 or 2^53 + 1, with no payload following). A bigint reaches all 64 bits.
   */
  declaredLength?: number | bigint;
}

export const Op = {
  CONTINUATION: 0x0,
  TEXT: 0x1,
  BINARY: 0x2,
  CLOSE: 0x8,
  PING: 0x9,
  PONG: 0xa,
} as const;

/** The key `mask: true` uses: every byte non-zero, all four different. */
export const DEFAULT_MASK_KEY: readonly number[] = [0x37, 0xfa, 0x21, 0x3d];

const utf8 = new TextEncoder();

/** UTF-8 bytes of a string. */
export function bytesOf(text: string): Uint8Array {
  return utf8.encode(text);
}

/** Joins byte arrays into one. */
export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** XORs a copy of `data` with `key` (masking is its own inverse). */
export function xorMask(data: Uint8Array, key: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! ^ key[i & 3]!;
  return out;
}

/** Builds one frame as bytes; see {@link FrameSpec}. */
export function frame(spec: FrameSpec): Uint8Array {
  const payload = typeof spec.payload === 'string' ? bytesOf(spec.payload) : (spec.payload ?? new Uint8Array(0));
  const key =
    spec.mask === true
      ? Uint8Array.from(DEFAULT_MASK_KEY)
      : spec.mask === false || spec.mask === undefined
        ? null
        : Uint8Array.from(spec.mask);
  if (key !== null && key.length !== 4) throw new Error('a masking key has 4 bytes');
  const declared = BigInt(spec.declaredLength ?? payload.length);
  let encoding = spec.lengthEncoding ?? 'minimal';
  if (encoding === 'minimal') encoding = declared < 126n ? 7 : declared < 65536n ? 16 : 64;
  if (encoding === 7 && declared > 125n) throw new Error('length does not fit 7 bits');
  if (encoding === 16 && declared > 0xffffn) throw new Error('length does not fit 16 bits');
  const maskBit = key !== null ? 0x80 : 0;
  const header: number[] = [(spec.fin === false ? 0 : 0x80) | (spec.rsv ?? 0) | spec.opcode];
  if (encoding === 7) {
    header.push(maskBit | Number(declared));
  } else if (encoding === 16) {
    header.push(maskBit | 126, Number(declared >> 8n), Number(declared & 0xffn));
  } else {
    header.push(maskBit | 127);
    for (let shift = 56n; shift >= 0n; shift -= 8n) header.push(Number((declared >> shift) & 0xffn));
  }
  if (key !== null) header.push(...key);
  return concat(Uint8Array.from(header), key !== null ? xorMask(payload, key) : payload);
}

/** A masked frame, as a client sends it. */
export function clientFrame(opcode: number, payload: Uint8Array | string = '', extra: Omit<FrameSpec, 'opcode' | 'payload'> = {}): Uint8Array {
  return frame({ mask: true, ...extra, opcode, payload });
}

/** An unmasked frame, as a server sends it. */
export function serverFrame(opcode: number, payload: Uint8Array | string = '', extra: Omit<FrameSpec, 'opcode' | 'payload'> = {}): Uint8Array {
  return frame({ mask: false, ...extra, opcode, payload });
}

/** A close frame's payload: 2-byte code then the reason; nothing when `code` is undefined. */
export function closePayload(code?: number, reason: string | Uint8Array = ''): Uint8Array {
  if (code === undefined) return new Uint8Array(0);
  const reasonBytes = typeof reason === 'string' ? bytesOf(reason) : reason;
  return concat(Uint8Array.of(code >> 8, code & 0xff), reasonBytes);
}

/** A frame as {@link decodeFrames} found it, payload unmasked. */
export interface DecodedFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  maskKey: Uint8Array | null;
  /** Bytes used by the length field: 0 (7-bit), 2 or 8. */
  extendedLengthBytes: 0 | 2 | 8;
  payload: Uint8Array;
}

/**
 * Decodes a byte string that holds whole frames only (what a driver wrote).
 * Throws on a truncated frame, so a test notices a driver that wrote half a
 * frame.
 */
export function decodeFrames(bytes: Uint8Array): DecodedFrame[] {
  const frames: DecodedFrame[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < 2) throw new Error(`truncated frame header at byte ${at}`);
    const b0 = bytes[at]!;
    const b1 = bytes[at + 1]!;
    let pos = at + 2;
    let length = b1 & 0x7f;
    let extendedLengthBytes: 0 | 2 | 8 = 0;
    if (length === 126) {
      length = (bytes[pos]! << 8) | bytes[pos + 1]!;
      pos += 2;
      extendedLengthBytes = 2;
    } else if (length === 127) {
      let value = 0n;
      for (let i = 0; i < 8; i++) value = (value << 8n) | BigInt(bytes[pos + i]!);
      length = Number(value);
      pos += 8;
      extendedLengthBytes = 8;
    }
    const masked = (b1 & 0x80) !== 0;
    const maskKey = masked ? bytes.slice(pos, pos + 4) : null;
    if (masked) pos += 4;
    if (pos + length > bytes.length) throw new Error(`truncated frame payload at byte ${at}`);
    const raw = bytes.slice(pos, pos + length);
    frames.push({
      fin: (b0 & 0x80) !== 0,
      rsv: b0 & 0x70,
      opcode: b0 & 0x0f,
      masked,
      maskKey,
      extendedLengthBytes,
      payload: maskKey !== null ? xorMask(raw, maskKey) : raw,
    });
    at = pos + length;
  }
  return frames;
}

/** Reads a close frame's payload: its code (undefined when empty) and reason. */
export function readClosePayload(payload: Uint8Array): { code: number | undefined; reason: string } {
  if (payload.length < 2) return { code: undefined, reason: '' };
  return { code: (payload[0]! << 8) | payload[1]!, reason: new TextDecoder().decode(payload.subarray(2)) };
}
