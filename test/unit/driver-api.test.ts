// The driver API around the protocol: queueing before open, setHeader,
// option validation, error events, listener exceptions, and the event
// methods — for every kind of driver.
import { describe, expect, it } from 'vitest';
import { Driver, ProtocolError } from '../../lib/index.js';
import { QUEUED_ENTRY_OVERHEAD } from '../../lib/options.js';
import {
  BASIC_CHUNKINGS,
  clientFrame,
  closePayload,
  concat,
  decodeFrames,
  feed,
  Op,
  openClient,
  openServer,
  parseHead,
  Recorder,
  requestHead,
  responseHead,
  ROLES,
  serverFrame,
  startedClient,
  type Role,
} from '../helpers/index.js';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('messages sent before open', () => {
  it('a client queues text, binary, ping and pong and sends them in order after the 101, with ping callbacks kept', () => {
    const rec = new Recorder({ url: 'ws://a/' });
    const driver = rec.attach(Driver.client(rec.socket));
    let ponged = 0;
    expect(driver.text('t')).toBe(true);
    expect(driver.binary(Uint8Array.of(7))).toBe(true);
    expect(driver.ping('p', () => ponged++)).toBe(true);
    expect(driver.pong('q')).toBe(true);
    driver.start();
    const key = rec.takeHead().headers['sec-websocket-key']!;
    expect(rec.take().length).toBe(0);
    feed(driver, responseHead({ key }));
    expect(rec.takeFrames().map((f) => [f.opcode, text(f.payload)])).toEqual([
      [Op.TEXT, 't'],
      [Op.BINARY, '\x07'],
      [Op.PING, 'p'],
      [Op.PONG, 'q'],
    ]);
    feed(driver, serverFrame(Op.PONG, 'p'));
    expect(ponged).toBe(1);
  });

  it('a rack server sends queued messages right after its 101', () => {
    const rec = new Recorder({
      env: { REQUEST_METHOD: 'GET', PATH_INFO: '/', HTTP_HOST: 'a', HTTP_UPGRADE: 'websocket', HTTP_CONNECTION: 'Upgrade', HTTP_SEC_WEBSOCKET_KEY: 'dGhlIHNhbXBsZSBub25jZQ==', HTTP_SEC_WEBSOCKET_VERSION: '13' },
    });
    const driver = rec.attach(Driver.rack(rec.socket));
    expect(driver.text('early')).toBe(true);
    driver.start();
    const head = parseHead(rec.written);
    expect(head.status).toBe(101);
    expect(decodeFrames(head.rest).map((f) => text(f.payload))).toEqual(['early']);
  });

  it('Driver.server queues messages sent before the request arrived, and sends them after its 101', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket));
    expect(driver.text('before connect')).toBe(true);
    expect(driver.binary(Uint8Array.of(1))).toBe(true);
    feed(driver, requestHead());
    expect(driver.text('before start')).toBe(true);
    expect(rec.written.length).toBe(0);
    driver.start();
    const head = parseHead(rec.written);
    expect(head.status).toBe(101);
    expect(decodeFrames(head.rest).map((f) => [f.opcode, text(f.payload)])).toEqual([
      [Op.TEXT, 'before connect'],
      [Op.BINARY, '\x01'],
      [Op.TEXT, 'before start'],
    ]);
  });

  it('Driver.server drops what was queued when the request is rejected', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket));
    driver.text('never');
    feed(driver, requestHead());
    driver.reject(403);
    const head = parseHead(rec.written);
    expect(head.status).toBe(403);
    expect(text(head.rest)).not.toContain('never');
  });

  // Each entry also counts QUEUED_ENTRY_OVERHEAD (O below): two entries' worth is added to each limit.
  const O = QUEUED_ENTRY_OVERHEAD;

  it.each(['client', 'server'] as const)('the %s queue stops at maxQueuedBytes, counted in UTF-8 bytes', (kind) => {
    const rec = new Recorder({ url: 'ws://a/' });
    const options = { maxQueuedBytes: 10 + 2 * O };
    const driver = kind === 'client' ? Driver.client(rec.socket, options) : Driver.server(rec.socket, options);
    expect(driver.text('€€€')).toBe(true); // 9 bytes + O
    expect(driver.text('€')).toBe(false); // 12 + 2 O > 10 + 2 O
    expect(driver.binary(Uint8Array.of(1))).toBe(true); // 10 + 2 O
    expect(driver.ping('x')).toBe(false);
  });

  it('the queue counts an astral character as 4 bytes and a lone surrogate as 3, as they are sent', () => {
    const driver = Driver.client({ write() {}, url: 'ws://a/' }, { maxQueuedBytes: 11 + 2 * O });
    expect(driver.text('🌍🌍')).toBe(true); // 8 + O
    expect(driver.text('\ud800')).toBe(true); // 11 + 2 O: sent as U+FFFD
    expect(driver.text('a')).toBe(false);
  });

  it.each(['client', 'server'] as const)('the %s queue bounds the number of empty messages too: each entry counts its overhead', (kind) => {
    const rec = new Recorder({ url: 'ws://a/' });
    const options = { maxQueuedBytes: 100 * O };
    const driver = kind === 'client' ? Driver.client(rec.socket, options) : Driver.server(rec.socket, options);
    let queued = 0;
    // Before, text('') cost nothing: this loop never ended.
    while (queued < 1_000_000 && driver.text('')) queued++;
    expect(queued).toBe(100);
    expect(driver.ping()).toBe(false);
    expect(driver.binary(new Uint8Array(0))).toBe(false);
  });

  it('Driver.server close() before the request arrives checks its arguments as it does later', () => {
    const driver = Driver.server({ write() {} });
    expect(() => driver.close(1005, '')).toThrow(RangeError);
    expect(() => driver.close(1000, 'x'.repeat(124))).toThrow(RangeError);
    expect(driver.readyState).toBe(0);
  });

  it('close() before open ends the connection, drops the queue, and writes nothing', () => {
    const rec = new Recorder({ url: 'ws://a/' });
    const driver = rec.attach(Driver.client(rec.socket));
    driver.text('dropped');
    expect(driver.close()).toBe(true);
    expect(rec.of('close')).toEqual([{ type: 'close', code: 1000, reason: '', wasClean: false }]);
    expect(driver.readyState).toBe(3);
    expect(driver.start()).toBe(false);
    expect(driver.text('x')).toBe(false);
    expect(rec.written.length).toBe(0);
  });

  it('a client closed while waiting for the response ignores the response', () => {
    const { driver, rec, key } = startedClient();
    driver.close();
    feed(driver, concat(responseHead({ key }), serverFrame(Op.TEXT, 'x')));
    expect(rec.types).toEqual(['close']);
    expect(rec.take().length).toBe(0);
  });

  it('Driver.server close() before the request arrives emits close once', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket));
    expect(driver.close()).toBe(true);
    expect(driver.close()).toBe(false);
    feed(driver, requestHead());
    expect(rec.types).toEqual(['close']);
    expect(driver.readyState).toBe(3);
  });
});

