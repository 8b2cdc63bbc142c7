/**
 * The shared read buffer in WebAssembly memory
 * (lib/adapters/node/wasm-read-buffer.ts): a masked piece of a read is
 * unmasked where it lies by a SIMD kernel over that memory and copied out
 * once. Every message must come out as it did from a plain buffer (the
 * fallback where WebAssembly SIMD cannot run), whatever the frame sizes and
 * wherever the reads split them; a binary message must still be an
 * ArrayBuffer of its own; and the process must hold one read buffer
 * however many connections read into it.
 */
import http from 'node:http';
import { runInNewContext } from 'node:vm';
import v8 from 'node:v8';
import { MessageChannel } from 'node:worker_threads';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import type { DriverOptions } from '../../lib/index.js';
import { handleUpgrade } from '../../lib/adapters/node/index.js';
import { READ_BUFFER_SIZE, readsIntoSharedBuffer, sharedReadBuffer } from '../../lib/adapters/node/read-buffer.js';
import { applyMaskTo } from '../../lib/frame/mask.js';
import { BorrowedReads } from '../helpers/borrowed-reads.js';
import { Op, SERVER, concat, seededRandom, xorMask, type OpenDriver } from '../helpers/index.js';
import { Cleanup, listen, once } from '../interop/support.js';

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const cleanup = new Cleanup();
afterEach(async () => {
  vi.unstubAllGlobals();
  vi.resetModules();
  await cleanup.run();
});

const encoder = new TextEncoder();
const KEY = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);

function pattern(length: number, seed: number): Uint8Array {
  const random = seededRandom(seed);
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (random() * 256) | 0;
  return bytes;
}

/** About `length` UTF-8 bytes of text with one- to four-byte characters. */
function mixedText(length: number, seed: number): string {
  const parts = ['a', 'é', '€', '😀', 'z', ' ', 'ß'];
  const random = seededRandom(seed);
  let text = '';
  let bytes = 0;
  while (bytes < length) {
    const part = parts[(random() * parts.length) | 0]!;
    text += part;
    bytes += encoder.encode(part).length;
  }
  return text;
}

function messagesOf(driver: OpenDriver): Array<string | Uint8Array> {
  const messages: Array<string | Uint8Array> = [];
  driver.on('message', (event) => void messages.push(event.data));
  driver.on('error', (error) => {
    throw error;
  });
  return messages;
}

function expectSame(got: ReadonlyArray<string | Uint8Array>, want: ReadonlyArray<string | Uint8Array>): void {
  expect(got.length).toBe(want.length);
  want.forEach((expected, i) => {
    const actual = got[i]!;
    if (typeof expected === 'string') expect(actual).toBe(expected);
    else {
      expect(actual).toBeInstanceOf(Uint8Array);
      expect(Buffer.compare(Buffer.from(actual as Uint8Array), Buffer.from(expected))).toBe(0);
    }
  });
}

/** `bytes` cut into reads of the sizes given, taken in turn. */
function cut(bytes: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const reads: Uint8Array[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = sizes[i % sizes.length]!;
    reads.push(bytes.subarray(at, at + size));
    at += size;
  }
  return reads;
}

