import {
  consentDecider,
  CONSENT_EVENT_TYPES,
  erasedConsent,
  type ConsentEvent,
  type JsonObject,
  type PurposeConsent,
  type SubjectErased,
} from '@custodian/domain';
import type { TypedProjection } from '../projection.definition';

export type ConsentStateDocument = PurposeConsent & { subjectId: string } & JsonObject;

/** Left by an erasure, so consents recorded after it are erased too; it has no `purposeId`. */
export interface ConsentErasureMarker extends JsonObject {
  erasedSubjectId: string;
  erasedAt: string;
}

export const consentStateId = (subjectId: string, purposeId: string) => `${subjectId}:${purposeId}`;
export const consentErasureMarkerId = (subjectId: string) => `erased:${subjectId}`;

/**
 * The last recorded decision per customer and purpose. Expiry and staleness depend on the
 * moment of reading, so readers apply `effectiveStatus`; this holds what was decided. Once the
 * customer is erased (`SubjectErased` on their subject stream), every one of their consents
 * reads `decision: 'erased'`, and so does any recorded after (the marker says so).
 */
export const consentStateProjection: TypedProjection<
  ConsentStateDocument | ConsentErasureMarker,
  ConsentEvent | SubjectErased
> = {
  name: 'consent_state',
  // v2: erased customers' consents read `erased`.
  version: 2,
  eventTypes: [...CONSENT_EVENT_TYPES, 'SubjectErased'],
  indexes: ['purposeId', 'decision', 'noticeVersion', 'expiresAt', 'subjectId'],
  consults: (event) =>
    event.type === 'SubjectErased' ? [] : [consentErasureMarkerId(event.data.subjectId)],
  documentIds: (event) =>
    event.type === 'SubjectErased'
      ? [consentErasureMarkerId(event.data.subjectId)]
      : [consentStateId(event.data.subjectId, event.data.purposeId)],
  // Every consent the customer has, whatever its purpose.
  documentsWhere: (event) =>
    event.type === 'SubjectErased' ? { subjectId: event.data.subjectId } : null,
  apply: (doc, event, _id, lookup) => {
    if (event.type === 'SubjectErased') {
      if (doc && 'erasedSubjectId' in doc) return doc; // erased before: the first time stands
      if (doc) return erasedConsent(doc as ConsentStateDocument);
      return { erasedSubjectId: event.data.subjectId, erasedAt: event.data.erasedAt };
    }
    const state = consentDecider.evolve({ purposes: {} }, event);
    const consent = {
      ...state.purposes[event.data.purposeId],
      subjectId: event.data.subjectId,
    } as ConsentStateDocument;
    const erased = lookup!(consentErasureMarkerId(event.data.subjectId)) !== null;
    return erased ? erasedConsent(consent) : consent;
  },
};