describe.each(BASIC_CHUNKINGS)('input before start(), fed %s', (chunking) => {
  it('a rack server holds frames that arrive before start() and delivers them after', () => {
    const rec = new Recorder({
      env: { REQUEST_METHOD: 'GET', PATH_INFO: '/', HTTP_HOST: 'a', HTTP_UPGRADE: 'websocket', HTTP_CONNECTION: 'Upgrade', HTTP_SEC_WEBSOCKET_KEY: 'dGhlIHNhbXBsZSBub25jZQ==', HTTP_SEC_WEBSOCKET_VERSION: '13' },
    });
    const driver = rec.attach(Driver.rack(rec.socket));
    const input = concat(clientFrame(Op.TEXT, 'early'), clientFrame(Op.PING, 'p'));
    feed(driver, input, chunking);
    expect(rec.events).toEqual([]);
    driver.start();
    expect(rec.types).toEqual(['open', 'message', 'ping']);
    expect(rec.messages).toEqual(['early']);
  });

  it('fails with 1009 when more than maxLength bytes arrive before start()', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket, { maxLength: 64 }));
    feed(driver, concat(requestHead(), clientFrame(Op.BINARY, new Uint8Array(100))), chunking);
    expect(rec.of('error')).toEqual([expect.objectContaining({ code: 'INPUT_BEFORE_START_TOO_LARGE', closeCode: 1009 })]);
    expect(driver.readyState).toBe(3);
  });
});

