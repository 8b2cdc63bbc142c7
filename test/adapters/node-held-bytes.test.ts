/**
 * Bytes the Node adapter holds corked (the cork per read, the tick
 * coalescer) leave within the tick: they must not count as unsent, or a
 * second large reply is refused by maxBufferedBytes and a client whose one
 * read triggers broadcasts looks slow (held-bytes.ts).
 */
import net from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { Driver } from '../../lib/index.js';
import type { BroadcastResult } from '../../lib/adapters/callbacks/index.js';
import { attach, streamSocket, WebSocketServer } from '../../lib/adapters/node/index.js';
import { Op, clientFrame, concat, decodeFrames, requestHead } from '../helpers/index.js';
import { Cleanup, listen, readUntil, tcpConnect } from '../interop/support.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

function headAndFrames(count: number) {
  return (bytes: Buffer) => {
    const end = bytes.indexOf('\r\n\r\n');
    if (end < 0) return false;
    try {
      return decodeFrames(bytes.subarray(end + 4)).length >= count;
    } catch {
      return false;
    }
  };
}

it('two 40 KiB replies to one message, maxBufferedBytes 64 KiB, over an idle TCP socket: both are accepted', async () => {
  const results: boolean[] = [];
  const buffered: number[] = [];
  const server = cleanup.server(
    net.createServer((tcp) => {
      const driver = Driver.server(streamSocket(tcp), { maxBufferedBytes: 64 * 1024 });
      driver.on('connect', () => driver.start());
      driver.on('message', () => {
        results.push(driver.binary(new Uint8Array(40 * 1024)));
        buffered.push(driver.bufferedAmount);
        results.push(driver.binary(new Uint8Array(40 * 1024)));
      });
      attach(driver, tcp);
    }),
  );
  const port = await listen(server);
  const tcp = await tcpConnect(cleanup, port);
  tcp.write(requestHead());
  await readUntil(tcp, headAndFrames(0));
  tcp.write(clientFrame(Op.TEXT, 'send me two'));
  await new Promise((resolve) => setTimeout(resolve, 200));
  console.log('bufferedAmount after the first 40 KiB send:', buffered, 'accepted:', results);
  // Before this session: the kernel took the first send at once (bufferedAmount 0), so both were accepted.
  expect(results).toEqual([true, true]);
});

it('a client whose one read triggers broadcasts is not itself treated as a slow client', async () => {
  const wss = new WebSocketServer({
    handler: (driver) => ({
      onMessage() {
        // e.g. a game/chat server relaying a state snapshot per message received
        result.push(wss.broadcast(new Uint8Array(16 * 1024)));
      },
    }),
  });
  const result: BroadcastResult[] = [];
  const httpServer = (await import('node:http')).createServer();
  cleanup.server(httpServer);
  wss.serve(httpServer);
  const port = await listen(httpServer);
  const tcp = await tcpConnect(cleanup, port);
  tcp.write(requestHead());
  await readUntil(tcp, headAndFrames(0));
  // 80 tiny messages in one write: one read on the server.
  tcp.write(concat(...Array.from({ length: 80 }, (_, i) => clientFrame(Op.TEXT, `m${i}`))));
  await new Promise((resolve) => setTimeout(resolve, 300));
  const skipped = result.filter((r) => (r.skipped as number) > 0);
  console.log('first result', JSON.stringify(result[0]), 'last', JSON.stringify(result.at(-1)), 'results', result.length, 'skipping', skipped.length);
  expect(skipped.length).toBe(0);
  await wss.close();
});

it('outside any read (a timer), two 40 KiB sends with maxBufferedBytes 64 KiB over an idle TCP socket: both are accepted', async () => {
  let driver!: ReturnType<typeof Driver.server>;
  const server = cleanup.server(
    net.createServer((tcp) => {
      driver = Driver.server(streamSocket(tcp), { maxBufferedBytes: 64 * 1024 });
      driver.on('connect', () => driver.start());
      attach(driver, tcp);
    }),
  );
  const port = await listen(server);
  const tcp = await tcpConnect(cleanup, port);
  tcp.write(requestHead());
  await readUntil(tcp, headAndFrames(0));
  await new Promise((resolve) => setTimeout(resolve, 20));
  const results = [driver.binary(new Uint8Array(40 * 1024)), driver.bufferedAmount, driver.binary(new Uint8Array(40 * 1024))];
  console.log('timer: accepted/buffered', results);
  expect(results[2]).toBe(true);
});
