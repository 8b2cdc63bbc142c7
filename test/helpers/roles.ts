/**
 * Server and client as interchangeable roles, so one test body checks a
 * rule for both: `describe.each(ROLES)('$name', (role) => ...)`.
 */
import type { DriverEventMap, DriverOptions } from '../../lib/index.js';
import { openClient, openServer } from './drivers.js';
import { frame, type FrameSpec } from './frames.js';
import type { Recorder } from './recorder.js';

/** What every open driver offers, whichever factory made it. */
export interface OpenDriver {
  readonly readyState: number;
  readonly protocol: string | null;
  readonly version: string;
  on<K extends keyof DriverEventMap>(type: K, listener: (event: DriverEventMap[K]) => void): unknown;
  off<K extends keyof DriverEventMap>(type: K, listener: (event: DriverEventMap[K]) => void): unknown;
  parse(bytes: Uint8Array): void;
  text(message: string | Uint8Array): boolean;
  binary(message: Uint8Array): boolean;
  ping(message?: string | Uint8Array, callback?: () => void): boolean;
  pong(message?: string | Uint8Array): boolean;
  close(code?: number, reason?: string): boolean;
  transportClosed(): void;
}

export interface Role {
  readonly name: 'server' | 'client';
  /** True if this role masks what it sends (the client). */
  readonly masks: boolean;
  /** An open driver of this role, nothing recorded yet. */
  open(options?: DriverOptions): { driver: OpenDriver; rec: Recorder };
  /**
   * A frame as this role's peer sends it: masked when a server is to read
   * it, unmasked for a client. `spec.mask` still overrides.
   */
  peerFrame(opcode: number, payload?: Uint8Array | string, extra?: Omit<FrameSpec, 'opcode' | 'payload'>): Uint8Array;
}

export const SERVER: Role = {
  name: 'server',
  masks: false,
  open: (options) => openServer(options),
  peerFrame: (opcode, payload = '', extra = {}) => frame({ mask: true, ...extra, opcode, payload }),
};

export const CLIENT: Role = {
  name: 'client',
  masks: true,
  open: (options) => openClient(options),
  peerFrame: (opcode, payload = '', extra = {}) => frame({ mask: false, ...extra, opcode, payload }),
};

export const ROLES: readonly Role[] = [SERVER, CLIENT];
