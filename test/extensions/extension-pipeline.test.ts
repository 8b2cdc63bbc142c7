/**
 * lib/extensions/extension-pipeline.ts on its own: two sessions that answer
 * when the test says, out of order on purpose; the order messages come
 * out, the order the sessions see them, failures and closing.
 */
import { describe, expect, it } from 'vitest';
import { ExtensionPipeline } from '../../lib/extensions/extension-pipeline.js';
import type { ExtensionCallback, ExtensionMessage, ExtensionSession } from '../../lib/index.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (message: ExtensionMessage | null) => new TextDecoder().decode(message!.data);
const message = (data: string): ExtensionMessage => ({ rsv1: false, rsv2: false, rsv3: false, opcode: 1, data: bytes(data) });

/** Appends its tag to each message, in either direction, when `answer(i)` is called. */
class HeldSession implements ExtensionSession {
  readonly waiting: Array<{ message: ExtensionMessage; callback: ExtensionCallback }> = [];
  closed = 0;
  constructor(readonly tag: string) {}
  processIncomingMessage(m: ExtensionMessage, callback: ExtensionCallback): void {
    this.waiting.push({ message: m, callback });
  }
  processOutgoingMessage(m: ExtensionMessage, callback: ExtensionCallback): void {
    this.waiting.push({ message: m, callback });
  }
  close(): void {
    this.closed++;
  }
  /** Answers the message at `index` of those still waiting: tagged, or with `error`. */
  answer(index = 0, error?: Error): void {
    const [item] = this.waiting.splice(index, 1);
    if (error !== undefined) item!.callback(error, null);
    else item!.callback(null, { ...item!.message, data: bytes(text(item!.message) + this.tag) });
  }
}

function setup() {
  const a = new HeldSession('a');
  const b = new HeldSession('b');
  const pipeline = new ExtensionPipeline([
    { name: 'x-a', session: a },
    { name: 'x-b', session: b },
  ]);
  const out: Array<string | Error> = [];
  const done = (error: Error | null, result: ExtensionMessage | null) => out.push(error ?? text(result));
  return { a, b, pipeline, out, done };
}

describe('ExtensionPipeline', () => {
  it('sends through the first session first and receives through the last first', () => {
    const { a, b, pipeline, out, done } = setup();
    pipeline.outgoing(message('o'), done);
    pipeline.incoming(message('i'), done);
    a.answer(0); // o
    b.answer(0); // i
    b.answer(0); // oa
    a.answer(0); // ib
    expect(out).toEqual(['oab', 'iba']);
  });

  it('passes answers on in the order the messages came, however late each answer is', () => {
    const { a, b, pipeline, out, done } = setup();
    for (const m of ['1', '2', '3']) pipeline.outgoing(message(m), done);
    a.answer(2);
    a.answer(1);
    expect(b.waiting).toHaveLength(0);
    a.answer(0);
    expect(b.waiting.map((w) => text(w.message))).toEqual(['1a', '2a', '3a']);
    b.answer(1);
    b.answer(1);
    expect(out).toEqual([]);
    b.answer(0);
    expect(out).toEqual(['1ab', '2ab', '3ab']);
  });

  it('a failure comes out behind the messages before it, named for its extension; that direction then takes nothing', () => {
    const { a, b, pipeline, out, done } = setup();
    pipeline.incoming(message('1'), done);
    pipeline.incoming(message('2'), done);
    pipeline.incoming(message('3'), done);
    b.answer(1, new Error('cannot decode'));
    expect(out).toEqual([]);
    b.answer(0);
    a.answer(0);
    expect(out).toEqual(['1ba', expect.objectContaining({ message: 'x-b: cannot decode' })]);
    // The third is dropped; new incoming messages are not taken, outgoing ones still are.
    b.answer(0);
    pipeline.incoming(message('4'), done);
    expect(b.waiting).toHaveLength(0);
    pipeline.outgoing(message('5'), done);
    expect(a.waiting).toHaveLength(1);
    expect(out).toHaveLength(2);
  });

  it('a session that throws fails the message; one that calls back twice counts once; a frozen error passes unnamed', () => {
    const out: Array<string | Error> = [];
    const done = (error: Error | null, result: ExtensionMessage | null) => out.push(error ?? text(result));
    const session = (incoming: ExtensionSession['processIncomingMessage']): ExtensionSession => ({ processIncomingMessage: incoming, processOutgoingMessage: () => {} });
    new ExtensionPipeline([{ name: 'x-t', session: session(() => {
      throw new Error('boom');
    }) }]).incoming(message('1'), done);
    expect(out).toEqual([expect.objectContaining({ message: 'x-t: boom' })]);
    new ExtensionPipeline([{ name: 'x-2', session: session((m, cb) => {
      cb(null, m);
      cb(null, m);
    }) }]).incoming(message('2'), done);
    expect(out.slice(1)).toEqual(['2']);
    const frozen = Object.freeze(new Error('frozen'));
    new ExtensionPipeline([{ name: 'x-f', session: session((_m, cb) => cb(frozen, null)) }]).incoming(message('3'), done);
    expect(out.slice(2)).toEqual([frozen]);
  });

  it('close drops what is under way and closes each session once it has answered what it was given', () => {
    const { a, b, pipeline, out, done } = setup();
    pipeline.outgoing(message('1'), done);
    pipeline.close();
    expect(b.closed).toBe(1);
    expect(a.closed).toBe(0);
    a.answer(0);
    expect(a.closed).toBe(1);
    // The closed session b is not given the answer; nothing comes out, nothing more is taken.
    expect(b.waiting).toHaveLength(0);
    pipeline.outgoing(message('2'), done);
    expect(a.waiting).toHaveLength(0);
    expect(out).toEqual([]);
    pipeline.close();
    expect([a.closed, b.closed]).toEqual([1, 1]);
  });
});
