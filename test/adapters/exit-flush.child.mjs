// Run by node-exit-flush.test.ts: a WebSocketServer (the built package,
// dist/) on 127.0.0.1 that prints its port, waits for argv[3] clients, then
// in one timer callback writes to all of them and calls process.exit(0)
// (argv[2]: 'close', wss.close(1001, 'restart'); 'broadcast', a text
// message; 'send-close', a text message and a close to each in turn).
// 'message' instead broadcasts two messages and exits in the handler of a
// message a client sends, within the read that brought it.
import http from 'node:http';
import { WebSocketServer } from 'wsdriver/node';

const [scenario, clients] = [process.argv[2], Number(process.argv[3])];
const server = http.createServer();
const onMessage = () => {
  wss.broadcast('going away');
  wss.broadcast('restart at once');
  process.exit(0);
};
const wss = new WebSocketServer({ handler: scenario === 'message' ? { onMessage } : {} }).serve(server);

function shutDown() {
  if (scenario === 'close') {
    void wss.close(1001, 'restart');
  } else if (scenario === 'broadcast') {
    wss.broadcast('going away, restart at once');
  } else {
    for (const driver of wss.clients) {
      driver.text('bye');
      driver.close(1001, 'restart');
    }
  }
  process.exit(0);
}

server.listen(0, '127.0.0.1', () => {
  console.log(server.address().port);
  const waiting = setInterval(() => {
    if (wss.clients.size < clients) return;
    clearInterval(waiting);
    if (scenario !== 'message') setTimeout(shutDown, 10);
  }, 5);
});
