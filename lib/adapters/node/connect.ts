/**
 * A client connection in one call: opens TCP (or TLS for wss:) to the
 * URL's host, attaches a client driver and starts the handshake once the
 * transport is up.
 *
 * @module
 */
import { nodeNet, nodeTls } from './builtins.js';
import { Driver } from '../../driver/factories.js';
import type { Socket } from '../../events.js';
import type { HybiClientDriver } from '../../driver/hybi-client-driver.js';
import { attach, checkAttachOptions } from './attach.js';
import { attachmentOfDriver } from './attachment.js';
import { splitOptions, type ConnectOptions } from './options.js';
import { streamSocket } from './stream-socket.js';

/**
 * Connects to a ws: or wss: URL and returns the client driver. The
 * handshake is sent once TCP (and TLS) is up, so listeners added right
 * after this call see every event. A failure to connect (a refused
 * connection, an unresolvable host, a TLS certificate the options do not
 * trust) emits `error` (`TRANSPORT_ERROR`, `cause` the socket's error),
 * then `close` with 1006 and the error's message as the reason.
 */
export function connect(url: string | URL, options: ConnectOptions = {}): HybiClientDriver {
  const { tls: tlsOptions, headers, ...rest } = options;
  const [driverOptions, attachOptions] = splitOptions(rest);
  // Every check that can throw runs before a socket is opened, so a caller
  // mistake leaves nothing behind.
  checkAttachOptions(attachOptions);
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
  const driver = Driver.client(socket, driverOptions);
  for (const [name, value] of Object.entries(headers ?? {})) driver.setHeader(name, value);

  const target = driver.target;
  // URL keeps IPv6 literals in brackets; sockets want the bare address.
  const host = target.host.startsWith('[') ? target.host.slice(1, -1) : target.host;
  const opened = target.secure
    ? nodeTls().connect({
        ALPNProtocols: ['http/1.1'],
        ...tlsOptions,
        host,
        port: target.port,
        // RFC 6066 §3: SNI carries host names, never IP addresses.
        ...(nodeNet().isIP(host) === 0 ? { servername: host } : {}),
      })
    : nodeNet().connect({ host, port: target.port });
  output = streamSocket(opened);
  attach(driver, opened, attachOptions);
  // Over TCP, reads go to the shared read buffer once open (not TLS: read-buffer.ts).
  attachmentOfDriver(driver)?.shareReads();
  opened.once(target.secure ? 'secureConnect' : 'connect', () => driver.start());
  return driver;
}
