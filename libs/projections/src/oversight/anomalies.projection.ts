import type { AnomalyDetected, JsonObject } from '@custodian/domain';
import type { TypedProjection } from '../projection.definition';

/** An anomaly as detected, with its UTC day for dashboards. */
export type AnomalyDocument = AnomalyDetected['data'] & JsonObject & { day: string };

/** Every anomaly detected, one document each (an id detected twice is the same document). */
export const anomaliesProjection: TypedProjection<AnomalyDocument, AnomalyDetected> = {
  name: 'anomalies',
  version: 1,
  eventTypes: ['AnomalyDetected'],
  indexes: ['actorId', 'ruleId', 'detectedAt', 'day'],
  documentIds: (event) => [String(event.data.anomalyId)],
  apply: (_doc, event) => {
    const { data } = event;
    return { ...data, day: data.detectedAt.slice(0, 10) };
  },
};
