import type { EventStore, RecordedEvent } from '@custodian/event-store';

interface Reader {
  /** Events the shared subscription brought since the reader joined, not yet taken. */
  queue: RecordedEvent[];
  wake: (() => void) | null;
  failure: { error: unknown } | null;
  ended: boolean;
}

interface Feed {
  controller: AbortController;
  /** The last position the subscription has brought (any type), or where it began. */
  delivered: string | null;
  done: Promise<void>;
  failure: { error: unknown } | null;
}

const CATCH_UP_PAGE = 500;

/**
 * Fans one subscription to the log out to every reader of some event types (the dashboards'
 * live anomaly streams): however many readers there are, the log is followed once. A reader
 * resuming from an older position first reads what it missed, page by page, up to where the
 * shared subscription took it over, then takes its events: no gap, no duplicate. The
 * subscription opens with the first reader and closes after the last.
 */
export class LogFanOut {
  private readonly types: ReadonlySet<string>;
  private readonly readers = new Set<Reader>();
  private feed: Feed | null = null;
  private opening: Promise<Feed> | null = null;
  private opened = 0;

  constructor(
    private readonly events: EventStore,
    types: readonly string[],
    private readonly pageSize = CATCH_UP_PAGE,
  ) {
    this.types = new Set(types);
  }

  /** How many readers follow, and how many subscriptions have been opened for them so far. */
  stats(): { readers: number; subscriptionsOpened: number; open: boolean } {
    return { readers: this.readers.size, subscriptionsOpened: this.opened, open: !!this.feed };
  }

  /**
   * The events of its types after `after` (without one: from the head now), then live, until
   * `signal` aborts or the fan-out stops; throws if the shared subscription fails.
   */
  async *follow(after: string | undefined, signal: AbortSignal): AsyncGenerator<RecordedEvent> {
    let cursor = after ?? (await this.events.readLastEvent())?.position ?? null;
    const reader: Reader = { queue: [], wake: null, failure: null, ended: false };
    let joinedAt: string | null;
    for (;;) {
      const feed = await this.open();
      if (feed.failure) throw feed.failure.error;
      // Closed meanwhile (its last reader left): open another.
      if (feed !== this.feed) continue;
      // Joined in the same turn as `delivered` is read: everything after it is queued for us.
      joinedAt = feed.delivered;
      this.readers.add(reader);
      break;
    }
    try {
      if (joinedAt !== null && this.before(cursor, joinedAt)) {
        // What the reader missed, up to where the shared subscription took over.
        let caughtUp = false;
        while (!caughtUp && !signal.aborted) {
          const page = await this.events.readAll({
            after: cursor ?? undefined,
            maxCount: this.pageSize,
          });
          caughtUp = page.length < this.pageSize;
          for (const event of page) {
            if (!this.before(event.position, joinedAt, true)) {
              caughtUp = true;
              break;
            }
            cursor = event.position;
            if (this.types.has(event.type)) yield event;
            if (signal.aborted) return;
          }
        }
      }
      while (!signal.aborted) {
        const next = reader.queue.shift();
        if (next) {
          if (!this.before(cursor, next.position)) continue;
          cursor = next.position;
          yield next;
          continue;
        }
        if (reader.failure) throw reader.failure.error;
        if (reader.ended) return;
        await untilWoken(reader, signal);
      }
    } finally {
      this.readers.delete(reader);
      if (this.readers.size === 0) this.close();
    }
  }

  /** Ends every reader and closes the subscription. */
  async stop(): Promise<void> {
    for (const reader of this.readers) {
      reader.ended = true;
      reader.wake?.();
    }
    const feed = this.feed;
    this.close();
    await feed?.done;
  }

  /** Whether `a` comes before `b` (or, with `orAt`, is `b`); null is before everything. */
  private before(a: string | null, b: string, orAt = false): boolean {
    if (a === null) return true;
    const order = this.events.comparePositions(a, b);
    return orAt ? order <= 0 : order < 0;
  }

  private open(): Promise<Feed> {
    if (this.feed) return Promise.resolve(this.feed);
    this.opening ??= (async () => {
      try {
        const head = (await this.events.readLastEvent())?.position ?? null;
        const controller = new AbortController();
        const feed: Feed = {
          controller,
          delivered: head,
          done: Promise.resolve(),
          failure: null,
        };
        this.feed = feed;
        this.opened++;
        feed.done = this.run(feed).catch((error: unknown) => {
          if (controller.signal.aborted) return;
          feed.failure = { error };
          if (this.feed === feed) this.feed = null;
          for (const reader of this.readers) {
            reader.failure = { error };
            reader.wake?.();
          }
        });
        return feed;
      } finally {
        this.opening = null;
      }
    })();
    return this.opening;
  }

  private close(): void {
    this.feed?.controller.abort();
    this.feed = null;
  }

  private async run(feed: Feed): Promise<void> {
    const signal = feed.controller.signal;
    const after = feed.delivered ?? undefined;
    for await (const event of this.events.subscribeAll({ after, signal })) {
      if (this.feed !== feed) return;
      feed.delivered = event.position;
      if (!this.types.has(event.type)) continue;
      for (const reader of this.readers) {
        reader.queue.push(event);
        reader.wake?.();
      }
    }
  }
}

function untilWoken(reader: Reader, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      reader.wake = null;
      signal.removeEventListener('abort', done);
      resolve();
    };
    reader.wake = done;
    signal.addEventListener('abort', done, { once: true });
  });
}
