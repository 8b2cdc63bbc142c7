/**
 * The differential target's excuses are checked, not assumed: two
 * different faults are excused (TWO_FAULTS_ONE_FRAME) only when both sides
 * failed in the same frame. Before, any two differing errors were excused.
 */
import { describe, expect, it } from 'vitest';
import { Op, clientFrame, concat, serverFrame } from '../test/helpers/index.js';
import { KNOWN, classify, faultOffset, frameIndexAt, runWs } from './targets/differential.js';

const error = (code: string, closeCode: number) => ({ type: 'error' as const, code, closeCode });

describe('differential fuzz target: which frame failed', () => {
  it('frameIndexAt cuts a stream where its headers say, for 7-bit, 16-bit and 64-bit lengths, masked or not', () => {
    const a = clientFrame(Op.TEXT, 'x'.repeat(10)); // 2 + 4 + 10
    const b = serverFrame(Op.BINARY, new Uint8Array(300)); // 2 + 2 + 300
    const c = serverFrame(Op.BINARY, new Uint8Array(70_000)); // 2 + 8 + 70000
    const wire = concat(a, b, c, Uint8Array.of(0x81));
    expect(frameIndexAt(wire, 0)).toBe(0);
    expect(frameIndexAt(wire, a.length - 1)).toBe(0);
    expect(frameIndexAt(wire, a.length)).toBe(1);
    expect(frameIndexAt(wire, a.length + b.length - 1)).toBe(1);
    expect(frameIndexAt(wire, a.length + b.length + 9)).toBe(2);
    expect(frameIndexAt(wire, a.length + b.length + c.length)).toBe(3); // the partial frame
  });

  it('faultOffset finds the byte whose arrival makes ws fail', () => {
    // A server reading an unmasked frame: ws fails on the header's second byte.
    const good = clientFrame(Op.TEXT, 'fine');
    const wire = concat(good, serverFrame(Op.TEXT, 'unmasked'));
    const offset = faultOffset(wire, (prefix) => runWs('server', 1000, [prefix]));
    expect(offset).toBe(good.length + 1);
    expect(frameIndexAt(wire, offset)).toBe(1);
    expect(faultOffset(good, (prefix) => runWs('server', 1000, [prefix]))).toBe(-1);
  });

  it('excuses two different faults only when they are in the same frame', () => {
    const ours = [error('MESSAGE_TOO_LONG', 1009)];
    const theirs = [error('WS_ERR_INVALID_OPCODE', 1002)];
    expect(classify(ours, theirs, () => [3, 3])).toBe('TWO_FAULTS_ONE_FRAME');
    const apart = classify(ours, theirs, () => [1, 3]);
    expect(apart).toMatch(/^UNCLASSIFIED two faults in different frames/);
    expect(apart! in KNOWN).toBe(false); // so the fuzz run fails on it
  });

  it('does not compute frames when the errors agree', () => {
    let asked = false;
    const same = [error('UNMASKED_FRAME', 1002)];
    expect(classify(same, [error('WS_ERR_EXPECTED_MASK', 1002)], () => ((asked = true), [0, 0]))).toBeNull();
    expect(asked).toBe(false);
  });
});
