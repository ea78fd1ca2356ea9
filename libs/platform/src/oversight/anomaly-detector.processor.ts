import {
  alignedNeighbourIds,
  COUNTED_EVENT_TYPES,
  counterDocumentIds,
  repeatsAlignedFiring,
  shiftedCounterDocumentIds,
  type AnomalyCountersDocument,
  type Firing,
  type ProcessorDefinition,
} from '@custodian/projections';
import type { RecordedEvent } from '@custodian/event-store';
import type { ReadStore } from '@custodian/read-store';

/**
 * Turns the rules the anomaly counters crossed into an effect (`recordAnomaly`): it is handed
 * the counted events once the anomaly counters (`anomaly_counters`, aligned windows, and
 * `anomaly_counters_shifted`) have applied them, and emits the firings those very events
 * caused. Each firing's id is derived from rule, actor, role and
 * window, so a replay, or a rebuilt counters projection, emits nothing new. A shifted window's
 * firing that repeats one of the aligned windows it overlaps (same rule, fired no later) is the
 * same burst, and is not emitted again.
 */
export function anomalyDetectorProcessor(
  reads: ReadStore,
  emit: (counters: AnomalyCountersDocument, firing: Firing, cause: RecordedEvent) => Promise<void>,
): ProcessorDefinition {
  return {
    name: 'anomaly-detector',
    eventTypes: COUNTED_EVENT_TYPES,
    waitFor: ['anomaly_counters', 'anomaly_counters_shifted'],
    async handle(counted, ctx) {
      const aligned = ctx.collectionFor('anomaly_counters');
      const shifted = ctx.collectionFor('anomaly_counters_shifted');
      const causes = new Map(counted.map((e) => [e.id, e]));
      const emitFirings = async (
        docs: Map<string, unknown>,
        repeats: (counters: AnomalyCountersDocument, firing: Firing) => Promise<boolean>,
      ) => {
        for (const doc of docs.values()) {
          const counters = doc as AnomalyCountersDocument;
          for (const firing of counters.firings) {
            if (ctx.signal.aborted) return;
            const cause = causes.get(firing.eventId);
            if (cause && !(await repeats(counters, firing))) await emit(counters, firing, cause);
          }
        }
      };
      const ids = (of: (e: RecordedEvent) => string[]) => [...new Set(counted.flatMap(of))];
      await emitFirings(
        await reads.getMany(
          aligned,
          ids((e) => counterDocumentIds(e)),
        ),
        async () => false,
      );
      await emitFirings(
        await reads.getMany(
          shifted,
          ids((e) => shiftedCounterDocumentIds(e)),
        ),
        async (counters, firing) =>
          repeatsAlignedFiring(counters, firing, [
            ...(await reads.getMany(aligned, alignedNeighbourIds(counters))).values(),
          ] as AnomalyCountersDocument[]),
      );
    },
  };
}
