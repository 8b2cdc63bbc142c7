/**
 * What a driver attached to a TCP socket writes while it handles one read
 * (held-bytes.ts, `firstWriteOfRead`): the read's first write goes to the
 * socket at once as one plain write, without a write callback when nobody
 * listens for flushes; later writes of the read are held and leave as one
 * writev. Over real sockets: the reply reaches the peer before the
 * application's own `end()`, and a write that the kernel does not take at
 * once is still followed to its flush (drain after a refused send, slab
 * reuse) while the peer stops reading.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { HttpServerDriver } from '../../lib/index.js';
import { terminate } from '../../lib/adapters/node/index.js';
import { Op, clientFrame, concat, decodeFrames, requestHead } from '../helpers/index.js';
import { Cleanup, readToEnd, readUntil, tcpClientPastHandshake, wsdriverServer } from '../interop/support.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const KiB = 1024;

/** What the server's socket was asked to do, in order: `write` (with or without a callback), `_write`, `_writev n`. */
function recordWrites(tcp: net.Socket): string[] {
  const calls: string[] = [];
  const socket = tcp as unknown as {
    write(chunk: Uint8Array, callback?: unknown): boolean;
    _write(chunk: Uint8Array, encoding: string, done: () => void): void;
    _writev(chunks: { chunk: Uint8Array }[], done: () => void): void;
  };
  const write = socket.write.bind(tcp);
  const writeOne = socket._write.bind(tcp);
  const writev = socket._writev.bind(tcp);
  socket.write = (chunk, callback) => {
    calls.push(`write ${chunk.length}${typeof callback === 'function' ? ' with callback' : ''}${tcp.writableCorked > 0 ? ' corked' : ''}`);
    return write(chunk, callback as () => void);
  };
  socket._write = (chunk, encoding, done) => {
    calls.push(`_write ${chunk.length}`);
    writeOne(chunk, encoding, done);
  };
  socket._writev = (chunks, done) => {
    calls.push(`_writev ${chunks.map(({ chunk }) => chunk.length).join('+')}`);
    writev(chunks, done);
  };
  return calls;
}

/** A raw TCP client through the handshake; resolves with its socket once the 101 is read. */
function openClient(port: number): Promise<net.Socket> {
  return tcpClientPastHandshake(cleanup, port, requestHead());
}

/** An echo server over TCP; `calls` records what each connection's socket was asked to write once the handshake is done. */
async function echoServer(options: { maxBufferedBytes?: number } = {}) {
  const calls: string[][] = [];
  const sockets: net.Socket[] = [];
  const server = await wsdriverServer(cleanup, options, (driver: HttpServerDriver, tcp) => {
    sockets.push(tcp);
    const recorded = recordWrites(tcp);
    calls.push(recorded);
    driver.on('connect', () => driver.start());
    let first = true;
    driver.on('message', ({ data, type }) => {
      // What the handshake wrote is not this test's.
      if (first) recorded.length = 0;
      first = false;
      if (type === 'text') driver.text(data);
      else driver.binary(data as Uint8Array);
    });
  });
  return { ...server, calls, sockets };
}

/** Reads from `tcp` until `count` frames have arrived after the 101 (which `openClient` consumed). */
async function framesFrom(tcp: net.Socket, count: number) {
  const bytes = await readUntil(tcp, (all) => {
    try {
      return decodeFrames(all).length >= count;
    } catch {
      return false;
    }
  });
  return decodeFrames(bytes);
}

