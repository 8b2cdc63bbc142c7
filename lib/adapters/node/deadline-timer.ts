/**
 * Runs a driver's deadlines (`useDeadlines`/`deadline`/`tick`, see
 * docs/flow-control.md) with one Node timer per connection.
 *
 * @module
 */
import type { Listener } from '../../emitter.js';
import { deadlineKeeper, type DeadlineKeeper, type DeadlineSettings } from '../../connection/deadlines.js';
import type { DriverEventMap } from '../../events.js';

/** What {@link runDeadlines} needs of a driver; every wsdriver driver has it. */
export interface DeadlineDriver {
  /** Turns the deadlines on, counted from `now` (`Date.now()`). */
  useDeadlines(keeper: DeadlineKeeper, now: number): void;
  /** When the timer must next fire, or null. */
  readonly deadline: number | null;
  /** Called when the timer fires, and on `open` and `closing`. */
  tick(now: number): void;
  /** Used for `open`, `closing` and `close`. */
  on<K extends keyof DriverEventMap>(type: K, listener: Listener<DriverEventMap[K]>): unknown;
}

/** Turns the deadlines on and keeps a timer armed for the next one, until `close`. */
export function runDeadlines(driver: DeadlineDriver, settings: DeadlineSettings): void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let armedFor: number | null = null;
  let over = false;

  const arm = () => {
    const at = over ? null : driver.deadline;
    if (at === armedFor && timer !== null) return;
    if (timer !== null) clearTimeout(timer);
    timer = null;
    armedFor = at;
    if (at === null) return;
    timer = setTimeout(fire, Math.max(0, at - Date.now()));
    // The transport keeps the process alive while it is open; the timer need not.
    timer.unref?.();
  };
  const fire = () => {
    timer = null;
    armedFor = null;
    driver.tick(Date.now());
    arm();
  };
  // A deadline that starts with an event is measured from the next tick.
  const tickNow = () => {
    driver.tick(Date.now());
    arm();
  };

  driver.on('open', tickNow);
  driver.on('closing', tickNow);
  driver.on('close', () => {
    over = true;
    arm();
  });
  driver.useDeadlines(deadlineKeeper(settings), Date.now());
  arm();
}
