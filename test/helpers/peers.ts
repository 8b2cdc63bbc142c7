/**
 * The real peers and runtimes the tests run against, and the one rule for a
 * missing one: under `CI=true` a peer test runs or the run fails; elsewhere
 * it may skip, with a message naming what to install.
 *
 * Use: `describe.skipIf(!peerAvailable(CHROMIUM))(...)`. Under CI a missing
 * peer throws while the test file is collected, which fails that file (and
 * with it .ci/run, which fails on any failed suite).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** A program a test needs, where to find it, and how to get it. */
export interface Peer {
  /** What it is, for messages: "Chromium", "Deno". */
  readonly name: string;
  /** The executable the tests run. */
  readonly path: string;
  /** The command or package that installs it, for the skip message. */
  readonly install: string;
  /** Extra check beyond the file existing (a Python module, say); true if omitted. */
  readonly check?: () => boolean;
}

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const inRepo = (...parts: string[]) => path.join(repo, ...parts);

export const CHROMIUM: Peer = { name: 'Chromium', path: '/usr/bin/chromium', install: 'apt-get install chromium' };
export const PYTHON_WEBSOCKETS: Peer = {
  name: "Python's websockets",
  path: '/usr/bin/python3',
  install: 'apt-get install python3-websockets',
  check: () => spawnSync('/usr/bin/python3', ['-c', 'import websockets'], { stdio: 'ignore' }).status === 0,
};
export const OPENSSL: Peer = {
  name: 'openssl',
  path: whichSync('openssl') ?? '/usr/bin/openssl',
  install: 'apt-get install openssl',
};
export const TINYPROXY: Peer = { name: 'tinyproxy', path: '/usr/bin/tinyproxy', install: 'apt-get install tinyproxy' };

// The runtimes' npm packages fetch their binaries as optional platform
// packages; their postinstall steps (which only move the binary) are not
// allowed (package.json `allowScripts`), so the binaries are run from there.
export const DENO: Peer = {
  name: 'Deno',
  path: inRepo('node_modules/@deno/linux-x64-glibc/deno'),
  install: 'npm ci (devDependency deno, Linux x64)',
};
export const BUN: Peer = {
  name: 'Bun',
  path: inRepo('node_modules/@oven/bun-linux-x64/bin/bun'),
  install: 'npm ci (devDependency bun, Linux x64)',
};
export const WORKERD: Peer = {
  name: 'workerd',
  path: inRepo('node_modules/@cloudflare/workerd-linux-64/bin/workerd'),
  install: 'npm ci (devDependency workerd, Linux x64)',
};
// Node 22 and 24 live in their own folder: each ships a `node` bin, which
// in the root package would take the place of the machine's Node in every
// npm script.
export const NODE_22: Peer = {
  name: 'Node 22',
  path: inRepo('test/runtimes/node-lines/node_modules/node22/bin/node'),
  install: 'npm run test:peers',
};
export const NODE_24: Peer = {
  name: 'Node 24',
  path: inRepo('test/runtimes/node-lines/node_modules/node24/bin/node'),
  install: 'npm run test:peers',
};

/** True under `CI=true`, where no peer test may skip. */
export const inCI = (): boolean => process.env.CI === 'true';

/**
 * Whether `peer` is here. If not: under CI, throws (the test file fails);
 * elsewhere, prints which package to install and returns false.
 */
export function peerAvailable(peer: Peer): boolean {
  const available = existsSync(peer.path) && (peer.check?.() ?? true);
  if (available) return true;
  const message = `${peer.name} is missing (${peer.path}); install it with: ${peer.install}`;
  if (inCI()) throw new Error(`${message}. Under CI=true no peer test may skip.`);
  console.warn(`skipping the ${peer.name} tests: ${message}`);
  return false;
}

function whichSync(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, command);
    if (dir !== '' && existsSync(candidate)) return candidate;
  }
  return undefined;
}
