import type { DataCategory } from '../purposes/purpose.types';

/** Profile fields every deployment has; custom ones are declared in the field catalogue. */
export const BUILT_IN_FIELDS: Readonly<
  Record<string, { category: DataCategory; description: string }>
> = {
  name: { category: 'identity', description: 'Full name' },
  email: { category: 'contact', description: 'Email address' },
  phone: { category: 'contact', description: 'Phone number' },
  birthDate: { category: 'identity', description: 'Date of birth (YYYY-MM-DD)' },
  address: { category: 'location', description: 'Postal address' },
};

/** Fields looked up through a blind index (exact match on the normalised value). */
export const LOOKUP_FIELDS = ['email', 'phone'] as const;
export type LookupField = (typeof LOOKUP_FIELDS)[number];

export const ERASURE_REASONS = [
  'data_subject_request',
  'consent_withdrawn',
  'unlawful_processing',
  'legal_obligation',
  'retention',
] as const;
export type ErasureReason = (typeof ERASURE_REASONS)[number];

export const ERASURE_CHANNELS = [
  'web',
  'mobile',
  'email',
  'call_centre',
  'post',
  'in_person',
  'system',
] as const;
export type ErasureChannel = (typeof ERASURE_CHANNELS)[number];

/**
 * Personal values as stored: each field's ciphertext under the subject's own data key
 * (`enc:v1:<keyId>:...`). The domain never sees plaintext.
 */
export type EncryptedFields = Record<string, string>;

export interface SubjectState {
  subjectId: string;
  keyId: string;
  source: string;
  /** Field name → ciphertext, as last written. */
  fields: EncryptedFields;
  registeredAt: string;
  erased: { at: string; reason: ErasureReason; keyId: string } | null;
}
