// Node 22 and 24: the packed package over node:net (connect()), with
// permessage-deflate, and over HTTP/2 (RFC 8441, both ends in this process).
// node node-lines.mjs PORT DEFLATE_PORT
import http2 from 'node:http2';
import { isExtendedConnect, maskingImplementation } from 'wsdriver';
import { connect, connectHttp2, handleHttp2Stream, perMessageDeflate } from 'wsdriver/node';
import { runClientScenario, serveScenario } from './scenario.js';

const [port, deflatePort] = process.argv.slice(2).map(Number);
const name = `Node ${process.versions.node.split('.')[0]}`;

const net = await runClientScenario(connect(`ws://127.0.0.1:${port}/`), `${name} net`);

const compressed = connect(`ws://127.0.0.1:${deflatePort}/`);
compressed.addExtension(perMessageDeflate());
let extensions = [];
compressed.on('open', () => (extensions = compressed.extensions.map((extension) => extension.name)));
const deflate = { ...(await runClientScenario(compressed, `${name} deflate`)), extensions };

const server = http2.createServer({ settings: { enableConnectProtocol: true } });
let served;
server.on('stream', (stream, headers) => {
  if (!isExtendedConnect(headers)) return stream.respond({ ':status': 404 }, { endStream: true });
  served = serveScenario(handleHttp2Stream(stream, headers), `${name} h2`);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const session = http2.connect(`http://127.0.0.1:${server.address().port}`);
const h2 = await runClientScenario(connectHttp2(session, `ws://127.0.0.1:${server.address().port}/`), `${name} h2`);
const h2Server = await served;
session.close();
server.close();

console.log('REPORT ' + JSON.stringify({ version: process.version, net, deflate, h2, h2Server, masking: maskingImplementation() }));