describe('the shared read buffer', () => {
  it('is WebAssembly memory: a masked piece of it is unmasked where it lies and copied out once; a piece of other memory is left as it was', () => {
    const read = sharedReadBuffer();
    expect(read.byteLength).toBe(READ_BUFFER_SIZE);
    // WebAssembly memory cannot be detached: transferring it leaves it in place (a plain buffer would be emptied).
    structuredClone(read.buffer, { transfer: [read.buffer as ArrayBuffer] });
    expect(read.byteLength).toBe(READ_BUFFER_SIZE);
    for (const [at, length, phase] of [
      [14, 65536, 0],
      [3, 300, 1],
      [READ_BUFFER_SIZE - 70001, 70001, 3],
      [0, READ_BUFFER_SIZE, 2],
    ] as const) {
      const plain = pattern(length, at + length);
      const expected = xorMask(plain, [...KEY.subarray(phase), ...KEY.subarray(0, phase)]);
      read.set(plain, at);
      const target = new Uint8Array(length + 5);
      applyMaskTo(read.subarray(at, at + length), target, 5, KEY, phase);
      expect(Buffer.compare(Buffer.from(target.subarray(5)), Buffer.from(expected))).toBe(0);
      // Unmasked in place: the read now holds the message.
      expect(Buffer.compare(Buffer.from(read.subarray(at, at + length)), Buffer.from(expected))).toBe(0);
      const elsewhere = plain.slice();
      applyMaskTo(elsewhere, target, 5, KEY, phase);
      expect(Buffer.compare(Buffer.from(elsewhere), Buffer.from(plain))).toBe(0);
      expect(Buffer.compare(Buffer.from(target.subarray(5)), Buffer.from(expected))).toBe(0);
    }
  });

  // One message: its kind, size, how many frames, and a seed for its bytes and keys.
  type MessageSpec = { text: boolean; size: number; frames: number; seed: number };
  const message: fc.Arbitrary<MessageSpec> = fc.record({
    text: fc.boolean(),
    size: fc.oneof(
      fc.integer({ min: 0, max: 300 }),
      fc.integer({ min: 3000, max: 9000 }),
      fc.integer({ min: 16_380, max: 16_400 }),
      fc.integer({ min: 60_000, max: 70_000 }),
      fc.integer({ min: 200_000, max: 270_000 }),
      fc.constantFrom(1 << 20, (1 << 20) + 5),
    ),
    frames: fc.integer({ min: 1, max: 3 }),
    seed: fc.integer({ min: 1, max: 1 << 30 }),
  });
  const runs = fc.record({
    messages: fc.array(message, { minLength: 1, maxLength: 4 }),
    // Read sizes, taken in turn: one byte to the whole buffer.
    reads: fc.array(fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: READ_BUFFER_SIZE }), fc.constant(READ_BUFFER_SIZE)), { minLength: 1, maxLength: 8 }),
    decodeText: fc.boolean(),
  });

  /** The frames of `messages` as a client sends them (each frame its own key), and what a server delivers. */
  function stream(messages: ReadonlyArray<MessageSpec>, decodeText: boolean): { bytes: Uint8Array; want: Array<string | Uint8Array> } {
    const frames: Uint8Array[] = [];
    const want: Array<string | Uint8Array> = [];
    for (const { text, size, frames: count, seed } of messages) {
      const string = text ? mixedText(size, seed) : '';
      const payload = text ? encoder.encode(string) : pattern(size, seed);
      want.push(text && decodeText ? string : payload);
      const random = seededRandom(seed + 1);
      // Cut anywhere, through a character too: continuation frames carry the rest.
      const cuts = Array.from({ length: count - 1 }, () => Math.floor(random() * (payload.length + 1))).sort((a, b) => a - b);
      const edges = [0, ...cuts, payload.length];
      for (let f = 0; f < count; f++) {
        const key = Array.from({ length: 4 }, () => Math.floor(random() * 256));
        const opcode = f === 0 ? (text ? Op.TEXT : Op.BINARY) : Op.CONTINUATION;
        frames.push(SERVER.peerFrame(opcode, payload.subarray(edges[f]!, edges[f + 1]!), { fin: f === count - 1, mask: key }));
      }
    }
    return { bytes: concat(...frames), want };
  }

  for (const [name, buffer] of [
    ['WebAssembly memory', () => sharedReadBuffer()],
    ['a plain buffer (the fallback)', () => new Uint8Array(READ_BUFFER_SIZE)],
  ] as const) {
    it(`reads in ${name}: every message exact, text and binary, whole and in fragments, 0 B to 1 MiB, split anywhere between reads`, () => {
      const reads = new BorrowedReads(buffer());
      fc.assert(
        fc.property(runs, ({ messages, reads: sizes, decodeText }) => {
          const { bytes, want } = stream(messages, decodeText);
          const { driver } = SERVER.open({ decodeText, maxLength: 4 << 20 } as DriverOptions);
          const got = messagesOf(driver);
          reads.feed(driver, cut(bytes, sizes));
          expectSame(got, want);
          expect(driver.readyState).toBe(1);
        }),
        { numRuns: 40, seed: 13 },
      );
    });
  }

  it('a binary message read there is an ArrayBuffer of its own: transferred through a MessageChannel, it arrives whole, and the next read is unaffected', async () => {
    const reads = new BorrowedReads(sharedReadBuffer());
    for (const size of [4096, 16 * 1024, 64 * 1024, 200 * 1024, 1 << 20]) {
      const first = pattern(size, size);
      const second = pattern(size, size + 1);
      const { driver } = SERVER.open({ maxLength: 2 << 20 });
      const got = messagesOf(driver);
      reads.feed(driver, cut(SERVER.peerFrame(Op.BINARY, first), [READ_BUFFER_SIZE]));
      const message = got[0] as Uint8Array;
      expect(message.byteOffset).toBe(0);
      expect(message.buffer.byteLength).toBe(size);

      const channel = new MessageChannel();
      const arrived = once<ArrayBuffer>(channel.port2, 'message');
      channel.port1.postMessage(message.buffer, [message.buffer as ArrayBuffer]);
      const moved = await arrived;
      channel.port1.close();
      expect(message.byteLength).toBe(0);
      expect(Buffer.compare(Buffer.from(moved), Buffer.from(first))).toBe(0);

      reads.feed(driver, cut(SERVER.peerFrame(Op.BINARY, second), [READ_BUFFER_SIZE]));
      expectSame(got.slice(1), [second]);
      expect(sharedReadBuffer().byteLength).toBe(READ_BUFFER_SIZE);
    }
  });
});

