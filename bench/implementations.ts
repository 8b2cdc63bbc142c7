/**
 * One adapter per implementation under test, each driven the way its users
 * drive it: wsdriver through `parse()` and `socket.write`, ws through its
 * `Receiver` (a Writable fed with `write(chunk)`, as a socket's `data`
 * handler does) and its `Sender`, websocket-driver through `parse()` and
 * its `io` stream. Connections are opened with a real handshake in memory.
 *
 * ws reads WS_NO_BUFFER_UTIL / WS_NO_UTF_8_VALIDATE when it is first
 * required, so "ws without addons" runs in its own process with those set.
 *
 * @module
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUILT_ENTRY, COMPAT_ENTRY, NODE_ENTRY, ensureBuilt } from './built.js';

const require = createRequire(import.meta.url);

// wsdriver as published (see built.ts), rebuilt first if lib/ changed.
ensureBuilt();
const { Driver } = (await import(pathToFileURL(BUILT_ENTRY).href)) as typeof import('../lib/index.js');
// As a Node server runs it: with wsdriver/node loaded (see NODE_ENTRY).
if (process.env.WSDRIVER_BENCH_PORTABLE !== '1') await import(pathToFileURL(NODE_ENTRY).href);

export type Data = string | Uint8Array;

export interface ReceivingConnection {
  /** Hands one chunk to the parser (converted beforehand by `wrap`). */
  feed(chunk: Uint8Array): void;
}

export interface SendingConnection {
  text(message: string): void;
  binary(message: Uint8Array): void;
}

