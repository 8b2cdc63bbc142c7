/**
 * permessage-deflate (RFC 7692) for Node, as an extension for
 * `driver.addExtension()`, built on `node:zlib`.
 *
 * It speaks the same `websocket-extensions` interface as faye's
 * `permessage-deflate` package and takes the same option names, but
 * bounds decompression: the inflated size of every message is counted as
 * zlib produces it, and a message that passes the driver's `maxLength`
 * stops the inflater there and fails the connection with 1009. faye's
 * package inflates the whole message before anyone can look at its size,
 * so a few kilobytes on the wire can take gigabytes of memory
 * (docs/extensions.md).
 *
 * ```ts
 * import { Driver } from 'wsdriver';
 * import { perMessageDeflate } from 'wsdriver/node';
 * const driver = Driver.server(socket, { maxLength: 1 << 20 });
 * driver.addExtension(perMessageDeflate({ maxWindowBits: 12 }));
 * ```
 *
 * @module
 */
import type * as zlib from 'node:zlib';
import { nodeZlib } from './builtins.js';
import { CloseCode, ProtocolError, protocolError } from '../../errors.js';
import type { PreparedMessage } from '../../frame/prepared-message.js';
import type {
  Extension,
  ExtensionCallback,
  ExtensionClientSession,
  ExtensionMessage,
  ExtensionOptions,
  ExtensionParams,
  ExtensionServerSession,
} from '../../extensions/extension.js';
import type { PieceCodec } from '../../extensions/piece-codec.js';
import type { PerMessageDeflateOptions } from './options.js';

/** What the extension needs of `node:zlib`. */
export interface ZlibStreams {
  /**
   * Makes the raw inflate stream for the peer's messages, sized to the
   * window the peer agreed to (RFC 7692 §7.1.2). One stream per connection,
   * reset after each message if the peer agreed to no context takeover.
   */
  createInflateRaw(options: zlib.ZlibOptions): zlib.InflateRaw;
  /**
   * Makes the raw deflate stream for this side's messages, with the agreed
   * window bits and the configured level, memLevel and strategy. One stream
   * per connection, reset after each message if no context takeover was agreed.
   */
  createDeflateRaw(options: zlib.ZlibOptions): zlib.DeflateRaw;
}

const NAME = 'permessage-deflate';

// zlib's own constants (zlib.h), as node:zlib's `constants` has them.
const Z_SYNC_FLUSH = 2;
const Z_DEFAULT_COMPRESSION = -1;
const Z_DEFAULT_MEMLEVEL = 8;
const Z_DEFAULT_STRATEGY = 0;

/**
 * node:zlib's streams, with node:zlib loaded when a connection that
 * negotiated the extension first compresses or inflates (builtins.ts).
 */
const nodeZlibStreams: ZlibStreams = {
  createInflateRaw: (options) => nodeZlib().createInflateRaw(options),
  createDeflateRaw: (options) => nodeZlib().createDeflateRaw(options),
};

/** A prepared message's compressed form for one configuration, or the connections waiting for it (null: compress it yourself). */
interface SharedForm {
  data: Uint8Array | null;
  waiting: Array<(data: Uint8Array | null) => void>;
}

// Compressed forms by prepared message, then by configuration; gone with the message.
const sharedForms = new WeakMap<PreparedMessage, Map<string, SharedForm>>();
const PARAMS = new Set(['server_no_context_takeover', 'client_no_context_takeover', 'server_max_window_bits', 'client_max_window_bits']);
const MAX_WINDOW_BITS = 15;
// RFC 7692 §7.2.1/§7.2.2: the sender removes, and the receiver appends, the
// empty stored block that ends a sync flush.
const TRAILER = new Uint8Array([0x00, 0x00, 0xff, 0xff]);

/** What one side agreed to for a connection. */
interface Agreement {
  readonly ownNoContextTakeover: boolean;
  readonly ownWindowBits: number;
  readonly peerNoContextTakeover: boolean;
  readonly peerWindowBits: number;
}

interface Settings {
  readonly level: number;
  readonly memLevel: number;
  readonly strategy: number;
  readonly noContextTakeover: boolean;
  readonly maxWindowBits: number | undefined;
  readonly requestNoContextTakeover: boolean;
  readonly requestMaxWindowBits: number | undefined;
  readonly threshold: number;
  readonly zlib: ZlibStreams;
  readonly limiter: ZlibLimiter;
}

