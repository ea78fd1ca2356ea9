/**
 * Where the app reads the current time. The domain already takes time as an argument; this is
 * the one place that argument comes from, so tests can move time instead of sleeping.
 */
export interface Clock {
  now(): Date;
}

export const CLOCK = Symbol.for('custodian.Clock');

/** The real time: one `new Date()` per call, nothing else on the hot path. */
export const systemClock: Clock = { now: () => new Date() };
