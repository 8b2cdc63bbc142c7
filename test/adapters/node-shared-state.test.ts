/**
 * What handleUpgrade shares between connections (lib/adapters/node/shared-state.ts):
 * resolved options, and the common header values of a request.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { connectionSettings, readUpgradeRequest, sharedOptions, withCommonValues } from '../../lib/adapters/node/shared-state.js';
import { normalizeRequest } from '../../lib/http/request.js';
import { DEFAULT_OPTIONS } from '../../lib/options.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('options shared between connections', () => {
  it('equal options resolve to one frozen object; different ones do not', () => {
    const one = sharedOptions({ maxLength: 1000, protocols: ['chat'] });
    expect(sharedOptions({ protocols: ['chat'], maxLength: 1000 })).toBe(one);
    expect(Object.isFrozen(one)).toBe(true);
    expect(sharedOptions({ maxLength: 1000, protocols: ['other'] })).not.toBe(one);
    expect(sharedOptions({ maxLength: 1001, protocols: ['chat'] }).maxLength).toBe(1001);
    expect(sharedOptions({})).toBe(DEFAULT_OPTIONS);
  });

  it('a bad value still throws when the same options were resolved before', () => {
    sharedOptions({ maxLength: 10 });
    expect(() => sharedOptions({ maxLength: 10, fragmentSize: 0 })).toThrow(RangeError);
  });
});

describe("handleUpgrade's settings per connection", () => {
  it('options with the same entries as last time, in a fresh object, get the same settings', () => {
    const one = connectionSettings({ maxLength: 1000, closeTimeout: 50 });
    expect(connectionSettings({ maxLength: 1000, closeTimeout: 50 })).toBe(one);
    expect(one.driver.maxLength).toBe(1000);
    expect(one.attach.closeTimeout).toBe(50);
    expect(one.attach.handshakeTimeout).toBe(30_000);
    expect(connectionSettings({ maxLength: 1000, closeTimeout: 60 }).attach.closeTimeout).toBe(60);
    expect(connectionSettings({ maxLength: 1000 }).attach.closeTimeout).toBe(30_000);
    expect(connectionSettings(undefined).driver).toBe(DEFAULT_OPTIONS);
  });

  it('a protocols array changed in place since last time is read again', () => {
    const protocols = ['chat'];
    expect(connectionSettings({ protocols }).driver.protocols).toEqual(['chat']);
    protocols.push('superchat');
    expect(connectionSettings({ protocols }).driver.protocols).toEqual(['chat', 'superchat']);
  });

  it('a bad value throws, whatever came before, and is not remembered', () => {
    connectionSettings({ maxLength: 10 });
    expect(() => connectionSettings({ maxLength: 10, fragmentSize: 0 })).toThrow(RangeError);
    expect(() => connectionSettings({ maxLength: 10, fragmentSize: 0 })).toThrow(RangeError);
    expect(() => connectionSettings({ maxLength: 10, pingInterval: -1 })).toThrow(RangeError);
    expect(() => connectionSettings({ maxLength: 10, nonsense: 1 } as object)).toThrow(TypeError);
    expect(connectionSettings({ maxLength: 10 }).driver.maxLength).toBe(10);
  });
});

describe('common header values', () => {
  it('are replaced by equal strings, every other value kept as it was', () => {
    const message = {
      method: 'GET',
      url: '/chat',
      httpVersion: '1.1',
      headers: { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-version': '13', 'sec-websocket-key': 'k', host: 'h' },
    };
    const request = withCommonValues(normalizeRequest(message));
    expect(request.httpVersion).toBe('1.1');
    expect({ ...request.headers }).toEqual(message.headers);
    expect(request.target).toBe('/chat');
  });
});

describe('readUpgradeRequest (one pass over a Node request)', () => {
  const messages = [
    { method: 'GET', url: '/chat?room=1', httpVersion: '1.1', headers: { upgrade: 'websocket', connection: 'Upgrade', host: 'h', 'x-many': ['a', 'b'], 'x-none': undefined } },
    // Not as Node makes them, but read the same: names lower-cased, nothing but the headers defaulted.
    { url: '/', headers: { Host: 'h', 'Sec-WebSocket-Version': '13' } },
    { method: 'GET', url: '/secure', httpVersion: '1.0', headers: { host: 'h' }, socket: { encrypted: true } },
    // Not in origin form: read the general way (the host taken from the URL).
    { method: 'GET', url: 'http://example.com:8080/x?y', httpVersion: '1.1', headers: { host: 'h' } },
    { method: 'GET', url: '*', headers: {} },
    { method: 'GET', headers: { host: 'h' } },
  ];
  it.each(messages.map((message, i) => [i, message] as const))('reads request %i as withCommonValues(normalizeRequest()) does', (_, message) => {
    const expected = withCommonValues(normalizeRequest(structuredClone(message) as never));
    const read = readUpgradeRequest(message as never);
    expect({ ...read, headers: { ...read.headers } }).toEqual({ ...expected, headers: { ...expected.headers } });
    expect(Object.getPrototypeOf(Object.getPrototypeOf(read.headers))).toBeNull();
  });
});

describe('strings shared between requests', () => {
  it('keep no request target with a query (it may carry a credential) once its request is gone: searched for in a heap snapshot', () => {
    // In a child process, so that the snapshot is small and only this request was ever made.
    const script = `
      import { getHeapSnapshot } from 'node:v8';
      const { withCommonValues, readUpgradeRequest } = await import(${JSON.stringify(pathToFileURL(path.join(root, 'dist/esm/adapters/node/shared-state.js')).href)});
      const { normalizeRequest } = await import(${JSON.stringify(pathToFileURL(path.join(root, 'dist/esm/http/request.js')).href)});
      const nonce = Date.now();
      // In a function, so that no module binding holds the last URL.
      (() => {
        for (const url of ['/plain' + nonce, '/ws?token=S3cr3t' + nonce]) {
          withCommonValues(normalizeRequest({ method: 'GET', url, httpVersion: '1.1', headers: { host: 'h' } }));
          readUpgradeRequest({ method: 'GET', url: url + '!', httpVersion: '1.1', headers: { host: 'h' } });
        }
      })();
      // V8 keeps the last regular expression's input (RegExp.input): not ours.
      /x/.test('y');
      globalThis.gc();
      let text = '';
      for await (const chunk of getHeapSnapshot()) text += chunk;
      console.log(JSON.stringify({ plain: text.includes('/plain' + nonce), query: text.includes('S3cr3t' + nonce), plainRead: text.includes('/plain' + nonce + '!'), queryRead: text.includes('S3cr3t' + nonce + '!') }));
    `;
    const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' });
    // The path without a query is kept (the probe can see a kept target); the one with a query is not.
    expect(JSON.parse(out)).toEqual({ plain: true, query: false, plainRead: true, queryRead: false });
  });
});