/** Default {@link PerMessageDeflateOptions.concurrencyLimit}. */
export const DEFAULT_ZLIB_CONCURRENCY = 10;

/**
 * Bounds the zlib jobs in flight: a job starts at once while fewer than
 * `limit` run, else when one ends, first come first served.
 */
class ZlibLimiter {
  readonly #limit: number;
  #running = 0;
  readonly #waiting: Array<(release: () => void) => void> = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Runs `start` now or once a slot is free; `start` must call `release` exactly once, when its job ends. */
  run(start: (release: () => void) => void): void {
    if (this.#running < this.#limit) {
      this.#running++;
      start(this.#release);
    } else {
      this.#waiting.push(start);
    }
  }

  // The slot passes to the next job waiting, if any.
  readonly #release = (): void => {
    const next = this.#waiting.shift();
    if (next === undefined) this.#running--;
    else next(this.#release);
  };
}

/**
 * The permessage-deflate extension, configured. Pass it to
 * `driver.addExtension()` on a client (it offers) or a server (it accepts
 * the first acceptable offer). Throws on a bad option.
 */
export function perMessageDeflate(options: PerMessageDeflateOptions = {}): Extension {
  const settings = checkOptions(options);
  return Object.freeze({
    name: NAME,
    type: 'permessage' as const,
    rsv1: true,
    rsv2: false,
    rsv3: false,
    createClientSession(sessionOptions: ExtensionOptions): ExtensionClientSession {
      return new ClientSession(settings, maxLengthOf(sessionOptions));
    },
    createServerSession(offers: ExtensionParams[], sessionOptions: ExtensionOptions): ExtensionServerSession | null {
      for (const offer of offers) {
        const agreement = acceptOffer(offer, settings);
        if (agreement !== null) return new ServerSession(settings, maxLengthOf(sessionOptions), agreement.response, agreement.agreement);
      }
      return null;
    },
  });
}

function maxLengthOf(options: ExtensionOptions | undefined): number {
  const maxLength = options?.maxLength;
  return typeof maxLength === 'number' && maxLength >= 0 ? maxLength : Infinity;
}

// --- negotiation (RFC 7692 §7.1) ---

/** Checks parameter names and values shared by offers and responses. */
function validParams(params: ExtensionParams): boolean {
  for (const [key, value] of Object.entries(params)) {
    // §7.1: unknown parameters, and any parameter given twice, decline the offer.
    if (!PARAMS.has(key) || Array.isArray(value)) return false;
  }
  // §7.1.1: the no_context_takeover parameters have no value.
  if ('server_no_context_takeover' in params && params['server_no_context_takeover'] !== true) return false;
  if ('client_no_context_takeover' in params && params['client_no_context_takeover'] !== true) return false;
  // §7.1.2.1: server_max_window_bits always carries a value, 8 to 15.
  if ('server_max_window_bits' in params && !isWindowBits(params['server_max_window_bits'])) return false;
  return true;
}

function isWindowBits(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 8 && value <= MAX_WINDOW_BITS;
}

/** Server: the response and agreement for one offer, or null to decline it. */
function acceptOffer(offer: ExtensionParams, settings: Settings): { response: ExtensionParams; agreement: Agreement } | null {
  if (!validParams(offer)) return null;
  const clientBits = offer['client_max_window_bits'];
  // §7.1.2.2: in an offer, client_max_window_bits may come without a value.
  if (clientBits !== undefined && clientBits !== true && !isWindowBits(clientBits)) return null;

  const response: ExtensionParams = {};
  // §7.1.1.1: a server may reset its context even when not asked to.
  const ownNoContextTakeover = settings.noContextTakeover || offer['server_no_context_takeover'] === true;
  if (ownNoContextTakeover) response['server_no_context_takeover'] = true;
  // §7.1.1.2: the server may forbid the client's context takeover.
  const peerNoContextTakeover = settings.requestNoContextTakeover || offer['client_no_context_takeover'] === true;
  if (peerNoContextTakeover) response['client_no_context_takeover'] = true;

  // §7.1.2.1: an offer's server_max_window_bits is accepted by answering
  // with the same or a smaller value.
  const offeredServerBits = offer['server_max_window_bits'] as number | undefined;
  const ownWindowBits = Math.min(settings.maxWindowBits ?? MAX_WINDOW_BITS, offeredServerBits ?? MAX_WINDOW_BITS);
  if (offeredServerBits !== undefined) response['server_max_window_bits'] = ownWindowBits;

  // §7.1.2.2: the server may limit the client's window only if the client
  // said it can be limited, and never above a value the client gave.
  let peerWindowBits = MAX_WINDOW_BITS;
  if (clientBits !== undefined) {
    peerWindowBits = Math.min(settings.requestMaxWindowBits ?? MAX_WINDOW_BITS, clientBits === true ? MAX_WINDOW_BITS : clientBits);
    if (peerWindowBits < MAX_WINDOW_BITS) response['client_max_window_bits'] = peerWindowBits;
  }
  return { response, agreement: { ownNoContextTakeover, ownWindowBits, peerNoContextTakeover, peerWindowBits } };
}

/** Client: the offer. */
function clientOffer(settings: Settings): ExtensionParams {
  const offer: ExtensionParams = {};
  // §7.1.2.2: offering client_max_window_bits (with no value: any window)
  // tells the server it may limit ours.
  offer['client_max_window_bits'] = settings.maxWindowBits ?? true;
  if (settings.noContextTakeover) offer['client_no_context_takeover'] = true;
  if (settings.requestNoContextTakeover) offer['server_no_context_takeover'] = true;
  if (settings.requestMaxWindowBits !== undefined) offer['server_max_window_bits'] = settings.requestMaxWindowBits;
  return offer;
}

/** Client: the agreement in the server's response, or null if the response is unacceptable. */
function acceptResponse(params: ExtensionParams, settings: Settings): Agreement | null {
  if (!validParams(params)) return null;
  const clientBits = params['client_max_window_bits'];
  // §7.1.2.2: in a response, client_max_window_bits needs a value, no
  // larger than the one offered.
  if (clientBits !== undefined && (!isWindowBits(clientBits) || clientBits > (settings.maxWindowBits ?? MAX_WINDOW_BITS))) return null;
  const serverBits = params['server_max_window_bits'] as number | undefined;
  // §7.1.1.1 and §7.1.2.1: what the client asked of the server must be in the response.
  if (settings.requestNoContextTakeover && params['server_no_context_takeover'] !== true) return null;
  if (settings.requestMaxWindowBits !== undefined && (serverBits === undefined || serverBits > settings.requestMaxWindowBits)) return null;
  return {
    ownNoContextTakeover: settings.noContextTakeover || params['client_no_context_takeover'] === true,
    ownWindowBits: Math.min(settings.maxWindowBits ?? MAX_WINDOW_BITS, clientBits ?? MAX_WINDOW_BITS),
    peerNoContextTakeover: params['server_no_context_takeover'] === true,
    peerWindowBits: serverBits ?? MAX_WINDOW_BITS,
  };
}

// --- sessions ---

/** One compression or decompression waiting its turn. */
interface Job {
  readonly message: ExtensionMessage;
  readonly callback: ExtensionCallback;
}

/** A piece of a streamed message to compress (see PieceCodec). */
interface CompressJob {
  readonly piece: Uint8Array;
  readonly fin: boolean;
  readonly done: (error: Error | null, bytes: Uint8Array | null) => void;
}

/** A piece of a streamed compressed message to inflate (see PieceCodec). */
interface DecompressJob {
  readonly piece: Uint8Array;
  readonly fin: boolean;
  readonly limit: number;
  readonly output: (bytes: Uint8Array) => boolean;
  readonly done: (error: ProtocolError | null) => void;
}

/**
 * Compresses and decompresses one connection's messages. Each direction
 * runs one message at a time through its zlib stream (the stream's
 * context spans messages), the rest wait in order.
 */
// TypeScript `private` fields, not `#` ones: with its subclasses' fields a
// session is past the 15 private-name fields V8 keeps fast (see BaseDriver).
class DeflateSession implements PieceCodec {
  protected readonly settings: Settings;
  private readonly maxLength: number;
  private agreement: Agreement | null = null;
  private inflater: zlib.InflateRaw | null = null;
  private deflater: zlib.DeflateRaw | null = null;
  // Whole messages and streamed pieces share each direction's queue, so
  // they keep their order through the one zlib stream.
  private readonly incoming: Array<Job | DecompressJob> = [];
  private readonly outgoing: Array<Job | CompressJob> = [];
  // Inflated bytes of the streamed message so far, for its limit.
  private streamedInflated = 0;
  // The inflater paused because a streamed piece's reader stopped taking output.
  private outputStopped: zlib.InflateRaw | null = null;
  private inflating = false;
  private deflating = false;
  // The limiter slot each running job holds, given back once: by the job's
  // end, or by close() (a closed zlib stream may never call back).
  private inflateSlot: (() => void) | null = null;
  private deflateSlot: (() => void) | null = null;
  private closed = false;

