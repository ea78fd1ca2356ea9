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
): AsyncGenerator<Batch<T>> {
  const iterator = source[Symbol.asyncIterator]();
  let pending = iterator.next();
  let items: T[] = [];
  // Whether the consumer has been told the source is idle since the last item arrived.
  let announcedIdle = false;
  try {
    for (;;) {
      const next = announcedIdle ? await pending : await Promise.race([pending, idleTurn()]);
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

/** Resolves after pending I/O callbacks, so a source that is reading from memory wins the race. */
function idleTurn(): Promise<typeof IDLE> {
  return new Promise((resolve) => setImmediate(() => resolve(IDLE)));
}
