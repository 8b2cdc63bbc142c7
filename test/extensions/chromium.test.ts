/**
 * permessage-deflate with a real browser: Debian's Chromium, headless,
 * driven by playwright-core. A page served from a local HTTP server opens
 * `new WebSocket()` to a wsdriver server on the same server's `upgrade`
 * event; compressed text and binary messages go there and back.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type net from 'node:net';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NegotiatedExtension, ServerSideDriver } from '../../lib/index.js';
import { handleUpgrade, perMessageDeflate } from '../../lib/adapters/node/index.js';
import { Cleanup, listen, MiB } from './support.js';
import { hasChromium, launchChromium } from '../helpers/chromium.js';

const chromiumHere = hasChromium();

const PAGE = '<!doctype html><meta charset="utf-8"><title>wsdriver permessage-deflate</title><p>ready</p>';

interface Connection {
  offered: string | undefined;
  driver: ServerSideDriver;
  socket: net.Socket;
  negotiated: Promise<readonly NegotiatedExtension[]>;
}

const cleanup = new Cleanup();
let context: BrowserContext;
let origin: string;
const connections: Connection[] = [];

beforeAll(async () => {
  if (!chromiumHere) return;
  const server = http.createServer((request, response) => {
    response.writeHead(request.url === '/' ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
    response.end(request.url === '/' ? PAGE : 'not found');
  });
  server.on('upgrade', (request, socket, head) => {
    const driver = handleUpgrade(request, socket, head, { maxLength: 8 * MiB });
    driver.addExtension(perMessageDeflate());
    driver.on('message', (event) => (typeof event.data === 'string' ? driver.text(event.data) : driver.binary(event.data)));
    driver.on('error', () => {});
    const negotiated = new Promise<readonly NegotiatedExtension[]>((resolve) => driver.once('open', () => resolve(driver.extensions)));
    connections.push({ offered: request.headers['sec-websocket-extensions'], driver, socket: socket as net.Socket, negotiated });
  });
  const port = await listen(cleanup, server);
  origin = `http://127.0.0.1:${port}`;

  const browser = await launchChromium();
  cleanup.add(() => browser.close());
  context = browser.context;
}, 120_000);

afterAll(() => cleanup.run(), 60_000);

/** What the page does: open a socket, send each message, collect the echoes, close. */
interface PageReport {
  extensions: string;
  echoesMatch: boolean[];
  lengths: number[];
  closeCode: number;
}

describe.skipIf(!chromiumHere)('Chromium → wsdriver server with permessage-deflate', () => {
  it('negotiates permessage-deflate and round-trips compressed text and binary messages', async () => {
    const page = await context.newPage();
    await page.goto(origin + '/');
    const report: PageReport = await page.evaluate(async (url) => {
      const json = (size: number) => {
        let text = '';
        for (let i = 0; text.length < size; i++) text += `{"id":${i},"name":"café ✓","tags":["x${i % 7}"]}\n`;
        return text.slice(0, size);
      };
      const bytes = (size: number) => {
        const out = new Uint8Array(size);
        for (let i = 0; i < size; i++) out[i] = (i % 64) < 48 ? 0x41 + ((i >> 6) % 26) : i & 0xff;
        return out;
      };
      const messages: Array<string | Uint8Array<ArrayBuffer>> = ['hello', '', json(64 * 1024), bytes(256 * 1024), json(1024 * 1024), '🎉 ünïcødé', bytes(3)];
      const socket = new WebSocket(url);
      socket.binaryType = 'arraybuffer';
      const echoes: Array<string | Uint8Array> = [];
      await new Promise<void>((resolve, reject) => {
        socket.onopen = () => {
          for (const message of messages) socket.send(message);
        };
        socket.onmessage = (event) => {
          echoes.push(typeof event.data === 'string' ? event.data : new Uint8Array(event.data as ArrayBuffer));
          if (echoes.length === messages.length) resolve();
        };
        socket.onerror = () => reject(new Error('WebSocket error'));
      });
      const closed = new Promise<number>((resolve) => (socket.onclose = (event) => resolve(event.code)));
      socket.close(1000);
      const same = (a: string | Uint8Array, b: string | Uint8Array) =>
        typeof a === 'string' || typeof b === 'string' ? a === b : a.length === b.length && a.every((x, i) => x === b[i]);
      return {
        extensions: socket.extensions,
        echoesMatch: messages.map((message, i) => same(message, echoes[i]!)),
        lengths: messages.map((m) => (typeof m === 'string' ? new TextEncoder().encode(m).length : m.length)),
        closeCode: await closed,
      };
    }, origin.replace('http:', 'ws:') + '/ws');
    await page.close();

    expect(report.extensions).toBe('permessage-deflate');
    expect(report.echoesMatch.every(Boolean)).toBe(true);
    expect(report.closeCode).toBe(1000);

    const connection = connections.at(-1)!;
    // Chromium offers permessage-deflate with client_max_window_bits.
    expect(connection.offered).toMatch(/^permessage-deflate/);
    expect(await connection.negotiated).toEqual([{ name: 'permessage-deflate', params: {} }]);
    // Compressed both ways: far fewer bytes crossed than the payload.
    const payload = report.lengths.reduce((a, b) => a + b, 0);
    expect(connection.socket.bytesRead).toBeLessThan(payload / 3);
    expect(connection.socket.bytesWritten).toBeLessThan(payload / 3);
  }, 120_000);

  it('Chromium is refused with 1009 when a message inflates past maxLength', async () => {
    const page = await context.newPage();
    await page.goto(origin + '/');
    const code = await page.evaluate(async (url) => {
      const socket = new WebSocket(url);
      await new Promise((resolve) => (socket.onopen = resolve));
      // 9 MiB of one byte: a few KB once compressed, past the server's 8 MiB.
      socket.send(new Uint8Array(9 * 1024 * 1024));
      return new Promise<number>((resolve) => (socket.onclose = (event) => resolve(event.code)));
    }, origin.replace('http:', 'ws:') + '/ws');
    await page.close();
    expect(code).toBe(1009);
    expect(connections.at(-1)!.socket.bytesRead).toBeLessThan(1 * MiB);
  }, 120_000);
});
