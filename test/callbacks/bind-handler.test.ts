/**
 * bindHandler over in-memory client ↔ server pairs: the order of the
 * callbacks, what the client object does in each state, pending() and
 * onDrained against a counting write buffer, and shutdown.
 */
import { describe, expect, it } from 'vitest';
import { bindHandler, PreparedMessage, type Client, type Handler } from '../../lib/adapters/callbacks/index.js';
import { Driver } from '../../lib/index.js';
import {
  BASIC_CHUNKINGS,
  Op,
  Pair,
  Recorder,
  chunkingName,
  clientFrame,
  closePayload,
  feed,
  openClient,
  openRackServer,
  openServer,
  requestHead,
} from '../helpers/index.js';
import { CountingBuffer, LoggingHandler } from './support.js';

/** A pair whose server is bound to a logging handler before the handshake. */
function boundPair(chunking: (typeof BASIC_CHUNKINGS)[number] = 'whole', options: ConstructorParameters<typeof Pair>[0] = {}) {
  const pair = new Pair({ chunking, ...options });
  const handler = new LoggingHandler();
  const buffer = new CountingBuffer(pair.serverRec.socket);
  const binding = bindHandler(pair.server, handler, buffer);
  return { pair, handler, buffer, binding, client: binding.client };
}

describe.each(BASIC_CHUNKINGS)('callbacks on a server driver bound before its handshake, input fed %s', (chunking) => {
  const label = chunkingName(chunking);

  it(`calls onOpen once the handshake completes, then onMessage per message in order (${label})`, () => {
    const { pair, handler } = boundPair(chunking);
    expect(handler.calls).toEqual([]);
    pair.connect();
    expect(handler.names).toEqual(['open']);
    pair.client.text('first');
    pair.client.binary(Uint8Array.of(1, 2, 3));
    pair.client.text('héllo ✓');
    pair.flush();
    expect(handler.calls).toEqual([
      { name: 'open' },
      { name: 'message', data: 'first' },
      { name: 'message', data: Uint8Array.of(1, 2, 3) },
      { name: 'message', data: 'héllo ✓' },
    ]);
  });

  it(`passes the message type, so text kept as bytes (decodeText: false) is told from binary (${label})`, () => {
    const server = openServer({ decodeText: false });
    const got: Array<[string | Uint8Array, string]> = [];
    bindHandler(server.driver, {
      onMessage(client, data, type) {
        got.push([Uint8Array.from(data as Uint8Array), type]);
        // Text kept as bytes goes back as text.
        if (type === 'text') client.write(data, type);
      },
    });
    feed(server.driver, Uint8Array.from([...clientFrame(Op.TEXT, 'héllo'), ...clientFrame(Op.BINARY, Uint8Array.of(9))]), chunking);
    expect(got).toEqual([
      [new TextEncoder().encode('héllo'), 'text'],
      [Uint8Array.of(9), 'binary'],
    ]);
    expect(server.rec.takeFrames().map((f) => [f.opcode, new TextDecoder().decode(f.payload)])).toEqual([[Op.TEXT, 'héllo']]);
  });

  it(`delivers a message fragmented across frames as one onMessage (${label})`, () => {
    const server = openServer();
    const log = new LoggingHandler();
    bindHandler(server.driver, log);
    feed(
      server.driver,
      Uint8Array.from([
        ...clientFrame(Op.TEXT, 'frag', { fin: false }),
        ...clientFrame(Op.CONTINUATION, 'mented', { fin: false }),
        ...clientFrame(Op.CONTINUATION, ' text'),
      ]),
      chunking,
    );
    expect(log.calls).toEqual([{ name: 'open' }, { name: 'message', data: 'fragmented text' }]);
  });

  it(`calls onClose once with the peer's code and reason after a clean close (${label})`, () => {
    const { pair, handler, client } = boundPair(chunking);
    pair.connect();
    pair.client.close(4001, 'bye');
    pair.flush();
    expect(handler.calls).toEqual([{ name: 'open' }, { name: 'close', code: 4001, reason: 'bye', wasClean: true }]);
    expect(handler.clients.every((c) => c === client)).toBe(true);
  });

  it(`calls onClose with 1002 after a protocol error, and nothing after it (${label})`, () => {
    const server = openServer();
    const log = new LoggingHandler();
    bindHandler(server.driver, log);
    // RFC 6455 §5.1: a client frame must be masked.
    feed(server.driver, Uint8Array.from([...clientFrame(Op.TEXT, 'bare', { mask: false }), ...clientFrame(Op.TEXT, 'late')]), chunking);
    expect(log.calls).toEqual([{ name: 'open' }, { name: 'close', code: 1002, reason: expect.any(String), wasClean: false }]);
  });
});

