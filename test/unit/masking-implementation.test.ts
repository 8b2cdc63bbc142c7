/**
 * maskingImplementation(): the documented diagnostic of which masking
 * kernel runs. Read fresh module copies so each case loads the kernel anew.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

afterEach(() => {
  vi.unstubAllGlobals();
  vi.resetModules();
});

async function freshMask() {
  vi.resetModules();
  return import('../../lib/frame/mask.js');
}

describe('maskingImplementation()', () => {
  it("is 'wasm-simd' where WebAssembly SIMD compiles (Node 20)", async () => {
    const { maskingImplementation } = await freshMask();
    expect(maskingImplementation()).toBe('wasm-simd');
  });

  it("is 'javascript' where compiling is forbidden, and masking still matches the byte loop", async () => {
    // What a Content-Security-Policy without 'wasm-unsafe-eval' does: Module() throws.
    const real = WebAssembly;
    vi.stubGlobal('WebAssembly', {
      ...real,
      validate: real.validate,
      Memory: real.Memory,
      Instance: real.Instance,
      Module: class {
        constructor() {
          throw new real.CompileError('Wasm code generation disallowed by embedder');
        }
      },
    });
    const { maskingImplementation, applyMask } = await freshMask();
    expect(maskingImplementation()).toBe('javascript');
    const data = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7) & 255);
    const key = Uint8Array.of(1, 2, 3, 4);
    const expected = data.map((byte, i) => byte ^ key[i & 3]!);
    applyMask(data, key, 0);
    expect(Buffer.from(data).equals(Buffer.from(expected))).toBe(true);
  });

  it("is 'javascript' where there is no WebAssembly at all", async () => {
    vi.stubGlobal('WebAssembly', undefined);
    const { maskingImplementation } = await freshMask();
    expect(maskingImplementation()).toBe('javascript');
  });

  it('is exported by the package root', async () => {
    const root = await import('../../lib/index.js');
    expect(typeof root.maskingImplementation).toBe('function');
  });
});