describe.each(ROLES)('$name setHeader()', (role: Role) => {
  const make = () => {
    const rec = new Recorder({ url: 'ws://a/' });
    const driver = role.name === 'client' ? Driver.client(rec.socket) : Driver.server(rec.socket);
    if (role.name === 'server') feed(driver, requestHead());
    return { driver, rec };
  };

  it.each([
    ['a CR LF in the value', 'X-A', 'v\r\nInjected: 1'],
    ['a bare LF in the value', 'X-A', 'v\nInjected: 1'],
    ['a bare CR in the value', 'X-A', 'v\rx'],
    ['a NUL in the value', 'X-A', 'v\0'],
    ['a character past Latin-1 in the value', 'X-A', 'v€'],
    ['a CR LF in the name', 'X-A\r\nInjected', 'v'],
    ['a space in the name', 'X A', 'v'],
    ['a colon in the name', 'X:A', 'v'],
    ['an empty name', '', 'v'],
  ])('throws a TypeError for %s', (_name, name, value) => {
    const { driver } = make();
    expect(() => driver.setHeader(name, value)).toThrow(TypeError);
  });

  it.each([
    'Upgrade',
    'connection',
    'SEC-WEBSOCKET-KEY',
    'Sec-WebSocket-Accept',
    'Sec-WebSocket-Version',
    'Sec-WebSocket-Protocol',
    'Sec-WebSocket-Extensions',
    'Content-Length',
    'Transfer-Encoding',
  ])('refuses %s, a header the driver manages', (name) => {
    const { driver } = make();
    expect(() => driver.setHeader(name, 'x')).toThrow(TypeError);
  });

  it('replaces a header set twice (names compared without case), and takes numbers', () => {
    const { driver, rec } = make();
    driver.setHeader('X-Count', 1);
    driver.setHeader('x-count', 2);
    driver.setHeader('X-Tab', 'a\tb');
    driver.start();
    const head = parseHead(rec.written);
    expect(head.rawHeaders.filter(([n]) => n.toLowerCase() === 'x-count')).toEqual([['x-count', '2']]);
    expect(head.headers['x-tab']).toBe('a\tb');
  });

  it('throws once the handshake was sent', () => {
    const { driver } = make();
    driver.start();
    expect(() => driver.setHeader('X-Late', 'v')).toThrow();
  });

  it('sends a Latin-1 value (obs-text) one byte per character, not as UTF-8', () => {
    const { driver, rec } = make();
    driver.setHeader('X-Name', 'Zoë \u00ff');
    driver.start();
    const bytes = rec.written;
    const line = Uint8Array.from('X-Name: Zo\u00eb \u00ff\r\n', (c) => c.charCodeAt(0));
    const at = bytes.findIndex((_, i) => line.every((b, j) => bytes[i + j] === b));
    expect(at).toBeGreaterThan(0);
  });
});

