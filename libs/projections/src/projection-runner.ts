import type { JsonObject } from '@custodian/domain';
import type { EventStore } from '@custodian/event-store';
import type { ReadStore } from '@custodian/read-store';
import { projectionLag, type ProjectionLag } from './projection-lag';
import { ProjectionDefinition, validateDefinition } from './projection.definition';
import { PROJECTIONS_CATALOG } from './projection-catalog';
import { DEFAULT_CATCH_UP_PAGE, ProjectionWorker } from './projection-worker';
import { CatchUpFeed } from './catch-up-feed';
import type { FollowerState } from './log-follower';
import type { FollowerSettings, ProjectionRunnerOptions } from './runner-options';
import { SharedFeed } from './shared-feed';
import { processorLag, type ProcessorLag } from './projection-lag';
import {
  processorCheckpoint,
  validateProcessor,
  type ProcessorDefinition,
} from './processor.definition';
import { ProcessorWorker, type ProcessorStatus, type ProjectionGate } from './processor-worker';

export type { ProjectionRunnerOptions } from './runner-options';

export type ProjectionState = FollowerState;

export interface ProjectionStatus {
  name: string;
  version: number;
  /** The version readers are served from; differs from `version` while a rebuild runs. */
  activeVersion: number;
  state: ProjectionState;
  /** Position of the last event applied, if any. */
  position: string | null;
  /** Events applied since the projection's (re)build began. */
  sequence: number;
  error?: string;
}

/** A processor handed to the runner. */
export interface ProcessorHandle {
  readonly checkpoint: string;
  status(): ProcessorStatus;
  /** Stops it and takes it out of the runner; a batch it was handling is delivered again later. */
  stop(): Promise<void>;
}

/**
 * Runs every projection: catch-up from its stored checkpoint, then live, applying events in
 * batches whose document writes and checkpoint commit together. A definition whose version
 * changed is rebuilt into a fresh collection while the old one keeps serving, then swapped in.
 * Processors (reactors) run beside them on the same machinery: the same shared feed, a
 * checkpoint in the same store, retries with backoff, and dead letters for what keeps failing.
 */
export class ProjectionRunner {
  private workers: ProjectionWorker[];
  private processors: ProcessorWorker[] = [];
  private started = false;
  private readonly settings: FollowerSettings;
  private readonly feed: SharedFeed;

  constructor(
    private readonly events: EventStore,
    private readonly reads: ReadStore,
    definitions: readonly ProjectionDefinition<JsonObject>[],
    options: ProjectionRunnerOptions = {},
  ) {
    const names = new Set<string>();
    for (const def of definitions) {
      validateDefinition(def);
      if (names.has(def.name)) throw new Error(`two projections are named "${def.name}"`);
      names.add(def.name);
    }
    this.settings = { ...options, batchSize: options.batchSize ?? 500 };
    this.feed = new SharedFeed(events, this.settings);
    this.workers = definitions.map(
      (def) => new ProjectionWorker(def, events, reads, this.settings, this.feed),
    );
  }

  /**
   * Prepares collections and starts every projection; resolves once all are running. Those
   * more than a catch-up page behind the log share one catch-up read of it (`CatchUpFeed`);
   * the others catch up alone, as a few events take no time.
   */
  async start(): Promise<void> {
    await this.reads.ensureCollection({ name: PROJECTIONS_CATALOG });
    await Promise.all(this.workers.map((worker) => worker.start({ follow: false })));
    const page = this.settings.catchUpBatchSize ?? DEFAULT_CATCH_UP_PAGE;
    const behind = await Promise.all(
      this.workers.map((worker) =>
        this.events
          .countEventsAfter(worker.position ?? undefined, page)
          .then((n) => n >= page)
          // The log did not answer: it follows alone, retrying with backoff.
          .catch(() => false),
      ),
    );
    const far = this.workers.filter((_, i) => behind[i]);
    for (const worker of this.workers) if (!far.includes(worker)) worker.followNow();
    if (far.length > 0) {
      const catchUp = new CatchUpFeed(this.events, page);
      // Started after every member holds it, so a member failing at once retries after it.
      const run = Promise.resolve().then(() => catchUp.run(far));
      for (const worker of far) worker.joinCatchUp(run);
    }
    await Promise.all(this.processors.map((worker) => worker.start()));
    this.started = true;
  }

