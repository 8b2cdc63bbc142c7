/**
 * Shared test helpers. Import from here:
 * `import { frame, clientFrame, feed, Recorder, openServer, Pair } from './index.js'`.
 *
 * - frames.ts: frames as bytes by hand (any length encoding, mask, RSV, opcode) and a decoder;
 * - http.ts: handshake request/response heads, the accept key, a head reader;
 * - chunking.ts: cutting bytes (whole, byte by byte, seeded random) and `feed()`;
 * - recorder.ts: a recording socket and event log;
 * - drivers.ts: drivers already open, and an in-memory client ↔ server `Pair`.
 */
export * from './frames.js';
export * from './http.js';
export * from './chunking.js';
export * from './recorder.js';
export * from './drivers.js';
export * from './roles.js';
