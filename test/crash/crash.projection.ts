import type { JsonObject } from '@custodian/domain';
import type { ProjectionDefinition } from '@custodian/projections';

export interface StreamTally extends JsonObject {
  count: number;
  lastRevision: number;
  /** Order-sensitive digest of every event id applied: any duplicate or gap changes it. */
  digest: string;
}

/** Per stream: events applied, the last revision and a rolling digest of their ids. */
export function streamTallyProjection(version = 1): ProjectionDefinition<StreamTally> {
  return {
    name: 'stream_tally',
    version,
    eventTypes: ['Tallied'],
    documentIds: (event) => [event.stream],
    apply: (doc, event) => ({
      count: (doc?.count ?? 0) + 1,
      lastRevision: Number(event.revision),
      digest: rolling(doc?.digest ?? '', event.id),
    }),
  };
}

function rolling(previous: string, id: string): string {
  let h = 2166136261;
  for (const ch of previous + id) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return h.toString(16).padStart(8, '0');
}
