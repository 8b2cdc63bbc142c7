/**
 * A socket that records every byte a driver writes, and a log of every
 * event the driver emits, in order.
 */
import type { DriverEventMap, Socket } from '../../lib/index.js';
import { concat, decodeFrames, type DecodedFrame } from './frames.js';
import { parseHead, type ParsedHead } from './http.js';

/** An event as recorded: its type plus a copy of what it carried. */
export type RecordedEvent =
  | { type: 'connect' }
  | { type: 'open' }
  | { type: 'message'; data: string | Uint8Array }
  | { type: 'ping'; data: Uint8Array }
  | { type: 'pong'; data: Uint8Array }
  | { type: 'error'; code: string; closeCode: number; message: string; error: Error }
  | { type: 'close'; code: number; reason: string; wasClean: boolean }
  | { type: 'drain' }
  | { type: 'pause' }
  | { type: 'resume' };

/** The part of every driver the recorder listens to. */
export interface Emitter {
  on<K extends keyof DriverEventMap>(type: K, listener: (event: DriverEventMap[K]) => void): unknown;
}

const EVENT_TYPES = ['connect', 'open', 'message', 'ping', 'pong', 'error', 'close', 'drain', 'pause', 'resume'] as const;

/** A socket whose writes are kept, chunk by chunk. */
export class RecordingSocket implements Socket {
  readonly writes: Uint8Array[] = [];
  url?: string | URL;
  env?: unknown;
  /** Called after each write, e.g. to forward bytes to a peer. */
  onWrite: ((bytes: Uint8Array) => void) | null = null;

  constructor(init: { url?: string | URL; env?: unknown } = {}) {
    if (init.url !== undefined) this.url = init.url;
    if (init.env !== undefined) this.env = init.env;
  }

  /** The buffers exactly as handed to write(), to check the driver never changes one after. */
  readonly handed: Uint8Array[] = [];
  /** While true, write() returns false: the transport is backed up (flow-control tests). */
  full = false;
  /** What the socket reports as its `bufferedAmount` (flow-control tests). */
  bufferedAmount = 0;

  write(bytes: Uint8Array): boolean {
    // Copied: the driver may hand out views it reuses, and we check the bytes later.
    const copy = Uint8Array.from(bytes);
    this.writes.push(copy);
    this.handed.push(bytes);
    this.onWrite?.(copy);
    return !this.full;
  }
}

/** Records a driver's events and the bytes it writes; see the module comment. */
export class Recorder {
  readonly socket: RecordingSocket;
  readonly events: RecordedEvent[] = [];
  #readFrom = 0;

  constructor(init: { url?: string | URL; env?: unknown } = {}) {
    this.socket = new RecordingSocket(init);
  }

  /** Listens to every event of `driver`. Returns the driver. */
  attach<D extends Emitter>(driver: D): D {
    for (const type of EVENT_TYPES) {
      driver.on(type, (event: DriverEventMap[typeof type]) => this.events.push(copyEvent(type, event)));
    }
    return driver;
  }

  /** Every byte written so far, joined. */
  get written(): Uint8Array {
    return concat(...this.socket.writes);
  }

  /** Bytes written since the last `take()` (or ever), joined; marks them read. */
  take(): Uint8Array {
    const bytes = concat(...this.socket.writes.slice(this.#readFrom));
    this.#readFrom = this.socket.writes.length;
    return bytes;
  }

  /** Frames written since the last `take()`, decoded. */
  takeFrames(): DecodedFrame[] {
    return decodeFrames(this.take());
  }

  /** The HTTP head written since the last `take()`, read back. */
  takeHead(): ParsedHead {
    return parseHead(this.take());
  }

  /** Recorded events of one type, in order. */
  of<T extends RecordedEvent['type']>(type: T): Array<Extract<RecordedEvent, { type: T }>> {
    return this.events.filter((e): e is Extract<RecordedEvent, { type: T }> => e.type === type);
  }

  /** The sequence of event types, e.g. ['open', 'message', 'close']. */
  get types(): string[] {
    return this.events.map((e) => e.type);
  }

  /** Data of the message events, in order. */
  get messages(): Array<string | Uint8Array> {
    return this.of('message').map((e) => e.data);
  }

  /** Forgets the events recorded so far (bytes are kept; use take()). */
  clearEvents(): void {
    this.events.length = 0;
  }
}

function copyEvent<K extends keyof DriverEventMap>(type: K, event: DriverEventMap[K]): RecordedEvent {
  switch (type) {
    case 'message': {
      const data = (event as DriverEventMap['message']).data;
      // Copied: binary messages may be views into a chunk the test reuses.
      return { type, data: typeof data === 'string' ? data : Uint8Array.from(data) };
    }
    case 'ping':
    case 'pong':
      return { type, data: Uint8Array.from((event as DriverEventMap['ping']).data) };
    case 'error': {
      const error = event as DriverEventMap['error'];
      return { type, code: error.code, closeCode: error.closeCode, message: error.message, error };
    }
    case 'close': {
      const close = event as DriverEventMap['close'];
      return { type, code: close.code, reason: close.reason, wasClean: close.wasClean };
    }
    default:
      return { type } as RecordedEvent;
  }
}
