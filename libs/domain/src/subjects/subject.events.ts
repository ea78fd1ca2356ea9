import type { DomainEvent } from '../shared/decider';
import type { EncryptedFields, ErasureChannel, ErasureReason } from './subject.types';

export type SubjectRegistered = DomainEvent<
  'SubjectRegistered',
  {
    subjectId: string;
    keyId: string;
    source: string;
    fields: EncryptedFields;
    registeredAt: string;
  }
>;
export type ProfileUpdated = DomainEvent<
  'ProfileUpdated',
  {
    subjectId: string;
    keyId: string;
    /** New ciphertext per changed field; null removes the field. */
    changed: Record<string, string | null>;
    updatedAt: string;
  }
>;
export type SubjectErased = DomainEvent<
  'SubjectErased',
  {
    subjectId: string;
    /** The data key destroyed: every value encrypted under it is unreadable from now on. */
    keyId: string;
    reason: ErasureReason;
    requestedVia: ErasureChannel;
    erasedAt: string;
  }
>;

export type SubjectEvent = SubjectRegistered | ProfileUpdated | SubjectErased;
export const SUBJECT_EVENT_TYPES: readonly SubjectEvent['type'][] = [
  'SubjectRegistered',
  'ProfileUpdated',
  'SubjectErased',
];
export const subjectStream = (subjectId: string) => `subject-${subjectId}`;
