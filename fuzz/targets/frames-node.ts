/**
 * Fuzz target `frames-node`: the `frames` target's inputs and checks, with
 * the Node adapter's UTF-8 hooks installed (`buffer.isUtf8` checks text
 * piece by piece, and a text message's bytes are gathered and decoded once
 * at its end), so the path a Node server takes agrees with the same model.
 */
import { useNodeTextDecoder } from '../../lib/adapters/node/native-text.js';
import { useNodeUtf8Check } from '../../lib/adapters/node/native-utf8.js';
import { useCheckedTextDecoder } from '../../lib/frame/checked-text.js';
import { useNativeUtf8Check } from '../../lib/frame/utf8-validator.js';
import { checkFrameCase, framesTarget, type FrameCase } from './frames.js';
import type { FuzzTarget } from './target.js';

export const framesNodeTarget: FuzzTarget<FrameCase> = {
  name: 'frames-node',
  description: 'the frames target, with the native UTF-8 check and checked-text decoder of the Node adapter installed',
  arbitrary: framesTarget.arbitrary,
  check(input) {
    useNodeUtf8Check();
    useNodeTextDecoder();
    try {
      framesTarget.check(input);
    } finally {
      useNativeUtf8Check(null);
      useCheckedTextDecoder(null);
    }
  },
};

/**
 * Fuzz target `frames-borrowed`: the `frames-node` target with every chunk
 * parsed as borrowed input out of one buffer overwritten after each call,
 * as the Node adapter's shared read buffer is (lib/adapters/node/read-buffer.ts):
 * nothing the driver keeps or delivers may change with it.
 */
export const framesBorrowedTarget: FuzzTarget<FrameCase> = {
  name: 'frames-borrowed',
  description: 'the frames-node target, each chunk parsed as borrowed input from one buffer overwritten after every parse()',
  arbitrary: framesTarget.arbitrary,
  check(input) {
    useNodeUtf8Check();
    useNodeTextDecoder();
    try {
      checkFrameCase(input, true);
    } finally {
      useNativeUtf8Check(null);
      useCheckedTextDecoder(null);
    }
  },
};
