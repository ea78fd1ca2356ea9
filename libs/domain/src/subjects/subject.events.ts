import type { DomainEvent } from '../shared/decider';
import type { EncryptedFields, ErasureChannel, ErasureReason } from './subject.types';

/**
 * A record kept separate on purpose although another customer holds the same email or phone:
 * that customer's id and the staff member's reason (operational text, no personal values).
 */
export type DuplicateOf = {
  subjectId: string;
  reason: string;
};

export type SubjectRegistered = DomainEvent<
  'SubjectRegistered',
  {
    subjectId: string;
    keyId: string;
    source: string;
    fields: EncryptedFields;
    registeredAt: string;
    /** Registered on purpose beside a customer holding the same email or phone, and why. */
    duplicateOf?: DuplicateOf;
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
    /** Given on purpose an email or phone another customer holds, and why. */
    duplicateOf?: DuplicateOf;
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