  constructor(settings: Settings, maxLength: number) {
    this.settings = settings;
    this.maxLength = maxLength;
  }

  protected agree(agreement: Agreement): void {
    this.agreement = agreement;
  }

  processIncomingMessage(message: ExtensionMessage, callback: ExtensionCallback): void {
    // RFC 7692 §6: RSV1 marks a compressed message; others pass as they are.
    if (!message.rsv1) {
      callback(null, message);
      return;
    }
    this.incoming.push({ message, callback });
    this.#nextInflate();
  }

  processOutgoingMessage(message: ExtensionMessage, callback: ExtensionCallback): void {
    if (message.data.length < this.settings.threshold) {
      callback(null, message);
      return;
    }
    const prepared = message.prepared;
    if (prepared !== undefined && this.agreement!.ownNoContextTakeover) {
      this.#sharedDeflate(prepared, message, callback);
      return;
    }
    this.outgoing.push({ message, callback });
    this.#nextDeflate();
  }

  compressPiece(piece: Uint8Array, fin: boolean, done: (error: Error | null, bytes: Uint8Array | null) => void): void {
    this.outgoing.push({ piece, fin, done });
    this.#nextDeflate();
  }

  decompressPiece(
    piece: Uint8Array,
    fin: boolean,
    limit: number,
    output: (bytes: Uint8Array) => boolean,
    done: (error: ProtocolError | null) => void,
  ): void {
    this.incoming.push({ piece, fin, limit, output, done });
    this.#nextInflate();
  }

