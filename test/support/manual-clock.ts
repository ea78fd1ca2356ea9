import type { Clock } from '@custodian/platform';

/**
 * A clock the test moves by hand, for the app's `clock` option: time stands still until the
 * test sets or advances it, so an expiry "in a second" passes by one call instead of a sleep
 * that a busy machine may overrun.
 */
export class ManualClock implements Clock {
  private ms: number;

  constructor(start: Date | string = new Date()) {
    this.ms = ManualClock.toMs(start);
  }

  now(): Date {
    return new Date(this.ms);
  }

  set(at: Date | string): void {
    this.ms = ManualClock.toMs(at);
  }

  /** Moves time forward by `ms` and returns the new moment. */
  advance(ms: number): Date {
    if (!Number.isFinite(ms) || ms < 0) throw new Error(`cannot advance a clock by ${ms} ms`);
    this.ms += ms;
    return this.now();
  }

  private static toMs(at: Date | string): number {
    const ms = new Date(at).getTime();
    if (Number.isNaN(ms)) throw new Error(`not a moment: ${String(at)}`);
    return ms;
  }
}
