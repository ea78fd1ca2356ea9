import type { Mask } from '@custodian/policy';

/** Streams `access-<subjectId>`: every look at a customer, granted or refused. */
export const accessStream = (subjectId: string) => `access-${subjectId}`;

export interface FieldsAccessed {
  type: 'FieldsAccessed';
  data: {
    subjectId: string;
    actorId: string;
    role: string;
    purposeId: string;
    /** `view` (the customer card) or `lookup` (found by email or phone). */
    via: 'view' | 'lookup';
    fields: Array<{ name: string; mask: Mask }>;
    policyVersion: number;
    requestId: string;
    at: string;
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

export type AccessEvent = FieldsAccessed | AccessDenied;
