/**
 * Which broadcasts have reached every client, for the load generator's
 * broadcast workload: a delivery costs one increment, and a broadcast is
 * known complete without looking at every client.
 *
 * A connection delivers in order, so a client that has received n
 * broadcasts has received the first n: broadcast k is complete when every
 * client has received more than k. Only the broadcasts asked for and not
 * yet complete need a count, at most `maxOutstanding` of them, kept in a
 * ring.
 *
 * @module
 */

export class BroadcastTally {
  /** Broadcasts asked for. */
  asked = 0;
  /** Broadcasts every client has received (they complete in order). */
  completed = 0;
  /** Slots in the ring: broadcast k's count is at `k % capacity`. */
  readonly capacity: number;
  readonly #clients: number;
  readonly #maxOutstanding: number;
  /** Clients that have received broadcast k, for k from `completed` to `asked - 1`. */
  readonly #reached: Int32Array;

  constructor(clients: number, maxOutstanding: number) {
    this.#clients = clients;
    this.#maxOutstanding = maxOutstanding;
    this.capacity = 2 ** Math.ceil(Math.log2(maxOutstanding + 1));
    this.#reached = new Int32Array(this.capacity);
  }

  /** Counts one more broadcast asked for. */
  ask(): void {
    if (this.asked - this.completed >= this.#maxOutstanding) throw new Error(`more than ${this.#maxOutstanding} broadcasts outstanding`);
    this.asked++;
  }

  /**
   * A client that had received `before` broadcasts received `count` more;
   * returns how many broadcasts that completed (the last of them is
   * `completed - 1`). Throws when a client receives more broadcasts than
   * were asked for: the server sent one twice, or one nobody asked for.
   */
  received(before: number, count: number): number {
    const end = before + count;
    if (end > this.asked) throw new Error(`a client received ${end} broadcasts, ${this.asked} were asked for`);
    const mask = this.capacity - 1;
    const reached = this.#reached;
    for (let k = before; k < end; k++) reached[k & mask]!++;
    const first = this.completed;
    while (this.completed < this.asked && reached[this.completed & mask] === this.#clients) {
      reached[this.completed & mask] = 0;
      this.completed++;
    }
    return this.completed - first;
  }
}
