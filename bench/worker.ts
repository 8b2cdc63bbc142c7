/**
 * One benchmark process: loads one implementation (or an anchor) and runs
 * the workloads the parent asks for over IPC, one at a time, so the parent
 * can interleave implementations that live in different processes.
 *
 * Usage: forked by bench/run.ts with the implementation name as argv[2].
 *
 * @module
 */
import { createRequire } from 'node:module';
import { loadImplementation, wsUsesBufferutil, type Data, type Implementation } from './implementations.js';
import { verifyFrames } from './verify.js';
import { WORKLOADS, buildReceiveStream, headerBytes, messageCount, payloadFor, type ReceiveWorkload, type SendWorkload, type Workload } from './workloads.js';

const require = createRequire(import.meta.url);
const name = process.argv[2]!;
const ANCHORS = ['memcpy', 'bufferutil-unmask'];
const implementation: Implementation | null = ANCHORS.includes(name) ? null : loadImplementation(name);

export interface RunRequest {
  readonly workload: string;
  readonly volume: number;
  readonly verify: boolean;
}

export interface RunResult {
  readonly name: string;
  readonly workload: string;
  /** Nanoseconds for the timed pass. */
  readonly ns: number;
  readonly messages: number;
  /** Payload bytes moved in the timed pass. */
  readonly bytes: number;
  readonly error?: string;
}

const decoder = new TextDecoder();
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

// The current workload's prepared input, rebuilt when the workload changes.
let prepared: { id: string; volume: number; stream?: Uint8Array; count: number; texts?: string[] } | null = null;

function prepare(workload: Workload, volume: number) {
  if (prepared?.id === workload.id && prepared.volume === volume) return prepared;
  prepared = null;
  gc();
  const count = messageCount(workload, volume);
  if (workload.direction === 'receive') {
    prepared = { id: workload.id, volume, count, stream: buildReceiveStream(workload, count) };
  } else {
    const texts = workload.kind === 'text' ? Array.from({ length: Math.min(count, 64) }, (_, i) => decoder.decode(payloadFor(workload, i))) : undefined;
    prepared = { id: workload.id, volume, count, texts };
  }
  return prepared;
}

/** Cuts the stream into chunks, each in its own buffer as a socket delivers them. */
function chunksOf(stream: Uint8Array, size: number, wrap: (chunk: Uint8Array) => Uint8Array): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < stream.length; at += size) chunks.push(wrap(stream.slice(at, Math.min(at + size, stream.length))));
  return chunks;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function checkMessage(workload: Workload, index: number, data: Data): string | null {
  const expected = payloadFor(workload, index);
  if (workload.kind === 'text') {
    if (typeof data !== 'string') return `message ${index} is not a string`;
    if (data !== decoder.decode(expected)) return `message ${index} differs from what was sent`;
  } else {
    if (typeof data === 'string') return `message ${index} is a string, expected bytes`;
    if (!sameBytes(data, expected)) return `message ${index} differs from what was sent`;
  }
  return null;
}