  resumeOutput(): void {
    const inflater = this.outputStopped;
    this.outputStopped = null;
    if (inflater === null) return;
    if (this.inflateSlot !== null) {
      inflater.resume();
      return;
    }
    // The slot was given back when the output stopped: wait for one again.
    this.settings.limiter.run((slot) => {
      if (this.closed || this.inflater !== inflater) {
        slot();
        return;
      }
      this.inflateSlot = once(slot);
      inflater.resume();
    });
  }

  /** Gives back the slot the inflation in progress holds, if it holds one. */
  #releaseInflateSlot(): void {
    const slot = this.inflateSlot;
    this.inflateSlot = null;
    slot?.();
  }

  /**
   * A prepared message, compressed with no context takeover: the output
   * depends only on the compressor's configuration, so every connection
   * with the same one shares the first connection's result (RFC 7692
   * §7.2.1 with a fresh compressor each message).
   */
  #sharedDeflate(prepared: PreparedMessage, message: ExtensionMessage, callback: ExtensionCallback): void {
    const settings = this.settings;
    const key = `${this.agreement!.ownWindowBits}/${settings.level}/${settings.memLevel}/${settings.strategy}`;
    const { prepared: _, ...own } = message;
    const compressHere = (): void => {
      this.outgoing.push({ message: own, callback });
      this.#nextDeflate();
    };
    let forms = sharedForms.get(prepared);
    if (forms === undefined) sharedForms.set(prepared, (forms = new Map()));
    const form = forms.get(key);
    if (form !== undefined) {
      if (form.data !== null) callback(null, { ...own, rsv1: true, data: form.data });
      // Null: the connection compressing it failed or closed first; compress here after all.
      else form.waiting.push((data) => (data === null ? compressHere() : callback(null, { ...own, rsv1: true, data })));
      return;
    }
    const made: SharedForm = { data: null, waiting: [] };
    forms.set(key, made);
    this.outgoing.push({
      message: own,
      callback: (error, result) => {
        // A closed session's compressor was destroyed mid-message: its output is not to be shared.
        const data = error === null && result !== null && !this.closed ? result.data : null;
        if (data !== null) made.data = data;
        else forms.delete(key);
        const waiting = made.waiting;
        made.waiting = [];
        for (const wait of waiting) wait(data);
        callback(error, result);
      },
    });
    this.#nextDeflate();
  }

  close(): void {
    this.closed = true;
    this.incoming.length = 0;
    this.outgoing.length = 0;
    this.inflater?.close();
    this.deflater?.close();
    this.inflater = null;
    this.deflater = null;
    this.#releaseInflateSlot();
    this.deflateSlot?.();
  }

  /**
   * A piece of a streamed compressed message: its output goes out as zlib
   * produces it, counted against the message's limit; when the reader
   * stops taking it, the inflater is paused (zlib then stops inflating
   * once its small buffer is full), so a small piece cannot become a
   * decompression bomb. The trailer RFC 7692 §7.2.2 removes is added back
   * after the message's last piece.
   */
  #inflatePiece(job: DecompressJob, inflater: zlib.InflateRaw, agreement: Agreement): void {
    let settled = false;
    const finish = (error: ProtocolError | null): void => {
      if (settled) return;
      settled = true;
      inflater.off('data', onData);
      inflater.off('error', onError);
      if (this.outputStopped === inflater) this.outputStopped = null;
      if (error !== null) {
        inflater.on('error', ignore);
        inflater.close();
        if (this.inflater === inflater) this.inflater = null;
        this.streamedInflated = 0;
      } else if (job.fin) {
        this.streamedInflated = 0;
        if (agreement.peerNoContextTakeover) inflater.reset();
      }
      this.inflating = false;
      this.#releaseInflateSlot();
      job.done(error);
      this.#nextInflate();
    };
    const onData = (chunk: Uint8Array): void => {
      if (settled) return;
      this.streamedInflated += chunk.length;
      if (this.streamedInflated > job.limit) {
        finish(protocolError('MESSAGE_TOO_LONG', { length: this.streamedInflated, max: job.limit, limit: 'maxStreamedMessageSize' }));
        return;
      }
      if (!job.output(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))) {
        this.outputStopped = inflater;
        inflater.pause();
        // A paused reader may stay paused for long: its slot goes to other
        // connections' zlib jobs meanwhile (resumeOutput takes one again).
        this.#releaseInflateSlot();
      }
    };
    const onError = (error: Error): void => {
      finish(protocolError('EXTENSION_ERROR', { detail: `invalid compressed data: ${error.message}` }, { closeCode: CloseCode.INVALID_DATA }));
    };
    inflater.on('data', onData);
    inflater.on('error', onError);
    inflater.write(job.piece);
    if (job.fin) inflater.write(TRAILER);
    inflater.flush(() => finish(null));
  }

  /**
   * A piece of a streamed message to send: written and sync-flushed so its
   * bytes can be framed at once; RFC 7692 §7.2.1's trailing 0x00 0x00 0xff
   * 0xff is removed from the message's last piece only.
   */
  #deflatePiece(job: CompressJob, deflater: zlib.DeflateRaw, agreement: Agreement, release: () => void): void {
    const chunks: Uint8Array[] = [];
    let length = 0;
    let settled = false;
    const finish = (error: Error | null): void => {
      if (settled) return;
      settled = true;
      deflater.off('data', onData);
      deflater.off('error', onError);
      if (error !== null) {
        deflater.on('error', ignore);
        deflater.close();
        if (this.deflater === deflater) this.deflater = null;
      }
      this.deflating = false;
      release();
      if (error !== null) {
        job.done(protocolError('EXTENSION_ERROR', { detail: `compression failed: ${error.message}` }), null);
      } else {
        let data = join(chunks, length);
        if (job.fin && endsWithTrailer(data)) data = data.subarray(0, data.length - TRAILER.length);
        if (job.fin && agreement.ownNoContextTakeover) deflater.reset();
        job.done(null, data);
      }
      this.#nextDeflate();
    };
    const onData = (chunk: Uint8Array): void => {
      chunks.push(chunk);
      length += chunk.length;
    };
    const onError = (error: Error): void => finish(error);
    deflater.on('data', onData);
    deflater.on('error', onError);
    deflater.write(job.piece);
    deflater.flush(Z_SYNC_FLUSH, () => finish(null));
  }

  #nextInflate(): void {
    if (this.inflating || this.closed || this.incoming.length === 0) return;
    this.inflating = true;
    this.settings.limiter.run((release) => this.#inflate(release));
  }

  #inflate(slot: () => void): void {
    const job = this.incoming.shift();
    if (job === undefined || this.closed) {
      this.inflating = false;
      slot();
      return;
    }
    this.inflateSlot = once(slot);
    const agreement = this.agreement!;
    // Window bits 8 are read with 9: zlib's raw deflate has long used 9 for 8.
    const inflater = (this.inflater ??= this.settings.zlib.createInflateRaw({ windowBits: Math.max(9, agreement.peerWindowBits) }));
    if (!('message' in job)) {
      this.#inflatePiece(job, inflater, agreement);
      return;
    }
    const maxLength = this.maxLength;
    const chunks: Uint8Array[] = [];
    let length = 0;
    let settled = false;

    const finish = (error: ProtocolError | null): void => {
      if (settled) return;
      settled = true;
      inflater.off('data', onData);
      inflater.off('error', onError);
      if (error !== null) {
        // The stream is stopped mid-message: it cannot serve another.
        inflater.on('error', ignore);
        inflater.close();
        if (this.inflater === inflater) this.inflater = null;
      } else if (agreement.peerNoContextTakeover) {
        inflater.reset();
      }
      this.inflating = false;
      this.#releaseInflateSlot();
      if (error !== null) {
        job.callback(error, null);
      } else {
        job.callback(null, { ...job.message, rsv1: false, data: join(chunks, length) });
      }
      this.#nextInflate();
    };
    const onData = (chunk: Uint8Array): void => {
      length += chunk.length;
      if (length > maxLength) {
        // Stop here: the rest of the message is never inflated.
        finish(protocolError('MESSAGE_TOO_LONG', { length: maxLength + 1, max: maxLength }));
        return;
      }
      chunks.push(chunk);
    };
    const onError = (error: Error): void => {
      finish(protocolError('EXTENSION_ERROR', { detail: `invalid compressed data: ${error.message}` }, { closeCode: CloseCode.INVALID_DATA }));
    };
    inflater.on('data', onData);
    inflater.on('error', onError);
    inflater.write(job.message.data);
    inflater.write(TRAILER);
    inflater.flush(() => finish(null));
  }

  #nextDeflate(): void {
    if (this.deflating || this.closed || this.outgoing.length === 0) return;
    this.deflating = true;
    this.settings.limiter.run((release) => this.#deflate(release));
  }

  #deflate(slot: () => void): void {
    const job = this.outgoing.shift();
    if (job === undefined || this.closed) {
      this.deflating = false;
      slot();
      return;
    }
    const release = (this.deflateSlot = once(slot));
    const agreement = this.agreement!;
    const settings = this.settings;
    const deflater = (this.deflater ??= settings.zlib.createDeflateRaw({
      windowBits: agreement.ownWindowBits,
      level: settings.level,
      memLevel: settings.memLevel,
      strategy: settings.strategy,
    }));
    if (!('message' in job)) {
      this.#deflatePiece(job, deflater, agreement, release);
      return;
    }
    const chunks: Uint8Array[] = [];
    let length = 0;
    let settled = false;

    const finish = (error: Error | null): void => {
      if (settled) return;
      settled = true;
      deflater.off('data', onData);
      deflater.off('error', onError);
      if (error !== null) {
        deflater.on('error', ignore);
        deflater.close();
        if (this.deflater === deflater) this.deflater = null;
      } else if (agreement.ownNoContextTakeover) {
        deflater.reset();
      }
      this.deflating = false;
      release();
      if (error !== null) {
        job.callback(protocolError('EXTENSION_ERROR', { detail: `compression failed: ${error.message}` }), null);
      } else {
        let data = join(chunks, length);
        // §7.2.1: remove the 4 octets 0x00 0x00 0xff 0xff the sync flush ends with.
        if (endsWithTrailer(data)) data = data.subarray(0, data.length - TRAILER.length);
        job.callback(null, { ...job.message, rsv1: true, data });
      }
      this.#nextDeflate();
    };
    const onData = (chunk: Uint8Array): void => {
      chunks.push(chunk);
      length += chunk.length;
    };
    const onError = (error: Error): void => finish(error);
    deflater.on('data', onData);
    deflater.on('error', onError);
    deflater.write(job.message.data);
    deflater.flush(Z_SYNC_FLUSH, () => finish(null));
  }
}

