/**
 * A frame announced but not sent: a peer sends a header announcing 1 MiB
 * (or 60 MiB) and a few hundred bytes, and never the rest. What each
 * connection then holds is measured on the process (ArrayBuffer memory
 * after a full GC, not the library's own count) over 2,000 server drivers:
 * it must stay near what arrived (README, `maxLength`: at most about four
 * times the bytes that arrived plus 16 KiB), not the announced size, on every path
 * that gathers a message: a binary frame, a text frame (the Node adapter
 * checks text as it is gathered), a text fragment, a larger frame, and a
 * compressed frame (permessage-deflate); also on the portable core.
 *
 * Each read is a fresh buffer of its exact size, as a Node socket read is.
 */
import { runInNewContext } from 'node:vm';
import v8 from 'node:v8';
import { afterEach, describe, expect, it } from 'vitest';
import { Driver, type DriverOptions } from '../../lib/index.js';
import { perMessageDeflate } from '../../lib/adapters/node/index.js';
import { useNodeTextDecoder } from '../../lib/adapters/node/native-text.js';
import { useNodeUnfilledMemory } from '../../lib/adapters/node/unfilled-memory.js';
import { useCheckedTextDecoder } from '../../lib/frame/checked-text.js';
import { useUnfilledMemory } from '../../lib/frame/fresh-bytes.js';
import { clientFrame, Op, Recorder, requestHead, split, type Chunking } from '../helpers/index.js';

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const KiB = 1024;
const MiB = 1024 * KiB;
const CONNECTIONS = 2000;
/** Payload bytes each peer sends: the first read (with the header) and three more. */
const READS = [100, 100, 100, 100];
const ARRIVED = READS.reduce((sum, size) => sum + size);

interface Announce {
  opcode: number;
  announced: number;
  fin?: boolean;
  rsv?: number;
}

/** The reads a peer sends: a masked header announcing `announced` bytes with the first read's payload, then the others. */
function announcingReads({ opcode, announced, fin = true, rsv = 0 }: Announce): Uint8Array[] {
  const key = [0x12, 0x34, 0x56, 0x78];
  const header = new Uint8Array(14);
  header[0] = (fin ? 0x80 : 0) | rsv | opcode;
  header[1] = 0x80 | 127;
  new DataView(header.buffer).setUint32(6, announced);
  header.set(key, 10);
  // ASCII 'a's, masked: valid text as far as it goes.
  const payload = Uint8Array.from({ length: ARRIVED }, (_, i) => 0x61 ^ key[i & 3]!);
  const reads: Uint8Array[] = [];
  let at = 0;
  for (const [n, size] of READS.entries()) {
    const read = new Uint8Array((n === 0 ? header.length : 0) + size);
    if (n === 0) read.set(header);
    read.set(payload.subarray(at, at + size), read.length - size);
    at += size;
    reads.push(read);
  }
  return reads;
}

