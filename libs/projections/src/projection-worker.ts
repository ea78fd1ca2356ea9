import type { JsonObject } from '@custodian/domain';
import type { EventStore, RecordedEvent } from '@custodian/event-store';
import type { ReadStore } from '@custodian/read-store';
import { randomBytes } from 'node:crypto';
import { LogFollower } from './log-follower';
import {
  catalogWrite,
  ProjectionBuild,
  readCatalogEntry,
  type RetiredBuild,
} from './projection-catalog';
import type { ProjectionStatus } from './projection-runner';
import { checkpointName, newBuildCollection, ProjectionDefinition } from './projection.definition';
import type { FollowerSettings } from './runner-options';
import type { SharedFeed } from './shared-feed';

/** Events per page while catching up, unless the runner's options say otherwise. */
export const DEFAULT_CATCH_UP_PAGE = 5000;

/** One projection: its builds, its checkpoint and its documents. */
export class ProjectionWorker extends LogFollower {
  readonly stage = 'projection';
  /** The build readers are served from. */
  private active: ProjectionBuild = { version: 0, collection: '' };
  /** The build this worker writes: the active one, or a rebuild waiting to be swapped in. */
  private target: ProjectionBuild = { version: 0, collection: '' };
  private readonly handles: (type: string) => boolean;
  /** Builds swapped out and not yet dropped (see `ProjectionCatalogEntry.retired`). */
  private retired: RetiredBuild[] = [];
  private dropTimer: NodeJS.Timeout | undefined;
  /** Its build's indexes are built (they are deferred until it first catches up). */
  private indexed = false;

  constructor(
    readonly definition: ProjectionDefinition<JsonObject>,
    events: EventStore,
    reads: ReadStore,
    settings: FollowerSettings,
    feed: SharedFeed | null = null,
    /** Build afresh into a new collection even if the catalog's build is of this version. */
    private readonly forceRebuild = false,
  ) {
    super(definition.name, events, reads, settings, feed);
    const types = definition.eventTypes === 'all' ? null : new Set(definition.eventTypes);
    this.handles = types ? (type) => types.has(type) : () => true;
  }

  /**
   * Opens its build and starts following the log from its checkpoint; with `follow: false` it
   * waits to be handed to a shared catch-up (`joinCatchUp`) or told to `followNow`.
   */
  async start(options: { follow?: boolean } = {}): Promise<void> {
    const { name, version } = this.definition;
    const entry = await readCatalogEntry(this.reads, name);
    this.retired = entry?.retired ?? [];
    if (!this.forceRebuild && entry?.active.version === version) {
      this.active = this.target = entry.active;
    } else if (!this.forceRebuild && entry?.pending?.version === version) {
      this.active = entry.active;
      this.target = entry.pending;
    } else {
      // A first build, the definition changed, or a rebuild was asked for: build from the start
      // into a new collection.
      if (entry?.pending) await this.reads.dropCollection(entry.pending.collection);
      this.target = {
        version,
        collection: newBuildCollection(name, version, () => randomBytes(4).toString('hex')),
      };
      // With nothing older to serve, the first build is served while it catches up.
      this.active = entry?.active ?? this.target;
      await this.ensureTarget(true);
      await this.reads.commit({
        writes: [
          catalogWrite(name, {
            active: this.active,
            pending: this.rebuilding() ? this.target : null,
            retired: this.retired,
          }),
        ],
      });
    }
    const checkpoint = await this.reads.getCheckpoint(this.checkpointName());
    // Not live yet: a build far behind (new, or resumed after a stop) writes without indexes.
    this.indexed = false;
    await this.ensureTarget(true);
    this.position = checkpoint?.position ?? null;
    this.sequence = checkpoint?.sequence ?? 0;
    this.state = this.rebuilding() ? 'rebuilding' : 'catching-up';
    // Builds a previous run swapped out and could not drop (it stopped first), once past grace.
    await this.dropRetired();
    if (options.follow !== false) this.follow();
  }

  followNow(): void {
    this.follow();
  }

  protected override catchUpPage(): number {
    return this.settings.catchUpBatchSize ?? DEFAULT_CATCH_UP_PAGE;
  }

  override async stop(): Promise<void> {
    if (this.dropTimer) clearTimeout(this.dropTimer);
    await super.stop();
  }

  private get graceMs(): number {
    return this.settings.retiredGraceMs ?? 60_000;
  }

  /** Drops the retired builds whose grace period is over; the rest wait. */
  private async dropRetired(): Promise<void> {
    const now = Date.now();
    const due = this.retired.filter((build) => build.retiredAt + this.graceMs <= now);
    if (due.length === 0) return this.scheduleDrop();
    const kept = this.retired.filter((build) => !due.includes(build));
    // Unlisted first, then dropped: a crash in between leaves an orphan collection, never a
    // catalog naming a dropped one.
    await this.reads.commit({
      writes: [
        catalogWrite(this.name, {
          active: this.active,
          pending: this.rebuilding() ? this.target : null,
          retired: kept,
        }),
      ],
    });
    this.retired = kept;
    for (const build of due) await this.reads.dropCollection(build.collection);
    this.scheduleDrop();
  }

