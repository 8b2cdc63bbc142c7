/**
 * Reads the relative imports of TypeScript sources and checks them
 * against a layer table (see layer-table.ts). Pure functions over path →
 * source text, so the checker itself can be tested on made-up graphs.
 */
import { posix } from 'node:path';
import type { Layer } from './layer-table.js';

export interface ImportEdge {
  readonly from: string;
  readonly to: string;
}

// `import … from '…'`, `export … from '…'`, `import '…'` and `import('…')`,
// across line breaks; comments are removed first so examples in doc
// comments do not count.
const IMPORT = /\b(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*(?:\(\s*)?['"]([^'"]+)['"]/g;

function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

/** Every relative import in `sources`, resolved to the imported file's path (`.js` read as `.ts`). */
export function importEdges(sources: ReadonlyMap<string, string>): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const [file, source] of sources) {
    for (const match of stripComments(source).matchAll(IMPORT)) {
      const specifier = match[1] ?? match[2]!;
      if (!specifier.startsWith('.')) continue;
      const to = posix.normalize(posix.join(posix.dirname(file), specifier)).replace(/\.js$/, '.ts');
      edges.push({ from: file, to });
    }
  }
  return edges;
}

/** The index of the layer `file` belongs to (longest matching path), or -1. */
export function layerOf(file: string, layers: readonly Layer[]): number {
  let best = -1;
  let bestLength = -1;
  layers.forEach((layer, index) => {
    for (const path of layer.paths) {
      const matches = path.endsWith('/') ? file.startsWith(path) : file === path;
      if (matches && path.length > bestLength) {
        best = index;
        bestLength = path.length;
      }
    }
  });
  return best;
}

/** The unit of the folder-cycle rule: a file's folder, or the file itself when it sits directly in `root`. */
export function unitOf(file: string, root: string): string {
  const folder = posix.dirname(file);
  return folder === root ? file : folder;
}

/** Groups of units that import each other (strongly connected components of more than one unit). */
export function unitCycles(edges: readonly ImportEdge[], root: string): string[][] {
  const next = new Map<string, Set<string>>();
  for (const { from, to } of edges) {
    const a = unitOf(from, root);
    const b = unitOf(to, root);
    if (!next.has(a)) next.set(a, new Set());
    if (!next.has(b)) next.set(b, new Set());
    if (a !== b) next.get(a)!.add(b);
  }
  // Tarjan's algorithm; the graph has a few dozen nodes.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    for (const target of next.get(node)!) {
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node)!, index.get(target)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const node of next.keys()) if (!index.has(node)) visit(node);
  return cycles;
}

/** Imports that reach a higher layer, as readable lines. */
export function upwardImports(edges: readonly ImportEdge[], layers: readonly Layer[]): string[] {
  const faults: string[] = [];
  for (const { from, to } of edges) {
    const a = layerOf(from, layers);
    const b = layerOf(to, layers);
    if (b > a) faults.push(`${from} (${layers[a]!.name.split(':')[0]}) imports ${to} (${layers[b]!.name.split(':')[0]})`);
  }
  return faults;
}