describe('options', () => {
  const factories = {
    server: (options: object) => Driver.server({ write() {} }, options),
    rack: (options: object) => Driver.rack({ write() {}, env: { REQUEST_METHOD: 'GET' } }, options),
    client: (options: object) => Driver.client({ write() {}, url: 'ws://a/' }, options),
  };

  describe.each(Object.entries(factories))('Driver.%s', (_name, make) => {
    it('throws a TypeError naming an unknown option', () => {
      expect(() => make({ maxLenght: 10 })).toThrow(TypeError);
      expect(() => make({ maxLenght: 10 })).toThrow(/maxLenght/);
    });

    it.each([
      [{ maxLength: -1 }, RangeError],
      [{ maxLength: 1.5 }, RangeError],
      [{ maxLength: Infinity }, RangeError],
      [{ maxLength: 2 ** 53 }, RangeError],
      [{ maxLength: '10' }, TypeError],
      [{ maxLength: NaN }, TypeError],
      [{ fragmentSize: 0 }, RangeError],
      [{ maxHeadSize: 10 }, RangeError],
      [{ maxHeaders: -1 }, RangeError],
      [{ maxQueuedBytes: -5 }, RangeError],
      [{ maxPendingPings: 0.5 }, RangeError],
      [{ requireMasking: 'yes' }, TypeError],
      [{ autoPong: 1 }, TypeError],
      [{ protocols: 'chat' }, TypeError],
      [{ protocols: ['has space'] }, TypeError],
      [{ protocols: [''] }, TypeError],
      [{ protocols: ['a,b'] }, TypeError],
      [{ protocols: [42] }, TypeError],
    ])('rejects %o', (options, type) => {
      expect(() => make(options)).toThrow(type);
    });

    it('accepts valid options, undefined values and no options', () => {
      expect(() => make({ maxLength: 0, fragmentSize: Infinity, protocols: ['chat', 'v2.json'], autoPong: false, maxHeadSize: undefined })).not.toThrow();
      expect(() => make(undefined as never)).not.toThrow();
    });
  });

  it('a non-object options argument throws a TypeError', () => {
    expect(() => Driver.client({ write() {}, url: 'ws://a/' }, 'x' as never)).toThrow(TypeError);
  });

  it('a socket without write() throws a TypeError', () => {
    expect(() => Driver.server({} as never)).toThrow(TypeError);
    expect(() => Driver.client({ url: 'ws://a/' } as never)).toThrow(TypeError);
    expect(() => Driver.rack(null as never)).toThrow(TypeError);
  });
});

describe.each(ROLES)('$name error events', (role: Role) => {
  it('carry a ProtocolError with a stable code, the close code and a message', () => {
    const { driver, rec } = role.open();
    feed(driver, role.peerFrame(0x3));
    const [event] = rec.of('error');
    expect(event!.error).toBeInstanceOf(ProtocolError);
    expect(event!.error).toBeInstanceOf(Error);
    expect(event!.error.name).toBe('ProtocolError');
    expect(event).toMatchObject({ code: 'RESERVED_OPCODE', closeCode: 1002 });
    expect(event!.message).toMatch(/opcode/);
  });

  it('with no error listener, malformed input does not throw and still closes', async () => {
    const { driver, rec } = role.open();
    // Drivers with no listeners at all, fed a malformed head.
    const bare = role.name === 'server' ? Driver.server({ write() {} }) : Driver.client({ write() {}, url: 'ws://a/' });
    bare.start();
    expect(() => feed(driver, role.peerFrame(Op.TEXT, Uint8Array.of(0xff)))).not.toThrow();
    expect(driver.readyState).toBe(3);
    expect(rec.of('error')).toHaveLength(1);
    expect(() => bare.parse(Uint8Array.of(0xde, 0xad, 0xbe, 0xef, 13, 10, 13, 10))).not.toThrow();
    expect(bare.readyState).toBe(3);
    // Nothing is thrown later either (vitest fails the run on an uncaught error).
    await new Promise((resolve) => setTimeout(resolve, 0));
  });
});

