import type { JsonObject } from '@custodian/domain';
import type { EventStore, RecordedEvent } from '@custodian/event-store';
import type { ReadStore } from '@custodian/read-store';
import { randomBytes } from 'node:crypto';
import { batched } from './batched';
import { catalogWrite, ProjectionBuild, readCatalogEntry } from './projection-catalog';
import type {
  ProjectionRunnerOptions,
  ProjectionState,
  ProjectionStatus,
} from './projection-runner';
import { checkpointName, newBuildCollection, ProjectionDefinition } from './projection.definition';
import type { SharedFeed } from './shared-feed';
import { sleep } from './sleep';

/**
 * How stale a stored checkpoint may be while the batches since changed no document (a
 * projection that ignores the events flowing now). Other processes waiting on it see it move
 * at least this often; in this process, waiters follow the position in memory.
 */
const CHECKPOINT_EVERY_MS = 250;

/** One projection: its builds, its checkpoint and its place in (or out of) the shared feed. */
export class ProjectionWorker {
  readonly name: string;
  private state: ProjectionState = 'starting';
  /** The build readers are served from. */
  private active: ProjectionBuild = { version: 0, collection: '' };
  /** The build this worker writes: the active one, or a rebuild waiting to be swapped in. */
  private target: ProjectionBuild = { version: 0, collection: '' };
  /** Position of the last event applied. */
  position: string | null = null;
  private sequence = 0;
  private error: string | undefined;
  private readonly controller = new AbortController();
  private running: Promise<void> | undefined;
  private readonly handles: (type: string) => boolean;
  private waiters: Array<{ position: string; resolve(): void }> = [];
  /** The position reached is ahead of the stored checkpoint (batches that changed no document). */
  private unsaved = false;
  private savedAt = 0;

  constructor(
    readonly definition: ProjectionDefinition<JsonObject>,
    private readonly events: EventStore,
    private readonly reads: ReadStore,
    private readonly batchSize: number,
    private readonly options: ProjectionRunnerOptions,
    private readonly feed: SharedFeed | null = null,
  ) {
    this.name = definition.name;
    const types = definition.eventTypes === 'all' ? null : new Set(definition.eventTypes);
    this.handles = types ? (type) => types.has(type) : () => true;
  }

  async start(): Promise<void> {
    const { name, version } = this.definition;
    const entry = await readCatalogEntry(this.reads, name);
    if (entry?.active.version === version) {
      this.active = this.target = entry.active;
    } else if (entry?.pending?.version === version) {
      this.active = entry.active;
      this.target = entry.pending;
    } else {
      // A first build, or the definition changed: build from the start into a new collection.
      if (entry?.pending) await this.reads.dropCollection(entry.pending.collection);
      this.target = {
        version,
        collection: newBuildCollection(name, version, () => randomBytes(4).toString('hex')),
      };
      // With nothing older to serve, the first build is served while it catches up.
      this.active = entry?.active ?? this.target;
      await this.ensureTarget();
      await this.reads.commit({
        writes: [
          catalogWrite(name, {
            active: this.active,
            pending: this.rebuilding() ? this.target : null,
          }),
        ],
      });
    }
    await this.ensureTarget();
    const checkpoint = await this.reads.getCheckpoint(checkpointName(this.target.collection));
    this.position = checkpoint?.position ?? null;
    this.sequence = checkpoint?.sequence ?? 0;
    this.state = this.rebuilding() ? 'rebuilding' : 'catching-up';
    this.running = this.runWithRetries();
  }

  async stop(): Promise<void> {
    this.feed?.leave(this);
    this.controller.abort();
    // A checkpoint not yet stored is not stored now (the stores may be closing): the events
    // since changed nothing, and the next start replays them to the same result.
    await this.running;
    this.state = 'stopped';
  }

  status(): ProjectionStatus {
    return {
      name: this.definition.name,
      version: this.definition.version,
      activeVersion: this.active.version,
      state: this.state,
      position: this.position,
      sequence: this.sequence,
      ...(this.error ? { error: this.error } : {}),
    };
  }

  activeCollection(): string {
    return this.active.collection;
  }

