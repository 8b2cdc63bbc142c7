// Run by load-heap.test.ts with --expose-gc, from the package root: prints
// the heap (after GC) that loading `wsdriver` and `wsdriver/node` adds
// (argv[2]: esm or cjs), and the builtins that loading brought in. This
// file is itself an ES module, so both module loaders are in the baseline.
import { createRequire } from 'node:module';
import { getHeapStatistics } from 'node:v8';

const require = createRequire(import.meta.url);
const heap = () => {
  gc();
  gc();
  return getHeapStatistics().used_heap_size;
};
const loaded = new Set(process.moduleLoadList);
const before = heap();
// The package's own name resolves to this package (self-reference).
if (process.argv[2] === 'esm') {
  await import('wsdriver');
  await import('wsdriver/node');
} else {
  require('wsdriver');
  require('wsdriver/node');
}
const added = heap() - before;
// process.moduleLoadList names each builtin Node has loaded, in order.
const builtins = process.moduleLoadList.filter((m) => !loaded.has(m) && m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length));
console.log(JSON.stringify({ added, builtins }));
