// Property: whatever a user sends and however the wire cuts it, the peer
// receives the same messages, pings and pongs, in order — client to
// server and server to client, with and without fragmentation.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Pair, type Chunking } from '../helpers/index.js';
import { anyChunking, anyOutgoing, totalSize, type Outgoing } from './arbitraries.js';

// PROP_RUNS=2000 npx vitest run test/properties runs deeper than the default.
const NUM_RUNS = Number(process.env.PROP_RUNS ?? 60);

/** Byte-by-byte delivery of megabytes is slow; past this total, cut no finer than 64 bytes. */
function affordable(chunking: Chunking, messages: readonly Outgoing[]): Chunking {
  if (typeof chunking === 'object' && 'seed' in chunking && (chunking.maxChunk ?? 64) < 64 && totalSize(messages) > 200_000) {
    return { seed: chunking.seed, maxChunk: 64 };
  }
  return chunking;
}

function roundTrip(direction: 'client to server' | 'server to client', messages: Outgoing[], chunking: Chunking, fragmentSize: number | undefined): void {
  const senderOptions = fragmentSize === undefined ? {} : { fragmentSize };
  const pair = new Pair({
    chunking: affordable(chunking, messages),
    client: direction === 'client to server' ? senderOptions : {},
    server: direction === 'server to client' ? senderOptions : {},
  }).connect();
  const [sender, senderRec, receiverRec] =
    direction === 'client to server' ? [pair.client, pair.clientRec, pair.serverRec] : [pair.server, pair.serverRec, pair.clientRec];
  senderRec.clearEvents();
  receiverRec.clearEvents();
  for (const message of messages) {
    const sent = message.kind === 'text' ? sender.text(message.data) : message.kind === 'binary' ? sender.binary(message.data) : sender.ping(message.data);
    expect(sent).toBe(true);
  }
  pair.flush();

  // The receiver saw exactly what was sent, in order: messages and pings.
  const received = receiverRec.events.filter((e) => e.type === 'message' || e.type === 'ping');
  expect(received).toHaveLength(messages.length);
  messages.forEach((message, i) => {
    const event = received[i]!;
    expect(event.type).toBe(message.kind === 'ping' ? 'ping' : 'message');
    const data = (event as { data: string | Uint8Array }).data;
    // A quick comparison first: a deep toEqual of 300 KiB is slow, keep it for reporting a difference.
    if (!sameData(data, message.data)) expect(data).toEqual(message.data);
  });
  // Every ping was answered with its payload, in order.
  const pings = messages.filter((m) => m.kind === 'ping').map((m) => m.data);
  expect(senderRec.of('pong').map((e) => e.data)).toEqual(pings);
  expect(receiverRec.of('error')).toEqual([]);
  expect(senderRec.of('error')).toEqual([]);
  expect(pair.client.readyState).toBe(1);
  expect(pair.server.readyState).toBe(1);
}

function sameData(a: string | Uint8Array, b: string | Uint8Array): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

describe.each(['client to server', 'server to client'] as const)('round trip, %s', (direction) => {
  it('delivers any list of messages and pings in order, however the bytes are cut', () => {
    fc.assert(
      fc.property(fc.array(anyOutgoing, { maxLength: 8 }), anyChunking, (messages, chunking) => {
        roundTrip(direction, messages, chunking, undefined);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('delivers them whole when the sender fragments them (fragmentSize)', () => {
    fc.assert(
      fc.property(fc.array(anyOutgoing, { maxLength: 6 }), anyChunking, fc.integer({ min: 1, max: 70_000 }), (messages, chunking, fragmentSize) => {
        // Tiny fragments of a huge message make millions of frames: keep it reasonable.
        const size = fragmentSize < 64 ? Math.max(fragmentSize, Math.ceil(totalSize(messages) / 20_000)) : fragmentSize;
        roundTrip(direction, messages, chunking, size);
      }),
      { numRuns: NUM_RUNS / 2 },
    );
  });

  it('closes cleanly after any messages, with the code and reason sent', () => {
    fc.assert(
      fc.property(
        fc.array(anyOutgoing, { maxLength: 4 }),
        anyChunking,
        fc.oneof(fc.integer({ min: 1000, max: 1003 }), fc.integer({ min: 1007, max: 1014 }), fc.integer({ min: 3000, max: 4999 })),
        fc.string({ unit: 'binary', maxLength: 30 }),
        (messages, chunking, code, reason) => {
          fc.pre(new TextEncoder().encode(reason).length <= 123);
          const pair = new Pair({ chunking: affordable(chunking, messages) }).connect();
          const [sender, senderRec, receiverRec] =
            direction === 'client to server' ? [pair.client, pair.clientRec, pair.serverRec] : [pair.server, pair.serverRec, pair.clientRec];
          for (const message of messages) {
            if (message.kind === 'text') sender.text(message.data);
            else if (message.kind === 'binary') sender.binary(message.data);
            else sender.ping(message.data);
          }
          expect(sender.close(code, reason)).toBe(true);
          pair.flush();
          expect(receiverRec.of('message')).toHaveLength(messages.filter((m) => m.kind !== 'ping').length);
          expect(receiverRec.of('close')).toEqual([{ type: 'close', code, reason, wasClean: true }]);
          expect(senderRec.of('close')).toEqual([{ type: 'close', code, reason: '', wasClean: true }]);
          expect(pair.client.readyState).toBe(3);
          expect(pair.server.readyState).toBe(3);
        },
      ),
      { numRuns: NUM_RUNS / 2 },
    );
  });
});