function runReceive(workload: ReceiveWorkload, request: RunRequest): RunResult {
  const input = prepare(workload, request.volume);
  const fresh = input.stream!;
  const base = { name, workload: workload.id };
  if (implementation === null) {
    // Anchors: what moving the same bytes costs at the limit.
    const chunks = chunksOf(fresh, workload.chunk, (c) => Buffer.from(c.buffer, c.byteOffset, c.length));
    if (name === 'memcpy') {
      const target = new Uint8Array(fresh.length);
      gc();
      const start = process.hrtime.bigint();
      let offset = 0;
      for (const chunk of chunks) {
        target.set(chunk, offset);
        offset += chunk.length;
      }
      return { ...base, ns: Number(process.hrtime.bigint() - start), messages: 0, bytes: offset };
    }
    const bufferUtil = require('bufferutil') as { unmask(buffer: Uint8Array, mask: Uint8Array): void };
    const key = Buffer.from([0x12, 0x34, 0x56, 0x78]);
    gc();
    const start = process.hrtime.bigint();
    for (const chunk of chunks) bufferUtil.unmask(chunk, key);
    return { ...base, ns: Number(process.hrtime.bigint() - start), messages: 0, bytes: fresh.length };
  }

  const chunks = chunksOf(fresh, workload.chunk, implementation.wrap);
  let messages = 0;
  let bytes = 0;
  let error: string | null = null;
  const onMessage = request.verify
    ? (data: Data) => {
        if (error === null) error = checkMessage(workload, messages, data);
        messages++;
        bytes += workload.kind === 'text' ? new TextEncoder().encode(data as string).length : data.length;
      }
    : (data: Data) => {
        messages++;
        bytes += data.length;
      };
  const connection = implementation.receiver(2 ** 30, onMessage);
  gc();
  const start = process.hrtime.bigint();
  for (let i = 0; i < chunks.length; i++) connection.feed(chunks[i]!);
  const ns = Number(process.hrtime.bigint() - start);
  if (messages !== input.count) error ??= `delivered ${messages} messages, expected ${input.count}`;
  // Text is ASCII here, so string length equals byte length.
  if (bytes !== input.count * workload.size) error ??= `delivered ${bytes} payload bytes, expected ${input.count * workload.size}`;
  return { ...base, ns, messages, bytes, ...(error === null ? {} : { error }) };
}

function runSend(workload: SendWorkload, request: RunRequest): RunResult {
  const base = { name, workload: workload.id };
  if (implementation === null) return { ...base, ns: 0, messages: 0, bytes: 0 };
  const input = prepare(workload, request.volume);
  const masked = workload.role === 'client';
  let written = 0;
  const captured: Uint8Array[] = [];
  const write = request.verify
    ? (bytes: Uint8Array) => {
        written += bytes.length;
        if (captured.length < 16) captured.push(Uint8Array.from(bytes));
      }
    : (bytes: Uint8Array) => {
        written += bytes.length;
      };
  const connection = implementation.sender(workload.role, write);
  const count = input.count;
  const binaries = workload.kind === 'binary' ? Array.from({ length: Math.min(count, 64) }, (_, i) => implementation.wrap(payloadFor(workload, i))) : [];
  const texts = input.texts ?? [];
  const distinct = Math.min(count, 64);
  gc();
  const start = process.hrtime.bigint();
  if (workload.kind === 'text') for (let i = 0; i < count; i++) connection.text(texts[i % distinct]!);
  else for (let i = 0; i < count; i++) connection.binary(binaries[i % distinct]!);
  const ns = Number(process.hrtime.bigint() - start);
  let error: string | null = null;
  const expected = count * (headerBytes(workload.size, masked) + workload.size);
  if (written !== expected) error = `wrote ${written} bytes, expected ${expected}`;
  if (request.verify && error === null) {
    const joined = new Uint8Array(captured.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of captured) {
      joined.set(c, at);
      at += c.length;
    }
    error = verifyFrames(joined, masked, workload.kind === 'text' ? 1 : 2, (i) => payloadFor(workload, i % distinct));
  }
  return { ...base, ns, messages: count, bytes: count * workload.size, ...(error === null ? {} : { error }) };
}

process.on('message', (request: RunRequest) => {
  const workload = WORKLOADS.find((w) => w.id === request.workload);
  let result: RunResult;
  try {
    if (workload === undefined) throw new Error(`unknown workload ${request.workload}`);
    result = workload.direction === 'receive' ? runReceive(workload, request) : runSend(workload, request);
  } catch (error) {
    result = { name, workload: request.workload, ns: 0, messages: 0, bytes: 0, error: String((error as Error)?.stack ?? error) };
  }
  process.send!(result);
});

process.send!({ ready: true, name, bufferutil: name === 'ws' || name === 'ws-no-addons' ? wsUsesBufferutil() : null });
