/**
 * The Node adapter takes the driver's options and its own in one object;
 * this splits them.
 *
 * @module
 */
import type { DriverOptions } from '../../options.js';
import type { AttachOptions } from './attach.js';

/** {@link DriverOptions} and the adapter's {@link AttachOptions} together. */
export type NodeDriverOptions = DriverOptions & AttachOptions;

/** Splits a {@link NodeDriverOptions} into the driver's part and the adapter's. */
export function splitOptions(options: NodeDriverOptions = {}): [DriverOptions, AttachOptions] {
  const { closeTimeout, onTransportError, handshakeTimeout, pingInterval, pingTimeout, ...driverOptions } = options;
  const attachOptions: AttachOptions = {};
  if (closeTimeout !== undefined) attachOptions.closeTimeout = closeTimeout;
  if (onTransportError !== undefined) attachOptions.onTransportError = onTransportError;
  if (handshakeTimeout !== undefined) attachOptions.handshakeTimeout = handshakeTimeout;
  if (pingInterval !== undefined) attachOptions.pingInterval = pingInterval;
  if (pingTimeout !== undefined) attachOptions.pingTimeout = pingTimeout;
  return [driverOptions, attachOptions];
}