describe('callbacks: which driver states call onOpen', () => {
  it('calls onOpen before bindHandler returns when the driver is already open', () => {
    const { driver } = openServer();
    const log = new LoggingHandler();
    let returned = false;
    log.hooks.open = () => expect(returned).toBe(false);
    const { client } = bindHandler(driver, log);
    returned = true;
    expect(log.names).toEqual(['open']);
    expect(client.isOpen()).toBe(true);
  });

  it('calls no callback at all for a driver that is already closed', () => {
    const { driver } = openServer();
    driver.transportClosed();
    const log = new LoggingHandler();
    const { client, shutdown } = bindHandler(driver, log);
    shutdown();
    expect(log.calls).toEqual([]);
    expect(client.isOpen()).toBe(false);
    expect(client.pending()).toBe(-1);
    expect(client.write('x')).toBe(false);
  });

  it('calls neither onOpen nor onClose for a driver already closing', () => {
    const { driver, rec } = openServer();
    driver.close(1000, '');
    const log = new LoggingHandler();
    const { client } = bindHandler(driver, log);
    expect(client.isOpen()).toBe(false);
    expect(client.pending()).toBe(0);
    feed(driver, clientFrame(Op.CLOSE, closePayload(1000)));
    expect(rec.of('close')).toHaveLength(1);
    expect(log.calls).toEqual([]);
    expect(client.pending()).toBe(-1);
  });

  it('calls neither onOpen nor onClose when the handshake is refused', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket));
    const log = new LoggingHandler();
    bindHandler(driver, log);
    driver.on('connect', () => driver.reject(403));
    feed(driver, requestHead());
    expect(rec.of('close')).toHaveLength(1);
    expect(log.calls).toEqual([]);
  });

  it('calls the callbacks as methods of the handler, so a class keeps its state', () => {
    class Counter implements Handler {
      count = 0;
      onMessage(): void {
        this.count++;
      }
    }
    const { driver } = openServer();
    const counter = new Counter();
    bindHandler(driver, counter);
    feed(driver, Uint8Array.from([...clientFrame(Op.TEXT, 'a'), ...clientFrame(Op.TEXT, 'b')]));
    expect(counter.count).toBe(2);
  });

  it('takes a class whose callbacks are static methods, as a Ruby module with `extend self`', () => {
    const seen: string[] = [];
    class Echo {
      static onMessage(client: Client, data: string | Uint8Array): void {
        seen.push(String(data));
        client.write(data);
      }
    }
    const { driver, rec } = openServer();
    bindHandler(driver, Echo);
    feed(driver, clientFrame(Op.TEXT, 'ping'));
    expect(seen).toEqual(['ping']);
    expect(rec.takeFrames().map((f) => new TextDecoder().decode(f.payload))).toEqual(['ping']);
  });

  it('works on a client driver too: messages from the server, and no env', () => {
    const { driver } = openClient();
    const log = new LoggingHandler();
    const { client } = bindHandler(driver, log);
    feed(driver, Uint8Array.from([0x81, 0x02, 0x68, 0x69])); // an unmasked text frame "hi"
    expect(log.calls).toEqual([{ name: 'open' }, { name: 'message', data: 'hi' }]);
    expect(client.env).toBeNull();
  });

  it('rejects what is not a driver, a handler or a write buffer', () => {
    const { driver } = openServer();
    expect(() => bindHandler(null as never, {})).toThrow(TypeError);
    expect(() => bindHandler(driver, null as never)).toThrow(TypeError);
    expect(() => bindHandler(driver, {}, { pending: () => 0 } as never)).toThrow(TypeError);
  });
});

