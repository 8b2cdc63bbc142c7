/**
 * Fuzz target `proxy`: answers to a CONNECT request, parsed by the client's
 * proxy (`httpProxy(driver, url)`): a 200, interim 1xx answers before it, a
 * refusal, damaged bytes and arbitrary bytes, under random chunkings.
 * Known answers: a 2xx opens the tunnel, a 4xx/5xx is PROXY_REFUSED; for
 * all inputs, no exception, at most one `connect` or `error`, then `close`.
 */
import fc from 'fast-check';
import { Driver, httpProxy } from '../../lib/index.js';
import { latin1Bytes, Recorder, split, type Chunking } from '../../test/helpers/index.js';
import { byteMutation, chunkSizes, mutateBytes, type ByteMutation } from '../lib/frame-streams.js';
import { ensure } from '../lib/invariants.js';
import type { FuzzTarget } from './target.js';

export interface ProxyCase {
  interim: number;
  status: number;
  extra: Array<[string, string]>;
  damage: ByteMutation[];
  arbitrary: Uint8Array | null;
  chunkSizes: number[];
}

export const proxyCase: fc.Arbitrary<ProxyCase> = fc.record({
  interim: fc.integer({ min: 0, max: 3 }),
  status: fc.constantFrom(200, 204, 299, 101, 301, 407, 502, 199),
  extra: fc.array(fc.tuple(fc.constantFrom('Via', 'Content-Length', 'Transfer-Encoding', 'X-A'), fc.stringMatching(/^[ -~]{0,12}$/)), { maxLength: 3 }),
  damage: fc.oneof({ weight: 2, arbitrary: fc.constant<ByteMutation[]>([]) }, { weight: 1, arbitrary: fc.array(byteMutation, { minLength: 1, maxLength: 3 }) }),
  arbitrary: fc.option(fc.uint8Array({ maxLength: 200 }), { nil: null, freq: 6 }),
  chunkSizes,
});

export function checkProxyCase(c: ProxyCase): void {
  let text = '';
  for (let i = 0; i < c.interim; i++) text += 'HTTP/1.1 100 Continue\r\n\r\n';
  text += `HTTP/1.1 ${c.status} Reason\r\n` + c.extra.map(([n, v]) => `${n}: ${v.trim()}\r\n`).join('') + '\r\n';
  const intact = c.damage.length === 0 && c.arbitrary === null;
  const bytes = c.arbitrary ?? mutateBytes(latin1Bytes(text), c.damage);
  const chunkings: Chunking[] = ['whole', { sizes: c.chunkSizes }, 'bytewise'];
  for (const chunking of chunkings) {
    const rec = new Recorder({ url: 'ws://example.com/chat' });
    const driver = rec.attach(Driver.client(rec.socket));
    const proxy = httpProxy(driver, 'http://proxy.example:3128');
    const seen: string[] = [];
    proxy.on('connect', () => seen.push('connect'));
    proxy.on('error', (e) => seen.push(`error ${e.code}`));
    proxy.on('close', () => seen.push('close'));
    proxy.start();
    for (const chunk of split(bytes, chunking)) {
      try {
        proxy.parse(chunk);
      } catch (error) {
        throw new Error(`proxy.parse() threw: ${(error as Error).stack}`);
      }
    }
    ensure(seen.length === 0 || (seen.length === 2 && seen[1] === 'close'), `proxy events ${seen.join(', ')}`);
    if (seen[0] === 'connect') ensure(proxy.statusCode! >= 200 && proxy.statusCode! <= 299, `tunnel opened on ${proxy.statusCode}`);
    if (intact) {
      const want = c.status >= 200 && c.status <= 299 ? 'connect' : c.status === 199 ? undefined : 'error PROXY_REFUSED';
      ensure(seen[0] === want, `status ${c.status}: got ${seen[0] ?? 'nothing'}, expected ${want ?? 'nothing'}`);
    }
    if (seen[0]?.startsWith('error')) ensure(driver.readyState === 3, 'the driver did not fail with its proxy');
  }
}

export const proxyTarget: FuzzTarget<ProxyCase> = {
  name: 'proxy',
  description: "answers to CONNECT (1xx, 2xx, refusals, damaged, arbitrary) into the client's HTTP proxy parser",
  arbitrary: proxyCase,
  check: checkProxyCase,
};
