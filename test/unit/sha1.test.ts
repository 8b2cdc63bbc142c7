// The SHA-1 behind Sec-WebSocket-Accept (lib/handshake/sha1.ts), checked
// against Node's OpenSSL-backed digest and the RFC 6455 §1.3 example; and
// the embedder's digest that replaces it on Node (native-sha1.ts).
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sha1 } from '../../lib/handshake/sha1.js';
import { acceptKeyFor, generateKey, useNativeSha1 } from '../../lib/handshake/accept-key.js';
import { useNodeSha1 } from '../../lib/adapters/node/native-sha1.js';
import { SAMPLE_ACCEPT, SAMPLE_KEY, seededRandom } from '../helpers/index.js';

const reference = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash('sha1').update(bytes).digest());

describe('sha1', () => {
  it('equals OpenSSL for every length from 0 to 300 bytes (padding boundaries at 55/56/64 included)', () => {
    const random = seededRandom(1455);
    for (let length = 0; length <= 300; length++) {
      const bytes = Uint8Array.from({ length }, () => Math.floor(random() * 256));
      expect(sha1(bytes), `length ${length}`).toEqual(reference(bytes));
    }
  });

  it('equals OpenSSL on a message of 100,000 bytes', () => {
    const bytes = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 31) & 0xff);
    expect(sha1(bytes)).toEqual(reference(bytes));
  });

  it('gives the accept key of RFC 6455 §1.3', () => {
    expect(acceptKeyFor(SAMPLE_KEY)).toBe(SAMPLE_ACCEPT);
    expect(SAMPLE_ACCEPT).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });
});

describe('the accept key through an embedded digest', () => {
  afterEach(() => useNativeSha1(null));

  it('hands the digest the key with the §1.3 GUID appended, and answers what it returns', () => {
    const seen: string[] = [];
    useNativeSha1((text) => {
      seen.push(text);
      return 'digest';
    });
    expect(acceptKeyFor(SAMPLE_KEY)).toBe('digest');
    expect(seen).toEqual([`${SAMPLE_KEY}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`]);
  });

  it("node:crypto's (wsdriver/node) gives the same keys as sha1.ts, the §1.3 example among them", () => {
    const keys = [SAMPLE_KEY, ...Array.from({ length: 200 }, generateKey)];
    const portable = keys.map(acceptKeyFor);
    useNodeSha1();
    expect(keys.map(acceptKeyFor)).toEqual(portable);
    expect(acceptKeyFor(SAMPLE_KEY)).toBe(SAMPLE_ACCEPT);
  });
});

describe('node:crypto behind the accept key (wsdriver/node, builtins.ts)', () => {
  const host = process as unknown as { getBuiltinModule: (id: string) => unknown };
  const realGetBuiltinModule = host.getBuiltinModule;
  const openssl = Object.getOwnPropertyDescriptor(process.versions, 'openssl')!;
  let fetched: string[] = [];
  // Fresh modules: native-sha1.ts keeps node:crypto's createHash once fetched.
  const load = async () => ({
    ...(await import('../../lib/adapters/node/native-sha1.js')),
    ...(await import('../../lib/handshake/accept-key.js')),
  });

  beforeEach(() => {
    vi.resetModules();
    fetched = [];
    vi.spyOn(host, 'getBuiltinModule').mockImplementation((id) => {
      fetched.push(id);
      return realGetBuiltinModule(id);
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    Object.defineProperty(process.versions, 'openssl', openssl);
  });

  it('is fetched at the first key, not as the adapter loads, and once', async () => {
    const { useNodeSha1, acceptKeyFor, useNativeSha1 } = await load();
    useNodeSha1();
    expect(fetched).toEqual([]);
    expect(acceptKeyFor(SAMPLE_KEY)).toBe(SAMPLE_ACCEPT);
    expect(acceptKeyFor(SAMPLE_KEY)).toBe(SAMPLE_ACCEPT);
    expect(fetched).toEqual(['node:crypto']);
    useNativeSha1(null);
  });

  it('on a Node built without OpenSSL, is fetched as the adapter loads, which fails as importing node:crypto does', async () => {
    // Such a Node has no process.versions.openssl, and its node:crypto throws as it loads.
    Object.defineProperty(process.versions, 'openssl', { ...openssl, value: undefined });
    host.getBuiltinModule = (id) => {
      if (id !== 'node:crypto') return realGetBuiltinModule(id);
      throw Object.assign(new Error('Node.js is not compiled with OpenSSL crypto support'), { code: 'ERR_NO_CRYPTO' });
    };
    try {
      const { useNodeSha1 } = await load();
      expect(() => useNodeSha1()).toThrow(expect.objectContaining({ code: 'ERR_NO_CRYPTO' }));
    } finally {
      host.getBuiltinModule = realGetBuiltinModule;
    }
  });
});
