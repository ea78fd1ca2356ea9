import { EVENT_STORE, type EventStore } from '@custodian/event-store';
import {
  activeCollection,
  checkpointName,
  ProjectionRunner,
  readCatalogEntry,
} from '@custodian/projections';
import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import { READ_STORE, type ReadStore } from '@custodian/read-store';
import { CUSTODIAN_CONFIG } from '../config/config.module';
import type { CustodianConfig } from '../config/custodian-config';

const CATALOG_TTL_MS = 1000;
/** While a request waits on a projection another process runs: how often its checkpoint is read. */
const POLL_MS = 5;

/**
 * How the API reads projections, whether this process runs them or another does: which
 * collection is active, and waiting until a projection has applied everything written so far
 * (read-your-writes for checks that must not act on stale data, like the consent gate).
 */
@Injectable()
export class ProjectionReader {
  private readonly cache = new Map<string, { collection: string; until: number }>();
  /** Per projection run elsewhere: the furthest position its stored checkpoint was seen at. */
  private readonly applied = new Map<string, string>();
  /** Per projection: the checkpoint read in flight, shared by every request waiting on it. */
  private readonly reading = new Map<string, Promise<string | null>>();
  /** Per projection: the timer of its next checkpoint poll, shared by every waiting request. */
  private readonly ticks = new Map<string, Promise<void>>();

  constructor(
    private readonly runner: ProjectionRunner,
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    @Inject(CUSTODIAN_CONFIG) private readonly config: CustodianConfig,
  ) {}

  private get runsHere(): boolean {
    return this.config.projector === 'in-process';
  }

  async collection(name: string): Promise<string> {
    if (this.runsHere) {
      // Before the runner has opened its builds (at start-up) there is no collection yet.
      const collection = this.runner.collectionFor(name);
      if (!collection)
        throw new ServiceUnavailableException(`projection "${name}" has not been built yet`);
      return collection;
    }
    const cached = this.cache.get(name);
    if (cached && cached.until > Date.now()) return cached.collection;
    const collection = await activeCollection(this.reads, name);
    if (!collection)
      throw new ServiceUnavailableException(`projection "${name}" has not been built yet`);
    this.cache.set(name, { collection, until: Date.now() + CATALOG_TTL_MS });
    return collection;
  }

  /**
   * Resolves once the projection has applied `position` (by default every event written
   * before the call, by any process).
   */
  async catchUp(
    name: string,
    options: { position?: string; timeoutMs?: number } = {},
  ): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 2000;
    const head = options.position
      ? { position: options.position }
      : await this.events.readLastEvent();
    if (!head) return;
    if (this.runsHere) {
      await this.runner.waitFor(head.position, { name, timeoutMs }).catch(() => {
        throw new ServiceUnavailableException(`projection "${name}" is behind; try again shortly`);
      });
      return;
    }
    // Run by another process: a position already seen applied needs no read at all (most
    // requests, e.g. an audited read after this process's last write was applied); otherwise the
    // stored checkpoint is read every POLL_MS, one read per projection however many requests wait.
    const reached = (position: string | null | undefined) =>
      position != null && this.events.comparePositions(position, head.position) >= 0;
    if (reached(this.applied.get(name))) return;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (reached(await this.appliedPosition(name))) return;
      if (Date.now() > deadline)
        throw new ServiceUnavailableException(`projection "${name}" is behind; try again shortly`);
      await this.nextPoll(name);
    }
  }

  /** The next poll of a projection's checkpoint: one timer, every waiter on it wakes together. */
  private nextPoll(name: string): Promise<void> {
    let tick = this.ticks.get(name);
    if (!tick) {
      tick = new Promise<void>((resolve) =>
        setTimeout(() => {
          this.ticks.delete(name);
          resolve();
        }, POLL_MS),
      );
      this.ticks.set(name, tick);
    }
    return tick;
  }

  /** Where the projection's stored checkpoint stands (reads shared by concurrent callers). */
  private appliedPosition(name: string): Promise<string | null> {
    let read = this.reading.get(name);
    if (!read) {
      read = (async () => {
        const entry = await readCatalogEntry(this.reads, name);
        const checkpoint =
          entry && (await this.reads.getCheckpoint(checkpointName(entry.active.collection)));
        const position = checkpoint ? checkpoint.position : null;
        const known = this.applied.get(name);
        if (
          position !== null &&
          (known === undefined || this.events.comparePositions(position, known) > 0)
        )
          this.applied.set(name, position);
        return position;
      })().finally(() => this.reading.delete(name));
      this.reading.set(name, read);
    }
    return read;
  }
}