  waitFor(position: string, timeoutMs: number): Promise<void> {
    if (this.reached(position)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(
          new Error(
            `projection "${this.name}" did not reach position ${position} in ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      const waiter = {
        position,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.push(waiter);
    });
  }

  private ensureTarget(): Promise<void> {
    return this.reads.ensureCollection({
      name: this.target.collection,
      indexes: [...(this.definition.indexes ?? [])],
    });
  }

  private rebuilding(): boolean {
    return this.target.collection !== this.active.collection;
  }

  private reached(position: string): boolean {
    return this.position !== null && this.events.comparePositions(this.position, position) >= 0;
  }

  private async runWithRetries(): Promise<void> {
    const signal = this.controller.signal;
    let delay = this.options.retryDelayMs ?? 200;
    while (!signal.aborted) {
      try {
        await this.run(signal);
        return;
      } catch (error) {
        if (signal.aborted) return;
        this.state = 'failed';
        this.error = error instanceof Error ? error.message : String(error);
        this.options.logger?.error(
          `projection ${this.name} failed, retrying in ${delay} ms: ${this.error}`,
        );
        await sleep(delay, signal);
        delay = Math.min(delay * 2, this.options.maxRetryDelayMs ?? 30_000);
      }
    }
  }

  private async run(signal: AbortSignal): Promise<void> {
    // Its own subscription ends when the worker stops, or when it hands over to the feed.
    const own = new AbortController();
    const stop = () => own.abort();
    signal.addEventListener('abort', stop, { once: true });
    try {
      const subscription = this.events.subscribeAll({
        after: this.position ?? undefined,
        signal: own.signal,
      });
      for await (const batch of batched(subscription, this.batchSize, this.options.lingerMs ?? 0)) {
        if (batch.items.length > 0) await this.applyBatch(batch.items);
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

  /** A batch the shared feed read; events this projection has already applied are skipped. */
  async applyFromFeed(batch: readonly RecordedEvent[]): Promise<void> {
    const position = this.position;
    const fresh =
      position === null
        ? batch
        : batch.filter((e) => this.events.comparePositions(e.position, position) > 0);
    if (fresh.length > 0) await this.applyBatch(fresh as RecordedEvent[]);
  }

  /** The feed's source paused: store a checkpoint that only moved, and say when caught up. */
  async idleInFeed(caughtUp: boolean): Promise<void> {
    if (this.unsaved) await this.saveCheckpoint();
    if (caughtUp) await this.caughtUp();
  }

  /** Failed while in the shared feed: retry on its own subscription, as any failure does. */
  detach(error: unknown): void {
    if (this.controller.signal.aborted) return;
    this.state = 'failed';
    this.error = error instanceof Error ? error.message : String(error);
    this.options.logger?.error(`projection ${this.name} failed in the shared feed: ${this.error}`);
    const previous = this.running;
    this.running = (async () => {
      await previous;
      await sleep(this.options.retryDelayMs ?? 200, this.controller.signal);
      await this.runWithRetries();
    })();
  }

  private async applyBatch(batch: RecordedEvent[]): Promise<void> {
    const collection = this.target.collection;
    const relevant = batch.filter((event) => this.handles(event.type));
    const idsByEvent = relevant.map((event) => this.definition.documentIds(event));
    const loaded = await this.reads.getMany(collection, [...new Set(idsByEvent.flat())]);
    const touched = new Map<string, JsonObject | null>();
    relevant.forEach((event, i) => {
      for (const id of idsByEvent[i]) {
        const current = touched.has(id) ? touched.get(id)! : (loaded.get(id) ?? null);
        touched.set(id, this.definition.apply(current, event, id));
      }
    });
    const last = batch[batch.length - 1];
    const sequence = this.sequence + batch.length;
    if (touched.size === 0 && Date.now() - this.savedAt < CHECKPOINT_EVERY_MS) {
      // Only the checkpoint would move, and replaying these events changes nothing: it is
      // stored at most every CHECKPOINT_EVERY_MS, and whenever the log pauses.
      this.unsaved = true;
    } else {
      await this.reads.commit({
        writes: [...touched].map(([id, doc]) => ({ collection, id, doc })),
        checkpoint: { name: checkpointName(collection), position: last.position, sequence },
      });
      this.unsaved = false;
      this.savedAt = Date.now();
    }
    this.position = last.position;
    this.sequence = sequence;
    this.error = undefined;
    if (this.state === 'failed') this.state = this.rebuilding() ? 'rebuilding' : 'catching-up';
    this.releaseWaiters();
  }

  private async saveCheckpoint(): Promise<void> {
    if (this.position === null) return;
    await this.reads.commit({
      writes: [],
      checkpoint: {
        name: checkpointName(this.target.collection),
        position: this.position,
        sequence: this.sequence,
      },
    });
    this.unsaved = false;
    this.savedAt = Date.now();
  }

  private async caughtUp(): Promise<void> {
    if (this.rebuilding()) {
      const previous = this.active;
      await this.reads.commit({
        writes: [catalogWrite(this.name, { active: this.target, pending: null })],
      });
      this.active = this.target;
      await this.reads.dropCollection(previous.collection);
      this.options.logger?.log(
        `projection ${this.name} rebuilt as v${this.definition.version} and swapped in`,
      );
    }
    this.state = 'live';
    this.releaseWaiters();
  }

  private releaseWaiters(): void {
    const ready = this.waiters.filter((w) => this.reached(w.position));
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const waiter of ready) waiter.resolve();
  }
}
