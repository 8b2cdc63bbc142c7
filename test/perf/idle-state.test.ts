/**
 * Per-connection state made on first need (bench/memory.ts measures what an
 * idle connection holds): what is made late must behave as if made early.
 */
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Driver } from '../../lib/index.js';
import { FrameWriter } from '../../lib/frame/frame-encoder.js';
import { FrameParser } from '../../lib/frame/frame-parser.js';
import { MessageReader } from '../../lib/hybi/message-reader.js';
import { clientFrame, Op, openServer, requestHead } from '../helpers/index.js';

describe('an open server connection builds its Rack env on first access', () => {
  it('the env describes the request and is the same object on every read', () => {
    const { driver } = openServer();
    const env = driver.env!;
    expect(env.REQUEST_METHOD).toBe('GET');
    expect(env['HTTP_UPGRADE']).toBe('websocket');
    expect(driver.env).toBe(env);
  });
});

describe('ping callbacks registered on an idle connection', () => {
  it('run on the matching pong, once each, in the open and closing states', () => {
    const { driver } = openServer();
    const calls: string[] = [];
    driver.parse(clientFrame(Op.PONG, 'a'));
    driver.ping('a', () => calls.push('a'));
    driver.parse(clientFrame(Op.PONG, 'a'));
    driver.parse(clientFrame(Op.PONG, 'a'));
    driver.ping('b', () => calls.push('b'));
    driver.close();
    driver.parse(clientFrame(Op.PONG, 'b'));
    expect(calls).toEqual(['a', 'b']);
  });
});

describe('listener exceptions on the allocation-free call paths', () => {
  it('parse() finishes the chunk, then rethrows the first listener exception', () => {
    const { driver } = openServer();
    const seen: string[] = [];
    driver.on('message', (event) => {
      seen.push(event.data as string);
      throw new Error(`listener saw ${String(event.data)}`);
    });
    expect(() => driver.parse(new Uint8Array([...clientFrame(Op.TEXT, 'one'), ...clientFrame(Op.TEXT, 'two')]))).toThrow('listener saw one');
    expect(seen).toEqual(['one', 'two']);
    expect(driver.readyState).toBe(1);
  });

  it('text() sent from a listener inside parse() goes out, and the outer call rethrows', () => {
    const written: Uint8Array[] = [];
    const driver = Driver.server({ write: (bytes) => void written.push(bytes) });
    driver.parse(requestHead());
    driver.start();
    written.length = 0;
    driver.on('message', () => {
      expect(driver.text('echo')).toBe(true);
      throw new Error('after echo');
    });
    expect(() => driver.parse(clientFrame(Op.TEXT, 'hi'))).toThrow('after echo');
    expect(written).toHaveLength(1);
  });

  it('input before start() is held, then read at start()', () => {
    const driver = Driver.server({ write: () => {} });
    const messages: unknown[] = [];
    driver.on('message', (event) => messages.push(event.data));
    driver.parse(new Uint8Array([...requestHead(), ...clientFrame(Op.TEXT, 'early')]));
    expect(driver.retainedBytes).toBeGreaterThan(0);
    driver.start();
    expect(messages).toEqual(['early']);
    expect(driver.retainedBytes).toBe(0);
  });
});

/**
 * Live objects of a class, counted by V8 (after a full collection), so the
 * frame layer's absence is asserted without reading private fields.
 */
function live(constructor: abstract new (...args: never[]) => unknown): number {
  return v8.queryObjects(constructor as unknown as (...args: unknown[]) => unknown, { format: 'count' }) as number;
}

describe('an open connection makes its frame layer on first use', () => {
  const COUNT = 20;

  it('holds no frame parser, message reader or frame writer until a frame arrives or is sent', () => {
    const before = [live(FrameParser), live(MessageReader), live(FrameWriter)];
    const servers = Array.from({ length: COUNT }, () => openServer());
    expect([live(FrameParser), live(MessageReader), live(FrameWriter)]).toEqual(before);

    // A frame received makes the reading side only.
    for (const { driver } of servers) driver.parse(clientFrame(Op.TEXT, 'hi'));
    expect([live(FrameParser), live(MessageReader), live(FrameWriter)]).toEqual([before[0]! + COUNT, before[1]! + COUNT, before[2]]);

    // A message sent makes the writer.
    for (const { driver } of servers) driver.text('back');
    expect(live(FrameWriter)).toBe(before[2]! + COUNT);

    for (const { rec } of servers) expect(rec.messages).toEqual(['hi']);
  });

  it('a connection that sends before it ever receives reads its first frame afterwards', () => {
    const { driver, rec } = openServer();
    driver.text('first');
    driver.parse(clientFrame(Op.TEXT, 'reply'));
    expect(rec.messages).toEqual(['reply']);
  });

  it('closing a connection that never read a frame sends the close frame and reads nothing after it', () => {
    const { driver, rec } = openServer();
    expect(driver.close('bye', 1000)).toBe(true);
    expect(rec.takeFrames().map((f) => f.opcode)).toEqual([Op.CLOSE]);
    driver.parse(clientFrame(Op.CLOSE, new Uint8Array([0x03, 0xe8])));
    driver.parse(clientFrame(Op.TEXT, 'late'));
    expect(rec.types).toEqual(['close']);
    expect(rec.of('close')[0]).toMatchObject({ code: 1000, wasClean: true });
    expect(rec.take()).toHaveLength(0);
  });
});

describe('heap held per open, idle server connection', () => {
  it('stays under the 1.75 KiB that ws holds per connection (bench/memory.ts)', () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const socket = { write(): void {} };
    const head = requestHead();
    const open = () => {
      const driver = Driver.server(socket);
      driver.parse(head.slice());
      driver.start();
      return driver;
    };
    // One-off allocations (compiled code, caches) happen before the baseline.
    const warm = [open(), open()];
    const COUNT = 2000;
    gc();
    const before = process.memoryUsage().heapUsed;
    const held = Array.from({ length: COUNT }, open);
    gc();
    const perConnection = (process.memoryUsage().heapUsed - before) / COUNT;
    // Both lists stay alive up to here, so neither is collected early.
    expect([...warm, ...held].every((driver) => driver.readyState === 1)).toBe(true);
    expect(perConnection).toBeLessThan(1.75 * 1024);
  });
});