describe.each(ROLES)('$name listener exceptions', (role: Role) => {
  it('a throwing message listener: parse() rethrows it after delivering the whole chunk', () => {
    const { driver, rec } = role.open();
    const boom = new Error('listener failed');
    let calls = 0;
    driver.on('message', () => {
      calls++;
      throw boom;
    });
    const input = concat(role.peerFrame(Op.TEXT, 'a'), role.peerFrame(Op.PING, 'p'), role.peerFrame(Op.TEXT, 'b'));
    expect(() => feed(driver, input)).toThrow(boom);
    expect(calls).toBe(2);
    expect(rec.types).toEqual(['message', 'ping', 'message']);
    expect(rec.takeFrames().map((f) => f.opcode)).toEqual([Op.PONG]);
    expect(driver.readyState).toBe(1);
    // Later input is still read, and the driver still sends.
    expect(() => feed(driver, role.peerFrame(Op.TEXT, 'c'))).toThrow(boom);
    expect(rec.messages).toEqual(['a', 'b', 'c']);
    expect(driver.text('still works')).toBe(true);
  });

  it('when several listeners throw, the first exception surfaces and every listener ran', () => {
    const { driver, rec } = role.open();
    const first = new Error('first');
    let second = 0;
    driver.on('message', () => {
      throw first;
    });
    driver.on('message', () => {
      second++;
      throw new Error('second');
    });
    expect(() => feed(driver, role.peerFrame(Op.TEXT, 'x'))).toThrow(first);
    expect(second).toBe(1);
    expect(rec.messages).toEqual(['x']);
  });

  it('a throwing error listener does not stop the failure: close frame sent, close emitted', () => {
    const { driver, rec } = role.open();
    driver.on('error', () => {
      throw new Error('from error listener');
    });
    expect(() => feed(driver, role.peerFrame(0x3))).toThrow('from error listener');
    expect(rec.types).toEqual(['error', 'close']);
    expect(rec.takeFrames().map((f) => f.opcode)).toEqual([Op.CLOSE]);
    expect(driver.readyState).toBe(3);
  });

  it('a throwing close listener: transportClosed() rethrows, the driver is closed, close fired once', () => {
    const { driver, rec } = role.open();
    driver.on('close', () => {
      throw new Error('from close listener');
    });
    expect(() => driver.transportClosed()).toThrow('from close listener');
    expect(driver.readyState).toBe(3);
    expect(() => driver.transportClosed()).not.toThrow();
    expect(rec.of('close')).toHaveLength(1);
  });

  it('a throwing ping callback surfaces from parse(), and the pong is still reported', () => {
    const { driver, rec } = role.open();
    driver.ping('p', () => {
      throw new Error('from callback');
    });
    expect(() => feed(driver, concat(role.peerFrame(Op.PONG, 'p'), role.peerFrame(Op.TEXT, 'after')))).toThrow('from callback');
    expect(rec.types).toEqual(['pong', 'message']);
  });

  it('a listener may call the driver: an echo and a close() from inside message are written in order', () => {
    const { driver, rec } = role.open();
    driver.on('message', (event) => {
      driver.text(`echo ${String(event.data)}`);
      if (event.data === 'bye') driver.close(1000, 'done');
    });
    feed(driver, concat(role.peerFrame(Op.TEXT, 'hi'), role.peerFrame(Op.TEXT, 'bye'), role.peerFrame(Op.TEXT, 'after close')));
    expect(rec.messages).toEqual(['hi', 'bye', 'after close']);
    expect(rec.takeFrames().map((f) => [f.opcode, f.opcode === Op.CLOSE ? '' : text(f.payload)])).toEqual([
      [Op.TEXT, 'echo hi'],
      [Op.TEXT, 'echo bye'],
      [Op.CLOSE, ''],
    ]);
    expect(driver.readyState).toBe(2);
  });
});

