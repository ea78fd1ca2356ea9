import type { ActorStatusDocument } from '@custodian/projections';
import { findAll, READ_STORE, type ReadStore } from '@custodian/read-store';
import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { WriteTracker } from '../commands/write-tracker';
import { ProjectionReader } from '../projections/projection-reader';

const REFRESH_MS = 500;

export interface Suspension {
  since: string;
  reason: string;
}

/**
 * Which actors are suspended, held in memory so the guard can refuse them on every request
 * without a read. Changes made in this process take effect at once; those made by another
 * process (the projector's anomaly detector, another API) within a refresh, half a second.
 * Whatever an actor holds open (a server-sent-events stream) can `watch` for their suspension
 * and end, with the same promptness.
 */
@Injectable()
export class SuspensionRegistry implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SuspensionRegistry.name);
  private suspended = new Map<string, Suspension>();
  private readonly watchers = new Map<string, Set<() => void>>();
  private changes = 0;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(
    @Inject(READ_STORE) private readonly reads: ReadStore,
    private readonly projections: ProjectionReader,
    private readonly writes: WriteTracker,
  ) {}

  async onModuleInit(): Promise<void> {
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.refreshing;
  }

  /** The suspension in force for this actor, if any. */
  check(actorId: string): Suspension | undefined {
    return this.suspended.get(actorId);
  }

  /**
   * Calls `onSuspended` when this actor is suspended (at once for a suspension made in this
   * process, within a refresh for one made elsewhere); returns the function that stops watching.
   */
  watch(actorId: string, onSuspended: () => void): () => void {
    let set = this.watchers.get(actorId);
    if (!set) this.watchers.set(actorId, (set = new Set()));
    set.add(onSuspended);
    return () => {
      set.delete(onSuspended);
      if (set.size === 0 && this.watchers.get(actorId) === set) this.watchers.delete(actorId);
    };
  }

  /** A suspension or reinstatement this process has just appended. */
  note(actorId: string, suspension: Suspension | null): void {
    this.changes++;
    const next = new Map(this.suspended);
    if (suspension) next.set(actorId, suspension);
    else next.delete(actorId);
    this.suspended = next;
    if (suspension) this.notify(actorId);
  }

  private notify(actorId: string): void {
    for (const onSuspended of [...(this.watchers.get(actorId) ?? [])]) {
      try {
        onSuspended();
      } catch (error) {
        this.logger.warn(`a suspension watcher failed: ${(error as Error).message}`);
      }
    }
  }

  /** Reloads the suspended actors from the actor_status projection. */
  refresh(): Promise<void> {
    this.refreshing ??= this.load()
      .catch((error: unknown) =>
        this.logger.warn(`could not refresh suspensions: ${(error as Error).message}`),
      )
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async load(): Promise<void> {
    const changes = this.changes;
    const own = this.writes.lastPosition('actor');
    if (own) await this.projections.catchUp('actor_status', { position: own });
    const collection = await this.projections.collection('actor_status');
    const next = new Map<string, Suspension>();
    for await (const doc of findAll(this.reads, collection, { where: { suspended: true } })) {
      const status = doc as ActorStatusDocument;
      next.set(status.actorId, { since: status.suspendedAt ?? '', reason: status.reason ?? '' });
    }
    // A change noted while this was loading is newer than what was read.
    if (changes !== this.changes) return;
    const before = this.suspended;
    this.suspended = next;
    for (const actorId of next.keys()) if (!before.has(actorId)) this.notify(actorId);
  }
}