class ServerSession extends DeflateSession implements ExtensionServerSession {
  private readonly response: ExtensionParams;

  constructor(settings: Settings, maxLength: number, response: ExtensionParams, agreement: Agreement) {
    super(settings, maxLength);
    this.response = response;
    this.agree(agreement);
  }

  generateResponse(): ExtensionParams {
    return this.response;
  }
}

class ClientSession extends DeflateSession implements ExtensionClientSession {
  generateOffer(): ExtensionParams {
    return clientOffer(this.settings);
  }

  activate(params: ExtensionParams): boolean {
    const agreement = acceptResponse(params, this.settings);
    if (agreement === null) return false;
    this.agree(agreement);
    return true;
  }
}

// --- helpers ---

function ignore(): void {}

/** `fn`, callable many times, running once. */
function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}

/** One Uint8Array of `chunks` (the chunk itself when there is only one). */
function join(chunks: readonly Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1) {
    const only = chunks[0]!;
    return new Uint8Array(only.buffer, only.byteOffset, only.byteLength);
  }
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

function endsWithTrailer(data: Uint8Array): boolean {
  const n = data.length;
  return n >= 4 && data[n - 4] === 0x00 && data[n - 3] === 0x00 && data[n - 2] === 0xff && data[n - 1] === 0xff;
}

