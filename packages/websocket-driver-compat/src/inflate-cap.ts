/**
 * A `zlib` for faye's `permessage-deflate` whose raw inflaters stop at
 * `maxLength` bytes per message. That extension inflates with no cap (a
 * small frame can inflate to gigabytes); its `zlib` option lets the compat
 * layer hand it inflaters that fail the message once the output passes the
 * cap, so `maxLength` bounds inflated messages here as in the engine.
 *
 * @module
 */
import zlib from 'node:zlib';

/** What `addExtension` is given: a websocket-extensions extension, perhaps faye's permessage-deflate. */
interface ConfigurableExtension {
  readonly name?: unknown;
  configure?: (options: Record<string, unknown>) => unknown;
}

/** The message-too-large error, typed as websocket-driver's extension errors are (`type` names the close code). */
function tooLarge(maxLength: number): Error & { type: string; closeCode: number } {
  return Object.assign(new Error(`inflated message exceeds maxLength (${maxLength})`), { type: 'too_large', closeCode: 1009 });
}

/** zlib with `createInflateRaw` capped per message; see the module comment. */
export function cappedZlib(maxLength: number): typeof zlib {
  const createInflateRaw = (options?: zlib.ZlibOptions) => {
    const inflate = zlib.createInflateRaw(options);
    let produced = 0;
    let failed = false;
    inflate.on('data', (chunk: Buffer) => {
      produced += chunk.length;
      if (produced > maxLength && !failed) {
        failed = true;
        // Stop reading: the zlib stream stops once its buffer is full.
        inflate.pause();
        inflate.emit('error', tooLarge(maxLength));
      }
    });
    // The session flushes once per message (and may reuse the inflater
    // with context takeover): each message counts from zero.
    const flush = inflate.flush.bind(inflate) as (...args: unknown[]) => void;
    (inflate as unknown as { flush: (...args: unknown[]) => void }).flush = (...args: unknown[]) => {
      const callback = typeof args[args.length - 1] === 'function' ? (args.pop() as () => void) : undefined;
      flush(...args, () => {
        produced = 0;
        callback?.();
      });
    };
    return inflate;
  };
  // A copy: the module itself may be frozen (an ES module namespace).
  return { ...zlib, createInflateRaw } as typeof zlib;
}

/** faye's permessage-deflate configured with {@link cappedZlib}; any other extension as given. */
export function withInflateCap<T>(extension: T, maxLength: number): T {
  const candidate = extension as ConfigurableExtension;
  if (candidate === null || typeof candidate !== 'object') return extension;
  if (candidate.name !== 'permessage-deflate' || typeof candidate.configure !== 'function') return extension;
  // configure() keeps options the application set already, its own zlib included.
  return candidate.configure({ zlib: cappedZlib(maxLength) }) as T;
}
