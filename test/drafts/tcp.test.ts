// The README's example shape over real loopback TCP: a node:net server with
// Driver.server and allowDrafts, and a hand-written hixie-76 client whose
// key3 reaches the server only after it has read the response head.
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Driver } from '../../lib/index.js';
import '../../lib/drafts/index.js';
import { draft76Request, expectedAnswer, FAYE76 } from './draft-helpers.js';

const servers: Server[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** An echo server as in the README; resolves with its port. */
async function echoServer(): Promise<number> {
  const server = createServer((tcp) => {
    sockets.push(tcp);
    const driver = Driver.server({ write: (bytes) => tcp.write(bytes) }, { allowDrafts: true });
    driver.on('connect', () => driver.start());
    driver.on('message', (event) => driver.text(String(event.data)));
    driver.on('close', () => tcp.end());
    tcp.on('data', (chunk) => driver.parse(chunk));
    tcp.on('close', () => driver.transportClosed());
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** Reads from `socket` until `bytes` holds at least `length` bytes. */
function reader(socket: Socket) {
  let buffer = Buffer.alloc(0);
  let wake: (() => void) | null = null;
  socket.on('data', (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    wake?.();
  });
  return {
    async until(done: (bytes: Buffer) => number): Promise<Buffer> {
      for (;;) {
        const end = done(buffer);
        if (end >= 0) {
          const taken = buffer.subarray(0, end);
          buffer = buffer.subarray(end);
          return taken;
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}

describe('hixie-76 over loopback TCP', () => {
  it('answers a client that sends key3 only after the response head, echoes, and closes', async () => {
    const port = await echoServer();
    const client = connect(port, '127.0.0.1');
    sockets.push(client);
    const read = reader(client);
    const ended = new Promise((resolve) => client.on('end', resolve));
    client.write(draft76Request({ host: `127.0.0.1:${port}` }));

    const head = (await read.until((b) => { const at = b.indexOf('\r\n\r\n'); return at < 0 ? -1 : at + 4; })).toString('latin1');
    expect(head).toMatch(/^HTTP\/1\.1 101 WebSocket Protocol Handshake\r\n/);
    expect(head).toContain(`Sec-WebSocket-Location: ws://127.0.0.1:${port}/socket\r\n`);

    // key3 and a frame, a byte at a time, as a delaying proxy might pass them.
    const rest = Buffer.concat([Buffer.from(FAYE76.key3), Buffer.of(0x00), Buffer.from('héllo', 'utf8'), Buffer.of(0xff)]);
    for (const byte of rest) client.write(Buffer.of(byte));

    const answer = await read.until((b) => (b.length >= 16 ? 16 : -1));
    expect(new Uint8Array(answer)).toEqual(expectedAnswer(FAYE76.key1, FAYE76.key2, FAYE76.key3));
    const echo = await read.until((b) => { const at = b.indexOf(0xff); return at < 0 ? -1 : at + 1; });
    expect(echo.subarray(1, echo.length - 1).toString('utf8')).toBe('héllo');

    client.write(Buffer.of(0xff, 0x00));
    const closing = await read.until((b) => (b.length >= 2 ? 2 : -1));
    expect([...closing]).toEqual([0xff, 0x00]);
    // The server's close listener ends the transport.
    await ended;
  });
});
