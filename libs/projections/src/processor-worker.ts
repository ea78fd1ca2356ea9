import type { EventStore, RecordedEvent } from '@custodian/event-store';
import type { ReadStore } from '@custodian/read-store';
import {
  countParked,
  deadLetter,
  deadLetterWrite,
  ensureDeadLetters,
  parkedEvents,
  type DeadLetter,
} from './dead-letters';
import { LogFollower, type FollowerState } from './log-follower';
import type { ProcessorContext, ProcessorDefinition } from './processor.definition';
import { firstRetryDelay, nextRetryDelay, type FollowerSettings } from './runner-options';
import { LeaveFeed, type SharedFeed } from './shared-feed';
import { sleep } from './sleep';

export type ProcessorState = Exclude<FollowerState, 'rebuilding'>;

export interface ProcessorStatus {
  name: string;
  version: number;
  /** Where its progress is stored. */
  checkpoint: string;
  state: ProcessorState;
  /** Position of the last event handled (or passed over), if any. */
  position: string | null;
  /** Events passed since its checkpoint began. */
  sequence: number;
  /** Failed attempts in this process (effects, or reading the log), each retried after a backoff. */
  retries: number;
  /** Events parked as dead letters, not handled yet (each is tried again at every start). */
  deadLetters: number;
  /** The projections it is waiting for, while it waits. */
  waitingFor?: string[];
  error?: string;
}

/** The projections a processor may wait for and read: the runner's. */
export interface ProjectionGate {
  reached(names: readonly string[], position: string): boolean;
  waitFor(
    names: readonly string[],
    position: string,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<void>;
  collectionFor(name: string): string;
}

const DEFAULT_MAX_ATTEMPTS = 10;
/** A processor waiting this long for its projections says so in the log, and waits on. */
const WAIT_REPORT_MS = 60_000;

/**
 * Runs one processor. Each batch: wait until the projections it depends on have applied it,
 * hand it the events of its types, then store the checkpoint. A failed effect is retried with
 * a backoff that doubles up to a cap, first for the batch, then event by event, so one bad
 * event does not hold the others back for ever: after `maxAttempts` failures alone it is
 * parked as a dead letter in the read store, in the same commit as the checkpoint moving past
 * it, and tried again at the next start. Nothing is skipped without a record.
 */
export class ProcessorWorker extends LogFollower {
  readonly stage = 'processor';
  private readonly handles: (type: string) => boolean;
  private readonly maxAttempts: number;
  private retries = 0;
  private deadLetters = 0;
  private waitingFor: readonly string[] | null = null;

  constructor(
    readonly definition: ProcessorDefinition,
    readonly checkpoint: string,
    events: EventStore,
    reads: ReadStore,
    settings: FollowerSettings,
    feed: SharedFeed | null,
    private readonly projections: ProjectionGate,
  ) {
    super(definition.name, events, reads, settings, feed);
    const types = definition.eventTypes === 'all' ? null : new Set(definition.eventTypes);
    this.handles = types ? (type) => types.has(type) : () => true;
    this.maxAttempts = definition.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  }

  async start(): Promise<void> {
    await ensureDeadLetters(this.reads);
    const stored = await this.reads.getCheckpoint(this.checkpoint);
    this.position = stored?.position ?? null;
    this.sequence = stored?.sequence ?? 0;
    this.deadLetters = await countParked(this.reads, this.checkpoint);
    this.state = 'catching-up';
    this.follow(() => this.retryParked());
  }

  status(): ProcessorStatus {
    return {
      name: this.definition.name,
      version: this.definition.version ?? 1,
      checkpoint: this.checkpoint,
      state: this.state as ProcessorState,
      position: this.position,
      sequence: this.sequence,
      retries: this.retries,
      deadLetters: this.deadLetters,
      ...(this.waitingFor ? { waitingFor: [...this.waitingFor] } : {}),
      ...(this.error ? { error: this.error } : {}),
    };
  }

  protected override get label(): string {
    const plain = `reactor:${this.name}`;
    return this.checkpoint === plain
      ? `processor ${this.name}`
      : `processor ${this.name} (${this.checkpoint})`;
  }

  protected checkpointName(): string {
    return this.checkpoint;
  }

  protected override failed(error: unknown): void {
    super.failed(error);
    this.retries++;
  }

  protected async applyBatch(batch: RecordedEvent[], inFeed: boolean): Promise<void> {
    const signal = this.controller.signal;
    const relevant = batch.filter((event) => this.handles(event.type));
    if (relevant.length > 0) {
      const last = relevant[relevant.length - 1].position;
      if (inFeed) {
        // The feed's projections have applied this batch; one that has not (rebuilding, or
        // retrying alone) would hold every member back while we wait: wait alone instead.
        const names = this.definition.waitFor ?? [];
        if (!this.projections.reached(names, last))
          throw new LeaveFeed(`waiting for ${names.join(', ')}`);
        // A failure takes the processor out of the feed; it is retried alone.
        await this.definition.handle(relevant, this.context(1));
      } else {
        await this.waitForProjections(last, signal);
        if (!signal.aborted) await this.deliver(batch, relevant, signal);
      }
      // Stopped during the effect: nothing is recorded, and the batch comes again next start.
      if (signal.aborted) return;
    }
    await this.advance(batch[batch.length - 1], batch.length, [], relevant.length > 0);
    this.error = undefined;
    if (this.state === 'failed') this.state = 'catching-up';
    this.releaseWaiters();
  }

  protected async caughtUp(): Promise<void> {
    this.state = 'live';
    this.releaseWaiters();
  }

