import { upcastLog, type EventStore, type RecordedEvent } from '@custodian/event-store';
import type { DocumentWrite, ReadStore } from '@custodian/read-store';
import { batched } from './batched';
import { firstRetryDelay, nextRetryDelay, type FollowerSettings } from './runner-options';
import { LeaveFeed, type FeedMember, type SharedFeed } from './shared-feed';
import { sleep } from './sleep';

export type FollowerState =
  'starting' | 'catching-up' | 'live' | 'rebuilding' | 'failed' | 'stopped';

/**
 * How stale a stored checkpoint may be while the batches since changed nothing (a projection
 * that ignores the events flowing now, a processor with nothing to do). Other processes
 * waiting on it see it move at least this often; in this process, waiters follow the position
 * in memory.
 */
const CHECKPOINT_EVERY_MS = 250;

/**
 * What projections and processors share: catch up from the stored checkpoint on a
 * subscription of its own, then join the shared feed; after a failure, leave it and retry
 * alone with a delay that doubles up to a cap. Subclasses apply batches and say what is
 * written with each checkpoint.
 */
export abstract class LogFollower implements FeedMember {
  abstract readonly stage: FeedMember['stage'];
  /** Position of the last event applied. */
  position: string | null = null;
  protected sequence = 0;
  protected state: FollowerState = 'starting';
  protected error: string | undefined;
  protected readonly controller = new AbortController();
  private running: Promise<void> | undefined;
  /** A batch the shared feed handed over, still being applied. */
  private fromFeed: Promise<void> | undefined;
  private waiters: Array<{ position: string; resolve(): void; reject(error: Error): void }> = [];
  /** The position reached is ahead of the stored checkpoint (batches that changed nothing). */
  private unsaved = false;
  private savedAt = 0;

  constructor(
    readonly name: string,
    protected readonly events: EventStore,
    protected readonly reads: ReadStore,
    protected readonly settings: FollowerSettings,
    private readonly feed: SharedFeed | null,
  ) {}

  /** Names it in log lines ("projection consent_state"). */
  protected get label(): string {
    return `${this.stage} ${this.name}`;
  }
  /** Where its checkpoint is stored. */
  protected abstract checkpointName(): string;
  /** Handles events after `position`, then calls `advance` unless it stopped meanwhile. */
  protected abstract applyBatch(batch: RecordedEvent[], inFeed: boolean): Promise<void>;
  /** Nothing is left to read: called each time the log pauses with nothing after `position`. */
  protected abstract caughtUp(): Promise<void>;

  async stop(): Promise<void> {
    this.feed?.leave(this);
    this.controller.abort();
    // A checkpoint not yet stored is not stored now (the stores may be closing): the events
    // since changed nothing, and the next start replays them to the same result.
    await this.running;
    await this.fromFeed?.catch(() => undefined);
    this.state = 'stopped';
    for (const waiter of this.waiters) waiter.reject(new Error(`${this.label} stopped`));
  }

