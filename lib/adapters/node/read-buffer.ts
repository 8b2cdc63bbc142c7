/**
 * Socket reads into one buffer the adapter reuses, instead of a fresh
 * ArrayBuffer for every read.
 *
 * Why: Node reads each socket chunk into a new ArrayBuffer. V8 counts
 * external memory allocated since its last mark-compact against the old
 * generation's limit, so in a server with a small heap the reads alone
 * start mark-compacts, and with large messages they double the young
 * ArrayBuffer bytes per message (bench/analysis.md, "Large binary,
 * session 6" and "Reads into a reused buffer, session 7").
 *
 * How: `net.Socket`'s `onread` option makes a socket read into a buffer
 * of the caller's and call a function with the byte count instead of
 * pushing a Buffer. Node offers it only to sockets it creates, but keeps
 * the option in two symbol properties of every `net.Socket` (`kBuffer`,
 * `kBufferCb`) and applies it through the handle's `useUserBuffer()`:
 * once the socket is open, setting the two and calling that switches it
 * (Node 20's lib/net.js `initSocketHandle`, and `onStreamRead` in
 * lib/internal/stream_base_commons.js, which also still emits `end` and
 * errors, and stops reading when the function returns false). Node's
 * `Socket.prototype.pause` and `resume` stop and restart the handle's
 * reading for such a socket, so backpressure works as before.
 *
 * One buffer serves every socket in the process: a read is handed to its
 * function and parsed synchronously before libuv reads again, and the
 * driver keeps no view of it past `parse()` (borrowed input,
 * lib/frame/borrowed-input.ts). So a connection costs no memory for it.
 * The buffer is WebAssembly memory with a masking kernel over it, so a
 * masked frame is unmasked where it was read (wasm-read-buffer.ts).
 *
 * Only a plain `net.Socket` on a TCP or pipe handle is switched, and only
 * when nothing else reads it: no other `data` listener, no `readable`
 * listener, nothing buffered in the stream, reading flowing. Where
 * anything is missing (another Node, Deno, Bun, TLS, a wrapper) the
 * socket keeps its `data` events.
 *
 * @module
 */
import type { Socket as NetSocket } from 'node:net';
import type { Duplex } from 'node:stream';
import { nodeNet, nodeStream } from './builtins.js';
import { IN_NODE } from './runtime.js';
import { newReadBuffer } from './wasm-read-buffer.js';

const netSocketPrototype = nodeNet().Socket.prototype;
const pauseStream = nodeStream().Duplex.prototype.pause;

/**
 * Bytes in the shared read buffer: four times libuv's own suggested read
 * size, so a read takes up to 256 KiB of what the kernel holds. A 1 MiB
 * frame then arrives in about four reads rather than sixteen, and its
 * first read holds a quarter of it, enough for the parser to make its
 * exact buffer at once (no staging buffer, no copy of a quarter of the
 * frame): the 1 MiB echo's server CPU per message fell by about a quarter
 * (bench/analysis.md, "Large binary, session 9"). One buffer per process,
 * whatever the number of connections.
 */
export const READ_BUFFER_SIZE = 256 * 1024;

/** Called with the socket as `this` and the number of bytes read into `buffer`; false stops reading. */
export type SharedReadCallback = (this: NetSocket, nread: number, buffer: Uint8Array) => boolean | void;

/** Node's symbols for a socket's own read buffer and its callback. */
interface ReadSymbols {
  readonly buffer: symbol;
  readonly callback: symbol;
}

interface UserBufferHandle {
  readonly constructor?: { readonly name?: string };
  useUserBuffer?(buffer: Uint8Array): void;
  /** Node's own record of whether the handle reads (net.js `tryReadStart`, `onStreamRead`). */
  reading?: boolean;
  readStart?(): number;
}

type SymbolRecord = Record<symbol, unknown>;

// Looked up on the first socket switched: undefined until then, null if this Node has none.
let readSymbols: ReadSymbols | null | undefined;
// Made on the first socket switched.
let sharedBuffer: Uint8Array | null = null;
// READ_BUFFER_SIZE unless a benchmark set another before the buffer was made.
let sharedBufferSize = READ_BUFFER_SIZE;

/**
 * For benchmarks and tests only (the package's entries do not export it):
 * the size of the shared read buffer, up to {@link READ_BUFFER_SIZE}, to
 * compare read sizes in one build (bench/e2e/fairness.ts). False, and
 * nothing changed, once the buffer is made.
 */
export function setSharedReadSize(bytes: number): boolean {
  if (sharedBuffer !== null || !(bytes > 0 && bytes <= READ_BUFFER_SIZE)) return false;
  sharedBufferSize = bytes;
  return true;
}

/** Node's read-buffer symbols, found by description on `socket`, or null. */
function symbolsOf(socket: NetSocket): ReadSymbols | null {
  if (readSymbols !== undefined) return readSymbols;
  let buffer: symbol | undefined;
  let callback: symbol | undefined;
  for (const symbol of Object.getOwnPropertySymbols(socket)) {
    if (symbol.description === 'kBuffer') buffer = symbol;
    else if (symbol.description === 'kBufferCb') callback = symbol;
  }
  readSymbols = buffer !== undefined && callback !== undefined ? { buffer, callback } : null;
  return readSymbols;
}

/**
 * Whether `stream` is a socket whose reads could go to the shared buffer
 * once it is open and nothing else reads it: a plain `net.Socket` in
 * Node itself. Cheap; checked when the adapter attaches.
 */
export function mayShareReadBuffer(stream: Duplex): boolean {
  return IN_NODE && Object.getPrototypeOf(stream) === netSocketPrototype;
}

