export interface BackoffOptions {
  /** Delay before the first retry. Default 100 ms. */
  initialDelayMs?: number;
  /** The delay doubles per failed attempt up to this. Default 5 s. */
  maxDelayMs?: number;
}

/**
 * Exponential backoff with "equal jitter": half the capped delay is fixed, half random, so
 * many subscribers dropped by one server restart do not all come back in the same instant.
 */
export function backoffDelay(
  attempt: number,
  { initialDelayMs = 100, maxDelayMs = 5000 }: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const capped = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(attempt, 30));
  return capped / 2 + random() * (capped / 2);
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
