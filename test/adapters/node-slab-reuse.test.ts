/**
 * Send slabs written again under `wsdriver/node` (lib/adapters/node/slab-reuse.ts):
 * a slab is reused only once every frame built in it has been written by
 * a TCP socket, so what reaches a peer is always what was sent, however
 * far behind its writes are; and a frame handed to any other kind of
 * stream keeps its slab from reuse.
 */
import net from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { framingDriver, type HttpServerDriver } from '../../lib/index.js';
import { streamSocket } from '../../lib/adapters/node/index.js';
import { releasesWrittenBytes } from '../../lib/adapters/node/slab-reuse.js';
import { Op, clientFrame, decodeFrames, requestHead } from '../helpers/index.js';
import { Cleanup, listen, tcpClientPastHandshake, tcpConnect, wsdriverServer } from '../interop/support.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const KiB = 1024;
const SLAB_SIZE = 64 * KiB;

/** 4 KiB that differ from message to message (the index is in the first four bytes, and seeds the rest). */
function message(index: number): Uint8Array {
  const bytes = new Uint8Array(4 * KiB);
  new DataView(bytes.buffer).setUint32(0, index);
  for (let i = 4; i < bytes.length; i++) bytes[i] = (i * 7 + index * 13) & 0xff;
  return bytes;
}

/** The ArrayBuffers of 64 KiB (send slabs) that `tcp` is asked to write, as `_write` and `_writev` see them. */
function slabsWrittenBy(tcp: net.Socket): Set<ArrayBufferLike> {
  const seen = new Set<ArrayBufferLike>();
  const socket = tcp as unknown as {
    _write(chunk: Uint8Array, encoding: string, done: () => void): void;
    _writev(chunks: { chunk: Uint8Array }[], done: () => void): void;
  };
  const note = (chunk: Uint8Array) => {
    if (chunk.buffer.byteLength === SLAB_SIZE) seen.add(chunk.buffer);
  };
  const write = socket._write.bind(tcp);
  const writev = socket._writev.bind(tcp);
  socket._write = (chunk, encoding, done) => {
    note(chunk);
    write(chunk, encoding, done);
  };
  socket._writev = (chunks, done) => {
    for (const { chunk } of chunks) note(chunk);
    writev(chunks, done);
  };
  return seen;
}

/** A raw TCP client through the handshake; resolves with its socket once the 101 is read. */
function openClient(port: number): Promise<net.Socket> {
  return tcpClientPastHandshake(cleanup, port, requestHead());
}

/** Reads frames from `tcp` until `count` have arrived; returns their payloads. */
function readFrames(tcp: net.Socket, count: number): Promise<Uint8Array[]> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const payloads: Uint8Array[] = [];
    let pending = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      pending = Buffer.concat([pending, chunk]);
      // Whole frames only: a frame's header says its length (4 KiB: 4 header bytes, unmasked).
      while (pending.length >= 4) {
        const length = pending[1]! === 126 ? pending.readUInt16BE(2) : pending[1]! & 0x7f;
        const size = (pending[1]! === 126 ? 4 : 2) + length;
        if (pending.length < size) break;
        payloads.push(decodeFrames(pending.subarray(0, size))[0]!.payload);
        pending = pending.subarray(size);
      }
      if (payloads.length >= count) {
        tcp.off('data', onData);
        resolve(payloads);
      }
    };
    tcp.on('data', onData);
    tcp.once('error', reject);
  });
}

