import type { EventStore } from '@custodian/event-store';
import type { ReadStore } from '@custodian/read-store';
import { countParked } from './dead-letters';
import { readCatalogEntry } from './projection-catalog';
import { checkpointName } from './projection.definition';

export interface ProjectionLag {
  name: string;
  /** Events in the log not yet applied by the build being written (counted up to a cap). */
  eventsBehind: number;
  /** How long the oldest unapplied event has waited; 0 when caught up. */
  secondsBehind: number;
}

export interface ProcessorLag extends ProjectionLag {
  checkpoint: string;
  /** Events it has parked as dead letters and not handled since. */
  deadLetters: number;
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
      return { name, ...(await lagAfter(events, checkpoint?.position, now)) };
    }),
  );
}

/** A processor's lag and dead letters, from what is stored, as for projections. */
export async function processorLag(
  events: EventStore,
  reads: ReadStore,
  processors: ReadonlyArray<{ name: string; checkpoint: string }>,
  now = Date.now(),
): Promise<ProcessorLag[]> {
  return Promise.all(
    processors.map(async ({ name, checkpoint }) => {
      const stored = await reads.getCheckpoint(checkpoint);
      return {
        name,
        checkpoint,
        ...(await lagAfter(events, stored?.position, now)),
        deadLetters: await countParked(reads, checkpoint),
      };
    }),
  );
}

async function lagAfter(
  events: EventStore,
  after: string | undefined,
  now: number,
): Promise<{ eventsBehind: number; secondsBehind: number }> {
  const eventsBehind = await events.countEventsAfter(after, COUNT_CAP);
  if (eventsBehind === 0) return { eventsBehind, secondsBehind: 0 };
  const [oldest] = await events.readAll({ after, maxCount: 1 });
  const secondsBehind = oldest ? Math.max(0, (now - oldest.recordedAt.getTime()) / 1000) : 0;
  return { eventsBehind, secondsBehind };
}
