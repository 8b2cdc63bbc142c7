/**
 * Decoding text that is already known to be valid UTF-8, where an embedder
 * has a decoder faster than the fatal `TextDecoder` for that (the Node
 * adapter, lib/adapters/node/native-text.ts).
 *
 * With one supplied, a text message that arrives in pieces is checked
 * piece by piece as it arrives (RFC 6455 §8.1: a bad piece still fails the
 * connection at once), its bytes are gathered as a binary message's are,
 * and the whole message is decoded once at its end: no string per piece
 * and no join of strings. Without one (the portable core), the
 * {@link TextAssembler} decodes large pieces as they arrive.
 *
 * @module
 */

/**
 * The supplied decoder of checked bytes, or null. Only ever given bytes
 * that are valid UTF-8 as a whole; `ascii` is true when the check found
 * them all under 0x80 (false: not known).
 */
export let decodeCheckedText: ((bytes: Uint8Array, ascii: boolean) => string) | null = null;

/**
 * Sets the decoder of bytes already checked as UTF-8 (it need not check
 * them again, and must decode them as `TextDecoder` does, a leading BOM
 * kept); null goes back to the fatal `TextDecoder`.
 * @internal
 */
export function useCheckedTextDecoder(decode: ((bytes: Uint8Array, ascii: boolean) => string) | null): void {
  decodeCheckedText = decode;
}
