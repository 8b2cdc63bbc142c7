/**
 * websocket-driver's options, checked as it checks them, and turned into
 * the engine's.
 *
 * @module
 */
import type { DriverOptions } from '../../../lib/index.js';

/** Options websocket-driver's `client`, `server` and `http` accept. */
export interface LegacyOptions {
  /** Largest message accepted, in bytes; default 2^26 - 1. */
  maxLength?: number;
  /** Subprotocols, as an array or a comma-separated string. */
  protocols?: string[] | string | null;
  /** Server: accept hixie-75/76 requests too. */
  allowDrafts?: boolean;
  /** Client: websocket-driver's switch to send unmasked frames (ignored: RFC 6455 §5.3 requires masking). */
  masking?: boolean;
  /** Server: refuse unmasked frames (default true). */
  requireMasking?: boolean;
}

const VALID_KEYS = ['allowDrafts', 'maxLength', 'masking', 'requireMasking', 'protocols'];

/**
 * Throws `Unrecognized option: <key>` for a key not in `validKeys`, as
 * websocket-extensions' `validateOptions` (which websocket-driver exports)
 * does; returns the options.
 */
export function validateOptions<T extends object>(options: T | null | undefined, validKeys: readonly string[]): T {
  const checked = (options ?? {}) as T;
  for (const key in checked) {
    if (!validKeys.includes(key)) throw new Error('Unrecognized option: ' + key);
  }
  return checked;
}

/** Splits a comma-separated list as websocket-driver does (`/ *, *\/`), in one pass. */
export function splitList(text: string): string[] {
  return text.split(',').map((part) => {
    let start = 0;
    let end = part.length;
    while (start < end && part.charCodeAt(start) === 0x20) start++;
    while (end > start && part.charCodeAt(end - 1) === 0x20) end--;
    return part.slice(start, end);
  });
}

/** The engine's options for websocket-driver's, less the compat hooks. */
export function engineOptions(options: LegacyOptions | null | undefined): DriverOptions {
  const checked = validateOptions(options, VALID_KEYS);
  const result: DriverOptions = {
    // websocket-driver: `options.maxLength || MAX_LENGTH`, so 0 means the default.
    maxLength: checked.maxLength || 2 ** 26 - 1,
    // The compat layer answers pings itself, in websocket-driver's order.
    autoPong: false,
  };
  const protocols = checked.protocols;
  if (typeof protocols === 'string') result.protocols = splitList(protocols);
  else if (Array.isArray(protocols)) result.protocols = protocols;
  if (checked.requireMasking !== undefined) result.requireMasking = Boolean(checked.requireMasking);
  if (checked.allowDrafts) result.allowDrafts = true;
  return result;
}
