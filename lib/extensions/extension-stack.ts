/**
 * The extensions added to one connection: their negotiation through
 * `Sec-WebSocket-Extensions` (RFC 6455 §9), the RSV bits they claim
 * (§5.2), and the message pipeline through their sessions
 * (extension-pipeline.ts). Extensions speak the interface of faye's
 * `websocket-extensions` framework (extension.ts), which this module
 * implements, so any extension written for it works.
 *
 * The pipeline keeps messages in wire order in each direction, however
 * late each session calls back; this class counts what is still inside it
 * so the driver can hold a close frame until the messages before it have
 * gone through. Control frames never enter the pipeline, so a slow
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
import { Close, ProtocolError, protocolError } from '../errors.js';
import { isWireCloseCode } from '../frame/close-payload.js';
import { isValidUtf8 } from '../frame/utf8-validator.js';
import { Opcode } from '../frame/opcodes.js';
import type { PreparedMessage } from '../frame/prepared-message.js';
import { isToken, isValidHeaderValue } from '../http/tokens.js';
import type { Extension, ExtensionClientSession, ExtensionMessage, ExtensionOptions, ExtensionSession, NegotiatedExtension } from './extension.js';
import { parseExtensionHeader, serializeExtension } from './extension-header.js';
import { ExtensionPipeline } from './extension-pipeline.js';
import { isPieceCodec, type PieceCodec } from './piece-codec.js';
import { strictUtf8 } from '../bytes.js';

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

/** A session negotiated for the connection. */
interface Active {
  readonly name: string;
  readonly session: ExtensionSession;
}

/** The RSV bits an extension claims, as 0x70 bits of a frame's first byte. */
function claimedRsv(extension: Extension): number {
  return (extension.rsv1 ? RSV1 : 0) | (extension.rsv2 ? RSV2 : 0) | (extension.rsv3 ? RSV3 : 0);
}

/** The extensions of one connection; see the module comment. */
export class ExtensionStack {
  readonly #maxLength: number;
  readonly #decodeText: boolean;
  // Given to every session the extensions create.
  readonly #options: ExtensionOptions;
  readonly #extensions: Extension[] = [];
  // Client: the session of each extension that made an offer, by name.
  #offered = new Map<string, { readonly extension: Extension; readonly session: ExtensionClientSession }>();
  readonly #negotiated: NegotiatedExtension[] = [];
  #active: Active[] = [];
  #pipeline: ExtensionPipeline | null = null;
  #allowedRsv = 0;
  #pendingIncoming = 0;
  #pendingIncomingBytes = 0;
  #pendingOutgoing = 0;
  #closed = false;

  /**
   * `decodeText`: text out of the pipeline is delivered as a string, or,
   * when false, as its bytes (checked as UTF-8 all the same).
   */
  constructor(maxLength: number, decodeText = true) {
    this.#maxLength = maxLength;
    this.#decodeText = decodeText;
    this.#options = { maxLength };
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
    if (extension.type !== 'permessage') throw new TypeError('extension.type must be "permessage"');
    if (typeof extension.rsv1 !== 'boolean' || typeof extension.rsv2 !== 'boolean' || typeof extension.rsv3 !== 'boolean') {
      throw new TypeError('extension.rsv1, rsv2 and rsv3 must be true or false');
    }
    if (this.#extensions.some((added) => added.name === extension.name)) {
      throw new TypeError(`An extension with name "${extension.name}" is already registered`);
    }
    this.#extensions.push(extension);
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
    const session = this.#active.length === 1 ? this.#active[0]!.session : null;
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
    const offers: string[] = [];
    this.#offered.clear();
    for (const extension of this.#extensions) {
      const session = extension.createClientSession(this.#options);
      if (!session) continue;
      // An array offers alternatives, in order of preference.
      const params = session.generateOffer();
      const alternatives = params ? [params].flat() : [];
      for (const alternative of alternatives) offers.push(serializeExtension(extension.name, alternative));
      // A session that offered nothing was not offered: the server may not name it (RFC 6455 §9.1).
      if (alternatives.length > 0) this.#offered.set(extension.name, { extension, session });
    }
    return checkHeader(offers.length > 0 ? offers.join(', ') : null);
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
      for (const { name, params } of parseExtensionHeader(header)) {
        const offered = this.#offered.get(name);
        if (offered === undefined) throw new Error(`Server sent an extension response for unknown extension "${name}"`);
        // §9.1: a response names each extension at most once, and no two may claim one RSV bit.
        if (this.#negotiated.some((entry) => entry.name === name)) throw new Error(`Server sent two responses for "${name}"`);
        if ((claimedRsv(offered.extension) & this.#allowedRsv) !== 0) {
          throw new Error(`Server sent two extension responses that use the same RSV bit, the second for "${name}"`);
        }
        if (offered.session.activate(params) !== true) {
          throw new Error(`Server sent unacceptable extension parameters: ${serializeExtension(name, params)}`);
        }
        this.#activate(offered.extension, offered.session, params);
      }
    } catch (error) {
      this.#negotiated.length = 0;
      this.#active = [];
      this.#allowedRsv = 0;
      return protocolError('HANDSHAKE_BAD_EXTENSION', { detail: `Sec-WebSocket-Extensions: ${messageOf(error)}` });
    }
    this.#pipeline = new ExtensionPipeline(this.#active);
    return null;
  }

  /**
   * Server: accepts what it supports of the client's offer and returns the
   * response header, or null when nothing was accepted. Throws a
   * SyntaxError if the offer is malformed.
   */
  respond(offer: string | undefined): string | null {
    const offers = parseExtensionHeader(offer);
    const response: string[] = [];
    // In the order the extensions were added; one that needs an RSV bit already claimed is left out.
    for (const extension of this.#extensions) {
      const alternatives = offers.filter((entry) => entry.name === extension.name).map((entry) => entry.params);
      if (alternatives.length === 0 || (claimedRsv(extension) & this.#allowedRsv) !== 0) continue;
      const session = extension.createServerSession(alternatives, this.#options);
      if (!session) continue;
      const params = session.generateResponse();
      this.#activate(extension, session, params);
      response.push(serializeExtension(extension.name, params));
    }
    this.#pipeline = new ExtensionPipeline(this.#active);
    return checkHeader(response.length > 0 ? response.join(', ') : null);
  }

  /** Records an extension as negotiated, with its parameters, and claims its RSV bits. */
  #activate(extension: Extension, session: ExtensionSession, params: NegotiatedExtension['params']): void {
    this.#negotiated.push(Object.freeze({ name: extension.name, params: Object.freeze({ ...params }) }));
    this.#active.push({ name: extension.name, session });
    this.#allowedRsv |= claimedRsv(extension);
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
    this.#pipeline!.incoming(message, (error, result) => {
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
    if (prepared !== undefined && this.#active.length === 1) message.prepared = prepared;
    this.#pendingOutgoing++;
    this.#pipeline!.outgoing(message, (error, result) => {
      this.#pendingOutgoing--;
      if (this.#closed) return;
      done(error !== null || result === null ? extensionFailure(error) : this.#encode(result));
    });
  }

  /** The connection is over: no more callbacks; sessions are closed once their pending work ends. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pipeline?.close();
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
      return strictUtf8.decode(data);
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
