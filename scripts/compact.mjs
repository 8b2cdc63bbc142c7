// Prints esbuild's per-file output again without comments or whitespace
// beyond what separates tokens, so a shipped module's source holds code
// only. V8 keeps every loaded module's source in the heap (bench/analysis.md,
// "What loading wsdriver costs", sessions 8 and 9).
//
// terser does the printing, with its compressor and name mangling off:
// identifiers, and so the names of functions and classes in stack traces,
// are as esbuild wrote them. esbuild's own minifyWhitespace is not used
// because it drops the `/* @__PURE__ */` annotations bundlers tree-shake by;
// terser keeps them (preserve_annotations).
//
// The result is checked, not trusted, by a third parser (acorn): both texts
// must give the same syntax tree, positions and literals' spelling aside
// (redundant parentheses, which esbuild keeps from a TypeScript `as`, are
// not in the tree), and the result must carry as many `@__PURE__`
// annotations.

import { parse } from 'acorn';
import { minify } from 'terser';

const PURE = /@__PURE__/g;
// Spelling only: positions, a literal as written, and `{ a }` for `{ a: a }`.
const SPELLING = new Set(['start', 'end', 'raw', 'shorthand']);

function tree(code, format) {
  const ast = parse(code, { ecmaVersion: 'latest', sourceType: format === 'esm' ? 'module' : 'script' });
  return JSON.stringify(ast, (key, value) => {
    if (SPELLING.has(key)) return undefined;
    if (typeof value === 'bigint') return `${value}n`;
    if (value instanceof RegExp) return String(value);
    return value;
  });
}

export async function compacted(code, file, format) {
  const printed = await minify(code, {
    module: format === 'esm',
    compress: false,
    mangle: false,
    format: { comments: false, preserve_annotations: true, ascii_only: true },
  });
  const result = printed.code;
  if (tree(result, format) !== tree(code, format)) {
    throw new Error(`${file}: printing it compactly changed the code`);
  }
  if ((result.match(PURE) ?? []).length !== (code.match(PURE) ?? []).length) {
    throw new Error(`${file}: printing it compactly lost a /* @__PURE__ */ annotation`);
  }
  return result;
}