describe('callbacks: the client object while open', () => {
  it('write() sends a string as a text message and bytes as a binary one', () => {
    const { pair, client } = boundPair();
    pair.connect();
    expect(client.write('text')).toBe(true);
    expect(client.write(Uint8Array.of(9, 8))).toBe(true);
    expect(client.write(new Uint16Array([0x0201]).buffer)).toBe(true);
    expect(client.write(new DataView(Uint8Array.of(7).buffer))).toBe(true);
    pair.flush();
    expect(pair.clientRec.messages).toEqual(['text', Uint8Array.of(9, 8), Uint8Array.of(1, 2), Uint8Array.of(7)]);
  });

  it('write() throws a TypeError for anything but a string or bytes, sending nothing', () => {
    const { pair, client } = boundPair();
    pair.connect();
    pair.serverRec.take();
    expect(() => client.write(42 as never)).toThrow(TypeError);
    expect(() => client.write({ toString: () => 'x' } as never)).toThrow(TypeError);
    expect(() => client.write(null as never)).toThrow(TypeError);
    expect(pair.serverRec.take()).toHaveLength(0);
  });

  it('write(data, type) sends bytes as text (UTF-8 as they are) or binary as asked; a string with type text as text', () => {
    const { pair, client } = boundPair();
    pair.connect();
    const utf8 = new TextEncoder().encode('ünï ✓');
    expect(client.write(utf8, 'text')).toBe(true);
    expect(client.write(utf8.buffer, 'text')).toBe(true);
    expect(client.write(new DataView(utf8.buffer, 2, 3), 'text')).toBe(true);
    expect(client.write(utf8, 'binary')).toBe(true);
    expect(client.write('plain', 'text')).toBe(true);
    expect(client.write(new PreparedMessage('prepared'), 'text')).toBe(true);
    pair.flush();
    expect(pair.clientRec.messages).toEqual(['ünï ✓', 'ünï ✓', 'nï', utf8, 'plain', 'prepared']);
  });

  it('write(data, type) throws a TypeError, sending nothing, for bytes that are not UTF-8 as text, a string or prepared text as binary, and an unknown type', () => {
    const { pair, client } = boundPair();
    pair.connect();
    pair.serverRec.take();
    expect(() => client.write(Uint8Array.of(0x61, 0xc0, 0xaf), 'text')).toThrow(TypeError);
    expect(() => client.write('text', 'binary')).toThrow(/'binary'\): data is text/);
    expect(() => client.write(new PreparedMessage('text'), 'binary')).toThrow(/'binary'\): data is text/);
    expect(() => client.write(new PreparedMessage(Uint8Array.of(1)), 'text')).toThrow(/'text'\): data is binary/);
    expect(() => client.write(Uint8Array.of(1), 'ping' as never)).toThrow(TypeError);
    expect(pair.serverRec.take()).toHaveLength(0);
    expect(client.isOpen()).toBe(true);
  });

  it('write(bytes, text) checks the bytes whatever the state, as driver.text() does: once closing or closed, a TypeError for bytes that are not UTF-8, false for the rest', () => {
    const bad = Uint8Array.of(0x61, 0xc0, 0xaf);
    const { pair, client } = boundPair();
    pair.connect();
    client.close();
    // Closing: nothing is sent, and bad bytes are still the caller's mistake.
    expect(() => client.write(bad, 'text')).toThrow(TypeError);
    expect(() => pair.server.text(bad)).toThrow(TypeError);
    expect(client.write(Uint8Array.of(0x61), 'text')).toBe(false);
    expect(client.write('text')).toBe(false);
    expect(client.write(bad)).toBe(false);
    pair.flush();
    expect(pair.server.readyState).toBe(3);
    expect(() => client.write(bad, 'text')).toThrow(TypeError);
    expect(client.write(Uint8Array.of(0x61), 'text')).toBe(false);
    expect(client.write(new PreparedMessage('prepared'), 'text')).toBe(false);
    expect(pair.clientRec.messages).toEqual([]);
  });

  it('exposes the subprotocol agreed in the handshake', () => {
    const { pair, client } = boundPair('whole', { client: { protocols: ['chat', 'json'] }, server: { protocols: ['json'] } });
    expect(client.protocol).toBeNull();
    pair.connect();
    expect(client.protocol).toBe('json');
  });

  it('exposes the request as a Rack env, from Driver.server and from Driver.rack', () => {
    const { pair, client } = boundPair();
    pair.connect();
    expect(client.env?.REQUEST_METHOD).toBe('GET');
    expect(client.env?.PATH_INFO).toBe('/chat');

    const rack = openRackServer({}, { target: '/room?id=7' });
    const { client: rackClient } = bindHandler(rack.driver, {});
    expect(rackClient.env?.PATH_INFO).toBe('/room');
    expect(rackClient.env?.QUERY_STRING).toBe('id=7');
  });

  it('exposes the handler and the driver it is bound to', () => {
    const { driver } = openServer();
    const handler = {};
    const { client } = bindHandler(driver, handler);
    expect(client.handler).toBe(handler);
    expect(client.driver).toBe(driver);
  });

  it('close() sends a close frame after the messages already written, and isOpen() turns false at once', () => {
    const { pair, client, handler } = boundPair();
    pair.connect();
    pair.clientRec.clearEvents();
    client.write('last words');
    client.close();
    expect(client.isOpen()).toBe(false);
    expect(client.write('too late')).toBe(false);
    pair.flush();
    expect(pair.clientRec.types).toEqual(['message', 'close']);
    expect(pair.clientRec.messages).toEqual(['last words']);
    expect(pair.clientRec.of('close')[0]).toMatchObject({ code: 1000, wasClean: true });
    expect(handler.calls.at(-1)).toEqual({ name: 'close', code: 1000, reason: '', wasClean: true });
  });

  it('close(code, reason) sends them; a second close() does nothing', () => {
    const { pair, client, handler } = boundPair();
    pair.connect();
    client.close(4000, 'done');
    client.close(4001, 'again');
    pair.flush();
    expect(pair.clientRec.of('close')).toEqual([{ type: 'close', code: 4000, reason: 'done', wasClean: true }]);
    expect(handler.names).toEqual(['open', 'close']);
  });

  it('close() with a code that may not be sent throws a RangeError and leaves the connection open', () => {
    const { pair, client } = boundPair();
    pair.connect();
    expect(() => client.close(1005)).toThrow(RangeError);
    expect(() => client.close(1000, 'x'.repeat(124))).toThrow(RangeError);
    expect(client.isOpen()).toBe(true);
    expect(client.write('still here')).toBe(true);
  });

  it('isOpen() is false once the peer has sent its close frame', () => {
    const { driver } = openServer();
    const log = new LoggingHandler();
    let openInClose: boolean | null = null;
    log.hooks.close = (client) => (openInClose = client.isOpen());
    const { client } = bindHandler(driver, log);
    feed(driver, clientFrame(Op.CLOSE, closePayload(1001)));
    expect(client.isOpen()).toBe(false);
    expect(openInClose).toBe(false);
  });
});

