/**
 * The receive path's per-connection objects keep fast properties however
 * connections come and go.
 *
 * V8 sizes a class's instances from the first seven it makes (in-object
 * slack tracking). If none of those is alive when the seventh is made (short
 * connections with a full GC between them, as a quiet server or the
 * benchmark's rows have), every later instance gets no in-object fields, and
 * a class with 16 or more fields, counting a private-method brand, defined
 * through private names then makes every new instance a dictionary: each
 * field read becomes a hash lookup. With a MessageReader of 16 fields, a
 * server received small messages at about 2.5x the CPU time for the rest of
 * the process (bench/analysis.md, "Small receive rows after large text").
 *
 * `%HasFastProperties` is V8's own answer, so this runs in a child process
 * started with --allow-natives-syntax.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

// Each class is made one instance at a time with a full GC before each, so
// none is alive when the next is made; the last ones come after slack
// tracking has ended.
const CHILD = `
const lib = new URL('lib/', ${JSON.stringify(new URL('../../', import.meta.url).href)});
const load = (path) => import(new URL(path, lib).href);
const { MessageReader } = await load('hybi/message-reader.ts');
const { FrameParser } = await load('frame/frame-parser.ts');
const { FrameWriter } = await load('frame/frame-encoder.ts');
const { TextAssembler } = await load('frame/text-assembler.ts');
const { EventHub } = await load('emitter.ts');
const sink = { onMessage() {}, onControl() {}, onReadError() {}, onFrameHeader() { return true; }, onFramePayload() { return true; }, wantsWholeFrame() { return false; }, onFrameError() {} };
const rules = { role: 'server', requireMasking: true, maxLength: 1024 };
const socket = { write() {} };
// What HybiDriver makes: its own subclass of the reader, which is the sink
// and adds one field (the driver).
class DriverReader extends MessageReader {
  #driver = null;
  constructor() {
    super(1024);
  }
  onMessage() {}
  onControl() {}
  onReadError() {}
}
const classes = {
  MessageReader: () => new DriverReader(),
  FrameParser: () => new FrameParser(sink, rules),
  FrameWriter: () => new FrameWriter(socket, false, 1024),
  TextAssembler: () => new TextAssembler(),
  EventHub: () => new EventHub(socket),
};
const result = {};
for (const [name, make] of Object.entries(classes)) {
  const check = () => %HasFastProperties(make());
  const fast = [];
  for (let i = 0; i < 10; i++) {
    gc();
    fast.push(check());
  }
  result[name] = fast;
}
console.log(JSON.stringify(result));
`;

describe('per-connection objects of the receive path', () => {
  it('stay fast-property objects once V8 has sized them with no instance alive', () => {
    const child = spawnSync(process.execPath, ['--allow-natives-syntax', '--expose-gc', '--import', 'tsx', '--input-type=module', '-e', CHILD], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(child.stderr).toBe('');
    const result = JSON.parse(child.stdout) as Record<string, boolean[]>;
    expect(Object.keys(result)).toEqual(['MessageReader', 'FrameParser', 'FrameWriter', 'TextAssembler', 'EventHub']);
    for (const [name, fast] of Object.entries(result)) {
      expect({ name, fast }).toEqual({ name, fast: Array(10).fill(true) });
    }
  });
});