describe('attach over TCP: the writes of one read', () => {
  it('answers a read of one message with one plain write: no cork, no write callback', async () => {
    const server = await echoServer();
    const tcp = await openClient(server.port);
    tcp.write(clientFrame(Op.TEXT, 'sixteen bytes!!!'));
    const [frame] = await framesFrom(tcp, 1);
    expect(Buffer.from(frame!.payload).toString()).toBe('sixteen bytes!!!');
    // The frame is 18 bytes: handed to the socket uncorked, without a callback, and to the kernel as one write.
    expect(server.calls[0]).toEqual(['write 18', '_write 18']);
  });

  it('answers a read of several messages with one writev, in order', async () => {
    const server = await echoServer();
    const tcp = await openClient(server.port);
    const texts = ['first message...', 'second message..', 'third message...'];
    tcp.write(concat(...texts.map((text) => clientFrame(Op.TEXT, text))));
    const frames = await framesFrom(tcp, 3);
    expect(frames.map((frame) => Buffer.from(frame.payload).toString())).toEqual(texts);
    // A read of more than one frame is held whole: no frame alone in a system call of its own.
    expect(server.calls[0]).toEqual(['write 18 with callback corked', 'write 18 with callback corked', 'write 18 with callback corked', '_writev 18+18+18']);
  });

  it.each([
    ['spans reads', 64 * KiB, 10],
    // One read, one frame: the first write is the header alone, and must wait for its payload.
    ['fits one read', 32 * KiB, 4],
  ])('still sends a large frame\'s header and payload together (%s): a write that may be a header alone waits', async (_name, size, headerSize) => {
    const server = await echoServer();
    const tcp = await openClient(server.port);
    const payload = Uint8Array.from({ length: size }, (_, i) => (i * 7) & 0xff);
    tcp.write(clientFrame(Op.BINARY, payload));
    const [frame] = await framesFrom(tcp, 1);
    expect(Buffer.from(frame!.payload).equals(payload)).toBe(true);
    expect(server.calls[0]!.filter((call) => call.startsWith('_write'))).toEqual([`_writev ${headerSize}+${size}`]);
  });

  it("still sends a reply written before the application's own socket.end() in the same listener", async () => {
    const server = await wsdriverServer(cleanup, {}, (driver: HttpServerDriver, tcp) => {
      driver.on('connect', () => driver.start());
      driver.on('message', ({ data }) => {
        if (data === 'one') {
          driver.text('goodbye, one reply');
        } else {
          driver.text('goodbye, reply one');
          driver.text('goodbye, reply two');
        }
        tcp.end();
      });
    });
    for (const [ask, replies] of [
      ['one', ['goodbye, one reply']],
      ['two', ['goodbye, reply one', 'goodbye, reply two']],
    ] as const) {
      const tcp = await openClient(server.port);
      const ended = readToEnd(tcp);
      tcp.write(clientFrame(Op.TEXT, ask));
      const frames = decodeFrames(await ended);
      expect(frames.map((frame) => Buffer.from(frame.payload).toString())).toEqual(replies);
    }
  });
});

describe('attach over TCP: a read\'s writes when the listener ends the connection or throws', () => {
  it('still sends what was written before terminate() in the same listener', async () => {
    const server = await wsdriverServer(cleanup, {}, (driver: HttpServerDriver) => {
      driver.on('connect', () => driver.start());
      driver.on('message', ({ data }) => {
        driver.text('last words, first');
        if (data === 'two') driver.text('last words, second');
        terminate(driver);
      });
    });
    for (const [ask, replies] of [
      ['one', ['last words, first']],
      ['two', ['last words, first', 'last words, second']],
    ] as const) {
      const tcp = await openClient(server.port);
      const ended = readToEnd(tcp);
      tcp.write(clientFrame(Op.TEXT, ask));
      expect(decodeFrames(await ended).map((frame) => Buffer.from(frame.payload).toString())).toEqual(replies);
    }
  });

  it('leaves the socket uncorked and the replies sent when a listener throws after writing', async () => {
    let serverTcp: net.Socket | null = null;
    const thrown: unknown[] = [];
    const onUncaught = (error: unknown) => void thrown.push(error);
    process.on('uncaughtException', onUncaught);
    cleanup.add(() => void process.off('uncaughtException', onUncaught));
    const server = await wsdriverServer(cleanup, {}, (driver: HttpServerDriver, tcp) => {
      serverTcp = tcp;
      driver.on('connect', () => driver.start());
      driver.on('message', ({ data }) => {
        driver.text(`re: ${data as string}, first`);
        driver.text(`re: ${data as string}, second`);
        throw new Error('the application failed');
      });
    });
    const tcp = await openClient(server.port);
    tcp.write(clientFrame(Op.TEXT, 'ping'));
    const frames = await framesFrom(tcp, 2);
    expect(frames.map((frame) => Buffer.from(frame.payload).toString())).toEqual(['re: ping, first', 're: ping, second']);
    expect(serverTcp!.writableCorked).toBe(0);
    expect(thrown).toHaveLength(1);
  });
});

