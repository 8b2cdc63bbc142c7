// The layer rule: no module in lib/ imports from a higher layer, and no
// two folders import each other. The table is layer-table.ts.
import { readdirSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importEdges, layerOf, unitCycles, upwardImports } from './import-graph.js';
import { LAYERS, type Layer } from './layer-table.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));

function libSources(): Map<string, string> {
  const sources = new Map<string, string>();
  const walk = (folder: string): void => {
    for (const entry of readdirSync(repo + folder, { withFileTypes: true })) {
      const path = posix.join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) sources.set(path, readFileSync(repo + path, 'utf8'));
    }
  };
  walk('lib');
  return sources;
}

describe('the layers of lib/', () => {
  const sources = libSources();
  const edges = importEdges(sources);

  it('puts every file in a layer', () => {
    const unplaced = [...sources.keys()].filter((file) => layerOf(file, LAYERS) < 0);
    expect(unplaced).toEqual([]);
  });

  it('reads the imports (sanity: the graph is not empty and resolves to real files)', () => {
    expect(edges.length).toBeGreaterThan(100);
    const missing = edges.filter((edge) => !sources.has(edge.to)).map((edge) => `${edge.from} -> ${edge.to}`);
    expect(missing).toEqual([]);
  });

  it('has no import from a higher layer', () => {
    expect(upwardImports(edges, LAYERS)).toEqual([]);
  });

  it('has no cycle between folders', () => {
    expect(unitCycles(edges, 'lib')).toEqual([]);
  });
});

describe('the layer checker', () => {
  const layers: Layer[] = [
    { name: 'low', paths: ['lib/a/', 'lib/top.ts'] },
    { name: 'high', paths: ['lib/b/', 'lib/b/entry.ts'] },
  ];

  it('reports an import from a higher layer, multi-line and type-only imports included', () => {
    const sources = new Map([
      ['lib/a/x.ts', "import type {\n  Y,\n} from '../b/y.js';\n"],
      ['lib/b/y.ts', "import { X } from '../a/x.js';\n"],
    ]);
    expect(upwardImports(importEdges(sources), layers)).toEqual(['lib/a/x.ts (low) imports lib/b/y.ts (high)']);
  });

  it('ignores imports shown in comments and package imports', () => {
    const sources = new Map([['lib/a/x.ts', "/**\n * import { Y } from '../b/y.js';\n */\n// import '../b/y.js';\nimport 'node:fs';\n"]]);
    expect(importEdges(sources)).toEqual([]);
  });

  it('reports a cycle between folders even when no file cycle exists', () => {
    const sources = new Map([
      ['lib/a/one.ts', "export { B } from '../b/two.js';\n"],
      ['lib/b/three.ts', "import '../a/four.js';\n"],
      ['lib/a/four.ts', ''],
      ['lib/b/two.ts', ''],
    ]);
    expect(unitCycles(importEdges(sources), 'lib')).toEqual([['lib/a', 'lib/b']]);
  });

  it('treats each file directly in the root as its own unit', () => {
    const sources = new Map([
      ['lib/top.ts', "import '../lib/a/x.js';\n"],
      ['lib/a/x.ts', "import '../other.js';\n"],
      ['lib/other.ts', ''],
    ]);
    expect(unitCycles(importEdges(sources), 'lib')).toEqual([]);
  });

  it('places a file by the longest matching path', () => {
    expect(layerOf('lib/b/entry.ts', layers)).toBe(1);
    expect(layerOf('lib/a/x.ts', layers)).toBe(0);
    expect(layerOf('lib/c/x.ts', layers)).toBe(-1);
  });
});
