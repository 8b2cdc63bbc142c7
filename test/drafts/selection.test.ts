import { describe, expect, it } from 'vitest';
import { Driver } from '../../lib/index.js';
import { HybiServerDriver } from '../../lib/driver/hybi-server-driver.js';
import { draftVersionOf } from '../../lib/drafts/index.js';
import { DraftServerDriver } from '../../lib/driver/draft-server-driver.js';
import { latin1Bytes, Recorder, requestHeadText, SAMPLE_KEY } from '../helpers/index.js';
import { draft76Request, draftRequestText, FAYE76, rackEnvFromHead } from './draft-helpers.js';

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');

const REQUESTS = {
  'hixie-75': draftRequestText(),
  'hixie-76': draft76Request(),
  'hybi-13': requestHeadText(),
  'hybi-8': requestHeadText({ version: '8' }),
} as const;

function viaServer(request: string, allowDrafts: boolean) {
  const rec = new Recorder();
  const driver = rec.attach(Driver.server(rec.socket, { allowDrafts }));
  driver.parse(latin1Bytes(request));
  return { driver, rec };
}

function viaRack(env: unknown, allowDrafts: boolean) {
  const rec = new Recorder({ env });
  const driver = rec.attach(Driver.rack(rec.socket, { allowDrafts }));
  return { driver, rec };
}

describe('version selection with allowDrafts', () => {
  for (const [version, request] of Object.entries(REQUESTS)) {
    it(`Driver.server picks ${version}`, () => {
      const { driver, rec } = viaServer(request, true);
      expect(driver.version).toBe(version);
      expect(driver.start()).toBe(true);
      expect(text(rec.take())).toMatch(/^HTTP\/1\.1 101 /);
    });

    it(`Driver.rack picks ${version} from a Rack env`, () => {
      const { driver, rec } = viaRack(rackEnvFromHead(request), true);
      expect(driver.version).toBe(version);
      expect(driver.start()).toBe(true);
      expect(text(rec.take())).toMatch(/^HTTP\/1\.1 101 /);
    });
  }

  it('Driver.rack picks hixie-76 from a Node IncomingMessage and a Fetch Request', () => {
    const headers = {
      host: 'example.com',
      upgrade: 'WebSocket',
      connection: 'Upgrade',
      origin: 'http://example.com',
      'sec-websocket-key1': FAYE76.key1,
      'sec-websocket-key2': FAYE76.key2,
    };
    const message = { method: 'GET', url: '/socket', httpVersion: '1.1', headers };
    const fetchRequest = new Request('http://example.com/socket', { headers });
    for (const env of [message, fetchRequest]) {
      const { driver } = viaRack(env, true);
      expect(driver).toBeInstanceOf(DraftServerDriver);
      expect(driver.version).toBe('hixie-76');
    }
  });

  it('gives the draft server driver from Driver.rack for a draft request only', () => {
    for (const version of ['hixie-75', 'hixie-76'] as const) {
      const { driver } = viaRack(rackEnvFromHead(REQUESTS[version]), true);
      expect(driver).toBeInstanceOf(DraftServerDriver);
      expect(driver.version).toBe(version);
    }
    expect(viaRack(rackEnvFromHead(REQUESTS['hybi-13']), true).driver).toBeInstanceOf(HybiServerDriver);
    expect(viaRack(rackEnvFromHead(REQUESTS['hybi-13']), true).driver).not.toBeInstanceOf(DraftServerDriver);
  });

  it('Driver.server gives one driver whatever the request names: the same object speaks the draft', () => {
    for (const [version, request] of Object.entries(REQUESTS)) {
      const rec = new Recorder();
      const driver = rec.attach(Driver.server(rec.socket, { allowDrafts: true }));
      expect(driver).toBeInstanceOf(DraftServerDriver);
      let connectedAs: unknown = null;
      driver.on('connect', function (this: unknown) {
        connectedAs = this;
      });
      driver.parse(latin1Bytes(request));
      expect(connectedAs).toBe(driver);
      expect(driver.version).toBe(version);
    }
  });

  it('sends a request with Sec-WebSocket-Key but no version to the RFC 6455 driver, which answers 426', () => {
    const request = draftRequestText({ extra: [['Sec-WebSocket-Key', SAMPLE_KEY]] });
    const { driver, rec } = viaServer(request, true);
    expect(driver.version).toBe('hybi-13');
    expect(driver.start()).toBe(false);
    expect(text(rec.take())).toMatch(/^HTTP\/1\.1 426 Upgrade Required\r\n[\s\S]*Sec-WebSocket-Version: 13/);
  });

  it('sends keys with a Sec-WebSocket-Version to the RFC 6455 driver', () => {
    const request = draft76Request({ extra: [['Sec-WebSocket-Version', '13'], ['Sec-WebSocket-Key', SAMPLE_KEY]] });
    expect(viaServer(request, true).driver.version).toBe('hybi-13');
  });

  it('leaves a request that is not an upgrade to the RFC 6455 driver (400)', () => {
    const request = 'GET / HTTP/1.1\r\nHost: example.com\r\n\r\n';
    const { driver, rec } = viaServer(request, true);
    expect(driver.version).toBe('hybi-13');
    expect(driver.start()).toBe(false);
    expect(text(rec.take())).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('draftVersionOf reads the same headers', () => {
    const request = (headers: Record<string, string>) => ({ method: 'GET', target: '/', httpVersion: '1.1', headers, scheme: 'http' as const });
    expect(draftVersionOf(request({ upgrade: 'WebSocket' }))).toBe('hixie-75');
    expect(draftVersionOf(request({ upgrade: 'websocket', 'sec-websocket-key2': '1 2' }))).toBe('hixie-76');
    expect(draftVersionOf(request({ upgrade: 'websocket', 'sec-websocket-version': '13' }))).toBeNull();
    expect(draftVersionOf(request({ upgrade: 'h2c' }))).toBeNull();
  });
});

describe('without allowDrafts, a draft request is refused by the RFC 6455 driver', () => {
  for (const version of ['hixie-75', 'hixie-76'] as const) {
    it(`Driver.server answers a ${version} request with 400 and never speaks the draft`, () => {
      const { driver, rec } = viaServer(REQUESTS[version], false);
      expect(driver.version).toBe('hybi-13');
      expect(driver.start()).toBe(false);
      const response = text(rec.take());
      expect(response).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect(response).toMatch(/Sec-WebSocket-Key is missing/);
      expect(response).not.toMatch(/WebSocket-Origin|WebSocket-Location/);
      expect(rec.types).toEqual(['connect', 'error', 'close']);
      expect(rec.of('error')[0]!.code).toBe('HANDSHAKE_BAD_REQUEST');
    });

    it(`Driver.rack answers a ${version} request with 400`, () => {
      const { driver, rec } = viaRack(rackEnvFromHead(REQUESTS[version]), false);
      expect(driver).toBeInstanceOf(HybiServerDriver);
      expect(driver.start()).toBe(false);
      expect(text(rec.take())).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    });
  }
});

describe('Driver.isWebSocket', () => {
  it('recognises both drafts’ requests', () => {
    expect(Driver.isWebSocket(rackEnvFromHead(REQUESTS['hixie-75']) as never)).toBe(true);
    expect(Driver.isWebSocket(rackEnvFromHead(REQUESTS['hixie-76']) as never)).toBe(true);
  });
});