export interface Implementation {
  readonly name: string;
  /** Converts a chunk to what the implementation is fed (a Buffer for Node libraries). */
  wrap(chunk: Uint8Array): Uint8Array;
  receiver(maxLength: number, onMessage: (data: Data) => void): ReceivingConnection;
  sender(role: 'server' | 'client', write: (bytes: Uint8Array) => void): SendingConnection;
  /** An open, idle server connection after the handshake, for the memory figures. */
  idle(): unknown;
}

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const REQUEST = new TextEncoder().encode(
  `GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
);
const asBuffer = (chunk: Uint8Array): Uint8Array => Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);

// --- wsdriver ---

/** The socket: the handshake response goes nowhere, then every write to `sink`. */
class SinkSocket {
  sink: ((bytes: Uint8Array) => void) | null = null;

  write(bytes: Uint8Array): void {
    if (this.sink !== null) this.sink(bytes);
  }
}

// A class and inline arrows rather than named closures: tsx compiles this
// file with keepNames, and each named closure would get a property
// dictionary (about 256 bytes) counted against wsdriver's idle figure.
function wsdriverServer(write: (bytes: Uint8Array) => void, maxLength?: number) {
  const socket = new SinkSocket();
  const driver = Driver.server(socket, maxLength === undefined ? {} : { maxLength });
  driver.on('connect', () => driver.start());
  driver.parse(REQUEST.slice());
  if (driver.readyState !== 1) throw new Error('wsdriver server did not open');
  socket.sink = write;
  return driver;
}

const wsdriver: Implementation = {
  name: 'wsdriver',
  wrap: (chunk) => chunk,
  receiver(maxLength, onMessage) {
    const driver = wsdriverServer(() => {}, maxLength);
    driver.on('message', (event) => onMessage(event.data));
    driver.on('error', (error) => {
      throw error;
    });
    return { feed: (chunk) => driver.parse(chunk) };
  },
  sender(role, write) {
    if (role === 'server') {
      const driver = wsdriverServer(write);
      return { text: (m) => void driver.text(m), binary: (m) => void driver.binary(m) };
    }
    let toClient = (_bytes: Uint8Array): void => {};
    let sink = (_bytes: Uint8Array): void => {};
    const server = Driver.server({ write: (bytes) => toClient(bytes) });
    server.on('connect', () => server.start());
    const client = Driver.client({ url: 'ws://127.0.0.1/chat', write: (bytes) => sink(bytes) });
    sink = (bytes) => server.parse(bytes.slice());
    toClient = (bytes) => client.parse(bytes.slice());
    client.start();
    if (client.readyState !== 1) throw new Error('wsdriver client did not open');
    sink = write;
    return { text: (m) => void client.text(m), binary: (m) => void client.binary(m) };
  },
  idle: () => wsdriverServer(() => {}),
};

// --- ws ---

interface WsSocketLike {
  write(data: Uint8Array | string): boolean;
  cork(): void;
  uncork(): void;
  setTimeout(): void;
  setNoDelay(): void;
  on(): void;
}

/**
 * What ws writes to: a net.Socket stand-in. ws hands an unmasked text
 * payload to the socket as the string itself, and net.Socket encodes it to
 * UTF-8 natively before the bytes go out; here `Buffer.from` does that same
 * encoding, so the bytes counted are bytes, as for the other libraries.
 */
function fakeSocket(write: (bytes: Uint8Array) => void): WsSocketLike {
  return {
    write(data) {
      write(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
      return true;
    },
    cork() {},
    uncork() {},
    setTimeout() {},
    setNoDelay() {},
    on() {},
  };
}

function ws(name: string): Implementation {
  /* eslint-disable @typescript-eslint/no-explicit-any */
  const WebSocket: any = require('ws');
  const { Receiver, Sender } = WebSocket;
  return {
    name,
    wrap: asBuffer,
    receiver(maxLength, onMessage) {
      const receiver = new Receiver({ isServer: true, maxPayload: maxLength, binaryType: 'nodebuffer' });
      // ws hands text to the application as a Buffer; turning it into a
      // string is part of what receiving text costs.
      receiver.on('message', (data: Buffer, isBinary: boolean) => onMessage(isBinary ? data : data.toString()));
      receiver.on('error', (error: Error) => {
        throw error;
      });
      return { feed: (chunk) => receiver.write(chunk) };
    },
    sender(role, write) {
      const sender = new Sender(fakeSocket(write));
      const mask = role === 'client';
      const textOptions = { binary: false, fin: true, mask, compress: false };
      const binaryOptions = { binary: true, fin: true, mask, compress: false };
      return {
        text: (m) => sender.send(m, textOptions),
        binary: (m) => sender.send(m, binaryOptions),
      };
    },
    idle() {
      // What WebSocketServer#completeUpgrade keeps per connection.
      const socket = new WebSocket(null, undefined, {});
      socket.setSocket(fakeSocket(() => {}), Buffer.alloc(0), { allowSynchronousEvents: true, maxPayload: 100 * 1024 * 1024, skipUTF8Validation: false });
      return socket;
    },
  };
  /* eslint-enable @typescript-eslint/no-explicit-any */
}

// --- websocket-driver ---

/* eslint-disable @typescript-eslint/no-explicit-any */
function websocketDriverServer(websocket: any, write: (bytes: Uint8Array) => void, maxLength?: number): any {
  const request = {
    method: 'GET',
    url: '/chat',
    headers: {
      host: '127.0.0.1',
      upgrade: 'websocket',
      connection: 'Upgrade',
      'sec-websocket-key': KEY,
      'sec-websocket-version': '13',
    },
  };
  const driver = websocket.http(request, maxLength === undefined ? {} : { maxLength });
  let sink = (_bytes: Uint8Array): void => {};
  driver.io.on('data', (bytes: Uint8Array) => sink(bytes));
  driver.start();
  if (driver.getState() !== 'open') throw new Error('websocket-driver server did not open');
  sink = write;
  return driver;
}

/**
 * websocket-driver's API driven as its users drive it; `websocket` is
 * websocket-driver 0.8.0 itself, or the compat package (the built bundle
 * npm would install, packages/websocket-driver-compat/lib/).
 */
function websocketDriverApi(name: string, websocket: any): Implementation {
  return {
    name,
    wrap: asBuffer,
    receiver(maxLength, onMessage) {
      const driver = websocketDriverServer(websocket, () => {}, maxLength);
      driver.on('message', (event: { data: Data }) => onMessage(event.data));
      driver.on('error', (error: Error) => {
        throw error;
      });
      return { feed: (chunk) => driver.parse(chunk) };
    },
    sender(role, write) {
      if (role === 'server') {
        const driver = websocketDriverServer(websocket, write);
        return { text: (m) => driver.text(m), binary: (m) => driver.binary(m) };
      }
      const server = websocket.server();
      const client = websocket.client('ws://127.0.0.1/chat');
      // websocket-driver is not re-entrant during its handshake: pass bytes
      // across only after each side's call has returned.
      const toServer: Uint8Array[] = [];
      const toClient: Uint8Array[] = [];
      let sink = (bytes: Uint8Array): void => void toServer.push(bytes);
      client.io.on('data', (bytes: Uint8Array) => sink(bytes));
      server.io.on('data', (bytes: Uint8Array) => toClient.push(bytes));
      server.on('connect', () => server.start());
      client.start();
      while (toServer.length > 0 || toClient.length > 0) {
        if (toServer.length > 0) server.parse(toServer.shift());
        if (toClient.length > 0) client.parse(toClient.shift());
      }
      if (client.getState() !== 'open') throw new Error('websocket-driver client did not open');
      sink = write;
      return { text: (m) => client.text(m), binary: (m) => client.binary(m) };
    },
    idle: () => websocketDriverServer(websocket, () => {}),
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export function loadImplementation(name: string): Implementation {
  switch (name) {
    case 'wsdriver':
      return wsdriver;
    case 'ws':
    case 'ws-no-addons':
      return ws(name);
    case 'websocket-driver':
      return websocketDriverApi(name, require('websocket-driver'));
    case 'websocket-driver-compat':
      return websocketDriverApi(name, require(COMPAT_ENTRY));
    default:
      throw new Error(`unknown implementation ${name}`);
  }
}

/** Whether ws in this process uses bufferutil (it decides when first required). */
export function wsUsesBufferutil(): boolean {
  // Not exported: ws's own module, found beside its entry point.
  const bufferUtil = require(join(dirname(require.resolve('ws')), 'lib', 'buffer-util.js')) as { unmask: { toString(): string } };
  return bufferUtil.unmask.toString().includes('bufferUtil');
}