  /** Resolves once `position` is applied; rejects after `timeoutMs`, or when `signal` aborts. */
  waitFor(position: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.reached(position)) return Promise.resolve();
    if (signal?.aborted)
      return Promise.reject(new Error(`stopped waiting for ${this.stage} "${this.name}"`));
    return new Promise<void>((resolve, reject) => {
      const settle = (error?: Error) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', abort);
        this.waiters = this.waiters.filter((w) => w !== waiter);
        if (error) reject(error);
        else resolve();
      };
      const timer = setTimeout(
        () =>
          settle(
            new Error(
              `${this.stage} "${this.name}" did not reach position ${position} in ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      );
      const abort = () => settle(new Error(`stopped waiting for ${this.stage} "${this.name}"`));
      const waiter = { position, resolve: () => settle(), reject: settle };
      this.waiters.push(waiter);
      signal?.addEventListener('abort', abort, { once: true });
    });
  }

  reached(position: string): boolean {
    return this.position !== null && this.events.comparePositions(this.position, position) >= 0;
  }

  /** Starts following the log from `position` (after `first`, if given, has run). */
  protected follow(first?: () => Promise<void>): void {
    this.running = (async () => {
      await first?.();
      await this.runWithRetries();
    })();
  }

  /** Stopped (or stopping): a shared catch-up hands it nothing more. */
  get stopped(): boolean {
    return this.controller.signal.aborted;
  }

  /**
   * Events read per page while catching up on its own subscription (0: read as the live
   * subscription does). Projections read large pages; processors keep their batch size.
   */
  protected catchUpPage(): number {
    return 0;
  }

  /** Starts following the log once a shared catch-up it is a member of (`run`) hands it back. */
  joinCatchUp(run: Promise<void>): void {
    this.running = run;
  }

  /** A shared catch-up reached the head: the last few events alone, then the live feed. */
  resumeAlone(): void {
    this.followAlone(0);
  }

  /** A batch the shared feed read; events already applied are skipped. */
  async applyFromFeed(batch: readonly RecordedEvent[]): Promise<void> {
    const position = this.position;
    const fresh =
      position === null
        ? batch
        : batch.filter((e) => this.events.comparePositions(e.position, position) > 0);
    if (fresh.length === 0) return;
    const applying = this.applyBatch(fresh as RecordedEvent[], true);
    this.fromFeed = applying;
    try {
      await applying;
    } finally {
      if (this.fromFeed === applying) this.fromFeed = undefined;
    }
  }

  /** The feed's source paused: store a checkpoint that only moved, and say when caught up. */
  async idleInFeed(caughtUp: boolean): Promise<void> {
    if (this.unsaved) await this.saveCheckpoint();
    if (caughtUp) await this.caughtUp();
  }

  /** Failed (or asked to leave) while in the shared feed: go on with its own subscription. */
  detach(error: unknown): void {
    if (this.controller.signal.aborted) return;
    if (error instanceof LeaveFeed) return this.followAlone(0);
    this.failed(error);
    this.settings.logger?.error(`${this.label} failed in the shared feed: ${this.error}`);
    this.followAlone(firstRetryDelay(this.settings));
  }

  protected failed(error: unknown): void {
    this.state = 'failed';
    this.error = error instanceof Error ? error.message : String(error);
  }

  /**
   * Records that everything up to `last` is applied: `count` events more, stored with
   * `writes` in one commit. A checkpoint that only moves (`changed` false: replaying these
   * events would change nothing) is stored at most every CHECKPOINT_EVERY_MS, and whenever the
   * log pauses.
   */
  protected async advance(
    last: RecordedEvent,
    count: number,
    writes: DocumentWrite[],
    changed: boolean,
  ): Promise<void> {
    const sequence = this.sequence + count;
    if (!changed && Date.now() - this.savedAt < CHECKPOINT_EVERY_MS) {
      this.unsaved = true;
    } else {
      await this.reads.commit({
        writes,
        checkpoint: { name: this.checkpointName(), position: last.position, sequence },
      });
      this.unsaved = false;
      this.savedAt = Date.now();
    }
    this.position = last.position;
    this.sequence = sequence;
  }

  protected releaseWaiters(): void {
    const ready = this.waiters.filter((w) => this.reached(w.position));
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const waiter of ready) waiter.resolve();
  }

  private followAlone(delayMs: number): void {
    const previous = this.running;
    this.running = (async () => {
      await previous;
      if (delayMs > 0) await sleep(delayMs, this.controller.signal);
      await this.runWithRetries();
    })();
  }

  private async runWithRetries(): Promise<void> {
    const signal = this.controller.signal;
    let delay = firstRetryDelay(this.settings);
    while (!signal.aborted) {
      try {
        await this.run(signal);
        return;
      } catch (error) {
        if (signal.aborted) return;
        this.failed(error);
        this.settings.logger?.error(`${this.label} failed, retrying in ${delay} ms: ${this.error}`);
        await sleep(delay, signal);
        delay = nextRetryDelay(delay, this.settings);
      }
    }
  }

  private async run(signal: AbortSignal): Promise<void> {
    // Its own subscription ends when the follower stops, or when it hands over to the feed.
    const own = new AbortController();
    const stop = () => own.abort();
    signal.addEventListener('abort', stop, { once: true });
    try {
      // Far behind (a rebuild): large pages read straight from the log, one commit each.
      const page = this.catchUpPage();
      while (page > 0 && !signal.aborted) {
        const events = await this.events.readAll({
          after: this.position ?? undefined,
          maxCount: page,
        });
        if (events.length > 0) await this.applyBatch(upcastLog(events), false);
        if (events.length < page) break;
      }
      if (signal.aborted) return;
      const subscription = this.events.subscribeAll({
        after: this.position ?? undefined,
        signal: own.signal,
      });
      const { batchSize, lingerMs } = this.settings;
      for await (const batch of batched(subscription, batchSize, lingerMs ?? 0)) {
        if (batch.items.length > 0) await this.applyBatch(upcastLog(batch.items), false);
        if (signal.aborted) return;
        if (batch.idle && this.unsaved) await this.saveCheckpoint();
        if (
          batch.idle &&
          (await this.events.countEventsAfter(this.position ?? undefined, 1)) === 0
        ) {
          await this.caughtUp();
          // Caught up: from here on the shared feed brings the events, if it has not read past us.
          if (!signal.aborted && this.feed?.join(this)) {
            own.abort();
            return;
          }
        }
      }
    } finally {
      signal.removeEventListener('abort', stop);
    }
  }

  private async saveCheckpoint(): Promise<void> {
    if (this.position === null) return;
    await this.reads.commit({
      writes: [],
      checkpoint: { name: this.checkpointName(), position: this.position, sequence: this.sequence },
    });
    this.unsaved = false;
    this.savedAt = Date.now();
  }
}
