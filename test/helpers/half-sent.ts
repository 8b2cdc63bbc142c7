/**
 * Many messages half-sent at once: what each server driver holds when 2
 * MiB of a masked frame announcing 60 MiB has arrived, as the limits tests
 * measure it (ArrayBuffer memory after a full GC, not the driver's own
 * count).
 */
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { clientFrame } from './frames.js';
import { openServer } from './drivers.js';

const MiB = 1 << 20;

type HalfSentDriver = ReturnType<typeof openServer>['driver'];

/** The masked frame as 64 KiB chunks, each a fresh buffer, as a socket reads them. */
export function socketReads(bytes: Uint8Array, size = 64 * 1024): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.slice(at, at + size));
  return out;
}

/**
 * Opens 100 server drivers and gives each the head of a masked frame of
 * `opcode` announcing 60 MiB and its first 2 MiB (every byte `fill`), in
 * socket-sized reads. Returns the ArrayBuffer memory each holds after a full
 * GC, the drivers (kept alive until then) and the errors they reported.
 */
export function halfSentMessages(opcode: number, fill: number): { perConnection: number; drivers: HalfSentDriver[]; errors: unknown[] } {
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const frame = clientFrame(opcode, new Uint8Array(2 * MiB).fill(fill));
  // The header announcing 60 MiB, with the frame's own mask key, then 2 MiB of payload.
  const header = new Uint8Array(14);
  header[0] = 0x80 | opcode;
  header[1] = 0x80 | 127;
  new DataView(header.buffer).setUint32(6, 60 * MiB);
  header.set(frame.subarray(frame.length - 2 * MiB - 4, frame.length - 2 * MiB), 10);
  const body = frame.subarray(frame.length - 2 * MiB);
  gc();
  const before = process.memoryUsage().arrayBuffers;
  const drivers: HalfSentDriver[] = [];
  const errors: unknown[] = [];
  for (let i = 0; i < 100; i++) {
    const { driver, rec } = openServer({ maxLength: 64 * MiB });
    driver.parse(header.slice());
    for (const chunk of socketReads(body)) driver.parse(chunk);
    errors.push(...rec.of('error'));
    drivers.push(driver);
  }
  gc();
  return { perConnection: (process.memoryUsage().arrayBuffers - before) / drivers.length, drivers, errors };
}
