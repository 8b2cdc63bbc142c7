/**
 * On Node, UTF-8 is checked by `buffer.isUtf8` (native, SIMD): about
 * 0.3 µs for 4 KiB against 0.8 µs (ASCII) to 5.7 µs (mixed text) for the
 * core's JavaScript loop (lib/frame/utf8-validator.ts). It checks text
 * received as bytes (`decodeText: false`) and bytes sent as text.
 * Called by this adapter's entry point as it loads.
 *
 * @module
 */
import { nodeBuffer } from './builtins.js';
import { useNativeUtf8Check } from '../../frame/utf8-validator.js';

const { isAscii, isUtf8 } = nodeBuffer();

/**
 * Has the core check UTF-8 with `buffer.isUtf8`, a piece with
 * `buffer.isAscii` first: as fast on ASCII, and a message found all ASCII
 * is then decoded with no further scan (native-text.ts).
 */
export function useNodeUtf8Check(): void {
  useNativeUtf8Check(isUtf8, isAscii);
}