/**
 * What {@link readIntoSharedBuffer} would answer now: 'yes', 'later'
 * (something reads or holds data, or the handle is not there yet) or
 * 'never' (this socket or this Node cannot).
 */
function readiness(socket: NetSocket): 'yes' | 'later' | 'never' {
  const handle = (socket as unknown as { _handle?: UserBufferHandle | null })._handle;
  if (socket.destroyed || socket.readableEnded) return 'never';
  if (handle === null || handle === undefined) return 'later';
  const kind = handle.constructor?.name;
  if ((kind !== 'TCP' && kind !== 'Pipe') || typeof handle.useUserBuffer !== 'function') return 'never';
  const symbols = symbolsOf(socket);
  if (symbols === null) return 'never';
  // Set already: the socket was made with `onread`, or switched before;
  // a switched socket handing its reads to the stream (paused) may switch back.
  const record = socket as unknown as SymbolRecord;
  if (record[symbols.buffer] != null && !(record[symbols.buffer] === sharedBuffer && record[symbols.callback] === pushCopy)) return 'never';
  if (socket.listenerCount('data') !== 1 || socket.listenerCount('readable') !== 0) return 'later';
  if (socket.readableFlowing !== true || socket.readableLength !== 0 || socket.connecting) return 'later';
  return 'yes';
}

/**
 * Switches `socket`'s reads to the shared buffer: from the next read on,
 * `onRead` is called with the socket as `this` and the byte count, and
 * no `data` event comes. Returns 'yes' if switched, 'later' if not yet
 * (try again after a later read), 'never' if this socket cannot be.
 * The caller's `data` listener must be the only one.
 */
export function readIntoSharedBuffer(socket: Duplex, onRead: SharedReadCallback): 'yes' | 'later' | 'never' {
  const net = socket as NetSocket;
  const ready = readiness(net);
  if (ready !== 'yes') return ready;
  const symbols = readSymbols!;
  const record = net as unknown as SymbolRecord;
  if (sharedBuffer !== null && record[symbols.buffer] === sharedBuffer) {
    // Back from a pause (pauseSharedReads): the handle still reads into it.
    record[symbols.callback] = onRead;
    return 'yes';
  }
  const buffer = sharedReadBuffer();
  record[symbols.buffer] = buffer;
  record[symbols.callback] = onRead;
  try {
    (net as unknown as { _handle: UserBufferHandle })._handle.useUserBuffer!(buffer);
  } catch {
    record[symbols.buffer] = null;
    record[symbols.callback] = null;
    return 'never';
  }
  return 'yes';
}

/** The shared read buffer, made at the first call (the first socket switched). */
export function sharedReadBuffer(): Uint8Array {
  return (sharedBuffer ??= newReadBuffer(sharedBufferSize));
}

/** True if `socket` reads into the shared buffer. */
export function readsIntoSharedBuffer(socket: Duplex): boolean {
  const symbols = readSymbols;
  return symbols !== null && symbols !== undefined && (socket as unknown as SymbolRecord)[symbols.buffer] === sharedBuffer && sharedBuffer !== null;
}

/**
 * Pauses a socket that reads into the shared buffer the way Node pauses a
 * socket of its own, and returns true; false (nothing done) for any other.
 * Node's `Socket.prototype.pause` stops such a socket's handle from
 * reading at once, and a handle that does not read does not see the
 * peer's FIN or RST either: a paused connection whose peer left would
 * stay open. So the handle goes on reading while paused, each read copied
 * and pushed into the stream's own buffer, until that is full (Node then
 * stops reading, as for any socket); the reads come back as `data` events
 * after `resume()`, and {@link readIntoSharedBuffer} switches the socket
 * back once the stream's buffer is empty.
 */
export function pauseSharedReads(socket: Duplex): boolean {
  if (!readsIntoSharedBuffer(socket)) return false;
  (socket as unknown as SymbolRecord)[readSymbols!.callback] = pushCopy;
  // The stream's pause, not the socket's (which would stop the handle).
  pauseStream.call(socket);
  return true;
}

/**
 * Reads `socket` again after its read callback returned false to let
 * other connections read (read-budget.ts), as Node's `tryReadStart`
 * would, unless that is no longer this code's to do: the socket closed,
 * reads again already (a `resume()` restarted it), or was paused
 * meanwhile by someone else. A socket the driver paused (its reads going
 * to the stream's own buffer, {@link pauseSharedReads}) reads on until
 * that buffer is full, as it would have without the stop; one paused
 * through `socket.pause()` waits for its `resume()`.
 */
export function resumeSharedReads(socket: Duplex): void {
  const net = socket as NetSocket;
  const handle = (net as unknown as { _handle?: UserBufferHandle | null })._handle;
  if (net.destroyed || handle == null || handle.reading === true || typeof handle.readStart !== 'function') return;
  const pausedByDriver = (net as unknown as SymbolRecord)[readSymbols!.callback] === pushCopy;
  if (pausedByDriver ? net.readableLength >= net.readableHighWaterMark : net.readableFlowing !== true) return;
  // Node's own restart (`_read` calls its tryReadStart): it marks the handle reading, and a failed start destroys the
  // socket with the same error object (`read EBADF`, its code and errno) as any other read Node starts.
  (net as unknown as { _read(size: number): void })._read(0);
}

// Node's own path pushes a fresh Buffer per read and stops reading when the stream's buffer is full.
function pushCopy(this: NetSocket, nread: number, buffer: Uint8Array): boolean {
  return this.push(Buffer.from(buffer.subarray(0, nread)));
}