describe('send slabs under wsdriver/node', () => {
  it('writes one slab again and again when each frame reaches the kernel before the next is built', async () => {
    let slabs: Set<ArrayBufferLike> | null = null;
    const server = await wsdriverServer(cleanup, {}, (driver: HttpServerDriver, tcp) => {
      slabs = slabsWrittenBy(tcp);
      driver.on('connect', () => driver.start());
      driver.on('message', ({ data }) => driver.binary(data as Uint8Array));
    });
    const tcp = await openClient(server.port);
    const count = 400;
    for (let i = 0; i < count; i++) {
      tcp.write(clientFrame(Op.BINARY, message(i)));
      const [reply] = await readFrames(tcp, 1);
      expect(Buffer.from(reply!).equals(Buffer.from(message(i)))).toBe(true);
    }
    // 400 frames of 4,100 bytes fill 25 slabs; each had been written in full before the next was needed.
    expect(slabs!.size).toBeLessThanOrEqual(2);
  });

  it('never builds over a frame still waiting to be written: a peer that reads late gets every message as sent', async () => {
    let serverDriver: HttpServerDriver | null = null;
    let slabs: Set<ArrayBufferLike> | null = null;
    const server = await wsdriverServer(cleanup, {}, (driver: HttpServerDriver, tcp) => {
      serverDriver = driver;
      slabs = slabsWrittenBy(tcp);
      driver.on('connect', () => driver.start());
    });
    const tcp = await openClient(server.port);
    const count = 4000;
    const received = readFrames(tcp, count);
    tcp.pause();
    // 4,000 messages (16 MiB) in bursts, a turn of the event loop between them, while the peer mostly reads nothing:
    // most frames wait in the socket's queue while later ones are built, in slabs old and new.
    for (let i = 0; i < count; i += 100) {
      for (let j = i; j < i + 100; j++) serverDriver!.binary(message(j));
      await new Promise((resolve) => setImmediate(resolve));
      // Now and then the peer reads a little, so some slabs come back while others are still queued.
      if (i % 1000 === 500) {
        tcp.resume();
        await new Promise((resolve) => setTimeout(resolve, 5));
        tcp.pause();
      }
    }
    tcp.resume();
    const payloads = await received;
    expect(payloads).toHaveLength(count);
    for (let i = 0; i < count; i++) {
      expect(new DataView(payloads[i]!.buffer, payloads[i]!.byteOffset).getUint32(0)).toBe(i);
      expect(Buffer.from(payloads[i]!).equals(Buffer.from(message(i)))).toBe(true);
    }
    // Slabs were reused once written (16 MiB would take 250 fresh ones), but never one still queued.
    expect(slabs!.size).toBeLessThan(250);
  }, 60_000);

  it('never reuses a slab that gave a frame to another kind of stream, which may still hold it', async () => {
    // A PassThrough keeps what is written until it is read: its frames must not change.
    const held = new PassThrough({ highWaterMark: 1 << 24 });
    const other = framingDriver(streamSocket(held), 'server');
    other.start();
    const sentToHeld: Uint8Array[] = [];
    for (let i = 0; i < 64; i++) {
      sentToHeld.push(message(100_000 + i));
      other.binary(sentToHeld[i]!);
    }
    // Then many frames through TCP, which reuses whatever slabs it may.
    const server = await wsdriverServer(cleanup, {}, (driver: HttpServerDriver) => {
      driver.on('connect', () => driver.start());
      driver.on('message', ({ data }) => driver.binary(data as Uint8Array));
    });
    const tcp = await openClient(server.port);
    for (let i = 0; i < 200; i++) {
      tcp.write(clientFrame(Op.BINARY, message(i)));
      await readFrames(tcp, 1);
    }
    await new Promise((resolve) => setImmediate(resolve));
    const bytes: Buffer[] = [];
    for (let chunk: Buffer | null; (chunk = held.read() as Buffer | null) !== null; ) bytes.push(chunk);
    const frames = decodeFrames(Buffer.concat(bytes));
    expect(frames).toHaveLength(64);
    frames.forEach((frame, i) => expect(Buffer.from(frame.payload).equals(Buffer.from(sentToHeld[i]!))).toBe(true));
  });

  it('counts frames back only from a net.Socket on a TCP or pipe handle', async () => {
    const server = cleanup.server(net.createServer());
    const port = await listen(server);
    const tcp = await tcpConnect(cleanup, port);
    expect(releasesWrittenBytes(tcp)).toBe(true);
    expect(releasesWrittenBytes(new net.Socket())).toBe(false); // no handle yet
    expect(releasesWrittenBytes(new PassThrough())).toBe(false);
    // A subclass (a TLS socket, say) may hand the bytes on after calling back.
    class Wrapped extends net.Socket {}
    expect(releasesWrittenBytes(new Wrapped())).toBe(false);
  });
});
