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
const POLL_MS = 20;

/**
 * How the API reads projections, whether this process runs them or another does: which
 * collection is active, and waiting until a projection has applied everything written so far
 * (read-your-writes for checks that must not act on stale data, like the consent gate).
 */
@Injectable()
export class ProjectionReader {
  private readonly cache = new Map<string, { collection: string; until: number }>();

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
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const entry = await readCatalogEntry(this.reads, name);
      const checkpoint =
        entry && (await this.reads.getCheckpoint(checkpointName(entry.active.collection)));
      if (checkpoint && this.events.comparePositions(checkpoint.position, head.position) >= 0)
        return;
      if (Date.now() > deadline)
        throw new ServiceUnavailableException(`projection "${name}" is behind; try again shortly`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}
