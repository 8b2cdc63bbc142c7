/// <reference path="../../types/websocket-extensions.d.ts" />
/**
 * The glue between a driver and faye's `websocket-extensions` framework:
 * the extensions added to one connection, their negotiation through
 * `Sec-WebSocket-Extensions` (RFC 6455 §9), the RSV bits they claim (§5.2),
 * and the message pipeline through their sessions.
 *
 * The framework keeps messages in wire order in each direction, however
 * late each session calls back; this class counts what is still inside the
 * pipeline so the driver can hold a close frame until the messages before
 * it have gone through. Control frames never enter the pipeline, so a slow
 * extension cannot delay a ping, a pong or a close (extensions of type
 * `permessage` only ever see data messages).
 *
 * What comes out is checked here, not trusted: an incoming message must fit
 * `maxLength` and, if text, be valid UTF-8 (checked only now, after the
 * extensions decoded it); an outgoing one may set only the RSV bits an
 * active extension claims.
 *
 * @module
 */
import Extensions from 'websocket-extensions';
import { Close, ProtocolError, protocolError } from '../errors.js';
import { isWireCloseCode } from '../frame/close-payload.js';
import { isValidUtf8 } from '../frame/utf8-validator.js';
import { Opcode } from '../frame/opcodes.js';
import type { PreparedMessage } from '../frame/prepared-message.js';
import { isToken, isValidHeaderValue } from '../http/tokens.js';
import type {
  Extension,
  ExtensionClientSession,
  ExtensionMessage,
  ExtensionParams,
  ExtensionServerSession,
  NegotiatedExtension,
} from './extension.js';
import { isPieceCodec, type PieceCodec } from './piece-codec.js';

const RSV1 = 0x40;
const RSV2 = 0x20;
const RSV3 = 0x10;

/** An outgoing message after the extensions, ready to frame. */
export interface EncodedMessage {
  readonly opcode: number;
  /** RSV bits for the first frame, as 0x70 bits of its first byte. */
  readonly rsv: number;
  readonly data: Uint8Array;
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The extensions of one connection; see the module comment. */
export class ExtensionStack {
  readonly #registry: Extensions;
  readonly #maxLength: number;
  readonly #decodeText: boolean;
  readonly #negotiated: NegotiatedExtension[] = [];
  #allowedRsv = 0;
  #pendingIncoming = 0;
  #pendingIncomingBytes = 0;
  #pendingOutgoing = 0;
  #closed = false;
  // Each extension's session by name, once negotiated, for pieceCodec.
  readonly #sessions = new Map<string, unknown>();

  /**
   * `decodeText`: text out of the pipeline is delivered as a string, or,
   * when false, as its bytes (checked as UTF-8 all the same).
   */
  constructor(maxLength: number, decodeText = true) {
    this.#maxLength = maxLength;
    this.#decodeText = decodeText;
    this.#registry = new Extensions({ maxLength });
  }

  /** Registers an extension. Throws a TypeError if it is malformed or its name is taken. */
  add(extension: Extension): void {
    if (extension === null || typeof extension !== 'object') throw new TypeError('an extension must be an object');
    // The name goes into a header: it must be a token (RFC 6455 §9.1).
    if (typeof extension.name !== 'string' || !isToken(extension.name)) {
      throw new TypeError(`extension name ${JSON.stringify(extension.name)} is not an HTTP token`);
    }
    if (typeof extension.createClientSession !== 'function' || typeof extension.createServerSession !== 'function') {
      throw new TypeError(`extension ${extension.name} must have createClientSession() and createServerSession()`);
    }
    // websocket-extensions checks `type`, the RSV flags and that the name is new.
    this.#registry.add(this.#recording(extension));
  }

  /** What was negotiated, in the order the response listed it. */
  get negotiated(): readonly NegotiatedExtension[] {
    return this.#negotiated;
  }

  /** True once negotiation made at least one extension active. */
  get active(): boolean {
    return this.#negotiated.length > 0;
  }

  /** RSV bits (0x70 bits of a frame's first byte) that active extensions claim on data frames. */
  get allowedRsv(): number {
    return this.#allowedRsv;
  }

  /** True when no incoming message is inside the pipeline. */
  get incomingIdle(): boolean {
    return this.#pendingIncoming === 0;
  }

