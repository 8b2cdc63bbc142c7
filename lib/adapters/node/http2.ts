/**
 * WebSocket over HTTP/2 (RFC 8441) with `node:http2`: a framing driver
 * (`framingDriver`) run over one stream of an HTTP/2 connection, opened by
 * an extended CONNECT.
 *
 * - Server: `http2.createServer({ settings: { enableConnectProtocol: true } })`
 *   (or `createSecureServer`) advertises SETTINGS_ENABLE_CONNECT_PROTOCOL;
 *   hand each WebSocket stream to {@link handleHttp2Stream}.
 * - Client: {@link connectHttp2} opens a WebSocket as a new stream of an
 *   existing `ClientHttp2Session`, so many WebSockets and ordinary requests
 *   share one connection.
 *
 * The stream stands for RFC 6455's TCP connection (RFC 8441 §5): an
 * orderly close is END_STREAM (`stream.end()`), an abrupt one RST_STREAM
 * with CANCEL.
 *
 * @module
 */
import type { ClientHttp2Session, ClientHttp2Stream, Http2Stream, IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { ReadyState } from '../../connection/connection-state.js';
import { framingDriver } from '../../driver/factories.js';
import type { Socket } from '../../events.js';
import type { FramingClientDriver, FramingDriver, FramingResponse, FramingServerDriver } from '../../driver/framing-driver.js';
import { parseWebSocketUrl } from '../../handshake/client-handshake.js';
import { checkAttachOptions } from './attach.js';
import { splitOptions, type AttachOptions, type ClientOptions, type NodeDriverOptions } from './options.js';
import { streamSocket } from './stream-socket.js';
import { applyBackpressure } from './backpressure.js';
import { runDeadlines } from './deadline-timer.js';

// HTTP/2 error codes (RFC 9113 §7), as node:http2's constants name them;
// written out so that WebSocket over HTTP/1.1 never loads node:http2.
export const NGHTTP2_NO_ERROR = 0x0;
export const NGHTTP2_INTERNAL_ERROR = 0x2;
export const NGHTTP2_CANCEL = 0x8;

/**
 * Takes over a stream from an HTTP/2 server's `stream` event that carries
 * an extended CONNECT for WebSocket, and returns its server driver. The
 * server must be created with `settings: { enableConnectProtocol: true }`;
 * without it, Node refuses such requests before they reach you.
 *
 * On the next microtask (so listeners, `setHeader()` and `addExtension()`
 * added right after this call take effect) the request is checked and
 * negotiated ({@link FramingServerDriver.respond}): `:method` CONNECT,
 * `:protocol` websocket, `sec-websocket-version: 13`. An acceptable
 * request is answered `:status 200` with the chosen subprotocol and
 * extensions, and the connection opens; anything else is answered 400 (a
 * malformed request, a version other than 13, with
 * `sec-websocket-version: 13`), 501 (a CONNECT without :protocol, or for
 * another protocol) or 431, with the reason as plain text, and the
 * driver emits `error` and `close`.
 *
 * To refuse a request for reasons of your own (its `origin`, its path),
 * answer the stream yourself instead of calling this. Closing the driver
 * before the answer resets the stream (RST_STREAM, CANCEL).
 */
export function handleHttp2Stream(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  options?: NodeDriverOptions,
): FramingServerDriver {
  const [driverOptions, attachOptions] = splitOptions(options);
  checkAttachOptions(attachOptions);
  const driver = framingDriver(streamSocket(stream), 'server', driverOptions);
  bindStream(driver, stream, attachOptions, () => stream.headersSent);
  queueMicrotask(() => answer(driver, stream, headers));
  return driver;
}

function answer(driver: FramingServerDriver, stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
  if (stream.destroyed || stream.closed) {
    driver.transportClosed();
    return;
  }
  // Closed by the application, or the client went away, before the answer.
  if (driver.readyState === ReadyState.CLOSED) {
    stream.close(NGHTTP2_CANCEL);
    return;
  }
  let response: FramingResponse | undefined;
  try {
    response = driver.respond(headers);
  } finally {
    // A listener that threw inside respond() leaves no answer to send.
    if (response === undefined) stream.close(NGHTTP2_CANCEL);
  }
  if (response.error !== null) {
    stream.respond({ ':status': response.status, 'content-type': 'text/plain; charset=utf-8', ...response.headers });
    stream.end(response.error.message);
    return;
  }
  stream.respond({ ':status': response.status, ...response.headers });
  driver.start();
}

/**
 * Opens a WebSocket to `url` (ws: over h2c, wss: over h2 with TLS) as a new
 * stream of `session`, and returns its client driver.
 *
 * The request goes out once the server's SETTINGS are known: RFC 8441 §3
 * lets a client send an extended CONNECT only to a server that sent
 * SETTINGS_ENABLE_CONNECT_PROTOCOL. If it did not, nothing is sent and the
 * driver emits `error` (`HANDSHAKE_REJECTED`) and `close`; so does a
 * response other than 2xx, or a stream reset before the response (with
 * the stream's error as `cause` when Node reports one). The
 * request is sent after this call returns, so listeners, `setHeader()` and
 * `addExtension()` added right after it take effect.
 *
 * Throws a TypeError for a URL that is not ws:/wss:, or whose scheme does
 * not match the session (wss: needs TLS, RFC 8441 §5); an Error if the
 * session is closed.
 */
export function connectHttp2(session: ClientHttp2Session, url: string | URL, options: ClientOptions = {}): FramingClientDriver {
  const { headers, ...rest } = options;
  const [driverOptions, attachOptions] = splitOptions(rest);
  checkAttachOptions(attachOptions);
  if (session.destroyed || session.closed) throw new Error('the HTTP/2 session is closed');
  const target = parseWebSocketUrl(url);
  const mismatch = schemeMismatch(session, target.secure);
  if (mismatch !== null) throw new TypeError(mismatch);

  let output: Socket | null = null;
  const socket: Socket = {
    url,
    write(bytes: Uint8Array): unknown {
      return output?.write(bytes);
    },
    get bufferedAmount(): number {
      return output?.bufferedAmount ?? 0;
    },
  };
  const driver = framingDriver(socket, 'client', driverOptions);
  for (const [name, value] of Object.entries(headers ?? {})) driver.setHeader(name, value);

  whenExtendedConnectKnown(session, (refusal, cause) => {
    // Closed by the application while the settings were awaited.
    if (driver.readyState !== ReadyState.CONNECTING) return;
    if (cause !== undefined) {
      driver.transportClosed(cause);
      return;
    }
    const fault = refusal ?? schemeMismatch(session, target.secure);
    if (fault !== null) {
      driver.abortHandshake(fault);
      return;
    }
    let stream: ClientHttp2Stream;
    try {
      stream = session.request(driver.requestHeaders(), { endStream: false });
    } catch (error) {
      driver.transportClosed(error);
      return;
    }
    output = streamSocket(stream);
    bindStream(driver, stream, attachOptions, () => true, (why, cause) => {
      // A stream that ends before its response is a refused handshake, not
      // just a lost transport; the stream's error, if any, is its cause.
      if (driver.readyState === ReadyState.CONNECTING) driver.abortHandshake(`the server ${why} before answering`, cause);
    });
    stream.once('response', (response) => driver.acceptResponse(response));
  });
  return driver;
}

/** Why `session` cannot carry a WebSocket of this scheme, or null; unknown while connecting. */
function schemeMismatch(session: ClientHttp2Session, secure: boolean): string | null {
  if (session.connecting || session.encrypted === undefined) return null;
  if (secure === session.encrypted) return null;
  return secure
    ? 'a wss: URL needs an HTTP/2 session over TLS (RFC 8441 §5: :scheme https)'
    : 'a ws: URL needs an HTTP/2 session without TLS (h2c); use wss: over TLS';
}

/**
 * Calls `done(null)` once the server is known to accept extended CONNECT,
 * or `done(reason)` once it is known not to (or the session is gone);
 * `done(reason, cause)` if the session failed (refused, reset, TLS).
 */
function whenExtendedConnectKnown(session: ClientHttp2Session, done: (refusal: string | null, cause?: Error) => void): void {
  let settled = false;
  let failure: Error | undefined;
  const settle = (refusal: string | null) => {
    if (settled) return;
    settled = true;
    session.off('remoteSettings', onSettings);
    session.off('close', onClose);
    session.off('error', onError);
    done(refusal, refusal === null ? undefined : failure);
  };
  const enabled = () => session.remoteSettings.enableConnectProtocol === true;
  const onSettings = () => {
    if (enabled()) settle(null);
  };
  const onClose = () => settle('the HTTP/2 session closed before the request could be sent');
  // The session's 'error' comes just before its 'close'; the error is the cause.
  const onError = (error: Error) => {
    failure = error;
  };
  const probe = () => {
    if (settled) return;
    if (enabled()) {
      settle(null);
      return;
    }
    // RFC 9113 §3.4: the server's connection preface starts with SETTINGS,
    // and frames arrive in order; so once a PING is answered, the server's
    // first SETTINGS has been read, and a missing setting means no support.
    try {
      session.ping((error) => {
        if (error !== null) onClose();
        else settle(enabled() ? null : NOT_SUPPORTED);
      });
    } catch {
      onClose();
    }
  };
  session.on('remoteSettings', onSettings);
  session.once('close', onClose);
  session.on('error', onError);
  if (session.connecting) session.once('connect', probe);
  else queueMicrotask(probe);
}

const NOT_SUPPORTED =
  'the server did not send SETTINGS_ENABLE_CONNECT_PROTOCOL: it does not accept WebSocket over HTTP/2 (RFC 8441 §3)';

/**
 * Wires a framing driver to its HTTP/2 stream, as `attach` does for a TCP
 * socket: what the stream reads goes to `driver.parse()`; the stream
 * ending tells the driver the transport is gone, the stream failing hands
 * it the error (`TRANSPORT_ERROR`, then 1006); and when the WebSocket
 * connection is over, the stream is ended (END_STREAM, RFC 8441 §5's
 * orderly close) once the stream has been answered, and reset with CANCEL
 * if the peer has not ended its side within `closeTimeout`. A peer that
 * does not answer our close frame within `closeTimeout` gets the same
 * reset (the driver reports 1006).
 *
 * Both ends send END_STREAM as soon as they are done: RFC 6455 §7.1.1 has
 * the server close TCP first so the client is spared TIME_WAIT, which an
 * HTTP/2 stream does not have.
 */
function bindStream(
  driver: FramingDriver,
  stream: Http2Stream,
  options: AttachOptions,
  answered: () => boolean,
  beforeEnd?: (why: string, cause?: Error) => void,
): void {
  const { closeTimeout, handshakeTimeout, pingInterval, pingTimeout } = checkAttachOptions(options);
  let timer: ReturnType<typeof setTimeout> | null = null;

  const onData = (chunk: Uint8Array) => driver.parse(chunk);
  // The driver hears of the end at 'close', where a reset (which ends the
  // readable side first) can be told from an orderly END_STREAM.
  const onEnd = () => {
    beforeEnd?.('ended the stream');
    if (stream.writable) stream.end();
  };
  const onError = (error: Error) => {
    // A client stream reset before its response is a refused handshake.
    if (beforeEnd !== undefined && driver.readyState === ReadyState.CONNECTING) beforeEnd(`reset the stream (${error.message})`, error);
    else driver.transportClosed(error);
  };
  const onClose = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    stream.off('data', onData);
    stream.off('end', onEnd);
    stream.off('error', onError);
    // RFC 8441 §5: RST_STREAM is the stream's TCP reset. Node emits no
    // 'error' for a reset the peer sent, so the reset is the cause.
    const reset = stream.rstCode;
    const cause =
      !resetHere && reset !== undefined && reset !== NGHTTP2_NO_ERROR
        ? new Error(`the peer reset the HTTP/2 stream (RST_STREAM code ${reset})`)
        : undefined;
    beforeEnd?.(`closed the stream (RST_STREAM code ${reset ?? 'none'})`, cause);
    driver.transportClosed(cause);
  };

  // A reset this side sent (the close timeout) is no failure of the transport.
  let resetHere = false;
  const cancelLater = () => {
    if (timer !== null || stream.destroyed) return;
    timer = setTimeout(() => {
      if (stream.destroyed) return;
      resetHere = true;
      stream.close(NGHTTP2_CANCEL);
    }, closeTimeout);
    // The session keeps the process alive while it is open; the timer need not.
    timer.unref?.();
  };

  // The core starts no timer: a peer that never answers our close frame
  // would leave the connection in `closing` for good.
  driver.once('closing', cancelLater);
  driver.once('close', () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    // An unanswered server stream is answered (or reset) by handleHttp2Stream.
    if (stream.destroyed || !answered()) return;
    if (stream.writable) stream.end();
    cancelLater();
  });

  stream.on('data', onData);
  stream.on('end', onEnd);
  stream.on('error', onError);
  stream.once('close', onClose);
  const unbind = applyBackpressure(driver, stream);
  stream.once('close', unbind);
  runDeadlines(driver, { handshakeTimeout, pingInterval, pingTimeout });
  if (stream.destroyed) driver.transportClosed();
}
