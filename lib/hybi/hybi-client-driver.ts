/**
 * The RFC 6455 client driver: sends the opening handshake for
 * `socket.url`, checks the response, then speaks frames, masking every one
 * it sends (§5.3).
 *
 * @module
 */
import { CloseCode, ProtocolError } from '../errors.js';
import type { Socket } from '../driver/events.js';
import { createHeaderFields, ResponseHeadParser, type HeaderFields } from '../http/head-parser.js';
import { encodeHead } from '../http/serialize.js';
import type { ResolvedOptions } from '../options.js';
import { generateKey } from './accept-key.js';
import { checkHandshakeResponse, clientRequestHead, parseWebSocketUrl, type WebSocketUrl } from './client-handshake.js';
import { HybiDriver } from './hybi-driver.js';

/** Client side of an RFC 6455 connection. */
export class HybiClientDriver extends HybiDriver {
  readonly version = 'hybi-13';
  /** The URL connected to. */
  readonly url: string;
  /** The response's status code, once it has arrived. */
  statusCode: number | null = null;
  /** The response's headers by lower-case name, once they have arrived. */
  headers: HeaderFields = createHeaderFields();
  /** The parsed target URL (host, port, secure) for transports and proxies. */
  readonly target: WebSocketUrl;

  readonly #key = generateKey();
  #response: ResponseHeadParser | null;

  constructor(socket: Socket, options: ResolvedOptions) {
    super('client', socket, options);
    if (socket.url === undefined) throw new TypeError('a client socket needs a url (ws: or wss:)');
    this.target = parseWebSocketUrl(socket.url);
    this.url = this.target.href;
    this.#response = new ResponseHeadParser(options);
  }

  protected handshake(): boolean {
    const head = clientRequestHead(
      this.target,
      this.#key,
      this.options.protocols,
      null,
      this.outgoingHeaders.serialize(),
      this.outgoingHeaders.has('authorization'),
    );
    this.socket.write(encodeHead(head));
    return true;
  }

  protected override receive(bytes: Uint8Array): void {
    const response = this.#response;
    if (response === null) {
      this.parser.push(bytes);
      return;
    }
    const result = response.push(bytes);
    if (result.kind === 'incomplete') return;
    this.#response = null;
    if (result.kind === 'error') {
      this.#failHandshake(result.error);
      return;
    }
    const head = result.head;
    this.statusCode = head.statusCode;
    this.headers = head.headers;
    const accepted = checkHandshakeResponse(head, this.#key, this.options.protocols);
    if (accepted instanceof ProtocolError) {
      this.#failHandshake(accepted);
      return;
    }
    this.protocol = accepted.protocol;
    this.openConnection();
    // Frames may follow the response in the same chunk.
    if (result.rest.length > 0 && this.state.kind !== 'closed') this.parser.push(result.rest);
  }

  #failHandshake(error: ProtocolError): void {
    this.failConnection(
      new ProtocolError(error.code, `Error during WebSocket handshake: ${error.message}`, CloseCode.PROTOCOL_ERROR),
    );
  }
}
