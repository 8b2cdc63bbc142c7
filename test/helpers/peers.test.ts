import { afterEach, describe, expect, it, vi } from 'vitest';
import { peerAvailable, type Peer } from './peers.js';

const MISSING: Peer = { name: 'Nothing', path: '/nonexistent/wsdriver-peer', install: 'apt-get install nothing' };
const PRESENT: Peer = { name: 'Node', path: process.execPath, install: 'n/a' };

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('peerAvailable: the rule for a missing peer', () => {
  it('under CI=true, a missing peer throws, naming what to install', () => {
    vi.stubEnv('CI', 'true');
    expect(() => peerAvailable(MISSING)).toThrow(/Nothing is missing .*apt-get install nothing.*CI=true/);
  });

  it('a failing extra check counts as missing', () => {
    vi.stubEnv('CI', 'true');
    expect(() => peerAvailable({ ...PRESENT, check: () => false })).toThrow(/Node is missing/);
  });

  it('outside CI, a missing peer skips with a message naming what to install', () => {
    vi.stubEnv('CI', '');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(peerAvailable(MISSING)).toBe(false);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('apt-get install nothing'));
  });

  it('a peer that is there runs, in CI or not', () => {
    vi.stubEnv('CI', 'true');
    expect(peerAvailable(PRESENT)).toBe(true);
    vi.stubEnv('CI', '');
    expect(peerAvailable(PRESENT)).toBe(true);
  });
});
