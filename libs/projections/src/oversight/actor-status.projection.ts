import type { ActorEvent, JsonObject } from '@custodian/domain';
import type { TypedProjection } from '../projection.definition';

export interface ActorStatusDocument extends JsonObject {
  actorId: string;
  suspended: boolean;
  suspendedAt: string | null;
  reason: string | null;
  /** `rule:<ruleId>` or the id of the person who suspended them. */
  suspendedBy: string | null;
  anomalyId: string | null;
  reinstatedAt: string | null;
  reinstatedBy: string | null;
  anomalies: number;
  lastAnomalyAt: string | null;
}

/** Per actor: suspended or not, since when and why, and how many anomalies. */
export const actorStatusProjection: TypedProjection<ActorStatusDocument, ActorEvent> = {
  name: 'actor_status',
  version: 1,
  eventTypes: ['AnomalyDetected', 'ActorSuspended', 'ActorReinstated'],
  indexes: ['suspended'],
  documentIds: (event) => [String(event.data.actorId)],
  apply: (doc, event) => {
    const e = event;
    const current: ActorStatusDocument = doc ?? {
      actorId: e.data.actorId,
      suspended: false,
      suspendedAt: null,
      reason: null,
      suspendedBy: null,
      anomalyId: null,
      reinstatedAt: null,
      reinstatedBy: null,
      anomalies: 0,
      lastAnomalyAt: null,
    };
    switch (e.type) {
      case 'AnomalyDetected':
        return { ...current, anomalies: current.anomalies + 1, lastAnomalyAt: e.data.detectedAt };
      case 'ActorSuspended':
        return {
          ...current,
          suspended: true,
          suspendedAt: e.data.at,
          reason: e.data.reason,
          suspendedBy: e.data.by.kind === 'rule' ? `rule:${e.data.by.ruleId}` : e.data.by.actorId,
          anomalyId: e.data.by.kind === 'rule' ? e.data.by.anomalyId : null,
        };
      case 'ActorReinstated':
        return {
          ...current,
          suspended: false,
          reinstatedAt: e.data.at,
          reinstatedBy: e.data.by,
        };
    }
  },
};