describe('attach over TCP: a read\'s first write that the kernel does not take at once', () => {
  /** 16,000 bytes (a frame still built in a send slab) that differ from message to message (the index in the first four). */
  function message(index: number): Uint8Array {
    const bytes = new Uint8Array(16000);
    new DataView(bytes.buffer).setUint32(0, index);
    for (let i = 4; i < bytes.length; i++) bytes[i] = (i * 11 + index * 5) & 0xff;
    return bytes;
  }

  /**
   * The peer sends `count` messages, one per read as far as TCP allows,
   * and reads only once the server's socket has held bytes the kernel has
   * not taken (`unsent()`) for five more messages, and only until it holds
   * none: so the server's socket keeps emptying into a nearly full kernel,
   * and many a read's first write is taken only in part. Then it reads
   * everything. Resolves with the payloads it received.
   */
  async function slowPeer(port: number, count: number, unsent: () => number): Promise<Uint8Array[]> {
    const tcp = await openClient(port);
    const chunks: Buffer[] = [];
    tcp.on('data', (chunk: Buffer) => chunks.push(chunk));
    tcp.pause();
    let unsentFor = 0;
    for (let i = 0; i < count; i++) {
      tcp.write(clientFrame(Op.BINARY, message(i)));
      await new Promise((resolve) => setImmediate(resolve));
      // Five more messages once the server's socket holds unsent bytes: enough to fill a send slab and build over a reused one.
      if (unsent() > 0 && ++unsentFor > 5) {
        unsentFor = 0;
        // Read just until the server's socket has handed everything to the kernel, which stays nearly full.
        tcp.resume();
        while (unsent() > 0) await new Promise((resolve) => setImmediate(resolve));
        tcp.pause();
      }
    }
    tcp.resume();
    const expected = count * (4 + 16000);
    // Bounded: a flush that is never reported leaves replies waiting for good.
    for (let waited = 0; waited < 5000 && chunks.reduce((sum, chunk) => sum + chunk.length, 0) < expected; waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return decodeFrames(Buffer.concat(chunks)).map((frame) => frame.payload);
  }

  it('every echo reaches a peer that stops reading as sent: its slab is not reused before the kernel has it', async () => {
    // Nothing refused for maxBufferedBytes (16 MiB by default): the peer leaves up to the whole 40 MB unread.
    const server = await echoServer({ maxBufferedBytes: 256 * 1024 * KiB });
    const count = 2500;
    const received = await slowPeer(server.port, count, () => server.sockets[0]!.writableLength);
    expect(received).toHaveLength(count);
    const wrong = received.filter((payload, i) => !Buffer.from(payload).equals(message(i))).length;
    expect(wrong).toBe(0);
    // The case under test happened: a read's first write, made without a callback, was not taken at once.
    expect(server.calls[0]!.some((call, i, calls) => call === 'write 16004' && calls[i + 2] === 'write 0 with callback')).toBe(true);
  });

  it('a send refused for a maxBufferedBytes below the high-water mark is followed by drain once that write has flushed', async () => {
    // Replies the driver refused wait for `drain`. Node emits none here:
    // the write not taken at once is 16,004 bytes, under the socket's
    // 16 KiB high-water mark, so only its reported flush can bring one.
    const waiting: Uint8Array[] = [];
    let echoed = 0;
    let drains = 0;
    let calls: string[] = [];
    let serverTcp: net.Socket | null = null;
    const server = await wsdriverServer(cleanup, { maxBufferedBytes: 4 * KiB }, (driver: HttpServerDriver, tcp) => {
      serverTcp = tcp;
      calls = recordWrites(tcp);
      driver.on('connect', () => driver.start());
      const flush = () => {
        while (waiting.length > 0 && driver.binary(waiting[0]!)) waiting.shift();
      };
      driver.on('drain', () => {
        drains++;
        flush();
      });
      driver.on('message', ({ data }) => {
        echoed++;
        waiting.push(data as Uint8Array);
        flush();
      });
    });
    const tcp = await openClient(server.port);
    const chunks: Buffer[] = [];
    tcp.on('data', (chunk: Buffer) => chunks.push(chunk));
    tcp.pause();
    // One message per read until an answer is not taken at once (the kernel's buffers are full).
    let sent = 0;
    while (serverTcp!.writableLength === 0) {
      tcp.write(clientFrame(Op.BINARY, message(sent++)));
      while (echoed < sent) await new Promise((resolve) => setImmediate(resolve));
    }
    // That answer was a read's first write, made without a callback, with the reporter queued behind it.
    expect(calls.at(-1)).toBe('write 0 with callback');
    // Three more: each refused while the socket holds unsent bytes.
    for (let i = 0; i < 3; i++) tcp.write(clientFrame(Op.BINARY, message(sent++)));
    while (echoed < sent) await new Promise((resolve) => setImmediate(resolve));
    expect(waiting).toHaveLength(3);
    // Now the peer reads, and sends nothing more.
    tcp.resume();
    const expected = sent * (4 + 16000);
    for (let waited = 0; waited < 5000 && chunks.reduce((sum, chunk) => sum + chunk.length, 0) < expected; waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(drains).toBeGreaterThan(0);
    const received = decodeFrames(Buffer.concat(chunks)).map((frame) => frame.payload);
    expect(received).toHaveLength(sent);
    expect(received.filter((payload, i) => !Buffer.from(payload).equals(message(i))).length).toBe(0);
  });
});
