import { CONSENT_EVENT_TYPES, type ConsentEvent, type JsonObject } from '@custodian/domain';
import type { TypedProjection } from '../projection.definition';

/** What a receipt is built from: the decision, its evidence and who recorded it. */
export interface ConsentReceiptDocument extends JsonObject {
  receiptId: string;
  eventId: string;
  eventType: ConsentEvent['type'];
  subjectId: string;
  purposeId: string;
  legalBasis: string;
  noticeVersion: string | null;
  evidence: JsonObject;
  trigger: string;
  expiresAt: string | null;
  recordedAt: string;
  recordedBy: JsonObject | null;
}

export const consentReceiptsProjection: TypedProjection<ConsentReceiptDocument, ConsentEvent> = {
  name: 'consent_receipts',
  version: 1,
  eventTypes: CONSENT_EVENT_TYPES,
  indexes: ['subjectId'],
  documentIds: (event) => [String(event.data.receiptId)],
  apply: (_doc, event) => {
    const e = event;
    return {
      receiptId: e.data.receiptId,
      eventId: event.id,
      eventType: e.type,
      subjectId: e.data.subjectId,
      purposeId: e.data.purposeId,
      legalBasis: e.data.legalBasis,
      noticeVersion: e.data.noticeVersion,
      evidence: e.data.evidence as unknown as JsonObject,
      trigger: e.type === 'ConsentRevoked' ? e.data.trigger : 'request',
      expiresAt: e.type === 'ConsentGranted' ? e.data.expiresAt : null,
      recordedAt: e.type === 'ConsentGranted' ? e.data.grantedAt : e.data.revokedAt,
      recordedBy: (event.metadata.actor as JsonObject | undefined) ?? null,
    };
  },
};
