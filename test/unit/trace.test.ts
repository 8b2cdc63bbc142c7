// The `trace` option: every frame read and written, in readable form.
import { describe, expect, it } from 'vitest';
import { Driver, PreparedMessage, traceFrames, type DriverOptions } from '../../lib/index.js';
import type { FrameTrace } from '../../lib/frame/frame-trace.js';
import { DEFAULT_OPTIONS } from '../../lib/options.js';
import { BASIC_CHUNKINGS, feed, Op, Pair, Recorder, requestHead, clientFrame, closePayload, concat } from '../helpers/index.js';

function traced(): { trace: FrameTrace[]; options: DriverOptions } {
  const trace: FrameTrace[] = [];
  return { trace, options: { trace: traceFrames((frame) => trace.push(frame)) } };
}

describe('the trace option', () => {
  it('is off by default and takes traceFrames(listener) or null', () => {
    expect(DEFAULT_OPTIONS.trace).toBeNull();
    expect(() => Driver.client({ write() {}, url: 'ws://a/' }, { trace: 5 as never })).toThrow(/'trace' must be traceFrames\(listener\) or null/);
    // A bare listener is refused with a message that names traceFrames.
    expect(() => Driver.client({ write() {}, url: 'ws://a/' }, { trace: (() => {}) as never })).toThrow(/takes traceFrames\(listener\), not the listener itself/);
    expect(() => traceFrames(5 as never)).toThrow(TypeError);
    expect(() => Driver.client({ write() {}, url: 'ws://a/' }, { trace: null })).not.toThrow();
  });

  it('reports each frame both ends write and read, with its flags and a preview', () => {
    const client = traced();
    const server = traced();
    const pair = new Pair({ client: client.options, server: server.options }).connect();
    pair.client.text('hello');
    pair.flush();
    pair.server.binary(Uint8Array.of(1, 2, 255));
    pair.flush();
    pair.client.close(1000, 'bye');
    pair.flush();

    const text = { opcode: 'text', fin: true, rsv: 0, masked: true, length: 5, preview: '"hello"' };
    const binary = { opcode: 'binary', fin: true, rsv: 0, masked: false, length: 3, preview: '01 02 ff' };
    const clientClose = { opcode: 'close', fin: true, rsv: 0, masked: true, length: 5, preview: '1000 "bye"' };
    const serverClose = { opcode: 'close', fin: true, rsv: 0, masked: false, length: 2, preview: '1000 ""' };
    expect(client.trace).toEqual([
      { direction: 'out', ...text },
      { direction: 'in', ...binary },
      { direction: 'out', ...clientClose },
      { direction: 'in', ...serverClose },
    ]);
    expect(server.trace).toEqual([
      { direction: 'in', ...text },
      { direction: 'out', ...binary },
      { direction: 'in', ...clientClose },
      { direction: 'out', ...serverClose },
    ]);
    // Tracing changes nothing on the wire.
    expect(pair.serverRec.messages).toEqual(['hello']);
    expect(pair.clientRec.messages).toEqual([Uint8Array.of(1, 2, 255)]);
  });

  it.each(BASIC_CHUNKINGS)('reports fragments one by one and cuts a long preview (fed %s)', (chunking) => {
    const { trace, options } = traced();
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket, options));
    driver.on('connect', () => driver.start());
    const long = 'x'.repeat(100);
    feed(driver, concat(requestHead(), clientFrame(Op.TEXT, long, { fin: false }), clientFrame(Op.CONTINUATION, 'end'), clientFrame(Op.CLOSE, closePayload(1000))), chunking);
    expect(trace.map((f) => [f.direction, f.opcode, f.fin, f.length, f.preview])).toEqual([
      ['in', 'text', false, 100, JSON.stringify('x'.repeat(32)) + '…'],
      ['in', 'continuation', true, 3, '65 6e 64'],
      ['in', 'close', true, 2, '1000 ""'],
      ['out', 'close', true, 2, '1000 ""'],
    ]);
    expect(rec.messages).toEqual([long + 'end']);
  });

  it('reports a fragmented outgoing message frame by frame', () => {
    const { trace, options } = traced();
    const pair = new Pair({ server: { ...options, fragmentSize: 4 } }).connect();
    pair.server.text('abcdefghij');
    pair.flush();
    expect(trace.map((f) => [f.opcode, f.fin, f.length])).toEqual([
      ['text', false, 4],
      ['continuation', false, 4],
      ['continuation', true, 2],
    ]);
    expect(pair.clientRec.messages).toEqual(['abcdefghij']);
  });
});

describe('the trace option and prepared messages', () => {
  it('reports a prepared message written as it is, from its shared frame', () => {
    const server = traced();
    const pair = new Pair({ server: server.options }).connect();
    pair.server.sendPrepared(new PreparedMessage('x'.repeat(300)));
    pair.flush();
    expect(server.trace.at(-1)).toMatchObject({ direction: 'out', opcode: 'text', fin: true, rsv: 0, masked: false, length: 300 });
    expect(pair.clientRec.messages).toEqual(['x'.repeat(300)]);
  });
});
