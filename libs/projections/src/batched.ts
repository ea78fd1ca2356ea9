export interface Batch<T> {
  items: T[];
  /** True when the batch ended because the source had nothing more ready (likely caught up). */
  idle: boolean;
}

const IDLE = Symbol('idle');

/**
 * Groups an async iterable into batches of at most `maxSize`, without waiting for a full
 * batch: whatever has arrived is handed on as soon as the source pauses. Each pause is
 * announced once, with an empty batch if nothing had arrived, so a consumer learns it has
 * caught up even when there was nothing to catch up on.
 */
export async function* batched<T>(
  source: AsyncIterable<T>,
  maxSize: number,
  /**
   * How long a started batch may wait for more items once the source pauses: under a steady
   * trickle of events, a few milliseconds more lag buys far fewer, larger commits.
   */
  lingerMs = 0,
): AsyncGenerator<Batch<T>> {
  const iterator = source[Symbol.asyncIterator]();
  let pending = iterator.next();
  let items: T[] = [];
  let startedAt = 0;
  // Whether the consumer has been told the source is idle since the last item arrived.
  let announcedIdle = false;
  try {
    for (;;) {
      let next: IteratorResult<T> | typeof IDLE;
      if (announcedIdle) next = await pending;
      else if (items.length > 0 && lingerMs > 0) {
        const left = startedAt + lingerMs - Date.now();
        next = left > 0 ? await Promise.race([pending, pause(left)]) : IDLE;
      } else next = await Promise.race([pending, idleTurn()]);
      if (next === IDLE) {
        yield { items, idle: true };
        items = [];
        announcedIdle = true;
        continue;
      }
      announcedIdle = false;
      if (next.done) {
        if (items.length > 0) yield { items, idle: true };
        return;
      }
      items.push(next.value);
      if (items.length === 1) startedAt = Date.now();
      pending = iterator.next();
      if (items.length >= maxSize) {
        yield { items, idle: false };
        items = [];
      }
    }
  } finally {
    // Not awaited: a source still waiting for events would hold us here; stop it with its signal.
    void iterator.return?.();
  }
}

function pause(ms: number): Promise<typeof IDLE> {
  return new Promise((resolve) => setTimeout(() => resolve(IDLE), ms));
}

/** Resolves after pending I/O callbacks, so a source that is reading from memory wins the race. */
function idleTurn(): Promise<typeof IDLE> {
  return new Promise((resolve) => setImmediate(() => resolve(IDLE)));
}
