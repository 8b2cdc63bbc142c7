/**
 * wsdriver: a sans-I/O WebSocket protocol engine. Bytes in through
 * `driver.parse()`, events and bytes out through `socket.write()`. It never
 * opens a socket or starts a timer, so it runs over any transport, in Node,
 * browsers and workers.
 *
 * Drivers come from {@link Driver}: `Driver.server` (reads the HTTP request
 * itself), `Driver.rack` (a request an HTTP server already parsed),
 * `Driver.client` and `framingDriver` (RFC 6455 frames over a stream
 * negotiated elsewhere, such as HTTP/2). Options are {@link DriverOptions};
 * a fault of the peer's is a {@link ProtocolError} in an `error` event.
 *
 * ```ts
 * const driver = Driver.client({ url: 'ws://127.0.0.1:8080/', write: (bytes) => tcp.write(bytes) });
 * tcp.on('data', (bytes) => driver.parse(bytes));
 * tcp.on('close', () => driver.transportClosed());
 * driver.on('open', () => driver.text('Hello'));
 * driver.on('message', (event) => console.log(event.data));
 * driver.start();
 * ```
 *
 * The adapters are separate entry points: `wsdriver/node` (Node streams,
 * `node:http` and `node:http2`, permessage-deflate), `wsdriver/streams`
 * (WHATWG byte streams: Deno, Cloudflare Workers), `wsdriver/sockets`
 * (handler-style sockets: Bun), `wsdriver/callbacks` (`rack.upgrade`-style
 * callback objects); `wsdriver/drafts` adds the hixie-75/76 drafts to the server drivers.
 * {@link maskingImplementation} tells which masking kernel runs here.
 *
 * @module wsdriver
 */
export { Driver, framingDriver } from './driver/factories.js';
// The drivers' classes are types here: drivers are made by the Driver
// factories (and proxies by httpProxy()), not by their constructors.
export type { HybiServerDriver } from './driver/hybi-server-driver.js';
export type { HybiClientDriver } from './driver/hybi-client-driver.js';
export { httpProxy, type HttpProxy, type ProxiedDriver, type ProxyCloseEvent, type ProxyConnectEvent, type ProxyEventMap } from './proxy/http-proxy.js';
export type { FramingDriver, FramingServerDriver, FramingClientDriver } from './driver/framing-driver.js';
export type { FramingDriverFor, FramingResponse, FramingRole } from './driver/framing-driver.js';
export { isExtendedConnect } from './http2/extended-connect.js';
export type { Http2HeaderInput } from './http2/extended-connect.js';
/** The API every driver shares (a type: drivers come from the Driver factories). */
export type { BaseDriver, PingCallback, SendCallback } from './connection/base-driver.js';
export { deadlineKeeper, type DeadlineKeeper, type DeadlineSettings } from './connection/deadlines.js';
/** A message sent in pieces: `startMessage(driver, type)` begins one. */
export { startMessage, type OutgoingMessage, type PieceCallback } from './hybi/outgoing-message.js';
export type { HttpServerDriver, HttpServerSide, ServerSide, ServerSideDriver } from './connection/server-side.js';
export type {
  CloseEvent,
  ClosingEvent,
  ConnectEvent,
  DrainEvent,
  DriverEventMap,
  MessageEndEvent,
  MessageEvent,
  MessagePieceEvent,
  MessageStartEvent,
  ReadingEvent,
  OpenEvent,
  PingEvent,
  PongEvent,
  Socket,
  SocketInfo,
} from './events.js';
export { ReadyState } from './connection/connection-state.js';
export { CloseCode, ProtocolError, type ErrorCode } from './errors.js';
export { traceFrames, type FrameTrace, type FrameTraceListener, type FrameTracer } from './frame/frame-trace.js';
export { maskingImplementation, type MaskingImplementation } from './frame/mask.js';
export {
  DEFAULT_OPTIONS,
  type DriverOptions,
  type ExtraHeaders,
  type HeadersOption,
  type ProxyOptions,
  QUEUED_ENTRY_OVERHEAD,
  type ResolvedOptions,
} from './options.js';
export type { Listener } from './emitter.js';
export type { HeaderFields } from './http/head-parser.js';
export type {
  FetchRequestLike,
  HandshakeRequest,
  HeadersLike,
  IncomingMessageLike,
  RackEnv,
  RequestSource,
} from './http/request.js';
export type { WebSocketUrl } from './handshake/client-handshake.js';
export { isWireCloseCode } from './frame/close-payload.js';
export { PreparedMessage } from './frame/prepared-message.js';
export type {
  Extension,
  ExtensionCallback,
  ExtensionClientSession,
  ExtensionMessage,
  ExtensionOptions,
  ExtensionParams,
  ExtensionParamValue,
  ExtensionServerSession,
  ExtensionSession,
  NegotiatedExtension,
} from './extensions/extension.js';
