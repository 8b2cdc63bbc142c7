// Removes the comments esbuild keeps in its unminified output (it keeps a
// comment in front of a class member, an object property or an argument),
// so a shipped module's source holds code only. V8 keeps every loaded
// module's source in the heap (bench/analysis.md, "What loading wsdriver
// costs, session 8").
//
// Only whole lines are removed: a line that is a `//` comment, or the lines
// of a `/* ... */` comment that starts and ends a line. `/* @__PURE__ */`
// annotations stay (they sit inside a line, and bundlers need them).
// The result is checked, not trusted: minified, it must equal the input
// minified (minifying drops every comment), so nothing but comments can have
// been removed.

import { transform } from 'esbuild';

export async function withoutComments(code, file, format) {
  const kept = [];
  let inComment = false;
  for (const line of code.split('\n')) {
    const text = line.trim();
    if (inComment) {
      if (text.endsWith('*/')) inComment = false;
      continue;
    }
    if (text.startsWith('//')) continue;
    if (text.startsWith('/*') && !text.includes('@__PURE__')) {
      if (!text.endsWith('*/') || text === '/*') inComment = true;
      continue;
    }
    kept.push(line);
  }
  const result = kept.join('\n');
  const minified = async (text) => (await transform(text, { loader: 'js', format, minifyWhitespace: true, charset: 'ascii' })).code;
  if ((await minified(result)) !== (await minified(code))) {
    throw new Error(`${file}: removing comment lines changed the code`);
  }
  return result;
}
