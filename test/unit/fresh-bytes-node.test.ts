/**
 * The Node adapter hands the core its allocation without zero fill
 * (lib/adapters/node/unfilled-memory.ts): loading `wsdriver/node` is enough.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import '../../lib/adapters/node/index.js';
import { freshBytes } from '../../lib/frame/fresh-bytes.js';

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