describe('callbacks: the client object before open', () => {
  it('isOpen() is false, and write() queues the message until the handshake completes', () => {
    const { pair, client, handler } = boundPair();
    expect(client.isOpen()).toBe(false);
    expect(client.write('early')).toBe(true);
    pair.connect();
    expect(client.isOpen()).toBe(true);
    expect(pair.clientRec.messages).toEqual(['early']);
    expect(handler.names).toEqual(['open']);
  });

  it('close() ends the connection at once, with no callback', () => {
    const { pair, client, handler } = boundPair();
    client.close();
    expect(client.pending()).toBe(-1);
    expect(pair.server.readyState).toBe(3);
    expect(handler.calls).toEqual([]);
  });
});

describe('callbacks: onClose never runs while another callback is running', () => {
  it('a transport that dies inside onMessage gets onClose after onMessage returns', () => {
    const { driver } = openServer();
    const order: string[] = [];
    bindHandler(driver, {
      onMessage(client) {
        order.push('message: start');
        client.driver.transportClosed();
        order.push('message: end');
      },
      onClose: (_client, event) => order.push(`close ${event.code}`),
    });
    feed(driver, clientFrame(Op.TEXT, 'x'));
    expect(order).toEqual(['message: start', 'message: end', 'close 1006']);
  });

  it('a connection closed inside onOpen gets onClose after onOpen returns, and no onMessage', () => {
    const { driver } = openServer();
    const log = new LoggingHandler();
    log.hooks.open = () => {
      driver.transportClosed();
      expect(log.names).toEqual(['open']);
    };
    bindHandler(driver, log);
    feed(driver, clientFrame(Op.TEXT, 'after'));
    expect(log.calls).toEqual([{ name: 'open' }, { name: 'close', code: 1006, reason: '', wasClean: false }]);
  });

  it('an exception from onMessage surfaces from parse(), and onClose still runs once', () => {
    const { driver } = openServer();
    const log = new LoggingHandler();
    log.hooks.message = () => {
      driver.transportClosed();
      throw new Error('app bug');
    };
    bindHandler(driver, log);
    expect(() => feed(driver, clientFrame(Op.TEXT, 'x'))).toThrow('app bug');
    expect(log.names).toEqual(['open', 'message', 'close']);
  });

  it('an exception from onMessage leaves the connection usable for the next message', () => {
    const { driver } = openServer();
    const log = new LoggingHandler();
    log.hooks.message = (_client, data) => {
      if (data === 'bad') throw new Error('app bug');
    };
    bindHandler(driver, log);
    expect(() => feed(driver, clientFrame(Op.TEXT, 'bad'))).toThrow('app bug');
    feed(driver, clientFrame(Op.TEXT, 'good'));
    expect(log.calls.at(-1)).toEqual({ name: 'message', data: 'good' });
  });
});

