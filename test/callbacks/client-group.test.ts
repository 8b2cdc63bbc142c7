/**
 * ClientGroup over in-memory pairs: membership follows the connections'
 * lives, and shutdown reaches every member.
 */
import { describe, expect, it } from 'vitest';
import { ClientGroup, DEFAULT_MAX_PENDING, PreparedMessage, type Client } from '../../lib/adapters/callbacks/index.js';
import { Pair, openServer } from '../helpers/index.js';
import { CountingBuffer, LoggingHandler } from './support.js';

function pairs(count: number): Pair[] {
  return Array.from({ length: count }, () => new Pair());
}

describe('ClientGroup: membership', () => {
  it('holds a connection from bind() until it closes, and iterates over the clients', () => {
    const group = new ClientGroup();
    const [a, b] = pairs(2) as [Pair, Pair];
    const bindingA = group.bind(a.server, {});
    const bindingB = group.bind(b.server, {});
    a.connect();
    b.connect();
    expect(group.size).toBe(2);
    expect([...group]).toEqual([bindingA.client, bindingB.client]);
    a.client.close();
    a.flush();
    expect(group.size).toBe(1);
    expect([...group]).toEqual([bindingB.client]);
  });

  it('holds connections still in their handshake, and drops one that is refused', () => {
    const group = new ClientGroup();
    const pair = new Pair({ autoStart: false });
    pair.server.on('connect', () => pair.server.reject(403));
    group.bind(pair.server, {});
    expect(group.size).toBe(1);
    pair.client.start();
    pair.flush();
    expect(group.size).toBe(0);
  });

  it('does not hold a driver that is already closed', () => {
    const group = new ClientGroup();
    const { driver } = openServer();
    driver.transportClosed();
    group.bind(driver, new LoggingHandler());
    expect(group.size).toBe(0);
  });

  it('lets a client close while the group is being iterated (a broadcast that finds a dead peer)', () => {
    const group = new ClientGroup();
    const all = pairs(3);
    for (const pair of all) {
      group.bind(pair.server, {});
      pair.connect();
    }
    const written: boolean[] = [];
    let index = 0;
    for (const client of group) {
      all[index++]!.server.transportClosed();
      written.push(client.write('news'));
    }
    expect(written).toEqual([false, false, false]);
    expect(group.size).toBe(0);
  });

  it('drops a connection that closes inside onOpen, during bind()', () => {
    const group = new ClientGroup();
    const { driver } = openServer();
    const log = new LoggingHandler();
    log.hooks.open = () => driver.transportClosed();
    group.bind(driver, log);
    expect(log.names).toEqual(['open', 'close']);
    expect(group.size).toBe(0);
  });
});

describe('ClientGroup: shutdown', () => {
  it('calls onShutdown on every open connection, closes each with 1001, and settles after every onClose', async () => {
    const group = new ClientGroup();
    const all = pairs(3);
    const handler = new LoggingHandler();
    handler.hooks.shutdown = (client) => client.write('bye');
    for (const pair of all) {
      group.bind(pair.server, handler);
      pair.connect();
      pair.clientRec.clearEvents();
    }
    let settled = false;
    const done = group.shutdown().then(() => (settled = true));
    expect(handler.names.filter((name) => name === 'shutdown')).toHaveLength(3);
    await Promise.resolve();
    expect(settled).toBe(false); // the close handshakes have not completed
    for (const pair of all) pair.flush();
    await done;
    expect(handler.names.filter((name) => name === 'close')).toHaveLength(3);
    for (const pair of all) {
      expect(pair.clientRec.types).toEqual(['message', 'close']);
      expect(pair.clientRec.of('close')[0]).toMatchObject({ code: 1001, wasClean: true });
    }
    expect(group.size).toBe(0);
  });

  it('passes its code and reason on', async () => {
    const group = new ClientGroup();
    const pair = new Pair();
    group.bind(pair.server, {});
    pair.connect();
    const done = group.shutdown(1012, 'restart');
    pair.flush();
    await done;
    expect(pair.clientRec.of('close')[0]).toMatchObject({ code: 1012, reason: 'restart' });
  });

  it('settles at once when the group is empty', async () => {
    await expect(new ClientGroup().shutdown()).resolves.toBeUndefined();
  });

  it('waits for connections still in their handshake, and shuts each down as it opens', async () => {
    const group = new ClientGroup();
    const pair = new Pair();
    const handler = new LoggingHandler();
    group.bind(pair.server, handler);
    let settled = false;
    const done = group.shutdown().then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    pair.client.start();
    pair.flush();
    await done;
    expect(handler.names).toEqual(['open', 'shutdown', 'close']);
    expect(pair.clientRec.of('close')[0]).toMatchObject({ code: 1001 });
  });

  it('settles when a connection waited for fails its handshake', async () => {
    const group = new ClientGroup();
    const pair = new Pair();
    group.bind(pair.server, {});
    const done = group.shutdown();
    pair.server.transportClosed();
    await expect(done).resolves.toBeUndefined();
  });

  it('shuts down a connection bound after the shutdown as soon as it is bound', () => {
    const group = new ClientGroup();
    void group.shutdown(1001, 'closing time');
    const { driver, rec } = openServer();
    const handler = new LoggingHandler();
    group.bind(driver, handler);
    expect(handler.names).toEqual(['open', 'shutdown']);
    const [close] = rec.takeFrames();
    expect(close?.opcode).toBe(0x8);
  });

  it('throws a RangeError on a code that may not be sent, touching no connection', () => {
    const group = new ClientGroup();
    const pair = new Pair();
    const handler = new LoggingHandler();
    group.bind(pair.server, handler);
    pair.connect();
    expect(() => group.shutdown(1005)).toThrow(RangeError);
    expect(handler.names).toEqual(['open']);
    expect(group.size).toBe(1);
  });

  it('shuts every connection down even if one onShutdown throws, then rethrows the first exception', () => {
    const group = new ClientGroup();
    const all = pairs(3);
    let calls = 0;
    const handler = new LoggingHandler();
    handler.hooks.shutdown = () => {
      calls++;
      throw new Error(`shutdown bug ${calls}`);
    };
    for (const pair of all) {
      group.bind(pair.server, handler);
      pair.connect();
    }
    expect(() => group.shutdown()).toThrow('shutdown bug 1');
    expect(calls).toBe(3);
    for (const pair of all) pair.flush();
    expect(group.size).toBe(0);
  });

  it('gives onShutdown each connection its own client', () => {
    const group = new ClientGroup();
    const seen: Client[] = [];
    const all = pairs(2);
    for (const pair of all) {
      group.bind(pair.server, { onShutdown: (client) => void seen.push(client) });
      pair.connect();
    }
    const members = [...group];
    void group.shutdown();
    expect(seen).toEqual(members);
  });
});