  /**
   * The session that compresses messages piece by piece, if it is the only
   * extension negotiated and offers it ({@link PieceCodec}); null otherwise,
   * and streamed messages then go through the pipeline whole.
   */
  get pieceCodec(): PieceCodec | null {
    if (this.#negotiated.length !== 1) return null;
    const session = this.#sessions.get(this.#negotiated[0]!.name);
    return isPieceCodec(session) ? session : null;
  }

  /** True when no outgoing message is inside the pipeline. */
  get outgoingIdle(): boolean {
    return this.#pendingOutgoing === 0;
  }

  /**
   * Bytes of received messages inside the pipeline: a peer can send
   * faster than a slow extension decodes, so a driver counts these in
   * its `retainedBytes`.
   */
  get retainedBytes(): number {
    return this.#pendingIncomingBytes;
  }

  // --- negotiation ---

  /** Client: the offer to send, or null when no extension offers anything. */
  offer(): string | null {
    return checkHeader(this.#registry.generateOffer());
  }

  /**
   * Client: activates what the server's response accepted. Returns the
   * fault if it named an extension that was not offered, named one twice,
   * used an RSV bit twice, or carried parameters the extension refuses:
   * RFC 6455 §4.1 says the client must then fail the connection, with
   * 1010 (§7.4.1).
   */
  accept(header: string | undefined): ProtocolError | null {
    try {
      this.#registry.activate(header);
    } catch (error) {
      this.#negotiated.length = 0;
      return protocolError('HANDSHAKE_BAD_EXTENSION', { detail: `Sec-WebSocket-Extensions: ${messageOf(error)}` });
    }
    this.#activated();
    return null;
  }

  /**
   * Server: accepts what it supports of the client's offer and returns the
   * response header, or null when nothing was accepted. Throws a
   * SyntaxError if the offer is malformed.
   */
  respond(offer: string | undefined): string | null {
    const header = checkHeader(this.#registry.generateResponse(offer));
    this.#activated();
    return header;
  }

  #activated(): void {
    // Ask the framework which bits its active sessions claim (validFrameRsv),
    // once, so the frame parser checks a plain mask per frame.
    const claims = (rsv1: boolean, rsv2: boolean, rsv3: boolean): boolean =>
      this.#registry.validFrameRsv({ opcode: Opcode.TEXT, rsv1, rsv2, rsv3 });
    this.#allowedRsv = (claims(true, false, false) ? RSV1 : 0) | (claims(false, true, false) ? RSV2 : 0) | (claims(false, false, true) ? RSV3 : 0);
  }

  // --- the pipeline ---

  /**
   * Runs a received message through the extensions, last added first.
   * `done` gets the message for the application (a string for text,
   * unless `decodeText` is off) and whether it is text, or the fault that
   * must fail the connection; calls come in wire order.
   */
  incoming(opcode: number, rsv: number, data: Uint8Array, done: (result: string | Uint8Array | ProtocolError, text: boolean) => void): void {
    const message: ExtensionMessage = {
      rsv1: (rsv & RSV1) !== 0,
      rsv2: (rsv & RSV2) !== 0,
      rsv3: (rsv & RSV3) !== 0,
      opcode,
      data,
    };
    const size = data.length;
    this.#pendingIncoming++;
    this.#pendingIncomingBytes += size;
    this.#registry.processIncomingMessage(message, (error, result) => {
      this.#pendingIncoming--;
      this.#pendingIncomingBytes -= size;
      if (this.#closed) return;
      if (error !== null || result === null) done(extensionFailure(error), false);
      else done(this.#decode(result), result.opcode === Opcode.TEXT);
    });
  }

  /**
   * Runs a message to send through the extensions, first added first.
   * `done` gets what to frame, or the fault; calls come in send order.
   */
  outgoing(opcode: number, data: Uint8Array, done: (result: EncodedMessage | ProtocolError) => void, prepared?: PreparedMessage): void {
    const message: ExtensionMessage = { rsv1: false, rsv2: false, rsv3: false, opcode, data };
    // Offered only to a lone extension: another one's output could not be shared.
    if (prepared !== undefined && this.negotiated.length === 1) message.prepared = prepared;
    this.#pendingOutgoing++;
    this.#registry.processOutgoingMessage(message, (error, result) => {
      this.#pendingOutgoing--;
      if (this.#closed) return;
      done(error !== null || result === null ? extensionFailure(error) : this.#encode(result));
    });
  }

  /** The connection is over: no more callbacks; sessions are closed once their pending work ends. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#registry.close(() => {});
  }

  #decode(message: ExtensionMessage): string | Uint8Array | ProtocolError {
    const data = plainBytes(message.data);
    if (data === null) return protocolError('EXTENSION_ERROR', { detail: 'an extension returned message data that is not a Uint8Array' });
    // A well-behaved extension stops at maxLength itself; this catches the others
    // (the message is already in memory then, but the application never sees it).
    if (data.length > this.#maxLength) {
      return protocolError('MESSAGE_TOO_LONG', { length: data.length, max: this.#maxLength });
    }
    if (message.opcode !== Opcode.TEXT) return data;
    if (!this.#decodeText) return isValidUtf8(data) ? data : protocolError('INVALID_UTF8', {});
    try {
      return decoder.decode(data);
    } catch {
      // RFC 6455 §8.1: text must be valid UTF-8 once the extensions have decoded it.
      return protocolError('INVALID_UTF8', {});
    }
  }

  #encode(message: ExtensionMessage): EncodedMessage | ProtocolError {
    const data = plainBytes(message.data);
    if (data === null) return protocolError('EXTENSION_ERROR', { detail: 'an extension returned message data that is not a Uint8Array' });
    if (message.opcode !== Opcode.TEXT && message.opcode !== Opcode.BINARY) {
      return protocolError('EXTENSION_ERROR', { detail: `an extension returned a message with opcode ${message.opcode}` });
    }
    const rsv = (message.rsv1 ? RSV1 : 0) | (message.rsv2 ? RSV2 : 0) | (message.rsv3 ? RSV3 : 0);
    // §5.2: no RSV bit may be sent that no negotiated extension defines.
    if ((rsv & ~this.#allowedRsv) !== 0) {
      return protocolError('EXTENSION_ERROR', { detail: `an extension set RSV bits 0x${rsv.toString(16)} that no active extension claims` });
    }
    return { opcode: message.opcode, rsv, data };
  }

  /**
   * Wraps an extension so that the parameters it agrees to are recorded
   * for `driver.extensions`; sessions are otherwise passed through as-is.
   */
  #recording(extension: Extension): Extensions.Extension {
    const name = extension.name;
    const negotiated = this.#negotiated;
    const sessions = this.#sessions;
    const record = (params: ExtensionParams, session: unknown) => {
      negotiated.push(Object.freeze({ name, params: Object.freeze({ ...params }) }));
      sessions.set(name, session);
    };
    return {
      name,
      type: extension.type,
      rsv1: extension.rsv1,
      rsv2: extension.rsv2,
      rsv3: extension.rsv3,
      createClientSession(options) {
        const session = extension.createClientSession(options);
        if (session === null || session === undefined) return null;
        return {
          generateOffer: () => session.generateOffer(),
          activate(params) {
            // §9.1: a response names each extension at most once.
            if (negotiated.some((entry) => entry.name === name)) return false;
            const accepted = session.activate(params);
            if (accepted === true) record(params, session);
            return accepted;
          },
          ...passThrough(session),
        } satisfies Extensions.ClientSession;
      },
      createServerSession(offers, options) {
        const session = extension.createServerSession(offers, options);
        if (session === null || session === undefined) return null;
        return {
          generateResponse() {
            const params = session.generateResponse();
            record(params, session);
            return params;
          },
          ...passThrough(session),
        } satisfies Extensions.ServerSession;
      },
    };
  }
}

/** The message-processing half of a session, delegated. */
function passThrough(session: ExtensionClientSession | ExtensionServerSession): Extensions.Session {
  return {
    processIncomingMessage: (message, callback) => session.processIncomingMessage(message, callback),
    processOutgoingMessage: (message, callback) => session.processOutgoingMessage(message, callback),
    close: () => session.close?.(),
  };
}

/**
 * The fault an extension reported, as the error the driver fails with:
 * a {@link ProtocolError} as it is; an error with a numeric `closeCode`
 * that may be sent, with that code; a zlib data error (Node's zlib under
 * faye's `permessage-deflate`) as invalid data, 1007; anything else as an
 * internal error, 1011.
 */
export function extensionFailure(error: unknown): ProtocolError {
  // A close code that may not be sent (1005, 1006, 1015…) would break the
  // close frame; such an error is treated as any other.
  if (error instanceof ProtocolError && isWireCloseCode(error.closeCode)) return error;
  const fields = (typeof error === 'object' && error !== null ? error : {}) as { closeCode?: unknown; code?: unknown };
  let closeCode: number = Close.INTERNAL_ERROR;
  if (typeof fields.closeCode === 'number' && isWireCloseCode(fields.closeCode)) closeCode = fields.closeCode;
  else if (fields.code === 'Z_DATA_ERROR') closeCode = Close.INVALID_DATA;
  const detail = error === null || error === undefined ? 'an extension returned no message' : messageOf(error);
  return protocolError('EXTENSION_ERROR', { detail }, error instanceof Error ? { closeCode, cause: error } : { closeCode });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A plain Uint8Array view of what an extension returned (a Buffer, say), or null. */
function plainBytes(data: unknown): Uint8Array | null {
  if (data instanceof Uint8Array) {
    return data.constructor === Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  return null;
}

/** An extension's parameters could put CR or LF in the header: refuse that. */
function checkHeader(header: string | null): string | null {
  if (header !== null && !isValidHeaderValue(header)) {
    throw new TypeError(`an extension produced an invalid Sec-WebSocket-Extensions value: ${JSON.stringify(header)}`);
  }
  return header;
}
