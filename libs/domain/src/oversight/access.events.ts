/** How a field was shown (the role policy's masks). */
export type FieldMask = 'full' | 'partial' | 'hidden';

/** Streams `access-<subjectId>`: every look at a customer, granted or refused. */
export const accessStream = (subjectId: string) => `access-${subjectId}`;

export interface FieldsAccessed {
  type: 'FieldsAccessed';
  data: {
    subjectId: string;
    actorId: string;
    role: string;
    purposeId: string;
    /**
     * `view` (the customer card), `lookup` (found by email or phone) or `dsar` (everything held
     * about the customer, for an access or portability request; purpose `subject-access`) or
     * `legal-hold` (fields a legal hold keeps after an erasure: re-keyed under the hold's key at
     * the erasure, purpose `legal-hold`, or read by the DPO for the purpose holding them) or
     * `gate` (contact values the consent gate returned for an allowed customer) or `redaction`
     * (the customer's own values, decrypted to find them in text bound for an AI connector) or
     * `restore` (a redaction's pseudonym mapping, decrypted to put values back into an answer).
     */
    via: AccessVia;
    fields: Array<{ name: string; mask: FieldMask }>;
    policyVersion: number;
    requestId: string;
    at: string;
    /** Set when a lookup found a customer with no consent in force for a purpose resting on consent. */
    withoutConsent?: boolean;
  };
}

export interface AccessDenied {
  type: 'AccessDenied';
  data: {
    subjectId: string;
    actorId: string;
    role: string;
    purposeId: string;
    reason: string;
    requestId: string;
    at: string;
  };
}

/** A customer included in a completed export: their access log shows it like a read. */
export interface SubjectExported {
  type: 'SubjectExported';
  data: {
    subjectId: string;
    exportId: string;
    actorId: string;
    role: string;
    purposeId: string;
    fields: Array<{ name: string; mask: FieldMask }>;
    destination: string;
    at: string;
    /** `sandbox`: the row holds stand-ins drawn from the values, not the values (absent: real). */
    mode?: 'sandbox';
  };
}

export type AccessEvent = FieldsAccessed | AccessDenied | SubjectExported;

/** The purpose a data subject access request (DSAR) read is recorded under. */
export const SUBJECT_ACCESS_PURPOSE = 'subject-access';

/** The reason an AccessDenied carries when the customer had no consent for the declared purpose. */
export const NO_CONSENT_REASON = 'no_consent_for_purpose';

/** The routes a read of personal fields is recorded under (`FieldsAccessed.via`). */
export const ACCESS_VIAS = [
  'view',
  'lookup',
  'dsar',
  'legal-hold',
  'gate',
  'redaction',
  'restore',
] as const;
export type AccessVia = (typeof ACCESS_VIAS)[number];
