import {
  consentDecider,
  CONSENT_EVENT_TYPES,
  type ConsentEvent,
  type JsonObject,
  type PurposeConsent,
} from '@custodian/domain';
import type { TypedProjection } from '../projection.definition';

export type ConsentStateDocument = PurposeConsent & { subjectId: string } & JsonObject;

export const consentStateId = (subjectId: string, purposeId: string) => `${subjectId}:${purposeId}`;

/**
 * The last recorded decision per customer and purpose. Expiry and staleness depend on the
 * moment of reading, so readers apply `effectiveStatus`; this holds what was decided.
 */
export const consentStateProjection: TypedProjection<ConsentStateDocument, ConsentEvent> = {
  name: 'consent_state',
  version: 1,
  eventTypes: CONSENT_EVENT_TYPES,
  indexes: ['purposeId', 'decision', 'noticeVersion', 'expiresAt', 'subjectId'],
  documentIds: (event) => [
    consentStateId(String(event.data.subjectId), String(event.data.purposeId)),
  ],
  apply: (_doc, event) => {
    const domainEvent = event;
    const state = consentDecider.evolve({ purposes: {} }, domainEvent);
    const consent = state.purposes[domainEvent.data.purposeId];
    return { ...consent, subjectId: domainEvent.data.subjectId } as ConsentStateDocument;
  },
};