describe('where WebAssembly SIMD cannot run', () => {
  it('the read buffer is a plain one, masking stays the core kernel (the source left alone), and messages read from it are exact', async () => {
    // What a Content-Security-Policy without 'wasm-unsafe-eval' does: Module() throws.
    const real = WebAssembly;
    vi.stubGlobal('WebAssembly', {
      ...real,
      Memory: real.Memory,
      Instance: real.Instance,
      Module: class {
        constructor() {
          throw new real.CompileError('Wasm code generation disallowed by embedder');
        }
      },
    });
    vi.resetModules();
    const { newReadBuffer } = await import('../../lib/adapters/node/wasm-read-buffer.js');
    const { applyMaskTo: freshApplyMaskTo, maskingImplementation } = await import('../../lib/frame/mask.js');
    const { borrowInput } = await import('../../lib/frame/borrowed-input.js');
    const { Driver } = await import('../../lib/index.js');
    const read = newReadBuffer(READ_BUFFER_SIZE);
    expect(read.byteLength).toBe(READ_BUFFER_SIZE);
    expect(maskingImplementation()).toBe('javascript');
    // A plain buffer: transferring it empties it (WebAssembly memory would stay).
    structuredClone(read.buffer, { transfer: [read.buffer as ArrayBuffer] });
    expect(read.byteLength).toBe(0);

    const fresh = newReadBuffer(READ_BUFFER_SIZE);
    const plain = pattern(70_000, 3);
    fresh.set(plain, 14);
    const target = new Uint8Array(plain.length);
    freshApplyMaskTo(fresh.subarray(14, 14 + plain.length), target, 0, KEY, 0);
    expect(Buffer.compare(Buffer.from(fresh.subarray(14, 14 + plain.length)), Buffer.from(plain))).toBe(0);
    expect(Buffer.compare(Buffer.from(target), Buffer.from(xorMask(plain, KEY)))).toBe(0);

    const server = Driver.server({ write: () => {} });
    server.on('connect', () => server.start());
    server.parse(
      encoder.encode('GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'),
    );
    const got: Array<string | Uint8Array> = [];
    server.on('message', (event) => void got.push(event.data));
    const sent = [pattern(64 * 1024, 4), pattern(300, 5), pattern(200 * 1024, 6)];
    const bytes = concat(...sent.map((payload) => SERVER.peerFrame(Op.BINARY, payload)));
    for (const chunk of cut(bytes, [100_000])) {
      fresh.set(chunk);
      const was = borrowInput(true);
      try {
        server.parse(fresh.subarray(0, chunk.length));
      } finally {
        borrowInput(was);
      }
      fresh.fill(0xee, 0, chunk.length);
    }
    expectSame(got, sent);
  });
});

describe('a read size that is not whole pages (a benchmark sets one)', () => {
  it('gets a plain buffer of exactly that size, not WebAssembly memory rounded down to whole pages', async () => {
    vi.resetModules();
    const { newReadBuffer } = await import('../../lib/adapters/node/wasm-read-buffer.js');
    const read = newReadBuffer(100 * 1024);
    expect(read.byteLength).toBe(100 * 1024);
    // A plain buffer: transferring it empties it.
    structuredClone(read.buffer, { transfer: [read.buffer as ArrayBuffer] });
    expect(read.byteLength).toBe(0);
    expect(newReadBuffer(64 * 1024).byteLength).toBe(64 * 1024);
  });
});

describe('one read buffer per process', () => {
  it('40 connections each echoing 64 KiB read into the one buffer: external memory grows by far less than a buffer per connection', async () => {
    const server = cleanup.server(http.createServer());
    const sockets: unknown[] = [];
    server.on('upgrade', (request, socket, head) => {
      const driver = handleUpgrade(request, socket, head);
      sockets.push(socket);
      driver.on('message', (event) => void driver.binary(event.data as Uint8Array));
    });
    const port = await listen(server);
    const payload = Buffer.from(pattern(64 * 1024, 7));
    // The buffer exists before measuring (the first switched socket makes it).
    sharedReadBuffer();
    gc();
    gc();
    const before = process.memoryUsage().external;
    const clients = await Promise.all(
      Array.from({ length: 40 }, async () => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
        cleanup.add(() => ws.terminate());
        await once(ws, 'open');
        return ws;
      }),
    );
    // Two echoes each: the first read switches the socket, the second is read into the shared buffer.
    for (let round = 0; round < 2; round++) {
      const echoes = clients.map((ws) => once<Buffer>(ws, 'message'));
      for (const ws of clients) ws.send(payload);
      for (const data of await Promise.all(echoes)) expect(data.equals(payload)).toBe(true);
    }
    expect(sockets.every((socket) => readsIntoSharedBuffer(socket as never))).toBe(true);
    gc();
    gc();
    const grown = process.memoryUsage().external - before;
    // A buffer per connection would add 40 × 256 KiB = 10 MiB (the clients' and connections' own: about 1.6 MB).
    expect(grown).toBeLessThan(40 * (READ_BUFFER_SIZE / 2));
    const kBuffer = Object.getOwnPropertySymbols(sockets[0]!).find((s) => s.description === 'kBuffer')!;
    expect(new Set(sockets.map((socket) => (socket as Record<symbol, unknown>)[kBuffer])).size).toBe(1);
    expect((sockets[0] as Record<symbol, unknown>)[kBuffer]).toBe(sharedReadBuffer());
  });
});
