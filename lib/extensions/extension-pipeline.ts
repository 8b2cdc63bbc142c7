/**
 * Messages through the negotiated extensions' sessions: outgoing ones
 * through the first negotiated first, incoming ones through the last
 * first, as faye's `websocket-extensions` framework orders them.
 *
 * A session may call back late, and may be given the next message before
 * it answered the last; each session's answers are passed on in the order
 * its messages came, so messages stay in wire order in each direction. A
 * session's failure is passed on behind the messages before it; that
 * direction then takes no more messages. Closing drops what is under way,
 * and closes each session once it has answered every message it was given
 * (a compressor is not torn down in the middle of its work).
 *
 * @module
 */
import type { ExtensionCallback, ExtensionMessage, ExtensionSession } from './extension.js';

type Direction = 'processIncomingMessage' | 'processOutgoingMessage';
type Next = (error: Error | null, message: ExtensionMessage | null) => void;

/** A message in one session's queue, with its answer once there is one. */
interface Slot {
  error: Error | null;
  message: ExtensionMessage | null;
  done: boolean;
  readonly next: Next;
}

/** One negotiated session and its two queues. */
class Stage {
  readonly name: string;
  readonly #session: ExtensionSession;
  readonly #queues = { processIncomingMessage: [] as Slot[], processOutgoingMessage: [] as Slot[] };
  // A direction that failed here takes nothing more.
  readonly #failed = { processIncomingMessage: false, processOutgoingMessage: false };
  // Messages given to the session and not answered yet.
  #busy = 0;
  // Closed: takes no more messages; the session itself is closed once not busy.
  #closed = false;
  #sessionClosed = false;

  constructor(name: string, session: ExtensionSession) {
    this.name = name;
    this.#session = session;
  }

  /** Runs `message` (or passes on `error`) through the session; `next` gets the result in order. */
  push(direction: Direction, error: Error | null, message: ExtensionMessage | null, next: Next): void {
    if (this.#failed[direction] || this.#closed) return;
    const slot: Slot = { error, message, done: error !== null, next };
    this.#queues[direction].push(slot);
    if (slot.done) {
      this.#failed[direction] = true;
      this.#flush(direction);
      return;
    }
    let answered = false;
    const callback: ExtensionCallback = (failure, result) => {
      if (answered) return;
      answered = true;
      this.#busy--;
      if (failure) {
        // Named for the log: "permessage-deflate: invalid stored block lengths".
        const named = failure instanceof Error ? failure : new Error(String(failure));
        try {
          named.message = `${this.name}: ${named.message}`;
        } catch {
          // A frozen error keeps its own message.
        }
        slot.error = named;
        this.#failed[direction] = true;
      }
      slot.message = result;
      slot.done = true;
      this.#flush(direction);
      this.#closeIfIdle();
    };
    this.#busy++;
    try {
      this.#session[direction](message!, callback);
    } catch (thrown) {
      callback(thrown as Error, null);
    }
  }

  /** Passes on the answered messages at the head of the queue; a failure empties it. */
  #flush(direction: Direction): void {
    const queue = this.#queues[direction];
    while (queue.length > 0 && queue[0]!.done) {
      const slot = queue.shift()!;
      if (slot.error !== null) queue.length = 0;
      slot.next(slot.error, slot.error !== null ? null : slot.message);
    }
  }

  close(): void {
    this.#closed = true;
    this.#closeIfIdle();
  }

  #closeIfIdle(): void {
    if (!this.#closed || this.#busy > 0 || this.#sessionClosed) return;
    this.#sessionClosed = true;
    this.#session.close?.();
  }
}

/** The sessions of one connection, in negotiated order; see the module comment. */
export class ExtensionPipeline {
  readonly #stages: Stage[];
  // A direction that failed, or both once closed, takes no more messages.
  readonly #stopped = { processIncomingMessage: false, processOutgoingMessage: false };

  constructor(sessions: ReadonlyArray<{ readonly name: string; readonly session: ExtensionSession }>) {
    this.#stages = sessions.map(({ name, session }) => new Stage(name, session));
  }

  /** A received message, through the sessions last first. */
  incoming(message: ExtensionMessage, done: Next): void {
    this.#run('processIncomingMessage', message, done);
  }

  /** A message to send, through the sessions first first. */
  outgoing(message: ExtensionMessage, done: Next): void {
    this.#run('processOutgoingMessage', message, done);
  }

  /** Takes no more messages; each session is closed once it has answered what it was given. */
  close(): void {
    this.#stopped.processIncomingMessage = this.#stopped.processOutgoingMessage = true;
    for (const stage of this.#stages) stage.close();
  }

  #run(direction: Direction, message: ExtensionMessage, done: Next): void {
    if (this.#stopped[direction]) return;
    const stages = this.#stages;
    const step = direction === 'processIncomingMessage' ? -1 : 1;
    const pass = (index: number, error: Error | null, result: ExtensionMessage | null): void => {
      if (index < 0 || index === stages.length) {
        done(error, result);
        return;
      }
      stages[index]!.push(direction, error, result, (failure, next) => {
        if (failure !== null) this.#stopped[direction] = true;
        pass(index + step, failure, next);
      });
    };
    pass(step < 0 ? stages.length - 1 : 0, null, message);
  }
}
