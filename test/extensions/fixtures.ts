/**
 * Test extensions with controllable timing, and helpers shared by the
 * extension tests.
 *
 * `GatedExtension` is a reversible transform (every byte XOR 0x5a, RSV1 set
 * on what it encodes) whose sessions hold each message until the test
 * releases it: that makes "slow" deterministic, with no timers.
 */
import type {
  Extension,
  ExtensionCallback,
  ExtensionMessage,
  ExtensionParams,
} from '../../lib/index.js';
import type { Pair } from '../helpers/index.js';

export const XOR = 0x5a;

export function xorBytes(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! ^ XOR;
  return out;
}

interface Held {
  readonly message: ExtensionMessage;
  readonly callback: ExtensionCallback;
}

/** One direction of a gated session: messages wait in `held` until released. */
export class Gate {
  readonly held: Held[] = [];
  /** When true, messages pass at once. */
  open = false;

  constructor(readonly transform: (message: ExtensionMessage) => ExtensionMessage | Error) {}

  push(message: ExtensionMessage, callback: ExtensionCallback): void {
    if (this.open) this.#run({ message, callback });
    else this.held.push({ message, callback });
  }

  /** Releases held messages: all, or the one at `index` (out of order on purpose). */
  release(index?: number): void {
    if (index === undefined) {
      for (const item of this.held.splice(0)) this.#run(item);
      return;
    }
    const [item] = this.held.splice(index, 1);
    if (item) this.#run(item);
  }

  #run({ message, callback }: Held): void {
    const result = this.transform(message);
    if (result instanceof Error) callback(result, null);
    else callback(null, result);
  }
}

/** A session whose both directions are gates. */
export class GatedSession {
  readonly incoming: Gate;
  readonly outgoing: Gate;
  closed = false;
  activatedWith: ExtensionParams | null = null;

  constructor(transforms: { incoming?: (m: ExtensionMessage) => ExtensionMessage | Error; outgoing?: (m: ExtensionMessage) => ExtensionMessage | Error } = {}) {
    this.incoming = new Gate(transforms.incoming ?? decodeXor);
    this.outgoing = new Gate(transforms.outgoing ?? encodeXor);
  }

  processIncomingMessage(message: ExtensionMessage, callback: ExtensionCallback): void {
    this.incoming.push(message, callback);
  }

  processOutgoingMessage(message: ExtensionMessage, callback: ExtensionCallback): void {
    this.outgoing.push(message, callback);
  }

  generateOffer(): ExtensionParams {
    return { mode: 'xor' };
  }

  activate(params: ExtensionParams): boolean {
    this.activatedWith = params;
    return params['mode'] === 'xor';
  }

  generateResponse(): ExtensionParams {
    return { mode: 'xor' };
  }

  close(): void {
    this.closed = true;
  }
}

export function encodeXor(message: ExtensionMessage): ExtensionMessage {
  return { ...message, rsv1: true, data: xorBytes(message.data) };
}

export function decodeXor(message: ExtensionMessage): ExtensionMessage {
  return message.rsv1 ? { ...message, rsv1: false, data: xorBytes(message.data) } : message;
}

/** An extension named `x-xor` (by default) whose sessions are {@link GatedSession}s, kept in `sessions`. */
export class GatedExtension implements Extension {
  readonly type = 'permessage' as const;
  readonly rsv1 = true;
  readonly rsv2 = false;
  readonly rsv3 = false;
  readonly sessions: GatedSession[] = [];
  readonly offers: ExtensionParams[][] = [];
  /** Messages pass without waiting unless this is false. */
  constructor(
    readonly name = 'x-xor',
    readonly passThrough = false,
    readonly transforms: ConstructorParameters<typeof GatedSession>[0] = {},
  ) {}

  createClientSession(): GatedSession {
    return this.#session();
  }

  createServerSession(offers: ExtensionParams[]): GatedSession | null {
    this.offers.push(offers);
    return offers.some((offer) => offer['mode'] === 'xor') ? this.#session() : null;
  }

  get session(): GatedSession {
    const session = this.sessions[this.sessions.length - 1];
    if (!session) throw new Error('no session was created');
    return session;
  }

  #session(): GatedSession {
    const session = new GatedSession(this.transforms);
    session.incoming.open = this.passThrough;
    session.outgoing.open = this.passThrough;
    this.sessions.push(session);
    return session;
  }
}

/** Waits for pending I/O callbacks (zlib's thread pool) to land. */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Flushes a Pair between macrotasks (zlib runs on the thread pool, so
 * bytes appear in between) until `until()` holds; throws if it never does.
 */
export async function settle(pair: Pair, until: () => boolean, what = 'the pair to settle'): Promise<void> {
  const deadline = Date.now() + GIVE_UP_MS;
  while (Date.now() < deadline) {
    pair.flush();
    if (until()) return;
    await tick();
  }
  throw new Error(`timed out waiting for ${what}`);
}

// Only a bound on waiting for work to finish (the machine may be busy), never a timing assertion.
const GIVE_UP_MS = 20_000;

/** Waits until `condition()` holds, polling between macrotasks. */
export async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + GIVE_UP_MS;
  while (Date.now() < deadline) {
    if (condition()) return;
    await tick();
  }
  throw new Error(`timed out waiting for ${what}`);
}