  /**
   * The events together once; after a failure, each alone with a growing delay, until it
   * succeeds or has failed `maxAttempts` times and is parked.
   */
  private async deliver(
    batch: RecordedEvent[],
    relevant: RecordedEvent[],
    signal: AbortSignal,
  ): Promise<void> {
    if (relevant.length > 1) {
      if (await this.attempt(relevant, 1, signal)) return;
      if (signal.aborted) return;
      const delay = firstRetryDelay(this.settings);
      this.settings.logger?.error(
        `${this.label}: a batch of ${relevant.length} events failed, retrying them one by one ` +
          `in ${delay} ms: ${this.error}`,
      );
      await sleep(delay, signal);
    }
    for (const event of relevant) {
      let delay = firstRetryDelay(this.settings);
      for (let attempt = 1; !signal.aborted; attempt++) {
        if (await this.attempt([event], attempt, signal)) break;
        if (signal.aborted) return;
        if (attempt >= this.maxAttempts) {
          await this.park(batch, event, attempt);
          break;
        }
        this.settings.logger?.error(
          `${this.label}: event ${event.position} (${event.type}) failed ${attempt} of ` +
            `${this.maxAttempts} times, retrying in ${delay} ms: ${this.error}`,
        );
        await sleep(delay, signal);
        delay = nextRetryDelay(delay, this.settings);
      }
    }
  }

  private async attempt(
    events: RecordedEvent[],
    attempt: number,
    signal: AbortSignal,
  ): Promise<boolean> {
    try {
      await this.definition.handle(events, this.context(attempt));
      return true;
    } catch (error) {
      if (!signal.aborted) this.failed(error);
      return false;
    }
  }

  /** Gives up on one event: a dead letter, and the checkpoint past it, in one commit. */
  private async park(batch: RecordedEvent[], event: RecordedEvent, attempts: number) {
    const letter = deadLetter(
      this.checkpoint,
      this.name,
      event,
      attempts,
      this.error ?? 'unknown error',
      new Date(),
    );
    await this.reads.commit({
      writes: [deadLetterWrite(letter, letter)],
      checkpoint: {
        name: this.checkpoint,
        position: event.position,
        sequence: this.sequence + batch.indexOf(event) + 1,
      },
    });
    this.deadLetters++;
    this.settings.logger?.error(
      `${this.label}: event ${event.position} (${event.type}, id ${event.id}) failed ` +
        `${attempts} times and is parked as a dead letter; it is tried again at the next ` +
        `start: ${letter.error}`,
    );
  }

  /** Each event an earlier run parked gets one more attempt; those that fail stay parked. */
  private async retryParked(): Promise<void> {
    const signal = this.controller.signal;
    let parked: DeadLetter[];
    try {
      parked = await parkedEvents(this.reads, this.checkpoint);
    } catch (error) {
      this.settings.logger?.error(
        `${this.label}: could not read its dead letters: ${(error as Error).message}`,
      );
      return;
    }
    this.deadLetters = parked.length;
    parked.sort((a, b) => this.events.comparePositions(a.position, b.position));
    for (const letter of parked) {
      if (signal.aborted) return;
      try {
        await this.retryOne(letter, signal);
      } catch (error) {
        if (signal.aborted) return;
        this.failed(error);
        this.settings.logger?.error(
          `${this.label}: parked event ${letter.position}: ${this.error}`,
        );
      }
    }
  }

  private async retryOne(letter: DeadLetter, signal: AbortSignal): Promise<void> {
    const [event] = await this.events.readStream(letter.stream, {
      fromRevision: BigInt(letter.revision),
      maxCount: 1,
    });
    if (!event || event.id !== letter.eventId)
      throw new Error(`event ${letter.eventId} is no longer in ${letter.stream}; left parked`);
    await this.waitForProjections(event.position, signal);
    if (signal.aborted) return;
    const attempts = letter.attempts + 1;
    if (await this.attempt([event], attempts, signal)) {
      if (signal.aborted) return;
      await this.reads.commit({ writes: [deadLetterWrite(letter, null)] });
      this.deadLetters--;
      this.error = undefined;
      this.settings.logger?.log(`${this.label}: parked event ${letter.position} handled`);
    } else if (!signal.aborted) {
      const error = this.error ?? 'unknown error';
      const lastAttemptAt = new Date().toISOString();
      await this.reads.commit({
        writes: [deadLetterWrite(letter, { ...letter, attempts, error, lastAttemptAt })],
      });
      this.settings.logger?.error(
        `${this.label}: parked event ${letter.position} failed again (${attempts} attempts), ` +
          `left parked: ${error}`,
      );
    }
  }

  private async waitForProjections(position: string, signal: AbortSignal): Promise<void> {
    const names = this.definition.waitFor ?? [];
    if (this.projections.reached(names, position)) return;
    this.waitingFor = names;
    try {
      while (!signal.aborted) {
        try {
          // Ends when the processor stops: it must not wait for a projection that is stopping.
          await this.projections.waitFor(names, position, WAIT_REPORT_MS, signal);
          return;
        } catch (error) {
          if (signal.aborted) return;
          // Timed out, or the projection stopped (replaced by a rebuild): wait on.
          this.settings.logger?.error(`${this.label}: still waiting: ${(error as Error).message}`);
          await sleep(firstRetryDelay(this.settings), signal);
        }
      }
    } finally {
      this.waitingFor = null;
    }
  }

  private context(attempt: number): ProcessorContext {
    return {
      signal: this.controller.signal,
      attempt,
      collectionFor: (name) => this.projections.collectionFor(name),
    };
  }
}
