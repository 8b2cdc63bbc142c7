/**
 * Declarations for `websocket-extensions` 0.1 (faye's framework for
 * negotiating WebSocket extensions), which ships no types. They describe the
 * package as its README documents it; wsdriver's own public types for
 * extension authors live in `lib/extensions/extension.ts` and are
 * structurally compatible with these.
 */
declare module 'websocket-extensions' {
  namespace Extensions {
    /** A parameter value as parsed from a header: a bare name is `true`, digits become numbers. */
    type ParamValue = string | number | true;
    /** One extension's parameters; a name repeated in one offer becomes an array. */
    type Params = Record<string, ParamValue | ParamValue[]>;

    /** A complete application message as extensions see it. */
    interface Message {
      rsv1: boolean;
      rsv2: boolean;
      rsv3: boolean;
      /** 1 (text) or 2 (binary). */
      opcode: number;
      /** The concatenated payloads of the message's frames. */
      data: Uint8Array;
    }

    /** Enough of a frame for `validFrameRsv`. */
    interface Frame {
      rsv1: boolean;
      rsv2: boolean;
      rsv3: boolean;
      opcode: number;
    }

    type Callback = (error: Error | null, message: Message | null) => void;

    interface Session {
      processIncomingMessage(message: Message, callback: Callback): void;
      processOutgoingMessage(message: Message, callback: Callback): void;
      close?(): void;
    }

    interface ClientSession extends Session {
      generateOffer(): Params | Params[] | null | undefined;
      /** True to accept the server's response parameters; anything else rejects them. */
      activate(params: Params): unknown;
    }

    interface ServerSession extends Session {
      generateResponse(): Params;
    }

    /** Options handed to every session; `maxLength` bounds processed messages. */
    interface Options {
      maxLength?: number;
    }

    interface Extension {
      readonly name: string;
      readonly type: 'permessage';
      readonly rsv1: boolean;
      readonly rsv2: boolean;
      readonly rsv3: boolean;
      createClientSession(options: Options): ClientSession | null | undefined;
      createServerSession(offers: Params[], options: Options): ServerSession | null | undefined;
    }
  }

  class Extensions {
    constructor(options?: Extensions.Options);
    /** Registers an extension; throws a TypeError if it is malformed or its name is taken. */
    add(extension: Extensions.Extension): void;
    /** Client: the Sec-WebSocket-Extensions offer, or null when nothing is offered. */
    generateOffer(): string | null;
    /** Client: activates what the server accepted; throws if the response is unacceptable. */
    activate(header: string | undefined): void;
    /** Server: activates what it accepts of the offer; returns the response header or null. Throws a SyntaxError on a malformed offer. */
    generateResponse(header: string | undefined): string | null;
    /** True if no RSV bit is set that the active extensions do not claim. */
    validFrameRsv(frame: Extensions.Frame): boolean;
    processIncomingMessage(message: Extensions.Message, callback: Extensions.Callback, context?: unknown): void;
    processOutgoingMessage(message: Extensions.Message, callback: Extensions.Callback, context?: unknown): void;
    /** Runs `callback` once every session has finished its pending messages and been closed. */
    close(callback?: () => void, context?: unknown): void;
  }

  export = Extensions;
}
