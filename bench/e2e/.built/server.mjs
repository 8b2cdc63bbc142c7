// bench/e2e/server.ts
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { createRequire } from "node:module";
import http from "node:http";
import net2 from "node:net";
import { pathToFileURL } from "node:url";

// bench/built.ts
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
function repositoryRoot(from) {
  for (let dir = from; ; dir = dirname(dir)) {
    try {
      if (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).name === "wsdriver") return dir;
    } catch {
    }
    if (dirname(dir) === dir) throw new Error(`bench: no wsdriver package.json above ${from}`);
  }
}
var root = repositoryRoot(dirname(fileURLToPath(import.meta.url)));
var BUILT_ENTRY = join(root, "dist", "esm", "index.js");
var NODE_ENTRY = join(root, "dist", "esm", "adapters", "node", "index.js");
var COMPAT_ENTRY = join(root, "packages", "websocket-driver-compat", "lib", "websocket", "driver.js");

// bench/e2e/shared.ts
var LISTEN_BACKLOG = 2048;

// bench/e2e/window-diagnostics.ts
import { constants, monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import net from "node:net";
import { getHeapSpaceStatistics } from "node:v8";
var KINDS = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: "scavenge",
  [constants.NODE_PERFORMANCE_GC_MAJOR]: "mark-compact",
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: "incremental",
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: "weak-callbacks"
};
function oldGenerationBytes() {
  let bytes = 0;
  for (const space of getHeapSpaceStatistics()) if (!space.space_name.startsWith("new")) bytes += space.space_used_size;
  return bytes;
}
var WindowDiagnostics = class {
  loopDelay = monitorEventLoopDelay({ resolution: 1 });
  pauses = /* @__PURE__ */ new Map();
  observer = new PerformanceObserver((list) => {
    if (!this.timing) return;
    for (const entry of list.getEntries()) this.notePause(entry);
  });
  timing = false;
  cpuAtStart = 0;
  systemCpuAtStart = 0;
  faultsAtStart = 0;
  oldGenerationAtStart = 0;
  writes = 0;
  writtenBytes = 0;
  /** Messages the server answered; its echo handler counts them. */
  messages = 0;
  constructor() {
    this.observer.observe({ entryTypes: ["gc"] });
    this.countSocketWrites();
  }
  /** Wraps every socket's `_write` and `_writev` (what reaches libuv after Writable's buffering and cork). */
  countSocketWrites() {
    const socket = net.Socket.prototype;
    const write = socket._write;
    const writev = socket._writev;
    const self = this;
    socket._write = function(chunk, encoding, done) {
      self.writes++;
      self.writtenBytes += chunk.length;
      write.call(this, chunk, encoding, done);
    };
    socket._writev = function(chunks, done) {
      self.writes++;
      for (const { chunk } of chunks) self.writtenBytes += chunk.length;
      writev.call(this, chunks, done);
    };
  }
  notePause(entry) {
    const kind = KINDS[entry.detail?.kind ?? -1] ?? "other";
    const pauses = this.pauses.get(kind) ?? { count: 0, totalMs: 0, maxMs: 0, over5Ms: 0 };
    pauses.count++;
    pauses.totalMs += entry.duration;
    pauses.maxMs = Math.max(pauses.maxMs, entry.duration);
    if (entry.duration > 5) pauses.over5Ms++;
    this.pauses.set(kind, pauses);
  }
  start() {
    this.timing = true;
    this.pauses.clear();
    this.writes = 0;
    this.writtenBytes = 0;
    this.messages = 0;
    const cpu = process.cpuUsage();
    this.cpuAtStart = cpu.user + cpu.system;
    this.systemCpuAtStart = cpu.system;
    this.faultsAtStart = process.resourceUsage().minorPageFault;
    this.oldGenerationAtStart = oldGenerationBytes();
    this.loopDelay.reset();
    this.loopDelay.enable();
  }
  /** The window's figures. */
  end() {
    this.timing = false;
    this.loopDelay.disable();
    const ms = (ns) => Math.round(ns / 1e4) / 100;
    const perMessage = (n) => this.messages === 0 ? null : Math.round(n / this.messages * 1e3) / 1e3;
    const cpu = process.cpuUsage();
    const newSpace = getHeapSpaceStatistics().find((space) => space.space_name === "new_space");
    const pauses = Object.fromEntries([...this.pauses].map(([kind, p]) => [kind, { ...p, totalMs: Math.round(p.totalMs * 100) / 100, maxMs: Math.round(p.maxMs * 100) / 100 }]));
    return {
      loopDelayMs: { p50: ms(this.loopDelay.percentile(50)), p99: ms(this.loopDelay.percentile(99)), max: ms(this.loopDelay.max) },
      gc: pauses,
      messages: this.messages,
      cpuUsPerMessage: perMessage(cpu.user + cpu.system - this.cpuAtStart),
      systemCpuUsPerMessage: perMessage(cpu.system - this.systemCpuAtStart),
      minorFaultsPerMessage: perMessage(process.resourceUsage().minorPageFault - this.faultsAtStart),
      scavengesPer1000: perMessage((this.pauses.get("scavenge")?.count ?? 0) * 1e3),
      newSpaceBytes: newSpace?.space_size,
      oldGenerationBytesAtStart: this.oldGenerationAtStart,
      writesPerMessage: perMessage(this.writes),
      bytesPerWrite: this.writes === 0 ? null : Math.round(this.writtenBytes / this.writes)
    };
  }
};