describe('callbacks: pending() and onDrained', () => {
  it('pending() counts the bytes the transport has not flushed, and -1 once closed', () => {
    const { pair, client, buffer } = boundPair();
    pair.connect();
    buffer.flush();
    expect(client.pending()).toBe(0);
    client.write('12345');
    expect(client.pending()).toBe(7); // a 2-byte header and 5 bytes of payload
    buffer.flush(3);
    expect(client.pending()).toBe(4);
    pair.client.close();
    pair.flush();
    expect(client.pending()).toBe(-1);
  });

  it('pending() is 0 while open without a write buffer, and onDrained never runs', () => {
    const { driver } = openServer();
    const log = new LoggingHandler();
    const { client } = bindHandler(driver, log);
    client.write('x'.repeat(100_000));
    expect(client.pending()).toBe(0);
    expect(log.names).toEqual(['open']);
  });

  it('onDrained runs once when a write left bytes pending and they are all flushed', () => {
    const { pair, client, buffer, handler } = boundPair();
    pair.connect();
    buffer.flush();
    client.write('a');
    client.write('b');
    buffer.flush(3);
    expect(handler.names).toEqual(['open']);
    buffer.flush();
    expect(handler.names).toEqual(['open', 'drained']);
    buffer.flush();
    expect(handler.names).toEqual(['open', 'drained']);
  });

  it('onDrained is owed again after each write that leaves bytes pending', () => {
    const { pair, client, buffer, handler } = boundPair();
    pair.connect();
    client.write('one');
    buffer.flush();
    client.write('two');
    buffer.flush();
    expect(handler.names).toEqual(['open', 'drained', 'drained']);
  });

  it('onDrained is not called when nothing was ever seen pending', () => {
    const { pair, buffer, handler } = boundPair();
    pair.connect();
    // The handshake's bytes were pending, but no write or pending() call saw them.
    buffer.flush();
    pair.client.text('hi');
    pair.flush();
    buffer.flush();
    expect(handler.names).toEqual(['open', 'message']);
  });

  it('a pending() call that returns more than 0 makes onDrained owed', () => {
    const { pair, client, buffer, handler } = boundPair();
    pair.connect();
    expect(client.pending()).toBeGreaterThan(0); // the 101 response, not yet flushed
    buffer.flush();
    expect(handler.names).toEqual(['open', 'drained']);
  });

  it('bytes written before open that drain before it are reported after onOpen, not before', () => {
    const { pair, client, buffer, handler } = boundPair();
    client.write('queued');
    pair.client.start();
    pair.flush(); // the server's 101 and the queued message are written at open
    expect(client.pending()).toBeGreaterThan(0);
    buffer.flush();
    expect(handler.names).toEqual(['open', 'drained']);
  });

  it('onDrained does not run after the connection closed, and the flush listener is removed', () => {
    const { pair, client, buffer, handler } = boundPair();
    pair.connect();
    client.write('x');
    expect(buffer.listeners).toBe(1);
    pair.client.close();
    pair.flush();
    buffer.flush();
    expect(handler.names).toEqual(['open', 'close']);
    expect(buffer.listeners).toBe(0);
  });

  it('a write from onDrained can owe the next onDrained', () => {
    const { pair, client, buffer, handler } = boundPair();
    pair.connect();
    let chunks = 3;
    handler.hooks.drained = (c) => {
      if (--chunks > 0) c.write(`chunk ${chunks}`);
    };
    client.write('chunk 3');
    buffer.flush();
    buffer.flush();
    buffer.flush();
    buffer.flush();
    pair.flush();
    expect(handler.names).toEqual(['open', 'drained', 'drained', 'drained']);
    expect(pair.clientRec.messages).toEqual(['chunk 3', 'chunk 2', 'chunk 1']);
  });

  it('an exception from onDrained is rethrown on a microtask, not into the transport', async () => {
    const { pair, client, buffer, handler } = boundPair();
    pair.connect();
    handler.hooks.drained = () => {
      throw new Error('drain bug');
    };
    const thrown = new Promise<unknown>((resolve) => {
      const original = globalThis.queueMicrotask;
      globalThis.queueMicrotask = (task) => {
        globalThis.queueMicrotask = original;
        try {
          task();
        } catch (error) {
          resolve(error);
        }
      };
    });
    client.write('x');
    expect(() => buffer.flush()).not.toThrow();
    expect(await thrown).toMatchObject({ message: 'drain bug' });
  });
});

