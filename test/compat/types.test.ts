/**
 * The compat package's hand-written types (types/driver.d.ts, copied into
 * the tarball) describe the module as built: the same names, and a typed
 * program that uses websocket-driver's API compiles against them
 * (`npm run typecheck` checks this file).
 */
import { describe, expect, it } from 'vitest';
import type driverTypes from '../../packages/websocket-driver-compat/types/driver.js';
import compat from '../../packages/websocket-driver-compat/src/driver.js';

/** A use of the API as typed: it must compile, and run. */
function useTyped(driver: typeof driverTypes): string[] {
  const seen: string[] = [];
  const server = driver.http({ method: 'GET', url: '/', headers: { host: 'a', upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' } }, { maxLength: 1024 });
  server.on('open', () => seen.push(`open ${server.getState()}`));
  server.on('close', (event) => seen.push(`close ${event.code} ${event.reason}`));
  server.on('error', (error) => seen.push(`error ${error.code} ${error.closeCode}`));
  server.io.on('data', (chunk: Buffer) => seen.push(`data ${chunk.length}`));
  server.start();
  server.close('done', 4000);
  const client = driver.client('ws://example.com/', { protocols: ['chat'] });
  seen.push(`client ${client.readyState} ${String(client.getState())} ${client.version}`);
  return seen;
}

describe('the compat package types', () => {
  it('type the module as built: a typed program runs against it', () => {
    expect(useTyped(compat as unknown as typeof driverTypes)).toEqual(['data 129', 'open open', 'data 8', 'client -1 null hybi-13']);
  });

  it('name what the module exports', () => {
    expect(Object.keys(compat).sort()).toEqual(['client', 'http', 'isSecureRequest', 'isWebSocket', 'server', 'validateOptions']);
  });
});
