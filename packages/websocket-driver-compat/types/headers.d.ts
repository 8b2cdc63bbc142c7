/** Ordered HTTP header lines, as websocket-driver's `lib/websocket/driver/headers`. */
declare class Headers {
  /** Header names that may repeat (lower case). */
  readonly ALLOWED_DUPLICATES: readonly string[];
  /** Forgets every header. */
  clear(): void;
  /** Adds `name: value` unless the name was set before; throws on CR or LF; skips `undefined`. */
  set(name: string, value: unknown): void;
  /** The lines, each ending in CRLF. */
  toString(): string;
}
export = Headers;
