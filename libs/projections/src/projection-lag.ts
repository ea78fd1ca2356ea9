import type { EventStore } from '@custodian/event-store';
import type { ReadStore } from '@custodian/read-store';
import { readCatalogEntry } from './projection-catalog';
import { checkpointName } from './projection.definition';

export interface ProjectionLag {
  name: string;
  /** Events in the log not yet applied by the build being written (counted up to a cap). */
  eventsBehind: number;
  /** How long the oldest unapplied event has waited; 0 when caught up. */
  secondsBehind: number;
}

const COUNT_CAP = 1_000_000;

/**
 * Lag from the stored checkpoints, so any process can report it, whether or not it runs the
 * projections itself.
 */
export async function projectionLag(
  events: EventStore,
  reads: ReadStore,
  names: readonly string[],
  now = Date.now(),
): Promise<ProjectionLag[]> {
  return Promise.all(
    names.map(async (name) => {
      const entry = await readCatalogEntry(reads, name);
      const build = entry?.pending ?? entry?.active;
      const checkpoint = build ? await reads.getCheckpoint(checkpointName(build.collection)) : null;
      const after = checkpoint?.position;
      const eventsBehind = await events.countEventsAfter(after, COUNT_CAP);
      if (eventsBehind === 0) return { name, eventsBehind, secondsBehind: 0 };
      const [oldest] = await events.readAll({ after, maxCount: 1 });
      const secondsBehind = oldest ? Math.max(0, (now - oldest.recordedAt.getTime()) / 1000) : 0;
      return { name, eventsBehind, secondsBehind };
    }),
  );
}
