/**
 * Which runtime runs the Node entry. Deno and Bun offer `node:net` without
 * Node's internals (read-buffer.ts) and with another promise about written
 * bytes (slab-reuse.ts): what relies on Node itself asks this, once per
 * process rather than on every accept.
 *
 * @module
 */

/** True in Node itself; false in Deno's and Bun's Node compatibility. */
export const IN_NODE = process.versions.deno === undefined && process.versions.bun === undefined;
