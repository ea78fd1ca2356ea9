import type { RecordedEvent } from '@custodian/event-store';
import { WINDOW_NAMES, WINDOWS, windowStart, type WindowName } from '@custodian/policy';
import type { ProjectionDefinition } from '../projection.definition';
import {
  COUNTED_EVENT_TYPES,
  countedOf,
  countEvent,
  type AnomalyCountersDocument,
  type RuleHistory,
} from './anomaly-counters.projection';

/**
 * The id of an actor's counters in the window of this length shifted by half a length (10:05 to
 * 10:15 for ten minutes). Counted beside the aligned windows, it catches a burst that straddles
 * an aligned boundary (reads at 10:08 and at 10:11): any burst no longer than half a window lies
 * whole inside an aligned window or a shifted one.
 */
export function shiftedCounterDocumentId(actorId: string, window: WindowName, at: number): string {
  const half = WINDOWS[window] / 2;
  return `${window}|${windowStart(at - half, window) + half}|${actorId}`;
}

export function shiftedCounterDocumentIds(
  event: RecordedEvent,
  windows: readonly WindowName[] = WINDOW_NAMES,
): string[] {
  const counted = countedOf(event);
  if (!counted) return [];
  const at = Date.parse(counted.at);
  return windows.map((w) => shiftedCounterDocumentId(counted.actorId, w, at));
}

/** Whether a counters document is an epoch-aligned window (not a shifted one). */
export function isAlignedWindow(doc: { window: string; windowStart: string }): boolean {
  return Date.parse(doc.windowStart) % WINDOWS[doc.window as WindowName] === 0;
}

/** The ids of the two aligned windows a shifted window overlaps (its first and second half). */
export function alignedNeighbourIds(doc: {
  window: string;
  windowStart: string;
  actorId: string;
}): string[] {
  const start = Date.parse(doc.windowStart);
  const half = WINDOWS[doc.window as WindowName] / 2;
  return [start - half, start + half].map((s) => `${doc.window}|${s}|${doc.actorId}`);
}

/**
 * Whether a shifted window's firing repeats one of the aligned windows it overlaps: the same
 * rule fired there at or before it, so it is the same burst and is not reported twice. Aligned
 * windows always stand: they fire exactly as before shifted windows were counted.
 */
export function repeatsAlignedFiring(
  doc: { window: string; windowStart: string },
  firing: { ruleId: string; detectedAt: string },
  aligned: ReadonlyArray<{ firings: ReadonlyArray<{ ruleId: string; detectedAt: string }> }>,
): boolean {
  if (isAlignedWindow(doc)) return false;
  return aligned.some((other) =>
    other.firings.some((f) => f.ruleId === firing.ruleId && f.detectedAt <= firing.detectedAt),
  );
}

/**
 * The anomaly counters again, in windows shifted by half their length (see
 * `shiftedCounterDocumentId`): the same measures and the same rules, so the windows overlap and
 * a burst across an aligned window's boundary is caught. The detector reads both.
 */
export function shiftedAnomalyCountersProjection(
  history: RuleHistory,
): ProjectionDefinition<AnomalyCountersDocument> {
  return {
    name: 'anomaly_counters_shifted',
    version: 1,
    eventTypes: [...COUNTED_EVENT_TYPES, 'AnomalyRulesPublished'],
    indexes: ['actorId', 'windowStart', 'window'],
    documentIds: (event) => {
      if (event.type === 'AnomalyRulesPublished') {
        history.learn(event);
        return [];
      }
      return shiftedCounterDocumentIds(event);
    },
    apply: (doc, event, id) => countEvent(doc, event, id, history.at(event.position)),
  };
}
