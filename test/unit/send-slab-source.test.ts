/**
 * The send slab's `SlabSource` hook (lib/frame/send-slab.ts): an embedder
 * that supplies the slabs is told, when each one is retired, how many
 * slices were handed out of it, and that count is exactly the number of
 * writes that carried a piece of it; the embedder may only reuse a slab
 * once all of them have come back (the Node adapter: slab-reuse.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FrameWriter } from '../../lib/frame/frame-encoder.js';
import { SLAB_SIZE, SLICES_COUNTED, useSlabSource } from '../../lib/frame/send-slab.js';
import { Op } from '../helpers/index.js';

afterEach(() => useSlabSource(null));

/** A source that makes every slab fresh and notes what it is told. */
function notingSource() {
  const made: ArrayBuffer[] = [];
  const retired: Array<{ buffer: ArrayBuffer; slices: number }> = [];
  useSlabSource({
    slab() {
      const bytes = new Uint8Array(SLAB_SIZE);
      made.push(bytes.buffer);
      return bytes;
    },
    retired: (buffer, slices) => retired.push({ buffer, slices }),
  });
  return { made, retired };
}

/** A sink that counts the writes carrying a piece of each ArrayBuffer. */
function countingSink() {
  const writes = new Map<ArrayBufferLike, number>();
  return { writes, sink: { write: (bytes: Uint8Array) => void writes.set(bytes.buffer, (writes.get(bytes.buffer) ?? 0) + 1) } };
}

describe('SlabSource', () => {
  it('takes every slab from the source and reports each retired slab with the number of writes that carried a piece of it', () => {
    const { made, retired } = notingSource();
    const { writes, sink } = countingSink();
    (sink as Record<symbol, boolean>)[SLICES_COUNTED] = true;
    const writer = new FrameWriter(sink, false, Number.MAX_SAFE_INTEGER);
    const payload = new Uint8Array(4096).fill(7);
    // Small frames, 4 KiB frames (15 to a slab), and 32 KiB frames (past the slab: only their header is in it).
    for (let i = 0; i < 100; i++) {
      writer.message(Op.BINARY, 0, new Uint8Array(i % 100));
      writer.message(Op.BINARY, 0, payload);
      if (i % 10 === 0) writer.message(Op.BINARY, 0, new Uint8Array(32 * 1024));
    }
    expect(retired.length).toBeGreaterThanOrEqual(5);
    // In order, and never the empty array the module starts with.
    retired.forEach(({ buffer }, i) => expect(buffer).toBe(made[i]));
    for (const { buffer, slices } of retired) expect(slices).toBe(writes.get(buffer));
  });
});
