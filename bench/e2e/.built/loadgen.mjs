// bench/e2e/loadgen.ts
import net from "node:net";

// bench/e2e/broadcast-tally.ts
var BroadcastTally = class {
  /** Broadcasts asked for. */
  asked = 0;
  /** Broadcasts every client has received (they complete in order). */
  completed = 0;
  /** Slots in the ring: broadcast k's count is at `k % capacity`. */
  capacity;
  #clients;
  #maxOutstanding;
  /** Clients that have received broadcast k, for k from `completed` to `asked - 1`. */
  #reached;
  constructor(clients, maxOutstanding) {
    this.#clients = clients;
    this.#maxOutstanding = maxOutstanding;
    this.capacity = 2 ** Math.ceil(Math.log2(maxOutstanding + 1));
    this.#reached = new Int32Array(this.capacity);
  }
  /** Counts one more broadcast asked for. */
  ask() {
    if (this.asked - this.completed >= this.#maxOutstanding) throw new Error(`more than ${this.#maxOutstanding} broadcasts outstanding`);
    this.asked++;
  }
  /**
   * A client that had received `before` broadcasts received `count` more;
   * returns how many broadcasts that completed (the last of them is
   * `completed - 1`). Throws when a client receives more broadcasts than
   * were asked for: the server sent one twice, or one nobody asked for.
   */
  received(before, count) {
    const end = before + count;
    if (end > this.asked) throw new Error(`a client received ${end} broadcasts, ${this.asked} were asked for`);
    const mask = this.capacity - 1;
    const reached = this.#reached;
    for (let k = before; k < end; k++) reached[k & mask]++;
    const first = this.completed;
    while (this.completed < this.asked && reached[this.completed & mask] === this.#clients) {
      reached[this.completed & mask] = 0;
      this.completed++;
    }
    return this.completed - first;
  }
};

// bench/e2e/shared.ts
var SETTLE_LIMIT_MS = 6e4;
var CONNECT_CONCURRENCY = 100;

// bench/e2e/wire.ts
import { randomBytes } from "node:crypto";
var KEY = "dGhlIHNhbXBsZSBub25jZQ==";
function handshakeRequest(deflate) {
  const offer = deflate ? "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" : "";
  return Buffer.from(
    `GET /bench HTTP/1.1\r
Host: 127.0.0.1\r
Upgrade: websocket\r
Connection: Upgrade\r
Sec-WebSocket-Key: ${KEY}\r
Sec-WebSocket-Version: 13\r
${offer}\r
`
  );
}
function headerSize(length) {
  return length < 126 ? 2 : length < 65536 ? 4 : 10;
}
function writeHeader(target, fin, opcode, length, masked) {
  target[0] = (fin ? 128 : 0) | opcode;
  const maskBit = masked ? 128 : 0;
  if (length < 126) {
    target[1] = maskBit | length;
    return 2;
  }
  if (length < 65536) {
    target[1] = maskBit | 126;
    target.writeUInt16BE(length, 2);
    return 4;
  }
  target[1] = maskBit | 127;
  target.writeBigUInt64BE(BigInt(length), 2);
  return 10;
}
function clientFrame(opcode, payload, announced = payload.length) {
  const frame = Buffer.alloc(headerSize(announced) + 4 + payload.length);
  const at = writeHeader(frame, true, opcode, announced, true);
  const key = randomBytes(4);
  key.copy(frame, at);
  for (let i = 0; i < payload.length; i++) frame[at + 4 + i] = payload[i] ^ key[i & 3];
  return frame;
}
function serverFrame(opcode, payload) {
  const frame = Buffer.alloc(headerSize(payload.length) + payload.length);
  frame.set(payload, writeHeader(frame, true, opcode, payload.length, false));
  return frame;
}
var FrameScanner = class {
  messages = 0;
  // Payload bytes of the current frame still to skip.
  #skip = 0;
  #fin = false;
  #partial = null;
  /** Feeds a chunk; returns how many messages it completed. */
  push(chunk) {
    const before = this.messages;
    let data = chunk;
    if (this.#partial !== null) {
      data = Buffer.concat([this.#partial, chunk]);
      this.#partial = null;
    }
    let at = 0;
    while (at < data.length) {
      if (this.#skip > 0) {
        const step = Math.min(this.#skip, data.length - at);
        this.#skip -= step;
        at += step;
        if (this.#skip === 0 && this.#fin) this.messages++;
        continue;
      }
      if (data.length - at < 2) break;
      const second = data[at + 1] & 127;
      const size = second < 126 ? 2 : second === 126 ? 4 : 10;
      if (data.length - at < size) break;
      const length = second < 126 ? second : second === 126 ? data.readUInt16BE(at + 2) : Number(data.readBigUInt64BE(at + 2));
      this.#fin = (data[at] & 128) !== 0;
      at += size;
      this.#skip = length;
      if (length === 0 && this.#fin) this.messages++;
    }
    if (at < data.length) this.#partial = Buffer.from(data.subarray(at));
    return this.messages - before;
  }
};
var RepeatedFrames = class {
  frameLength;
  bytes;
  constructor(frame, longestChunk) {
    if (frame.length === 0) throw new RangeError("an empty frame cannot be counted");
    this.frameLength = frame.length;
    const copies = Math.ceil((frame.length + longestChunk) / frame.length) + 1;
    this.bytes = Buffer.allocUnsafe(copies * frame.length);
    for (let at = 0; at < this.bytes.length; at += frame.length) this.bytes.set(frame, at);
  }
};
var RepeatedFrameCounter = class {
  /** Whole frames received. */
  frames = 0;
  /** Stream offset of the first byte that is not the expected one, or -1. */
  mismatchAt = -1;
  #expected;
  /** Bytes of the current frame already received. */
  #phase = 0;
  constructor(expected) {
    this.#expected = expected;
  }
  /** Feeds the first `length` bytes of `chunk`; returns how many frames they completed (0 once the stream has differed). */
  push(chunk, length = chunk.length) {
    if (this.mismatchAt >= 0) return 0;
    const { bytes, frameLength } = this.#expected;
    for (let at = 0, phase = this.#phase; at < length; ) {
      const step = Math.min(length - at, bytes.length - phase);
      if (bytes.compare(chunk, at, at + step, phase, phase + step) !== 0) {
        this.mismatchAt = this.frames * frameLength + this.#phase + firstDifference(chunk, at, bytes, phase, step);
        return 0;
      }
      at += step;
      phase = (phase + step) % frameLength;
    }
    const total = this.#phase + length;
    const completed = Math.floor(total / frameLength);
    this.#phase = total - completed * frameLength;
    this.frames += completed;
    return completed;
  }
};
function firstDifference(chunk, at, reference, from, length) {
  let i = 0;
  while (i < length && chunk[at + i] === reference[from + i]) i++;
  return at + i;
}

// bench/e2e/loadgen.ts
var TEXT = 1;
var BINARY = 2;
var HEAD_END = Buffer.from("\r\n\r\n");
var READ_SIZE = 256 * 1024;
var READ_BUFFER = Buffer.allocUnsafe(READ_SIZE);
var sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
function checkpoint(label) {
  return new Promise((resolve) => {
    const onMessage = (message) => {
      if (message.type !== "continue" || message.label !== label) return;
      process.off("message", onMessage);
      resolve();
    };
    process.on("message", onMessage);
    process.send({ type: "checkpoint", label });
  });
}
var ignore = () => {
};
var Connection = class {
  constructor(socket) {
    this.socket = socket;
  }
  socket;
  read = ignore;
};
function open(port, raw, request) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({
      port,
      host: "127.0.0.1",
      onread: {
        buffer: READ_BUFFER,
        callback: (length, bytes) => {
          connection.read(bytes, length);
          return true;
        }
      }
    });
    const connection = new Connection(socket);
    socket.setNoDelay(true);
    socket.once("error", reject);
    const opened = () => {
      socket.off("error", reject);
      socket.on("error", () => {
      });
      connection.read = ignore;
      resolve(connection);
    };
    const fail = (message) => {
      socket.destroy();
      reject(new Error(message));
    };
    if (raw) {
      connection.read = (_, length) => length === 1 ? opened() : fail("the raw server sent more than its accept byte");
      return;
    }
    let head = Buffer.alloc(0);
    connection.read = (bytes, length) => {
      head = Buffer.concat([head, bytes.subarray(0, length)]);
      const end = head.indexOf(HEAD_END);
      if (end < 0) return;
      if (!head.subarray(0, 12).toString().startsWith("HTTP/1.1 101")) return fail(`handshake refused: ${head.subarray(0, end).toString()}`);
      if (end + 4 < head.length) return fail("bytes after the handshake response");
      opened();
    };
    socket.once("connect", () => socket.write(request));
  });
}
async function openAll(port, raw, count, deflate) {
  const request = handshakeRequest(deflate);
  const connections = [];
  let next = 0;
  const lane = async () => {
    while (next < count) {
      next++;
      connections.push(await open(port, raw, request));
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONNECT_CONCURRENCY, count) }, lane));
  return connections;
}
async function timedWindow(workload, timing) {
  await sleep(workload.warmupMs);
  await checkpoint("start");
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  timing(true);
  await sleep(workload.windowMs);
  timing(false);
  const windowMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  await checkpoint("end");
  return { windowMs, cpu: cpu.user + cpu.system };
}
var Samples = class {
  count = 0;
  #values = new Float64Array(1 << 16);
  add(ms) {
    if (this.count === this.#values.length) {
      const larger = new Float64Array(this.count * 2);
      larger.set(this.#values);
      this.#values = larger;
    }
    this.#values[this.count++] = ms;
  }
  /** The p-quantiles (0..1) of the samples, undefined with none. */
  percentiles(...ps) {
    const sorted = this.#values.subarray(0, this.count).sort();
    return ps.map((p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]);
  }
};
function corrupted(counters, what) {
  const index = counters.findIndex((counter) => counter.mismatchAt >= 0);
  if (index < 0) return null;
  return new Error(`connection ${index}: byte ${counters[index].mismatchAt} of what the server sent is not ${what}`);
}
async function echo(connections, raw, workload) {
  const payload = Buffer.alloc(workload.size, "x");
  const opcode = workload.binary ? BINARY : TEXT;
  const request = raw ? payload : clientFrame(opcode, payload);
  const expected = new RepeatedFrames(raw ? payload : serverFrame(opcode, payload), READ_SIZE);
  const counters = [];
  const latencies = new Samples();
  let running = true;
  let timing = false;
  let outstanding = 0;
  let repeated = null;
  for (const [index, connection] of connections.entries()) {
    const { socket } = connection;
    const counter = new RepeatedFrameCounter(expected);
    counters.push(counter);
    let sentAt = 0;
    const send = () => {
      sentAt = performance.now();
      outstanding++;
      socket.write(request);
    };
    connection.read = (bytes, length) => {
      const replies = counter.push(bytes, length);
      if (replies === 0) return;
      if (replies > 1) repeated ??= new Error(`connection ${index}: ${replies} replies to one request`);
      outstanding -= replies;
      if (timing) latencies.add(performance.now() - sentAt);
      if (running) send();
    };
    send();
  }
  const { windowMs, cpu } = await timedWindow(workload, (on) => timing = on);
  running = false;
  const settleLimitMs = workload.settleLimitMs ?? SETTLE_LIMIT_MS;
  const deadline = performance.now() + settleLimitMs;
  let failure = null;
  while (outstanding > 0 && failure === null && performance.now() < deadline) {
    failure = corrupted(counters, "the expected reply");
    await sleep(5);
  }
  failure ??= corrupted(counters, "the expected reply") ?? repeated;
  if (failure !== null) throw failure;
  if (outstanding > 0) throw new Error(`echo: ${outstanding} requests had no reply ${settleLimitMs} ms after the window`);
  const [p50, p99, p999] = latencies.percentiles(0.5, 0.99, 0.999);
  return { messages: latencies.count, windowMs, p50, p99, p999, cpu };
}
async function broadcast(connections, raw, workload) {
  const trigger = raw ? Buffer.from("b") : clientFrame(TEXT, Buffer.from("b"));
  const message = Buffer.alloc(workload.size, "x");
  const expected = new RepeatedFrames(raw ? message : serverFrame(TEXT, message), READ_SIZE);
  const counters = [];
  const tally = new BroadcastTally(connections.length, workload.inFlight);
  const askedAt = new Float64Array(tally.capacity);
  const latencies = new Samples();
  const asker = connections[0].socket;
  let running = true;
  let timing = false;
  let deliveries = 0;
  let failure = null;
  let windowEnd = 0;
  let settledAt = 0;
  const ask = () => {
    askedAt[tally.asked % tally.capacity] = performance.now();
    tally.ask();
    asker.write(trigger);
  };
  const received = (before, count) => {
    if (timing) deliveries += count;
    let finished;
    try {
      finished = tally.received(before, count);
    } catch (error) {
      failure ??= error;
      return;
    }
    if (finished === 0) return;
    const now = performance.now();
    if (timing) for (let k = tally.completed - finished; k < tally.completed; k++) latencies.add(now - askedAt[k % tally.capacity]);
    if (running) for (let i = 0; i < finished; i++) ask();
    else if (tally.completed === tally.asked) settledAt = now;
  };
  for (const connection of connections) {
    let seen = 0;
    if (workload.deflate) {
      const scanner = new FrameScanner();
      connection.read = (bytes, length) => {
        const count = scanner.push(bytes.subarray(0, length));
        if (count === 0) return;
        received(seen, count);
        seen += count;
      };
    } else {
      const counter = new RepeatedFrameCounter(expected);
      counters.push(counter);
      connection.read = (bytes, length) => {
        const count = counter.push(bytes, length);
        if (count === 0) return;
        received(seen, count);
        seen += count;
      };
    }
  }
  for (let i = 0; i < workload.inFlight; i++) ask();
  const { windowMs, cpu } = await timedWindow(workload, (on) => {
    timing = on;
    if (on) return;
    running = false;
    windowEnd = performance.now();
  });
  const settleLimitMs = workload.settleLimitMs ?? SETTLE_LIMIT_MS;
  while (tally.completed < tally.asked && failure === null && performance.now() - windowEnd < settleLimitMs) {
    failure = corrupted(counters, "the expected broadcast frame");
    await sleep(5);
  }
  failure ??= corrupted(counters, "the expected broadcast frame");
  if (failure !== null) throw failure;
  const unfinished = tally.asked - tally.completed;
  const settleMs = unfinished === 0 ? Math.max(0, settledAt - windowEnd) : void 0;
  await checkpoint("held");
  const [p50, p99] = latencies.percentiles(0.5, 0.99);
  return { messages: deliveries, windowMs, cpu, p50, p99, settleMs, unfinished };
}
async function partial(connections, workload) {
  const frame = clientFrame(BINARY, Buffer.alloc(workload.sent, "p"), workload.announced);
  const start = performance.now();
  await Promise.all(connections.map(({ socket }) => new Promise((resolve) => socket.write(frame, resolve))));
  const sendMs = performance.now() - start;
  await sleep(300);
  await checkpoint("held");
  return { sendMs };
}
async function run(request) {
  const { workload, raw, port } = request;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const connections = await openAll(port, raw, workload.connections, workload.type === "broadcast" && workload.deflate);
  const connectMs = performance.now() - started;
  const { user, system } = process.cpuUsage(cpuBefore);
  try {
    let result;
    if (workload.type === "idle") {
      await checkpoint("connected");
      await checkpoint("held");
      result = {};
    } else if (workload.type === "echo") {
      result = await echo(connections, raw, workload);
    } else if (workload.type === "broadcast") {
      result = await broadcast(connections, raw, workload);
    } else {
      result = await partial(connections, workload);
    }
    return { connectMs, connectCpu: user + system, ...result };
  } finally {
    for (const { socket } of connections) socket.destroy();
  }
}
process.on("message", (message) => {
  if (message.type !== "run") return;
  run(message).then(
    (result) => process.send({ type: "result", result }),
    (error) => process.send({ type: "result", error: error.stack ?? String(error) })
  );
});
process.on("disconnect", () => process.exit(0));
process.send({ type: "ready" });
