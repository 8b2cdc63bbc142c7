/**
 * The benchmark's workloads and the bytes they feed.
 *
 * Receive workloads pre-build the byte stream a client would send (masked
 * frames, random keys) outside the timed region; it is cut into chunks of a
 * fixed size that split frames anywhere. Send workloads hand messages to each
 * implementation's send path and count the bytes given to `write()`.
 *
 * Contents come from a seeded generator, so every implementation and every
 * run sees the same messages. Text is JSON-like ASCII, or (`non-ASCII`
 * rows) the same with 10-30% of its characters in 2-, 3- and 4-byte UTF-8
 * sequences, as chat and JSON with names and emoji carry.
 *
 * A send workload's `write()` either only counts the bytes, which shows the
 * send path's own cost, or copies them into a ring as the kernel copies
 * into a socket's buffer (`copying sink` rows): what handing bytes to a
 * socket costs at the least, so passing a payload by reference is not
 * credited with moving it for free.
 *
 * @module
 */

export type Kind = 'text' | 'binary';

/** What text messages hold: JSON-like ASCII, or that with 10-30% non-ASCII characters. */
export type Alphabet = 'ascii' | 'mixed';

/** What a send workload's `write()` does: count the bytes, or copy them into a ring (as into a socket buffer). */
export type Sink = 'count' | 'copy';

export interface ReceiveWorkload {
  readonly id: string;
  readonly direction: 'receive';
  readonly kind: Kind;
  /** Text only; ASCII when absent. */
  readonly alphabet?: Alphabet;
  /** Payload bytes of each message. */
  readonly size: number;
  /** Frame payload size when messages are fragmented (0: one frame each). */
  readonly fragment: number;
  /** Bytes per chunk handed to the parser. */
  readonly chunk: number;
}

export interface SendWorkload {
  readonly id: string;
  readonly direction: 'send';
  readonly kind: Kind;
  readonly size: number;
  /** 'server' sends unmasked frames; 'client' masks each with a fresh key. */
  readonly role: 'server' | 'client';
  /** Text only; ASCII when absent. */
  readonly alphabet?: Alphabet;
  /** Counting when absent. */
  readonly sink?: Sink;
}

export type Workload = ReceiveWorkload | SendWorkload;

const KiB = 1024;
const MiB = 1024 * KiB;
const SIZES = [16, KiB, 64 * KiB, MiB];
const MIXED_SIZES = [16, KiB, 64 * KiB];
const SINK_SUFFIX: Record<Sink, string> = { count: '', copy: ', copying sink' };

function sizeName(size: number): string {
  return size >= MiB ? `${size / MiB} MiB` : size >= KiB ? `${size / KiB} KiB` : `${size} B`;
}

export const WORKLOADS: readonly Workload[] = [
  ...(['text', 'binary'] as const).flatMap((kind) =>
    SIZES.map((size): ReceiveWorkload => ({ id: `recv ${kind} ${sizeName(size)}`, direction: 'receive', kind, size, fragment: 0, chunk: 64 * KiB })),
  ),
  ...(['text', 'binary'] as const).map(
    (kind): ReceiveWorkload => ({ id: `recv ${kind} 1 MiB in 16 KiB fragments`, direction: 'receive', kind, size: MiB, fragment: 16 * KiB, chunk: 64 * KiB }),
  ),
  ...(['text', 'binary'] as const).map(
    (kind): ReceiveWorkload => ({ id: `recv ${kind} 16 B in 1 KiB chunks`, direction: 'receive', kind, size: 16, fragment: 0, chunk: KiB }),
  ),
  ...MIXED_SIZES.map(
    (size): ReceiveWorkload => ({ id: `recv text ${sizeName(size)} non-ASCII`, direction: 'receive', kind: 'text', alphabet: 'mixed', size, fragment: 0, chunk: 64 * KiB }),
  ),
  ...(['count', 'copy'] as const).flatMap((sink) =>
    (['server', 'client'] as const).flatMap((role) => [
      ...(['text', 'binary'] as const).flatMap((kind) =>
        SIZES.map((size): SendWorkload => ({ id: `send ${role} ${kind} ${sizeName(size)}${SINK_SUFFIX[sink]}`, direction: 'send', kind, size, role, sink })),
      ),
      ...MIXED_SIZES.map(
        (size): SendWorkload => ({
          id: `send ${role} text ${sizeName(size)} non-ASCII${SINK_SUFFIX[sink]}`,
          direction: 'send',
          kind: 'text',
          alphabet: 'mixed',
          size,
          role,
          sink,
        }),
      ),
    ]),
  ),
];

/** Deterministic pseudo-random numbers (xorshift32). */
export class Rng {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0 || 1;
  }
  next(): number {
    let x = this.#state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#state = x >>> 0;
    return this.#state;
  }
  fill(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) bytes[i] = this.next() & 0xff;
  }
}

// JSON-ish ASCII: what most text messages look like.
const TEXT_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 {}[]:,"._-';

// Non-ASCII characters by the length of their UTF-8 encoding: 2, 3 and 4 bytes.
const NON_ASCII = ['é', 'ß', 'ж', 'ñ', '€', '中', 'あ', '—', '😀', '🎉', '𝄞'].map((c) => new TextEncoder().encode(c));

/**
 * The payload of message `index` of a workload: UTF-8 bytes for text,
 * exactly `size` of them. With `mixed`, each message has its own share of
 * non-ASCII characters between 10% and 30%, spread at random.
 */
