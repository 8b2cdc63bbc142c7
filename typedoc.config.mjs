// API reference: `npm run docs` writes docs/api/ (git-ignored).
// Entry points are every entry of package.json "exports" (scripts/entries.mjs),
// so a new subpath export is documented without touching this file; name its
// landing page with `@module wsdriver/<subpath>` in the entry file's first
// doc comment (see docs/DEVELOPING.md).
import { entries } from './scripts/entries.mjs';

/** @type {Partial<import('typedoc').TypeDocOptions>} */
const config = {
  entryPoints: entries().map((e) => e.source),
  tsconfig: './tsconfig.build.json',
  out: 'docs/api',
  includeVersion: true,
  excludePrivate: true,
  excludeInternal: true,
  // The package has no public repository URL yet, so there is nothing for
  // "Defined in" to link to, and a clone without a git remote would warn.
  // Once package.json has a "repository", replace this with
  // `sourceLinkTemplate: '<repository>/blob/{gitRevision}/{path}#L{line}'`.
  disableSources: true,
  validation: {
    notExported: true,
    invalidLink: true,
    notDocumented: true,
  },
  // Every public name is documented: a warning (an undocumented export, a
  // broken {@link}, a public signature naming an unexported type) fails
  // `npm run docs`, and with it CI.
  treatWarningsAsErrors: true,
};

export default config;
