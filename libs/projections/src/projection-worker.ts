import type { JsonObject } from '@custodian/domain';
import type { EventStore, RecordedEvent } from '@custodian/event-store';
import type { ReadStore } from '@custodian/read-store';
import { randomBytes } from 'node:crypto';
import { LogFollower } from './log-follower';
import { catalogWrite, ProjectionBuild, readCatalogEntry } from './projection-catalog';
import type { ProjectionStatus } from './projection-runner';
import { checkpointName, newBuildCollection, ProjectionDefinition } from './projection.definition';
import type { FollowerSettings } from './runner-options';
import type { SharedFeed } from './shared-feed';

/** One projection: its builds, its checkpoint and its documents. */
export class ProjectionWorker extends LogFollower {
  readonly stage = 'projection';
  /** The build readers are served from. */
  private active: ProjectionBuild = { version: 0, collection: '' };
  /** The build this worker writes: the active one, or a rebuild waiting to be swapped in. */
  private target: ProjectionBuild = { version: 0, collection: '' };
  private readonly handles: (type: string) => boolean;

  constructor(
    readonly definition: ProjectionDefinition<JsonObject>,
    events: EventStore,
    reads: ReadStore,
    settings: FollowerSettings,
    feed: SharedFeed | null = null,
  ) {
    super(definition.name, events, reads, settings, feed);
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
    const checkpoint = await this.reads.getCheckpoint(this.checkpointName());
    this.position = checkpoint?.position ?? null;
    this.sequence = checkpoint?.sequence ?? 0;
    this.state = this.rebuilding() ? 'rebuilding' : 'catching-up';
    this.follow();
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

  private ensureTarget(): Promise<void> {
    return this.reads.ensureCollection({
      name: this.target.collection,
      indexes: [...(this.definition.indexes ?? [])],
    });
  }

  private rebuilding(): boolean {
    return this.target.collection !== this.active.collection;
  }

  protected async applyBatch(batch: RecordedEvent[]): Promise<void> {
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
    await this.advance(
      batch[batch.length - 1],
      batch.length,
      [...touched].map(([id, doc]) => ({ collection, id, doc })),
      touched.size > 0,
    );
    this.error = undefined;
    if (this.state === 'failed') this.state = this.rebuilding() ? 'rebuilding' : 'catching-up';
    this.releaseWaiters();
  }

  protected async caughtUp(): Promise<void> {
    if (this.rebuilding()) {
      const previous = this.active;
      await this.reads.commit({
        writes: [catalogWrite(this.name, { active: this.target, pending: null })],
      });
      this.active = this.target;
      await this.reads.dropCollection(previous.collection);
      this.settings.logger?.log(
        `projection ${this.name} rebuilt as v${this.definition.version} and swapped in`,
      );
    }
    this.state = 'live';
    this.releaseWaiters();
  }
}