// bench/e2e/server.ts
var require2 = createRequire(import.meta.url);
var config = JSON.parse(process.argv[2] ?? "{}");
var broadcastText = "x".repeat(config.broadcastSize ?? 16);
var broadcastBytes = Buffer.from(broadcastText);
var MAX_MESSAGE = 64 * 1024 * 1024;
var DECODE_TEXT = process.env.BENCH_ECHO_TEXT === "strings";
var diagnostics = process.env.E2E_DIAGNOSE ? new WindowDiagnostics() : null;
var ballast = Array.from({ length: Number(process.env.E2E_BALLAST ?? 0) * 16 * 1024 }, (_, i) => ({ index: i, name: String(i) }));
function echo(driver, { data, type }) {
  if (diagnostics !== null) diagnostics.messages++;
  if (type === "text") driver.text(data);
  else driver.binary(data);
}
function stats(gc) {
  if (gc) {
    const collect = globalThis.gc;
    collect?.();
    collect?.();
  }
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  return {
    cpu: cpu.user + cpu.system,
    atMs: Number(process.hrtime.bigint()) / 1e6,
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    external: memory.external,
    arrayBuffers: memory.arrayBuffers
  };
}
function listen(server2) {
  server2.listen({ port: 0, host: "127.0.0.1", backlog: LISTEN_BACKLOG }, () => {
    const { port } = server2.address();
    process.send({ type: "ready", port });
  });
}
async function wsdriverServer() {
  const { Driver, PreparedMessage } = await import(pathToFileURL(BUILT_ENTRY).href);
  const node = await import(pathToFileURL(BUILT_ENTRY.replace(/index\.js$/, "adapters/node/index.js")).href);
  if (config.mode === "broadcast" && process.env.BENCH_BROADCAST === "server") {
    const wss = new node.WebSocketServer({
      maxLength: MAX_MESSAGE,
      perMessageDeflate: config.deflate ? { noContextTakeover: true } : false,
      handler: { onMessage: () => void wss.broadcast(broadcastText) }
    });
    const server3 = http.createServer();
    wss.serve(server3);
    return server3;
  }
  const open = /* @__PURE__ */ new Set();
  const deflate = config.deflate ? node.perMessageDeflate({ noContextTakeover: true }) : null;
  const server2 = http.createServer();
  server2.on("upgrade", (request, socket, head) => {
    if (!Driver.isWebSocket(request)) return socket.destroy();
    const driver = node.handleUpgrade(request, socket, head, { maxLength: MAX_MESSAGE, decodeText: DECODE_TEXT });
    if (deflate !== null) driver.addExtension(deflate);
    if (config.mode === "echo") {
      driver.on("message", (event) => echo(driver, event));
    } else {
      driver.on("open", () => open.add(driver));
      driver.on("close", () => open.delete(driver));
      driver.on("message", () => {
        const message = new PreparedMessage(broadcastText);
        for (const each of open) each.sendPrepared(message);
      });
    }
  });
  return server2;
}
async function wsdriverObjectServer() {
  const { PreparedMessage } = await import(pathToFileURL(BUILT_ENTRY).href);
  const node = await import(pathToFileURL(BUILT_ENTRY.replace(/index\.js$/, "adapters/node/index.js")).href);
  const server2 = http.createServer();
  const wss = new node.WebSocketServer({
    maxLength: MAX_MESSAGE,
    decodeText: DECODE_TEXT,
    perMessageDeflate: config.deflate ? { noContextTakeover: true } : false,
    handler: (driver) => {
      if (config.mode === "echo") {
        driver.on("message", (event) => echo(driver, event));
      } else {
        driver.on("message", () => void wss.broadcast(new PreparedMessage(broadcastText), { slowClient: "queue" }));
      }
    }
  });
  wss.serve(server2);
  return server2;
}
function wsServer() {
  const { WebSocketServer } = require2("ws");
  const server2 = http.createServer();
  const wss = new WebSocketServer({
    server: server2,
    maxPayload: MAX_MESSAGE,
    perMessageDeflate: config.deflate ? { threshold: 0, serverNoContextTakeover: true } : false
  });
  wss.on("connection", (ws) => {
    if (config.mode === "echo") {
      ws.on("message", (data, isBinary) => {
        if (diagnostics !== null) diagnostics.messages++;
        ws.send(data, { binary: isBinary });
      });
    } else {
      ws.on("message", () => {
        for (const each of wss.clients) each.send(broadcastText);
      });
    }
  });
  return server2;
}
function websocketDriverServer() {
  const websocket = require2("websocket-driver");
  const deflate = config.deflate ? require2("permessage-deflate").configure({ noContextTakeover: true }) : null;
  const open = /* @__PURE__ */ new Set();
  return net2.createServer((socket) => {
    socket.setNoDelay(true);
    const driver = websocket.server({ maxLength: MAX_MESSAGE });
    if (deflate !== null) driver.addExtension(deflate);
    driver.on("connect", () => driver.start());
    socket.pipe(driver.io).pipe(socket);
    socket.on("error", () => socket.destroy());
    driver.io.on("error", () => socket.destroy());
    if (config.mode === "echo") {
      driver.messages.on("data", (data) => typeof data === "string" ? driver.text(data) : driver.binary(data));
    } else {
      driver.on("open", () => open.add(driver));
      driver.on("close", () => open.delete(driver));
      driver.messages.on("data", () => {
        for (const each of open) each.text(broadcastText);
      });
    }
  });
}
var ACCEPTED = Buffer.from("!");
function rawServer() {
  const open = /* @__PURE__ */ new Set();
  return net2.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on("error", () => socket.destroy());
    socket.write(ACCEPTED);
    if (config.mode === "echo") {
      socket.on("data", (chunk) => {
        if (diagnostics !== null) diagnostics.messages++;
        socket.write(chunk);
      });
    } else {
      open.add(socket);
      socket.on("close", () => open.delete(socket));
      socket.on("data", (chunk) => {
        for (let i = 0; i < chunk.length; i++) for (const each of open) each.write(broadcastBytes);
      });
    }
  });
}
var server = config.kind === "wsdriver" ? await wsdriverServer() : config.kind === "wsdriver-server" ? await wsdriverObjectServer() : config.kind === "ws" || config.kind === "ws-noaddons" ? wsServer() : config.kind === "websocket-driver" ? websocketDriverServer() : rawServer();
server.on("connection", (socket) => socket.on("error", () => socket.destroy()));
var profileFile = process.env.E2E_PROFILE;
var profiler = profileFile === void 0 ? null : new Session();
profiler?.connect();
async function profileAt(label) {
  if (profiler === null) return;
  if (label === "start") {
    await profiler.post("Profiler.enable");
    await profiler.post("Profiler.start");
  } else if (label === "end") {
    const { profile } = await profiler.post("Profiler.stop");
    writeFileSync(profileFile, JSON.stringify(profile));
  }
}
process.on("message", async (message) => {
  if (message.type !== "stats") {
    if (message.type === "exit") process.exit(0);
    return;
  }
  const reply = stats(message.gc === true);
  if (message.label === "start") diagnostics?.start();
  if (message.label === "start" && process.env.E2E_WINDOW_FILE) writeFileSync(process.env.E2E_WINDOW_FILE, String(process.pid));
  if (message.label === "end" && diagnostics !== null) process.stderr.write(`diagnose ${config.kind}: ${JSON.stringify(diagnostics.end())}
`);
  if (message.label === "start") await profileAt("start");
  process.send({ type: "stats", id: message.id, stats: reply });
  if (message.label === "end") await profileAt("end");
});
process.on("disconnect", () => process.exit(ballast.length >= 0 ? 0 : 1));
listen(server);
