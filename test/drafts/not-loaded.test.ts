// This file must not import lib/drafts: it checks what happens when the
// drafts module was never loaded (each test file has its own module graph).
import { describe, expect, it } from 'vitest';
import { Driver } from '../../lib/index.js';
import { Recorder } from '../helpers/index.js';

describe('allowDrafts without wsdriver/drafts', () => {
  it('Driver.server throws, naming the import to add', () => {
    expect(() => Driver.server(new Recorder().socket, { allowDrafts: true })).toThrow("import 'wsdriver/drafts'");
  });

  it('Driver.rack throws the same way', () => {
    const rec = new Recorder({ env: { REQUEST_METHOD: 'GET', HTTP_UPGRADE: 'WebSocket' } });
    expect(() => Driver.rack(rec.socket, { allowDrafts: true })).toThrow("import 'wsdriver/drafts'");
  });

  it('loading the module makes the same call work', async () => {
    await import('../../lib/drafts/index.js');
    expect(() => Driver.server(new Recorder().socket, { allowDrafts: true })).not.toThrow();
  });
});
