/**
 * A process that exits in the tick that wrote to its clients (a shutdown:
 * `wss.close(1001)` or a last broadcast, then `process.exit()`) still
 * delivers what it wrote. In a tick that writes to several sockets the
 * tick coalescer holds all but the first in a cork until the tick's end,
 * which an exit never reaches; an `exit` listener hands them on
 * (tick-coalescer.ts). Over real sockets, to a server in a child process
 * (the built package), so the process really exits.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { clientFrame, decodeFrames, readClosePayload } from '../helpers/frames.js';
import { requestHead } from '../helpers/http.js';
import { Cleanup, firstLine, readToEnd, spawnPeer, tcpClientPastHandshake } from '../interop/support.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const CLIENTS = 4;
const child = fileURLToPath(new URL('exit-flush.child.mjs', import.meta.url));

/** What each of CLIENTS raw clients receives after the 101 from a server that runs `scenario` and exits: its frames as [opcode, text or close code]. */
async function receivedAtExit(scenario: string, trigger?: Uint8Array): Promise<Array<Array<[number, string | number | undefined]>>> {
  const server = spawnPeer(cleanup, process.execPath, [child, scenario, String(CLIENTS)]);
  const port = Number(await firstLine(server));
  const reads: Promise<Buffer>[] = [];
  // Read from as soon as the 101 is in; the server writes only once all are open.
  const sockets = [];
  for (let i = 0; i < CLIENTS; i++) {
    const socket = await tcpClientPastHandshake(cleanup, port, requestHead());
    reads.push(readToEnd(socket));
    sockets.push(socket);
  }
  // Open once the 101 is read: the server's driver opened before writing it.
  if (trigger !== undefined) sockets[1]!.write(trigger);
  const received = await Promise.all(reads);
  expect(server.stderrText()).toBe('');
  return received.map((bytes) =>
    decodeFrames(bytes).map((frame) => [frame.opcode, frame.opcode === 8 ? readClosePayload(frame.payload).code : new TextDecoder().decode(frame.payload)]),
  );
}

describe('a server process that exits in the tick it wrote to several clients', () => {
  it('delivers wss.close(1001) to every client', async () => {
    expect(await receivedAtExit('close')).toEqual(Array(CLIENTS).fill([[8, 1001]]));
  });

  it('delivers a last broadcast to every client', async () => {
    expect(await receivedAtExit('broadcast')).toEqual(Array(CLIENTS).fill([[1, 'going away, restart at once']]));
  });

  it("delivers a broadcast from a message handler that exits, to the sender's socket too (its read still held)", async () => {
    expect(await receivedAtExit('message', clientFrame(1, 'go'))).toEqual(Array(CLIENTS).fill([[1, 'going away'], [1, 'restart at once']]));
  });

  it("delivers each client's message and close frame, sent one client after another", async () => {
    expect(await receivedAtExit('send-close')).toEqual(Array(CLIENTS).fill([[1, 'bye'], [8, 1001]]));
  });
});
