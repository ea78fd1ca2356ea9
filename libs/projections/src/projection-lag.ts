import type { EventStore } from '@custodian/event-store';
import type { ReadStore } from '@custodian/read-store';
import { countParked } from './dead-letters';
import { readCatalogEntry } from './projection-catalog';
import { checkpointName } from './projection.definition';

export interface ProjectionLag {
  name: string;
  /**
   * Events in the log not yet applied by the build being written: from the positions of the
   * log's head and the checkpoint where the event store can (the embedded one), else counted
   * up to a small cap (FALLBACK_COUNT_CAP), so reporting lag never scans the log.
   */
  eventsBehind: number;
  /** How long the oldest unapplied event has waited; 0 when caught up. */
  secondsBehind: number;
}

export interface ProcessorLag extends ProjectionLag {
  checkpoint: string;
  /** Events it has parked as dead letters and not handled since. */
  deadLetters: number;
}

/** Where positions do not give the distance, the count stops here (O(1) whatever the lag). */
export const FALLBACK_COUNT_CAP = 10_000;

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
  const head = (await events.readLastEvent())?.position ?? null;
  return Promise.all(
    names.map(async (name) => {
      const entry = await readCatalogEntry(reads, name);
      const build = entry?.pending ?? entry?.active;
      const checkpoint = build ? await reads.getCheckpoint(checkpointName(build.collection)) : null;
      return { name, ...(await lagAfter(events, head, checkpoint?.position, now)) };
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
  const head = (await events.readLastEvent())?.position ?? null;
  return Promise.all(
    processors.map(async ({ name, checkpoint }) => {
      const stored = await reads.getCheckpoint(checkpoint);
      return {
        name,
        checkpoint,
        ...(await lagAfter(events, head, stored?.position, now)),
        deadLetters: await countParked(reads, checkpoint),
      };
    }),
  );
}

/**
 * O(1) whatever the lag: the head's position against the checkpoint's, and the one event after
 * the checkpoint for its age; never a count of the events in between.
 */
async function lagAfter(
  events: EventStore,
  head: string | null,
  after: string | undefined,
  now: number,
): Promise<{ eventsBehind: number; secondsBehind: number }> {
  if (head === null || (after !== undefined && events.comparePositions(after, head) >= 0))
    return { eventsBehind: 0, secondsBehind: 0 };
  const eventsBehind = events.eventsBetween
    ? events.eventsBetween(after, head)
    : await events.countEventsAfter(after, FALLBACK_COUNT_CAP);
  if (eventsBehind === 0) return { eventsBehind, secondsBehind: 0 };
  const [oldest] = await events.readAll({ after, maxCount: 1 });
  const secondsBehind = oldest ? Math.max(0, (now - oldest.recordedAt.getTime()) / 1000) : 0;
  return { eventsBehind, secondsBehind };
}