/** An open server driver, with permessage-deflate negotiated when asked. */
function openServer(options: DriverOptions, deflate: boolean): { driver: ReturnType<typeof Driver.server>; rec: Recorder } {
  const rec = new Recorder();
  const driver = rec.attach(Driver.server(rec.socket, options));
  if (deflate) driver.addExtension(perMessageDeflate());
  driver.parse(requestHead(deflate ? { headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate' } } : {}));
  if (!driver.start()) throw new Error('no handshake');
  rec.take();
  rec.clearEvents();
  return { driver, rec };
}

/** Opens 2,000 drivers, sends each the announcing reads, and returns the ArrayBuffer memory each holds after a full GC. */
function heldPerConnection(announce: Announce, { options = {}, deflate = false } = {}): { perConnection: number; errors: unknown[]; retained: number } {
  const open = Array.from({ length: CONNECTIONS }, () => openServer(options, deflate));
  gc();
  gc();
  const before = process.memoryUsage().arrayBuffers;
  for (const { driver } of open) for (const read of announcingReads(announce)) driver.parse(read);
  gc();
  gc();
  const perConnection = (process.memoryUsage().arrayBuffers - before) / CONNECTIONS;
  const errors = open.flatMap(({ rec }) => rec.of('error'));
  const retained = open.reduce((sum, { driver }) => sum + driver.retainedBytes, 0) / CONNECTIONS;
  for (const { driver } of open) driver.close();
  if (process.env.ANNOUNCED_FIGURES) process.stderr.write(`${JSON.stringify(announce)} ${JSON.stringify({ perConnection, retained })}\n`);
  return { perConnection, errors, retained };
}

// At most four times what arrived (a frame's staging buffer) plus a little for the test's own bookkeeping.
const BOUND = 4 * ARRIVED + 4 * KiB;

describe('a frame announced and not sent holds about what arrived (2,000 connections, ArrayBuffer memory after GC)', () => {
  it.each<[string, Announce, { options?: DriverOptions; deflate?: boolean }]>([
    ['binary, 1 MiB announced', { opcode: Op.BINARY, announced: MiB }, {}],
    ['text, 1 MiB announced (checked as it is gathered)', { opcode: Op.TEXT, announced: MiB }, {}],
    ['text kept as bytes, 1 MiB announced', { opcode: Op.TEXT, announced: MiB }, { options: { decodeText: false } }],
    ['a text fragment announcing 1 MiB', { opcode: Op.TEXT, announced: MiB, fin: false }, {}],
    // Up to 16 KiB may be made whole at once; 64 KiB is the largest frame that fits one read.
    ['binary, 64 KiB announced', { opcode: Op.BINARY, announced: 64 * KiB }, {}],
    ['binary, 60 MiB announced', { opcode: Op.BINARY, announced: 60 * MiB }, {}],
    ['compressed (permessage-deflate), 1 MiB announced', { opcode: Op.BINARY, announced: MiB, rsv: 0x40 }, { deflate: true }],
  ])('%s', (_name, announce, setup) => {
    const { perConnection, errors, retained } = heldPerConnection(announce, setup);
    expect(errors).toEqual([]);
    // Before: 1 MiB each, 2 GiB in all, for 14 + 400 bytes sent.
    expect(perConnection).toBeLessThan(BOUND);
    expect(retained).toBeLessThan(BOUND);
  });

  describe('on the portable core (zero-filled memory, text not gathered by the Node decoder)', () => {
    afterEach(() => {
      useNodeUnfilledMemory();
      useNodeTextDecoder();
    });

    it.each<[string, Announce, DriverOptions]>([
      ['binary, 1 MiB announced', { opcode: Op.BINARY, announced: MiB }, {}],
      ['text kept as bytes, 1 MiB announced', { opcode: Op.TEXT, announced: MiB }, { decodeText: false }],
      ['text, 1 MiB announced', { opcode: Op.TEXT, announced: MiB }, {}],
    ])('%s', (_name, announce, options) => {
      useUnfilledMemory(null);
      useCheckedTextDecoder(null);
      const { perConnection, errors } = heldPerConnection(announce, { options });
      expect(errors).toEqual([]);
      expect(perConnection).toBeLessThan(BOUND);
    });
  });
});

describe('a frame staged while it arrives, then moved into its exact buffer, arrives intact (Node hooks and portable core)', () => {
  // 1 MiB of text with 2-, 3- and 4-byte characters, so characters straddle reads and buffer moves.
  const text = 'aé€😀 JSON {"k": "ü"} '.repeat(40_000).slice(0, 1 << 19);
  const bytes = new TextEncoder().encode(text).subarray(0, 1 << 20);
  const valid = new TextDecoder().decode(bytes.subarray(0, bytes.length - 3)).replace(/\uFFFD+$/, '');
  const payload = new TextEncoder().encode(valid);

  afterEach(() => {
    useNodeUnfilledMemory();
    useNodeTextDecoder();
  });

  it.each<[string, Chunking, boolean]>([
    ['64 KiB reads', { sizes: [64 * KiB] }, false],
    ['random reads up to 5,000 bytes', { seed: 7, maxChunk: 5000 }, false],
    ['reads of 1 and 99,999 bytes', { sizes: [1, 99_999] }, false],
    ['64 KiB reads, portable core', { sizes: [64 * KiB] }, true],
  ])('text and text kept as bytes, %s', (_name, chunking, portable) => {
    if (portable) {
      useUnfilledMemory(null);
      useCheckedTextDecoder(null);
    }
    for (const decodeText of [true, false]) {
      const { driver, rec } = openServer({ decodeText }, false);
      for (const read of split(clientFrame(Op.TEXT, payload), chunking)) driver.parse(read);
      expect(rec.of('error')).toEqual([]);
      const [message] = rec.messages;
      if (decodeText) expect(message).toBe(valid);
      else expect(Buffer.from(message as Uint8Array).equals(Buffer.from(payload))).toBe(true);
    }
  });

  it('a bad byte in the staged part fails the connection in the read that holds it (RFC 6455 §8.1)', () => {
    const bad = payload.slice();
    bad[200_000] = 0xff;
    const { driver, rec } = openServer({}, false);
    const reads = split(clientFrame(Op.TEXT, bad), { sizes: [64 * KiB] });
    let failedAt = -1;
    for (const [n, read] of reads.entries()) {
      driver.parse(read);
      if (failedAt < 0 && rec.of('error').length > 0) failedAt = n;
    }
    // Byte 200,000 of the payload is in the fourth 64 KiB read (after the 14-byte header).
    expect(failedAt).toBe(3);
    expect(rec.of('error')[0]).toMatchObject({ code: 'INVALID_UTF8', closeCode: 1007 });
  });
});