describe('a throwing open listener', () => {
  it('server: start() rethrows, but the 101 was written and the driver is open', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket));
    driver.on('open', () => {
      throw new Error('from open');
    });
    feed(driver, concat(requestHead(), clientFrame(Op.TEXT, 'held')));
    expect(() => driver.start()).toThrow('from open');
    expect(parseHead(rec.written).status).toBe(101);
    expect(driver.readyState).toBe(1);
    expect(rec.messages).toEqual(['held']);
  });

  it('client: parse() rethrows, but frames after the response were delivered', () => {
    const { driver, rec, key } = startedClient();
    driver.on('open', () => {
      throw new Error('from open');
    });
    expect(() => feed(driver, concat(responseHead({ key }), serverFrame(Op.TEXT, 'x')))).toThrow('from open');
    expect(driver.readyState).toBe(1);
    expect(rec.types).toEqual(['open', 'message']);
  });
});

describe('event methods', () => {
  it('on, once and off are chainable; once fires once; off removes on and once listeners', () => {
    const { driver, rec } = openServer();
    const seen: string[] = [];
    const onListener = (e: { data: string | Uint8Array }) => seen.push(`on ${String(e.data)}`);
    const onceListener = (e: { data: string | Uint8Array }) => seen.push(`once ${String(e.data)}`);
    const removedOnce = () => seen.push('removed once');
    expect(driver.on('message', onListener).once('message', onceListener).once('message', removedOnce)).toBe(driver);
    expect(driver.off('message', removedOnce)).toBe(driver);
    feed(driver, clientFrame(Op.TEXT, '1'));
    driver.off('message', onListener);
    feed(driver, clientFrame(Op.TEXT, '2'));
    expect(seen).toEqual(['on 1', 'once 1']);
    expect(rec.messages).toEqual(['1', '2']);
  });

  it('calls listeners with the driver as this, also after Driver.server hands over', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket));
    const seen: unknown[] = [];
    function record(this: unknown) {
      seen.push(this);
    }
    driver.on('connect', record).on('open', record).once('message', record);
    feed(driver, requestHead());
    driver.start();
    feed(driver, clientFrame(Op.TEXT, 'x'));
    expect(seen).toEqual([driver, driver, driver]);
  });

  it('one, two, then one listener of a type again: each runs once per event, in order', () => {
    const { driver } = openServer();
    const seen: string[] = [];
    const a = () => seen.push('a');
    const b = () => seen.push('b');
    driver.on('message', a);
    feed(driver, clientFrame(Op.TEXT, '1'));
    driver.on('message', b);
    feed(driver, clientFrame(Op.TEXT, '2'));
    driver.off('message', a);
    feed(driver, clientFrame(Op.TEXT, '3'));
    driver.off('message', b);
    driver.off('message', b);
    feed(driver, clientFrame(Op.TEXT, '4'));
    driver.on('message', a);
    feed(driver, clientFrame(Op.TEXT, '5'));
    expect(seen).toEqual(['a', 'a', 'b', 'b', 'a']);
  });

  it('readyState goes 0, 1, 2, 3 through a normal life', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket));
    const states = [driver.readyState];
    feed(driver, requestHead());
    driver.start();
    states.push(driver.readyState);
    driver.close();
    states.push(driver.readyState);
    feed(driver, clientFrame(Op.CLOSE, closePayload(1000)));
    states.push(driver.readyState);
    expect(states).toEqual([0, 1, 2, 3]);
  });

  it('parse() takes a Node Buffer, and ignores empty chunks', () => {
    const { driver, rec } = openServer();
    driver.parse(new Uint8Array(0));
    driver.parse(Buffer.from(clientFrame(Op.TEXT, 'from a Buffer')));
    expect(rec.messages).toEqual(['from a Buffer']);
  });

  it('binary() takes an ArrayBuffer and other views', () => {
    const { driver, rec } = openClient();
    driver.binary(Uint8Array.of(1, 2).buffer);
    driver.binary(new Uint16Array([0x0403]));
    driver.binary(Buffer.from([5]));
    expect(rec.takeFrames().map((f) => [...f.payload])).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('text() throws a TypeError for a non-string', () => {
    const { driver } = openClient();
    expect(() => driver.text(42 as never)).toThrow(TypeError);
  });
});
