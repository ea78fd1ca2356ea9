import {
  privacyRequestDecider,
  privacyRequestStatus,
  PRIVACY_REQUEST_EVENT_TYPES,
  type JsonObject,
  type PrivacyRequestEvent,
  type PrivacyRequestState,
} from '@custodian/domain';
import type { TypedProjection } from '../projection.definition';

export interface PrivacyRequestDocument extends JsonObject {
  requestId: string;
  subjectId: string;
  kind: string;
  jurisdiction: string;
  status: string;
  /** `open` until completed or refused; overdue is open with `dueAt` in the past (asked at read time). */
  phase: 'open' | 'closed';
  receivedAt: string;
  dueAt: string;
  closedAt: string | null;
  state: PrivacyRequestState & JsonObject;
}

/** Privacy requests by status, kind and deadline; each document holds the case's whole state. */
export const privacyRequestsProjection: TypedProjection<
  PrivacyRequestDocument,
  PrivacyRequestEvent
> = {
  name: 'privacy_requests',
  version: 1,
  eventTypes: PRIVACY_REQUEST_EVENT_TYPES,
  indexes: ['status', 'kind', 'phase', 'dueAt', 'receivedAt', 'subjectId'],
  documentIds: (event) => [String(event.data.requestId)],
  apply: (doc, event) => {
    const state = privacyRequestDecider.evolve(
      (doc?.state as PrivacyRequestState | undefined) ?? null,
      event,
    );
    if (!state) return doc;
    const closed = state.completed ?? state.refused;
    return {
      requestId: state.received.requestId,
      subjectId: state.received.subjectId,
      kind: state.received.kind,
      jurisdiction: state.received.jurisdiction,
      status: privacyRequestStatus(state),
      phase: closed ? 'closed' : 'open',
      receivedAt: state.received.receivedAt,
      dueAt: state.dueAt,
      closedAt: closed?.at ?? null,
      state: state as PrivacyRequestState & JsonObject,
    };
  },
};