  private scheduleDrop(): void {
    if (this.dropTimer) clearTimeout(this.dropTimer);
    this.dropTimer = undefined;
    if (this.retired.length === 0 || this.controller.signal.aborted) return;
    const next = Math.min(...this.retired.map((build) => build.retiredAt)) + this.graceMs;
    this.dropTimer = setTimeout(
      () =>
        void this.dropRetired().catch((error: unknown) =>
          this.settings.logger?.error(
            `projection ${this.name}: could not drop a retired build: ${(error as Error).message}`,
          ),
        ),
      Math.max(0, next - Date.now()),
    );
    this.dropTimer.unref();
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

  protected checkpointName(): string {
    return checkpointName(this.target.collection);
  }

  /**
   * With `deferIndexes`, a build catching up writes without maintaining its indexes; they are
   * built in one pass once it is live (or at the first query of it, whichever comes first).
   */
  private ensureTarget(deferIndexes = false): Promise<void> {
    return this.reads.ensureCollection({
      name: this.target.collection,
      indexes: [...(this.definition.indexes ?? [])],
      compoundIndexes: (this.definition.compoundIndexes ?? []).map((fields) => [...fields]),
      ...(deferIndexes ? { deferIndexes } : {}),
    });
  }

  private rebuilding(): boolean {
    return this.target.collection !== this.active.collection;
  }

  protected async applyBatch(batch: RecordedEvent[]): Promise<void> {
    const collection = this.target.collection;
    const definition = this.definition;
    const relevant = batch.filter((event) => this.handles(event.type));
    // Every document as it stands before the event being applied: loaded, then as applied.
    const current = new Map<string, JsonObject | null>();
    const load = async (ids: Iterable<string>): Promise<void> => {
      // Only the ids not loaded yet are collected (most of a page's are, after the first load).
      const unseen = new Set<string>();
      for (const id of ids) if (!current.has(id)) unseen.add(id);
      if (unseen.size === 0) return;
      const missing = [...unseen];
      const found = await this.reads.getMany(collection, missing);
      for (const id of missing) current.set(id, found.get(id) ?? null);
    };
    const consultsNothing = (id: string): never => {
      throw new Error(`projection "${this.name}" looked up document "${id}" but consults nothing`);
    };
    // What the event's consulted documents are just before it: fixed before it is applied.
    const lookupFor = (event: RecordedEvent) => {
      if (!definition.consults) return consultsNothing;
      // An event consults one or two documents: two small arrays, not a Map per event.
      const named = definition.consults(event);
      const before = named.map((id) => current.get(id) ?? null);
      return (id: string): JsonObject | null => {
        const at = named.indexOf(id);
        if (at < 0)
          throw new Error(
            `projection "${this.name}" looked up document "${id}", which consults() did not name for event ${event.id}`,
          );
        return before[at];
      };
    };
    // One read for the whole batch, of every document the events name as the batch begins
    // (a definition whose ids depend on what it consults may name more once it is applied).
    const consulted = relevant.flatMap((event) => definition.consults?.(event) ?? []);
    await load(consulted);
    await load(relevant.flatMap((event) => definition.documentIds(event, lookupFor(event))));
    const touched = new Set<string>();
    for (const event of relevant) {
      const lookup = lookupFor(event);
      const ids = new Set(definition.documentIds(event, lookup));
      const where = definition.documentsWhere?.(event);
      if (where) for (const id of await this.matching(collection, where, current)) ids.add(id);
      if (ids.size === 0) continue;
      if ([...ids].some((id) => !current.has(id))) await load(ids);
      for (const id of ids) {
        current.set(id, definition.apply(current.get(id) ?? null, event, id, lookup));
        touched.add(id);
      }
    }
    await this.advance(
      batch[batch.length - 1],
      batch.length,
      [...touched].map((id) => ({ collection, id, doc: current.get(id) ?? null })),
      touched.size > 0,
    );
    this.error = undefined;
    if (this.state === 'failed') this.state = this.rebuilding() ? 'rebuilding' : 'catching-up';
    this.releaseWaiters();
  }

  /**
   * Ids of the documents whose fields equal `where` as they stand now: those stored that this
   * batch has not changed, and those this batch has written (loaded, then checked again).
   */
  private async matching(
    collection: string,
    where: Record<string, string | number | boolean>,
    current: Map<string, JsonObject | null>,
  ): Promise<string[]> {
    const ids = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await this.reads.find(collection, { where, limit: 1000, cursor });
      for (const item of page.items) {
        if (!current.has(item.id)) current.set(item.id, item.doc);
        ids.add(item.id);
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    for (const id of current.keys()) ids.add(id);
    const fields = Object.entries(where);
    return [...ids].filter((id) => {
      const doc = current.get(id);
      return !!doc && fields.every(([field, value]) => doc[field] === value);
    });
  }

  protected async caughtUp(): Promise<void> {
    if (!this.indexed) {
      // Before it is swapped in or called live: readers query it from here on.
      await this.ensureTarget();
      this.indexed = true;
    }
    if (this.rebuilding()) {
      const previous = this.active;
      // The old build is not dropped here: other processes may still read it under the name
      // they resolved. It is retired, and dropped once its grace period is over.
      const retired = [...this.retired, { ...previous, retiredAt: Date.now() }];
      await this.reads.commit({
        writes: [catalogWrite(this.name, { active: this.target, pending: null, retired })],
      });
      this.active = this.target;
      this.retired = retired;
      this.scheduleDrop();
      this.settings.logger?.log(
        `projection ${this.name} rebuilt as v${this.definition.version} and swapped in; v${previous.version} is dropped in ${Math.round(this.graceMs / 1000)} s`,
      );
    }
    this.state = 'live';
    this.releaseWaiters();
  }
}