  /**
   * Runs a processor beside the projections: now if the runner runs, else when it starts (a
   * runner that never starts here still reports its lag). `checkpoint` overrides where its
   * progress is kept, to run it again over the whole log, say.
   */
  async addProcessor(
    definition: ProcessorDefinition,
    options: { checkpoint?: string } = {},
  ): Promise<ProcessorHandle> {
    validateProcessor(definition);
    for (const name of definition.waitFor ?? []) {
      if (!this.workers.some((w) => w.name === name))
        throw new Error(
          `processor "${definition.name}" waits for "${name}", which is not run here`,
        );
    }
    const checkpoint = options.checkpoint ?? processorCheckpoint(definition);
    if (this.processors.some((p) => p.checkpoint === checkpoint))
      throw new Error(`a processor already keeps its checkpoint in "${checkpoint}"`);
    const worker = new ProcessorWorker(
      definition,
      checkpoint,
      this.events,
      this.reads,
      this.settings,
      this.feed,
      this.gate,
    );
    this.processors.push(worker);
    if (this.started) await worker.start();
    return {
      checkpoint,
      status: () => worker.status(),
      stop: async () => {
        this.processors = this.processors.filter((p) => p !== worker);
        await worker.stop();
      },
    };
  }

  /**
   * Swaps in another definition of a running projection (a new version is rebuilt into a
   * fresh collection while the current one keeps serving, and takes over once caught up).
   * `rebuild` rebuilds it that way even when the version is the same (`custodian projections
   * rebuild`).
   */
  async replace(
    definition: ProjectionDefinition<JsonObject>,
    options: { rebuild?: boolean } = {},
  ): Promise<void> {
    validateDefinition(definition);
    const index = this.workers.findIndex((w) => w.name === definition.name);
    if (index < 0) throw new Error(`no projection named "${definition.name}"`);
    const replacement = new ProjectionWorker(
      definition,
      this.events,
      this.reads,
      this.settings,
      this.feed,
      options.rebuild ?? false,
    );
    if (this.started) await this.workers[index].stop();
    this.workers = this.workers.map((w, i) => (i === index ? replacement : w));
    if (this.started) await replacement.start();
  }

  definitionOf(name: string): ProjectionDefinition<JsonObject> | undefined {
    return this.workers.find((w) => w.name === name)?.definition;
  }

  async stop(): Promise<void> {
    // All told at once, then awaited: a processor's effect in flight in the feed ends on its
    // own signal, which the feed's stop alone would wait for without ever giving.
    await Promise.all([
      this.feed.stop(),
      ...[...this.workers, ...this.processors].map((worker) => worker.stop()),
    ]);
  }

  status(): ProjectionStatus[] {
    return this.workers.map((worker) => worker.status());
  }

  lag(): Promise<ProjectionLag[]> {
    return projectionLag(
      this.events,
      this.reads,
      this.workers.map((w) => w.name),
    );
  }

  processorStatus(): ProcessorStatus[] {
    return this.processors.map((worker) => worker.status());
  }

  processorLag(): Promise<ProcessorLag[]> {
    return processorLag(this.events, this.reads, this.processors);
  }

  /** The collection readers should query for a projection. */
  collectionFor(name: string): string {
    const worker = this.workers.find((w) => w.name === name);
    if (!worker) throw new Error(`no projection named "${name}"`);
    return worker.activeCollection();
  }

  /** Resolves once every projection (or the named one) has applied the event at `position`. */
  async waitFor(
    position: string,
    options: { name?: string; timeoutMs?: number } = {},
  ): Promise<void> {
    const workers = options.name
      ? this.workers.filter((w) => w.name === options.name)
      : this.workers;
    await Promise.all(workers.map((w) => w.waitFor(position, options.timeoutMs ?? 10_000)));
  }

  /** What processors see of the projections: always the current worker of each name. */
  private readonly gate: ProjectionGate = {
    reached: (names, position) => names.every((name) => this.worker(name).reached(position)),
    waitFor: async (names, position, timeoutMs, signal) => {
      await Promise.all(
        names.map((name) => this.worker(name).waitFor(position, timeoutMs, signal)),
      );
    },
    collectionFor: (name) => this.collectionFor(name),
  };

  private worker(name: string): ProjectionWorker {
    const worker = this.workers.find((w) => w.name === name);
    if (!worker) throw new Error(`no projection named "${name}"`);
    return worker;
  }
}
