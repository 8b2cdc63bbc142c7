/**
 * The Node adapter hands the core its allocation without zero fill
 * (lib/adapters/node/unfilled-memory.ts) and has it make frames as Buffers
 * (outgoing-buffers.ts): loading `wsdriver/node` is enough.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import '../../lib/adapters/node/index.js';
import { freshBytes } from '../../lib/frame/fresh-bytes.js';
import { ROLES, SERVER } from '../helpers/roles.js';

afterEach(() => vi.restoreAllMocks());

describe('with wsdriver/node loaded', () => {
  it('large fresh buffers come from Buffer.allocUnsafeSlow, as plain Uint8Arrays of exactly their size', () => {
    const spy = vi.spyOn(Buffer, 'allocUnsafeSlow');
    const bytes = freshBytes(100_000);
    expect(spy).toHaveBeenCalledWith(100_000);
    expect(bytes.constructor).toBe(Uint8Array);
    expect(bytes.byteOffset).toBe(0);
    expect(bytes.buffer.byteLength).toBe(100_000);
  });

  it('small ones stay zero-filled arrays', () => {
    const spy = vi.spyOn(Buffer, 'allocUnsafeSlow');
    expect(freshBytes(64).every((b) => b === 0)).toBe(true);
    expect(spy).not.toHaveBeenCalled();
  });
});

describe('frames the drivers write, with wsdriver/node loaded', () => {
  it('are Node Buffers (what a stream writes, so write() makes no second view of each): small ones in the send slab, large ones their own', () => {
    for (const role of ROLES) {
      const { driver, rec } = role.open();
      // The handshake's bytes are not frames.
      const opened = rec.socket.handed.length;
      const large = new Uint8Array(20_000).fill(7);
      driver.text('hi');
      driver.binary(large);
      const handed = rec.socket.handed.slice(opened);
      // A server sends a large payload by reference, after its header: the caller's own array, not a frame it built.
      const built = handed.filter((chunk) => chunk !== large);
      expect(built).toHaveLength(2);
      for (const chunk of built) expect(Buffer.isBuffer(chunk), `${role.name}: ${chunk.length} bytes`).toBe(true);
      const frames = rec.takeFrames();
      expect(frames.map((f) => f.payload.length)).toEqual([2, 20_000]);
      expect(frames[1]!.payload.every((b) => b === 7)).toBe(true);
    }
  });

  it('a new send slab is unfilled memory (Buffer.allocUnsafeSlow), and only written bytes of it go out', () => {
    const { driver, rec } = SERVER.open();
    const spy = vi.spyOn(Buffer, 'allocUnsafeSlow');
    // 4 KiB frames: a 64 KiB slab holds 15, so 40 of them start at least two.
    const payload = new Uint8Array(4096).fill(0x61);
    for (let i = 0; i < 40; i++) driver.binary(payload);
    expect(spy.mock.calls.filter(([size]) => size === 64 * 1024).length).toBeGreaterThanOrEqual(2);
    const frames = rec.takeFrames();
    expect(frames).toHaveLength(40);
    for (const frame of frames) expect(frame.payload).toEqual(payload);
  });
});
