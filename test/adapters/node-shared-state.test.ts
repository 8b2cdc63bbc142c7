/**
 * What handleUpgrade shares between connections (lib/adapters/node/shared-state.ts):
 * resolved options, and the common header values of a request.
 */
import { describe, expect, it } from 'vitest';
import { sharedOptions, withCommonValues } from '../../lib/adapters/node/shared-state.js';
import { normalizeRequest } from '../../lib/http/request.js';
import { DEFAULT_OPTIONS } from '../../lib/options.js';

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
