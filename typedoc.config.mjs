// API reference: `npm run docs` writes docs/api/ (git-ignored).
// Entry points are every entry of package.json "exports" (scripts/entries.mjs),
// so a new subpath export is documented without touching this file.
import { entries } from './scripts/entries.mjs';

/** @type {Partial<import('typedoc').TypeDocOptions>} */
const config = {
  entryPoints: entries().map((e) => e.source),
  tsconfig: './tsconfig.build.json',
  out: 'docs/api',
  includeVersion: true,
  excludePrivate: true,
  excludeInternal: true,
  validation: {
    notExported: true,
    invalidLink: true,
    notDocumented: true,
  },
  // Undocumented exports are reported as warnings for now; turn this on once
  // the public API is documented.
  treatWarningsAsErrors: false,
};

export default config;
