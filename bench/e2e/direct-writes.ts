/**
 * The load generator's writes straight to a socket's handle, without
 * Node's Writable machinery: a request frame is written with one
 * `writeBuffer` on the TCP handle, as Node's own `writeGeneric` does
 * underneath `socket.write`, but with no stream state, write request
 * object, `nextTick` or `afterWrite` bookkeeping per write. The same for
 * every server under test: it changes what the load generator spends per
 * request, not what any server receives (bench/analysis.md, "Echo 4 KiB,
 * session 11").
 *
 * It needs Node's `stream_wrap` binding (`process.binding`, deprecated
 * but kept) and the socket's `_handle`; where either is missing the writer
 * is `socket.write`. A write the kernel could not take at once completes
 * later on its own (its request object and the frame, which the caller
 * never changes, stay referenced until then); one that fails fails the run.
 *
 * @module
 */
import type net from 'node:net';

/** A pending write, as the handle's `writeBuffer` takes it (Node's `WriteWrap`). */
interface WriteRequest {
  handle: unknown;
  oncomplete: (status: number) => void;
  async: boolean;
  buffer: Uint8Array | null;
}

interface StreamWrap {
  readonly WriteWrap: new () => WriteRequest;
  readonly streamBaseState: Int32Array;
  readonly kLastWriteWasAsync: number;
}

interface WritableHandle {
  writeBuffer(request: WriteRequest, bytes: Uint8Array): number;
}

// Looked up at the first writer: undefined until then, null where this Node has none.
let streamWrap: StreamWrap | null | undefined;

function binding(): StreamWrap | null {
  if (streamWrap !== undefined) return streamWrap;
  try {
    const found = (process as unknown as { binding(name: string): Partial<StreamWrap> }).binding('stream_wrap');
    streamWrap = typeof found.WriteWrap === 'function' && found.streamBaseState instanceof Int32Array && typeof found.kLastWriteWasAsync === 'number' ? (found as StreamWrap) : null;
  } catch {
    streamWrap = null;
  }
  return streamWrap;
}

/**
 * A function writing its argument to `socket` (open, nothing else writing
 * it meanwhile); `fail` is called with the error if a write fails.
 */
export function directWriter(socket: net.Socket, fail: (error: Error) => void): (bytes: Uint8Array) => void {
  const wrap = binding();
  const handle = (socket as unknown as { _handle?: Partial<WritableHandle> | null })._handle;
  if (wrap === null || handle == null || typeof handle.writeBuffer !== 'function') return (bytes) => void socket.write(bytes);
  const writable = handle as WritableHandle;
  const failed = (status: number) => fail(new Error(`write to the server failed (${status})`));
  const newRequest = () => {
    const request = new wrap.WriteWrap();
    request.handle = writable;
    request.async = false;
    request.buffer = null;
    request.oncomplete = (status) => {
      if (status < 0) failed(status);
    };
    return request;
  };
  // A request the kernel took at once is done with as the call returns: the next write reuses it.
  let request = newRequest();
  return (bytes) => {
    const status = writable.writeBuffer(request, bytes);
    if (status !== 0) return failed(status);
    if (wrap.streamBaseState[wrap.kLastWriteWasAsync] === 0) return;
    // Pending: it keeps its request (and the frame) until it completes.
    request.async = true;
    request.buffer = bytes;
    request = newRequest();
  };
}
