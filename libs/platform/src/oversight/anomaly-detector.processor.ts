import {
  COUNTED_EVENT_TYPES,
  counterDocumentIds,
  type AnomalyCountersDocument,
  type Firing,
  type ProcessorDefinition,
} from '@custodian/projections';
import type { RecordedEvent } from '@custodian/event-store';
import type { ReadStore } from '@custodian/read-store';

/**
 * Turns the rules the anomaly counters crossed into an effect (`recordAnomaly`): it is handed
 * the counted events once the `anomaly_counters` projection has applied them, and emits the
 * firings those very events caused. Each firing's id is derived from rule, actor, role and
 * window, so a replay, or a rebuilt counters projection, emits nothing new.
 */
export function anomalyDetectorProcessor(
  reads: ReadStore,
  emit: (counters: AnomalyCountersDocument, firing: Firing, cause: RecordedEvent) => Promise<void>,
): ProcessorDefinition {
  return {
    name: 'anomaly-detector',
    eventTypes: COUNTED_EVENT_TYPES,
    waitFor: ['anomaly_counters'],
    async handle(counted, ctx) {
      const collection = ctx.collectionFor('anomaly_counters');
      const ids = [...new Set(counted.flatMap((e) => counterDocumentIds(e)))];
      const docs = await reads.getMany(collection, ids);
      const causes = new Map(counted.map((e) => [e.id, e]));
      for (const doc of docs.values()) {
        const counters = doc as AnomalyCountersDocument;
        for (const firing of counters.firings) {
          if (ctx.signal.aborted) return;
          const cause = causes.get(firing.eventId);
          if (cause) await emit(counters, firing, cause);
        }
      }
    },
  };
}