function checkOptions(options: PerMessageDeflateOptions): Settings {
  if (options === null || typeof options !== 'object') throw new TypeError('permessage-deflate options must be an object');
  const known = ['level', 'memLevel', 'strategy', 'noContextTakeover', 'maxWindowBits', 'requestNoContextTakeover', 'requestMaxWindowBits', 'threshold', 'concurrencyLimit', 'zlib'];
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new TypeError(`unknown permessage-deflate option '${key}'; known options: ${known.join(', ')}`);
  }
  const integer = (key: keyof PerMessageDeflateOptions, min: number, max: number): number | undefined => {
    const value = options[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new RangeError(`permessage-deflate option '${key}' must be an integer from ${min} to ${max}`);
    }
    return value;
  };
  const flag = (key: 'noContextTakeover' | 'requestNoContextTakeover'): boolean => {
    const value = options[key];
    if (value !== undefined && typeof value !== 'boolean') throw new TypeError(`permessage-deflate option '${key}' must be a boolean`);
    return value ?? false;
  };
  const streams = options.zlib ?? nodeZlibStreams;
  if (typeof streams.createInflateRaw !== 'function' || typeof streams.createDeflateRaw !== 'function') {
    throw new TypeError("permessage-deflate option 'zlib' must have createInflateRaw() and createDeflateRaw()");
  }
  return {
    level: integer('level', -1, 9) ?? Z_DEFAULT_COMPRESSION,
    memLevel: integer('memLevel', 1, 9) ?? Z_DEFAULT_MEMLEVEL,
    strategy: integer('strategy', 0, 4) ?? Z_DEFAULT_STRATEGY,
    noContextTakeover: flag('noContextTakeover'),
    maxWindowBits: integer('maxWindowBits', 8, MAX_WINDOW_BITS),
    requestNoContextTakeover: flag('requestNoContextTakeover'),
    requestMaxWindowBits: integer('requestMaxWindowBits', 8, MAX_WINDOW_BITS),
    threshold: integer('threshold', 0, Number.MAX_SAFE_INTEGER) ?? 0,
    zlib: streams,
    limiter: new ZlibLimiter(integer('concurrencyLimit', 1, Number.MAX_SAFE_INTEGER) ?? DEFAULT_ZLIB_CONCURRENCY),
  };
}
