import { InvalidCryptoInputError } from './crypto.errors';
import type { WrappedKeyRecord, WrappingChange } from './key-store.port';

export const MAX_SUBJECT_ID_LENGTH = 128;
/**
 * Key ids appear inside `enc:v1:<keyId>:...` values and in wrap contexts `<subjectId>:<keyId>`,
 * so they never contain ':' (a UUID fits).
 */
export const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Wrapped keys are `v1.<iv>.<ciphertext>` in base64url: short, and never operator-like. */
const WRAPPED_KEY_PATTERN = /^[A-Za-z0-9._-]{1,1024}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export function validateSubjectId(subjectId: unknown): string {
  // A non-string would be read as a query operator by MongoDB, so it is refused here, once.
  if (
    typeof subjectId !== 'string' ||
    subjectId.length === 0 ||
    subjectId.length > MAX_SUBJECT_ID_LENGTH ||
    CONTROL.test(subjectId)
  ) {
    throw new InvalidCryptoInputError(
      'subjectId',
      `must be a non-empty string of at most ${MAX_SUBJECT_ID_LENGTH} characters without control characters`,
    );
  }
  return subjectId;
}

export function validateKeyId(keyId: unknown, field = 'keyId'): string {
  if (typeof keyId !== 'string' || !KEY_ID_PATTERN.test(keyId)) {
    throw new InvalidCryptoInputError(
      field,
      'must be 1 to 64 letters, digits, "_" or "-" (a UUID fits)',
    );
  }
  return keyId;
}

export function validateRecord(record: WrappedKeyRecord): WrappedKeyRecord {
  if (!record || typeof record !== 'object') {
    throw new InvalidCryptoInputError('record', 'must be an object');
  }
  const subjectId = validateSubjectId(record.subjectId);
  const keyId = validateKeyId(record.keyId);
  if (typeof record.wrappedKey !== 'string' || !WRAPPED_KEY_PATTERN.test(record.wrappedKey)) {
    throw new InvalidCryptoInputError(
      'wrappedKey',
      'must be 1 to 1024 base64url characters or "."',
    );
  }
  const createdAt = validateTimestamp(record.createdAt, 'createdAt');
  // A copy with only the known fields, so nothing else reaches storage.
  return { subjectId, keyId, wrappedKey: record.wrappedKey, createdAt };
}

/** Timestamps are stored as `Date.toISOString()` writes them, so they compare as text. */
function validateTimestamp(value: unknown, field: string): string {
  if (typeof value !== 'string' || !isCanonicalIso(value)) {
    throw new InvalidCryptoInputError(
      field,
      'must be a UTC timestamp as Date.toISOString() writes it',
    );
  }
  return value;
}

function isCanonicalIso(value: string): boolean {
  const time = Date.parse(value);
  return !Number.isNaN(time) && new Date(time).toISOString() === value;
}

export function validateDate(at: unknown, field = 'at'): Date {
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) {
    throw new InvalidCryptoInputError(field, 'must be a valid Date');
  }
  return at;
}

/** A log position as the event stores write them: short, printable, never an operator. */
export function validatePosition(position: unknown): string | null {
  if (position === null) return null;
  if (typeof position !== 'string' || !/^[A-Za-z0-9:/._-]{1,200}$/.test(position)) {
    throw new InvalidCryptoInputError(
      'position',
      'must be null or 1 to 200 letters, digits, ":", "/", ".", "_" or "-"',
    );
  }
  return position;
}

/** Setting names are fixed identifiers chosen by the code, never input. */
export function validateSettingName(name: unknown): string {
  if (typeof name !== 'string' || !/^[a-z][a-z0-9_]{0,63}$/.test(name)) {
    throw new InvalidCryptoInputError('name', 'must be a lowercase identifier');
  }
  return name;
}

/** Setting values are JSON or wrapped keys the code wrote: printable text, bounded. */
export function validateSettingValue(value: unknown): string | null {
  if (value === null) return null;
  if (typeof value !== 'string' || value.length > 16_384 || CONTROL.test(value)) {
    throw new InvalidCryptoInputError(
      'value',
      'must be null or at most 16384 characters without control characters',
    );
  }
  return value;
}

export function validateWrappedKey(wrappedKey: unknown, field = 'wrappedKey'): string {
  if (typeof wrappedKey !== 'string' || !WRAPPED_KEY_PATTERN.test(wrappedKey)) {
    throw new InvalidCryptoInputError(field, 'must be 1 to 1024 base64url characters or "."');
  }
  return wrappedKey;
}

export function validateChanges(changes: unknown): WrappingChange[] {
  if (!Array.isArray(changes) || changes.length > 10_000) {
    throw new InvalidCryptoInputError('changes', 'must be a list of at most 10000 changes');
  }
  return changes.map((change: WrappingChange) => {
    validateSubjectId(change?.subjectId);
    validateWrappedKey(change.expected, 'expected');
    validateWrappedKey(change.next, 'next');
    return { subjectId: change.subjectId, expected: change.expected, next: change.next };
  });
}

export function validatePage(after: unknown, limit: unknown): void {
  if (after !== null) validateSubjectId(after);
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 10_000) {
    throw new InvalidCryptoInputError('limit', 'must be an integer from 1 to 10000');
  }
}
