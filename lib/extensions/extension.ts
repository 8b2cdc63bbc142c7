/**
 * What an extension is, for `driver.addExtension()`: the interface of faye's
 * `websocket-extensions` framework (the one websocket-driver and the
 * `permessage-deflate` package speak), written out as types.
 *
 * An extension negotiates through `Sec-WebSocket-Extensions` (RFC 6455 §9)
 * by creating one session per connection, and then transforms whole
 * messages, possibly asynchronously, through that session. Message data
 * is a `Uint8Array` (a Node `Buffer` is one too).
 *
 * @module
 */

import type { PreparedMessage } from '../frame/prepared-message.js';

/** A parameter value as parsed from the header: a bare name is `true`, digits become numbers. */
export type ExtensionParamValue = string | number | true;

/**
 * One extension's parameters (RFC 6455 §9.1 `extension-param`). A name
 * repeated within one offer arrives as an array.
 */
export type ExtensionParams = Record<string, ExtensionParamValue | ExtensionParamValue[]>;

/** A complete data message as an extension sees and returns it. */
export interface ExtensionMessage {
  /** RSV1 of the message's first frame. */
  rsv1: boolean;
  /** RSV2 of the message's first frame. */
  rsv2: boolean;
  /** RSV3 of the message's first frame. */
  rsv3: boolean;
  /** 1 for text, 2 for binary. */
  opcode: number;
  /** The message's payload: for text, UTF-8 bytes (validated only after every extension ran). */
  data: Uint8Array;
  /**
   * Outgoing only: the {@link PreparedMessage} this message was sent as, set
   * when this extension is the only one active. An extension whose output
   * depends on its configuration alone (permessage-deflate with no context
   * takeover) may encode the message once and reuse that form on every
   * connection with the same configuration. `data` is then the prepared
   * message's own payload, shared by every connection: read it, never
   * change it.
   */
  prepared?: PreparedMessage;
}

/**
 * How a session hands a message back. An `Error` fails the connection: a
 * {@link ProtocolError} (or any error with a numeric `closeCode`) closes
 * with its code, any other error with 1011.
 */
export type ExtensionCallback = (error: Error | null, message: ExtensionMessage | null) => void;

/** What both client and server sessions do once the connection is open. */
export interface ExtensionSession {
  /**
   * Transforms a received message. May call back later; the framework
   * keeps messages in wire order whatever order the callbacks come in.
   */
  processIncomingMessage(message: ExtensionMessage, callback: ExtensionCallback): void;
  /** Transforms a message about to be sent. */
  processOutgoingMessage(message: ExtensionMessage, callback: ExtensionCallback): void;
  /** The connection is over: release what the session holds. */
  close?(): void;
}

/** The client's session: makes the offer, then checks the server's answer. */
export interface ExtensionClientSession extends ExtensionSession {
  /** Parameters to offer; an array offers several alternatives, in order of preference. */
  generateOffer(): ExtensionParams | ExtensionParams[] | null | undefined;
  /** Returns `true` to accept the server's response parameters; anything else fails the handshake (1010). */
  activate(params: ExtensionParams): unknown;
}

/** The server's session: created for an offer it accepts. */
export interface ExtensionServerSession extends ExtensionSession {
  /** The parameters to send back in the response. */
  generateResponse(): ExtensionParams;
}

/** Options the driver gives every session it creates. */
export interface ExtensionOptions {
  /**
   * The driver's `maxLength`: a session must not produce a message larger
   * than this (a decompressor stops and fails with 1009 instead).
   */
  maxLength?: number;
}

/** An extension for `driver.addExtension()`. */
export interface Extension {
  /** The registered name used in the header, e.g. `permessage-deflate`. */
  readonly name: string;
  /** The only type the framework knows: the extension transforms whole messages. */
  readonly type: 'permessage';
  /** Which RSV bits the extension uses; frames may set only claimed bits (RFC 6455 §5.2). */
  readonly rsv1: boolean;
  /** True if the extension uses RSV2. */
  readonly rsv2: boolean;
  /** True if the extension uses RSV3. */
  readonly rsv3: boolean;
  /** Client: a session for this connection, or null to offer nothing. */
  createClientSession(options: ExtensionOptions): ExtensionClientSession | null | undefined;
  /**
   * Server: a session for the first of the client's `offers` (parameter
   * sets, in the client's order) the extension accepts, or null to decline.
   */
  createServerSession(offers: ExtensionParams[], options: ExtensionOptions): ExtensionServerSession | null | undefined;
}

/** An extension in use on a connection, with the parameters agreed in the handshake. */
export interface NegotiatedExtension {
  /** The extension's registered name, e.g. `permessage-deflate`. */
  readonly name: string;
  /**
   * Server: the parameters it sent in its response. Client: those the
   * server's response carried.
   */
  readonly params: Readonly<ExtensionParams>;
}
