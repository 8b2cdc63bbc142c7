/**
 * What run.ts, the server processes and the load generator agree on: the
 * workloads, the server configurations, what each reports, and the
 * connection settings every server gets alike.
 *
 * @module
 */

export type Workload =
  | { readonly type: 'idle'; readonly connections: number }
  | {
      readonly type: 'echo';
      readonly connections: number;
      readonly size: number;
      readonly binary: boolean;
      readonly warmupMs: number;
      readonly windowMs: number;
      /** How long after the window the replies still due may take (default `SETTLE_LIMIT_MS`); one missing then fails the run. */
      readonly settleLimitMs?: number;
    }
  | {
      readonly type: 'broadcast';
      readonly connections: number;
      readonly size: number;
      readonly deflate: boolean;
      /** Broadcasts asked for and not yet delivered to every client, at most. */
      readonly inFlight: number;
      readonly warmupMs: number;
      readonly windowMs: number;
      /** How long after the window the broadcasts in flight may take to reach every client (default `SETTLE_LIMIT_MS`); those that do not are reported. */
      readonly settleLimitMs?: number;
    }
  | { readonly type: 'partial'; readonly connections: number; readonly announced: number; readonly sent: number };

export interface RunRequest {
  readonly type: 'run';
  readonly port: number;
  /** No WebSocket at all: the raw TCP echo line. */
  readonly raw: boolean;
  readonly workload: Workload;
}

export interface LoadResult {
  /** Milliseconds to open every connection (and finish its handshake). */
  readonly connectMs: number;
  /** The load generator's own CPU while it opened them, microseconds. */
  readonly connectCpu: number;
  /** Messages (echo: round trips; broadcast: deliveries) in the timed window. */
  readonly messages?: number;
  readonly windowMs?: number;
  /** Round-trip times in the window (broadcast: from asking for one until every client has it), milliseconds. */
  readonly p50?: number;
  readonly p99?: number;
  readonly p999?: number;
  /**
   * Broadcast: milliseconds from the end of the window until every broadcast
   * asked for had reached every client; undefined when some never did
   * within the load generator's limit (`unfinished` says how many).
   */
  readonly settleMs?: number;
  readonly unfinished?: number;
  /** Partial: milliseconds until every connection's bytes were handed to the kernel. */
  readonly sendMs?: number;
  /** The load generator's own CPU over the window, microseconds. */
  readonly cpu?: number;
  /** What the load generator did per message in the window (loadgen-diagnostics.ts); run.ts prints it with `--diagnose`. */
  readonly diagnostics?: Record<string, number>;
}

/** How long after its window a workload waits for what is still in flight (echo replies, broadcasts) to arrive. */
export const SETTLE_LIMIT_MS = 60_000;

/** Connections being opened at once: the same for every server. */
export const CONNECT_CONCURRENCY = 100;

export type ServerKind = 'wsdriver' | 'wsdriver-server' | 'ws' | 'ws-noaddons' | 'websocket-driver' | 'raw';

export interface ServerConfig {
  readonly kind: ServerKind;
  readonly mode: 'echo' | 'broadcast';
  /**
   * Negotiate permessage-deflate with each library's own extension,
   * compressing every message, the server with no context takeover (the
   * usual setting for broadcasts: no compressor history kept per client).
   */
  readonly deflate?: boolean;
  /** `broadcast`: bytes of the text message sent to everyone. */
  readonly broadcastSize?: number;
}

export interface ServerStats {
  /** Microseconds of CPU (user + system) since the process started. */
  readonly cpu: number;
  /**
   * Of it, the main thread's (Linux's /proc schedstat); the rest is V8's
   * and libuv's helper threads (the compiler, the GC's helpers). Absent
   * where the system does not tell.
   */
  readonly mainCpu?: number;
  /**
   * When the server read its CPU (the system's monotonic clock, ms): a
   * server whose event loop is blocked answers a checkpoint late, and its
   * CPU is then over a longer time than the load generator's window.
   */
  readonly atMs: number;
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

/** Same for every server: the kernel's accept queue is not what is measured. */
export const LISTEN_BACKLOG = 2048;

