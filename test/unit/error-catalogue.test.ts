// One error catalogue (lib/errors.ts): every ErrorCode with its close code,
// the rule it enforces and its message; failure sites name the code and the facts.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CloseCode, buildErrorCatalogue, protocolError, ProtocolError, type ErrorCode } from '../../lib/errors.js';
import { clientFrame, concat, openServer, Op } from '../helpers/index.js';

const SENDABLE = new Set<number>(Object.values(CloseCode).filter((code) => code !== CloseCode.NO_STATUS));

describe('the error catalogue', () => {
  const entries = Object.entries(buildErrorCatalogue()) as Array<[ErrorCode, ReturnType<typeof buildErrorCatalogue>[ErrorCode]]>;

  it.each(entries)('%s has a registered close code, a section and a message', (code, entry) => {
    // 1006 only where no close frame is sent: the transport failed, or a
    // deadline (handshake, closing handshake) drops it; reported, never sent.
    expect(SENDABLE.has(entry.closeCode)).toBe(true);
    if (entry.closeCode === CloseCode.ABNORMAL) expect(['TRANSPORT_ERROR', 'HANDSHAKE_TIMEOUT', 'CLOSE_TIMEOUT']).toContain(code);
    expect(entry.section).toMatch(/^(RFC \d{4}|hixie-76) §\d+(\.\d+)*$/);
    expect(typeof entry.message).toBe('function');
  });

  it('names every code a failure site in lib/ uses', () => {
    const lib = fileURLToPath(new URL('../../lib/', import.meta.url));
    const used = new Set<string>();
    for (const file of readdirSync(lib, { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts')) continue;
      for (const match of readFileSync(lib + file, 'utf8').matchAll(/(?:protocolError|headError)\(\s*'([A-Z0-9_]+)'/g)) used.add(match[1]!);
    }
    expect(used.size).toBeGreaterThan(20);
    expect([...used].filter((code) => !(code in buildErrorCatalogue()))).toEqual([]);
  });

  it('Close, the const enum the library uses, has exactly the names and values of the public CloseCode', async () => {
    // A const enum compiled on its own (as here) is an object with a
    // reverse entry per value; its names are the non-numeric keys. Read
    // by name: TypeScript allows a const enum only in member accesses.
    const module: Record<string, unknown> = await import('../../lib/errors.js');
    const close = module['Close'] as Record<string, string | number>;
    const names = Object.keys(close).filter((key) => Number.isNaN(Number(key)));
    expect(names.sort()).toEqual(Object.keys(CloseCode).sort());
    for (const [name, value] of Object.entries(CloseCode)) expect(close[name], name).toBe(value);
  });

  it('makes the error from the code and the facts', () => {
    const error = protocolError('MESSAGE_TOO_LONG', { length: 2000, max: 1000 });
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error.code).toBe('MESSAGE_TOO_LONG');
    expect(error.closeCode).toBe(CloseCode.TOO_LARGE);
    expect(error.message).toBe('message of at least 2000 bytes exceeds maxLength (1000)');
    expect(protocolError('EXTENSION_ERROR', { detail: 'x' }, { closeCode: CloseCode.INVALID_DATA }).closeCode).toBe(CloseCode.INVALID_DATA);
  });
});

describe('one message per fault, wherever it is found', () => {
  function serverError(...frames: Uint8Array[]): { code: string; closeCode: number; message: string } {
    const { driver, rec } = openServer({ maxLength: 16 });
    driver.parse(concat(...frames));
    return rec.of('error')[0]!;
  }

  it('INVALID_UTF8: a bad byte and a message ending inside a sequence read the same', () => {
    const bad = serverError(clientFrame(Op.TEXT, Uint8Array.of(0x61, 0xff)));
    const cut = serverError(clientFrame(Op.TEXT, Uint8Array.of(0x61, 0xe2, 0x82)));
    const fragmented = serverError(clientFrame(Op.TEXT, Uint8Array.of(0x61, 0xe2), { fin: false }), clientFrame(Op.CONTINUATION, Uint8Array.of(0x82)));
    for (const error of [bad, cut, fragmented]) {
      expect(error.code).toBe('INVALID_UTF8');
      expect(error.closeCode).toBe(CloseCode.INVALID_DATA);
      expect(error.message).toBe(buildErrorCatalogue().INVALID_UTF8.message({}));
    }
  });

  it('MESSAGE_TOO_LONG: a long frame and a long fragmented message read alike', () => {
    const frame = serverError(clientFrame(Op.BINARY, new Uint8Array(17)));
    const message = serverError(clientFrame(Op.BINARY, new Uint8Array(10), { fin: false }), clientFrame(Op.CONTINUATION, new Uint8Array(10)));
    expect(frame.message).toBe('message of at least 17 bytes exceeds maxLength (16)');
    expect(message.message).toBe('message of at least 20 bytes exceeds maxLength (16)');
  });
});