describe('callbacks: shutdown', () => {
  it('calls onShutdown, whose last message goes out before a 1001 close frame', () => {
    const { pair, binding, handler } = boundPair();
    pair.connect();
    pair.clientRec.clearEvents();
    handler.hooks.shutdown = (client) => {
      expect(client.isOpen()).toBe(true);
      expect(client.write('server going away')).toBe(true);
    };
    binding.shutdown();
    expect(binding.client.isOpen()).toBe(false);
    pair.flush();
    expect(pair.clientRec.types).toEqual(['message', 'close']);
    expect(pair.clientRec.messages).toEqual(['server going away']);
    expect(pair.clientRec.of('close')[0]).toMatchObject({ code: 1001, reason: '' });
    expect(handler.names).toEqual(['open', 'shutdown', 'close']);
  });

  it('takes another code and a reason', () => {
    const { pair, binding } = boundPair();
    pair.connect();
    binding.shutdown(1012, 'restarting');
    pair.flush();
    expect(pair.clientRec.of('close')[0]).toMatchObject({ code: 1012, reason: 'restarting' });
  });

  it('does nothing the second time', () => {
    const { pair, binding, handler } = boundPair();
    pair.connect();
    binding.shutdown();
    binding.shutdown();
    pair.flush();
    expect(handler.names).toEqual(['open', 'shutdown', 'close']);
  });

  it('throws a RangeError for a code that may not be sent, before calling onShutdown', () => {
    const { pair, binding, handler } = boundPair();
    pair.connect();
    expect(() => binding.shutdown(1006)).toThrow(RangeError);
    expect(() => binding.shutdown(1001, 'é'.repeat(62))).toThrow(RangeError);
    expect(handler.names).toEqual(['open']);
    expect(binding.client.isOpen()).toBe(true);
  });

  it('skips onShutdown once the application has called close()', () => {
    const { pair, binding, handler } = boundPair();
    pair.connect();
    binding.client.close(4000);
    binding.shutdown();
    pair.flush();
    expect(handler.names).toEqual(['open', 'close']);
    expect(pair.clientRec.of('close')[0]).toMatchObject({ code: 4000 });
  });

  it('respects a close() made inside onShutdown', () => {
    const { pair, binding, handler } = boundPair();
    pair.connect();
    handler.hooks.shutdown = (client) => client.close(4002, 'my own');
    binding.shutdown();
    pair.flush();
    expect(pair.clientRec.of('close')[0]).toMatchObject({ code: 4002, reason: 'my own' });
  });

  it('shuts a connection still in its handshake down as soon as it opens', () => {
    const { pair, binding, handler } = boundPair();
    binding.shutdown(1001, 'later');
    expect(handler.calls).toEqual([]);
    pair.client.start();
    pair.flush();
    expect(handler.names).toEqual(['open', 'shutdown', 'close']);
    expect(pair.clientRec.types).toEqual(['open', 'close']);
    expect(pair.clientRec.of('close')[0]).toMatchObject({ code: 1001, reason: 'later', wasClean: true });
  });

  it('calls nothing for a connection shut down in its handshake that never opens', () => {
    const { pair, binding, handler } = boundPair();
    binding.shutdown();
    pair.server.transportClosed();
    expect(handler.calls).toEqual([]);
    expect(binding.client.pending()).toBe(-1);
  });

  it('still closes when onShutdown throws, then rethrows', () => {
    const { pair, binding, handler } = boundPair();
    pair.connect();
    handler.hooks.shutdown = () => {
      throw new Error('shutdown bug');
    };
    expect(() => binding.shutdown()).toThrow('shutdown bug');
    pair.flush();
    expect(pair.clientRec.of('close')[0]).toMatchObject({ code: 1001 });
    expect(handler.names).toEqual(['open', 'shutdown', 'close']);
  });
});

describe('callbacks: the same client object throughout', () => {
  it('hands every callback the client the binding returned', () => {
    const { pair, binding, handler, buffer } = boundPair();
    pair.connect();
    pair.client.text('m');
    pair.flush();
    binding.client.write('w');
    buffer.flush();
    binding.shutdown();
    pair.flush();
    expect(handler.names).toEqual(['open', 'message', 'drained', 'shutdown', 'close']);
    expect(new Set<Client>(handler.clients)).toEqual(new Set([binding.client]));
  });
});
