import type { LegalBasis } from '../purposes/purpose.types';
import type { DomainEvent } from '../shared/decider';
import type { ConsentEvidence } from './consent.types';

export type ConsentGranted = DomainEvent<
  'ConsentGranted',
  {
    subjectId: string;
    purposeId: string;
    receiptId: string;
    noticeVersion: string;
    legalBasis: LegalBasis;
    evidence: ConsentEvidence;
    expiresAt: string | null;
    grantedAt: string;
  }
>;

export type ConsentRevoked = DomainEvent<
  'ConsentRevoked',
  {
    subjectId: string;
    purposeId: string;
    receiptId: string;
    noticeVersion: string | null;
    legalBasis: LegalBasis;
    evidence: ConsentEvidence;
    /** `gpc` when a Global Privacy Control signal, not an explicit request, caused it. */
    trigger: 'request' | 'gpc';
    revokedAt: string;
  }
>;

export type ConsentEvent = ConsentGranted | ConsentRevoked;

export const CONSENT_EVENT_TYPES: readonly ConsentEvent['type'][] = [
  'ConsentGranted',
  'ConsentRevoked',
];

export const consentStream = (subjectId: string) => `consent-${subjectId}`;

export function consentEventTime(event: ConsentEvent): string {
  return event.type === 'ConsentGranted' ? event.data.grantedAt : event.data.revokedAt;
}
