/**
 * Large received messages reuse memory malloc got back, rather than have
 * the kernel fault in and zero fresh pages for each one
 * (lib/adapters/node/malloc-threshold.ts).
 *
 * A server driver with `wsdriver/node` loaded receives 1 MiB masked binary
 * frames in 64 KiB reads from one reused buffer (as the adapter's shared
 * read buffer delivers them) and drops each message; a full GC after every
 * 24 frees them in a batch, as V8's mark-compacts do in a busy server.
 * Measured: minor page faults per message (`process.resourceUsage()`),
 * the kernel's own count. With glibc's default thresholds the heap is
 * trimmed after each batch and every message faults in about all of its
 * 256 pages (247-267 measured); with the thresholds moved, 5-15.
 *
 * glibc only (the thresholds are glibc's), in a child process of its own
 * (malloc's state is per process) without `GLIBC_TUNABLES`, which would fix
 * the thresholds whatever the adapter does.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const onGlibc = Boolean((process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header?.glibcVersionRuntime);

const CHILD = `
const lib = new URL('lib/', ${JSON.stringify(new URL('../../', import.meta.url).href)});
const { Driver } = await import(new URL('index.ts', lib).href);
await import(new URL('adapters/node/index.ts', lib).href);
const driver = Driver.server({ write() {} });
driver.on('connect', () => driver.start());
driver.parse(new TextEncoder().encode('GET / HTTP/1.1\\r\\nHost: x\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\\r\\nSec-WebSocket-Version: 13\\r\\n\\r\\n'));
let messages = 0;
let wrong = 0;
driver.on('message', ({ data }) => {
  messages++;
  if (data.length !== SIZE || data[0] !== 0x61 || data[SIZE - 1] !== 0x61) wrong++;
});
const SIZE = 1 << 20;
const KEY = [1, 2, 3, 4];
// A masked binary frame of SIZE bytes of 'a' (127: a 64-bit length follows).
const frame = new Uint8Array(14 + SIZE);
frame.set([0x82, 0xff, 0, 0, 0, 0, 0, 0x10, 0, 0, ...KEY]);
for (let i = 0; i < SIZE; i++) frame[14 + i] = 0x61 ^ KEY[i & 3];
const read = new Uint8Array(65536);
const receive = () => {
  for (let at = 0; at < frame.length; at += read.length) {
    const n = Math.min(read.length, frame.length - at);
    read.set(frame.subarray(at, at + n));
    driver.parse(read.subarray(0, n));
  }
};
// One batch first: the move, and malloc's heap grown once.
for (let i = 0; i < 24; i++) receive();
gc();
gc();
const before = process.resourceUsage().minorPageFault;
for (let batch = 0; batch < 4; batch++) {
  for (let i = 0; i < 24; i++) receive();
  gc();
}
console.log(JSON.stringify({ messages, wrong, faultsPerMessage: (process.resourceUsage().minorPageFault - before) / 96 }));
`;

describe('large received messages on Node (glibc)', () => {
  it.skipIf(!onGlibc)('reuse freed memory: a 1 MiB message faults in at most a quarter of its pages', () => {
    const env = { ...process.env };
    delete env.GLIBC_TUNABLES;
    delete env.MALLOC_MMAP_THRESHOLD_;
    delete env.MALLOC_TRIM_THRESHOLD_;
    const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', CHILD], { cwd: root, encoding: 'utf8', env, timeout: 60_000 });
    expect(child.stderr).toBe('');
    const result = JSON.parse(child.stdout) as { messages: number; wrong: number; faultsPerMessage: number };
    expect(result.messages).toBe(120);
    expect(result.wrong).toBe(0);
    expect(result.faultsPerMessage).toBeLessThan(64);
  });
});