describe('ClientGroup: broadcast', () => {
  function groupOf(count: number) {
    const group = new ClientGroup();
    const all = pairs(count);
    const buffers = all.map((pair) => new CountingBuffer(pair.serverRec.socket));
    const clients = all.map((pair, i) => group.bind(pair.server, {}, buffers[i]).client);
    for (const pair of all) pair.connect();
    return { group, pairs: all, buffers, clients };
  }

  it('sends one message to every open client, each writing the same frame bytes', () => {
    const { group, pairs: all } = groupOf(4);
    const before = all.map((pair) => pair.serverRec.socket.writes.length);
    expect(group.broadcast('hello all')).toEqual({ sent: 4, skipped: 0, closed: 0 });
    const frames = all.map((pair, i) => pair.serverRec.socket.writes.slice(before[i]));
    for (const written of frames) expect(written).toEqual([new PreparedMessage('hello all').frame]);
    for (const pair of all) pair.flush();
    for (const pair of all) expect(pair.clientRec.messages).toEqual(['hello all']);
  });

  it('takes bytes as a binary message, and a PreparedMessage made earlier', () => {
    const { group, pairs: all } = groupOf(2);
    group.broadcast(Uint8Array.of(1, 2, 3));
    group.broadcast(new PreparedMessage('prepared'));
    for (const pair of all) pair.flush();
    for (const pair of all) expect(pair.clientRec.messages).toEqual([Uint8Array.of(1, 2, 3), 'prepared']);
  });

  it('leaves out the client given as except, and clients not open', () => {
    const { group, pairs: all, clients } = groupOf(3);
    clients[2]!.close();
    expect(group.broadcast('not to the sender', { except: clients[0] })).toEqual({ sent: 1, skipped: 0, closed: 0 });
    for (const pair of all) pair.flush();
    expect(all.map((pair) => pair.clientRec.messages)).toEqual([[], ['not to the sender'], []]);
  });

  it("'skip' (the default): a client holding more than maxPending unflushed bytes misses the message and stays open", () => {
    const { group, pairs: all, buffers } = groupOf(3);
    all[1]!.server.text('x'.repeat(2000));
    expect(buffers[1]!.pending()).toBeGreaterThan(1000);
    expect(group.broadcast('news', { maxPending: 1000 })).toEqual({ sent: 2, skipped: 1, closed: 0 });
    for (const pair of all) pair.flush();
    expect(all.map((pair) => pair.clientRec.messages.at(-1))).toEqual(['news', 'x'.repeat(2000), 'news']);
    expect(all[1]!.server.readyState).toBe(1);
    // Once flushed, it gets the next one.
    buffers[1]!.flush();
    expect(group.broadcast('more', { maxPending: 1000 }).sent).toBe(3);
  });

  it("'close': a slow client is closed with 1008 after what it already holds", () => {
    const { group, pairs: all } = groupOf(2);
    all[0]!.server.text('x'.repeat(5000));
    expect(group.broadcast('news', { maxPending: 1000, slowClient: 'close' })).toEqual({ sent: 1, skipped: 0, closed: 1 });
    all[0]!.flush();
    expect(all[0]!.clientRec.messages).toEqual(['x'.repeat(5000)]);
    expect(all[0]!.clientRec.of('close')[0]).toMatchObject({ code: 1008, reason: 'too slow' });
  });

  it("'queue': a slow client gets the message anyway", () => {
    const { group, pairs: all } = groupOf(2);
    all[0]!.server.text('x'.repeat(5000));
    expect(group.broadcast('news', { maxPending: 1000, slowClient: 'queue' })).toEqual({ sent: 2, skipped: 0, closed: 0 });
    all[0]!.flush();
    expect(all[0]!.clientRec.messages.at(-1)).toBe('news');
  });

  it('the default maxPending is 1 MiB', () => {
    const { group, pairs: all } = groupOf(1);
    all[0]!.server.binary(new Uint8Array(DEFAULT_MAX_PENDING));
    expect(group.broadcast('news').sent).toBe(0);
    expect(DEFAULT_MAX_PENDING).toBe(1024 * 1024);
  });

  it('refuses a bad policy or maxPending', () => {
    const group = new ClientGroup();
    expect(() => group.broadcast('x', { slowClient: 'drop' as 'skip' })).toThrow(RangeError);
    expect(() => group.broadcast('x', { maxPending: -1 })).toThrow(RangeError);
    expect(() => group.broadcast(42 as unknown as string)).toThrow(TypeError);
  });
});
