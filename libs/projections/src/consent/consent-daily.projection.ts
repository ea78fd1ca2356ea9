import { CONSENT_EVENT_TYPES, type ConsentEvent, type JsonObject } from '@custodian/domain';
import type { TypedProjection } from '../projection.definition';

export interface ConsentDailyDocument extends JsonObject {
  purposeId: string;
  /** UTC day, YYYY-MM-DD. */
  day: string;
  grants: number;
  revocations: number;
}

/** Grants and revocations per purpose and UTC day, for dashboards (counts only). */
export const consentDailyProjection: TypedProjection<ConsentDailyDocument, ConsentEvent> = {
  name: 'consent_daily',
  version: 1,
  eventTypes: CONSENT_EVENT_TYPES,
  indexes: ['purposeId', 'day'],
  documentIds: (event) => {
    const e = event;
    return [`${e.data.purposeId}:${day(e)}`];
  },
  apply: (doc, event) => {
    const e = event;
    return {
      purposeId: e.data.purposeId,
      day: day(e),
      grants: (doc?.grants ?? 0) + (e.type === 'ConsentGranted' ? 1 : 0),
      revocations: (doc?.revocations ?? 0) + (e.type === 'ConsentRevoked' ? 1 : 0),
    };
  },
};

function day(e: ConsentEvent): string {
  return (e.type === 'ConsentGranted' ? e.data.grantedAt : e.data.revokedAt).slice(0, 10);
}
