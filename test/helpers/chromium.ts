/**
 * Debian's Chromium, driven by playwright-core, for tests against a real
 * browser. No browser is downloaded: the tests use /usr/bin/chromium, which
 * .ci/run installs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

import { CHROMIUM, peerAvailable } from './peers.js';

export const CHROMIUM_PATH = CHROMIUM.path;

/**
 * Whether the browser tests run: false where Chromium is not installed,
 * outside CI only (under CI a missing Chromium fails; see peers.ts).
 */
export const hasChromium = (): boolean => peerAvailable(CHROMIUM);

// Headless as root, and quiet on a machine with no network beyond loopback:
// without the background-networking flags Chromium keeps dialling out.
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A running browser with its own fresh profile. */
export interface LaunchedChromium {
  readonly context: BrowserContext;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/** Starts Chromium with a new, empty profile directory. */
export async function launchChromium(options: { ignoreHTTPSErrors?: boolean } = {}): Promise<LaunchedChromium> {
  const userDataDir = await mkdtemp(path.join(tmpdir(), 'wsdriver-chromium-'));
  const args = options.ignoreHTTPSErrors ? [...ARGS, '--ignore-certificate-errors'] : ARGS;
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      ignoreHTTPSErrors: options.ignoreHTTPSErrors ?? false,
      args,
    });
  } catch (error) {
    await rm(userDataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    context,
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}
