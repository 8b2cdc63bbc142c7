/**
 * The event objects websocket-driver's drivers emit: plain values with
 * the same fields (`data`, `code`, `reason`), so `instanceof`-free code
 * that reads them works unchanged.
 *
 * @module
 */

/** `connect`: a server driver has read the request head. */
export class ConnectEvent {}

/** `open`: the handshake completed. */
export class OpenEvent {}

/** `close`: the connection ended, with the close code and reason. */
export class CloseEvent {
  constructor(
    readonly code: number,
    readonly reason: string,
  ) {}
}

/** `message`: text as a string, binary as a Buffer. */
export class MessageEvent {
  constructor(readonly data: string | Buffer) {}
}

/** `ping`: the payload as a string. */
export class PingEvent {
  constructor(readonly data: string) {}
}

/** `pong`: the payload as a string. */
export class PongEvent {
  constructor(readonly data: string) {}
}
