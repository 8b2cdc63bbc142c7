/**
 * Frame opcodes (RFC 6455 §5.2, §11.8).
 *
 * @module
 */

/** Opcodes defined by RFC 6455; the rest are reserved. */
export const Opcode = {
  CONTINUATION: 0x0,
  TEXT: 0x1,
  BINARY: 0x2,
  CLOSE: 0x8,
  PING: 0x9,
  PONG: 0xa,
} as const;

/** One of the defined opcodes. */
export type OpcodeValue = (typeof Opcode)[keyof typeof Opcode];

/** Control frames have the high bit of the opcode set (RFC 6455 §5.5). */
export function isControlOpcode(opcode: number): boolean {
  return (opcode & 0x8) !== 0;
}

/** True for the six opcodes RFC 6455 defines (3-7 and 0xB-0xF are reserved). */
export function isKnownOpcode(opcode: number): boolean {
  return opcode <= 0x2 || (opcode >= 0x8 && opcode <= 0xa);
}
