import { describe, expect, it } from 'vitest';
import { Driver } from '../../lib/index.js';
import '../../lib/drafts/index.js';
import { latin1Bytes } from '../helpers/http.js';

const hixie75Request =
  'GET /demo HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade\r\nUpgrade: WebSocket\r\nOrigin: http://example.com\r\n\r\n';

describe('Driver.server: headers set before the request arrives', () => {
  it('reports a header the chosen draft driver refuses after set-up, leaving a working driver', () => {
    const written: Uint8Array[] = [];
    const driver = Driver.server({ write: (bytes) => written.push(bytes) }, { allowDrafts: true });
    // Accepted by the generic check, refused by the hixie-75 driver, which sets it itself.
    driver.setHeader('WebSocket-Origin', 'http://evil.example');
    let connected = 0;
    driver.on('connect', () => connected++);
    expect(() => driver.parse(latin1Bytes(hixie75Request))).toThrow(TypeError);
    // The request was still taken in: the driver behind it exists and works.
    expect(connected).toBe(1);
    expect(driver.version).toBe('hixie-75');
    expect(driver.start()).toBe(true);
    expect(driver.readyState).toBe(1);
    const head = new TextDecoder().decode(written[0]);
    expect(head).toContain('WebSocket-Origin: http://example.com');
    expect(head).not.toContain('evil');
  });
});