export function messagePayload(kind: Kind, size: number, index: number, alphabet: Alphabet = 'ascii'): Uint8Array {
  const rng = new Rng(0x9e3779b9 ^ (index * 2654435761) ^ size);
  const bytes = new Uint8Array(size);
  if (kind === 'binary') {
    rng.fill(bytes);
  } else if (alphabet === 'ascii') {
    for (let i = 0; i < size; i++) bytes[i] = TEXT_ALPHABET.charCodeAt(rng.next() % TEXT_ALPHABET.length);
  } else {
    const percent = 10 + (index % 21);
    let at = 0;
    while (at < size) {
      const wide = NON_ASCII[rng.next() % NON_ASCII.length]!;
      if (rng.next() % 100 < percent && at + wide.length <= size) {
        bytes.set(wide, at);
        at += wide.length;
      } else {
        bytes[at++] = TEXT_ALPHABET.charCodeAt(rng.next() % TEXT_ALPHABET.length);
      }
    }
  }
  return bytes;
}

/** Distinct payloads a stream cycles through (building every one would dominate set-up). */
const DISTINCT = 64;

/** How many messages a receive stream of about `volume` payload bytes holds. */
export function messageCount(workload: Workload, volume: number): number {
  return Math.max(4, Math.round(volume / workload.size));
}

export function payloadFor(workload: Workload, index: number): Uint8Array {
  return messagePayload(workload.kind, workload.size, index % DISTINCT, workload.alphabet);
}

/** Writes one masked frame (client to server) into `out` at `at`; returns the end. */
function writeMaskedFrame(out: Uint8Array, at: number, fin: boolean, opcode: number, payload: Uint8Array, rng: Rng): number {
  const length = payload.length;
  out[at] = (fin ? 0x80 : 0) | opcode;
  let pos = at + 2;
  if (length < 126) {
    out[at + 1] = 0x80 | length;
  } else if (length < 65536) {
    out[at + 1] = 0x80 | 126;
    out[at + 2] = length >>> 8;
    out[at + 3] = length & 0xff;
    pos += 2;
  } else {
    out[at + 1] = 0x80 | 127;
    for (let i = 0; i < 4; i++) out[at + 2 + i] = 0;
    out[at + 6] = length >>> 24;
    out[at + 7] = (length >>> 16) & 0xff;
    out[at + 8] = (length >>> 8) & 0xff;
    out[at + 9] = length & 0xff;
    pos += 8;
  }
  const key = pos;
  for (let i = 0; i < 4; i++) out[pos++] = rng.next() & 0xff;
  for (let i = 0; i < length; i++) out[pos + i] = payload[i]! ^ out[key + (i & 3)]!;
  return pos + length;
}

function frameSize(length: number): number {
  return (length < 126 ? 2 : length < 65536 ? 4 : 10) + 4;
}

/** The masked byte stream of `count` messages of a receive workload. */
export function buildReceiveStream(workload: ReceiveWorkload, count: number): Uint8Array {
  const fragment = workload.fragment || workload.size;
  const frames = Math.ceil(workload.size / fragment);
  const perMessage = (frames - 1) * (frameSize(fragment) + fragment) + frameSize(workload.size - (frames - 1) * fragment) + workload.size - (frames - 1) * fragment;
  const out = new Uint8Array(perMessage * count);
  const rng = new Rng(12345);
  const opcode = workload.kind === 'text' ? 1 : 2;
  let pos = 0;
  for (let m = 0; m < count; m++) {
    const payload = payloadFor(workload, m);
    for (let f = 0; f < frames; f++) {
      const piece = payload.subarray(f * fragment, Math.min((f + 1) * fragment, payload.length));
      pos = writeMaskedFrame(out, pos, f === frames - 1, f === 0 ? opcode : 0, piece, rng);
    }
  }
  if (pos !== out.length) throw new Error(`stream size mismatch: ${pos} != ${out.length}`);
  return out;
}

/**
 * Yields the masked stream of ONE message of `size` bytes in `fragment`-byte
 * frames, `chunk` bytes at a time, each chunk freshly allocated: what a
 * socket delivers, without holding the whole stream (for peak-memory runs).
 */
export function* streamOneMessage(kind: Kind, size: number, fragment: number, chunk: number): Generator<Uint8Array> {
  const rng = new Rng(777);
  const opcode = kind === 'text' ? 1 : 2;
  const frames = Math.ceil(size / fragment);
  const framed = new Uint8Array(frameSize(fragment) + fragment);
  let pending: Uint8Array = new Uint8Array(chunk);
  let used = 0;
  for (let f = 0; f < frames; f++) {
    const length = Math.min(fragment, size - f * fragment);
    const payload = new Uint8Array(length);
    if (kind === 'binary') rng.fill(payload);
    else payload.fill(0x61);
    const end = writeMaskedFrame(framed, 0, f === frames - 1, f === 0 ? opcode : 0, payload, rng);
    let off = 0;
    while (off < end) {
      const take = Math.min(end - off, chunk - used);
      pending.set(framed.subarray(off, off + take), used);
      used += take;
      off += take;
      if (used === chunk) {
        yield pending;
        pending = new Uint8Array(chunk);
        used = 0;
      }
    }
  }
  if (used > 0) yield pending.subarray(0, used);
}

/** Bytes of one frame header for a payload of `length` bytes. */
export function headerBytes(length: number, masked: boolean): number {
  return frameSize(length) - (masked ? 0 : 4);
}
