import {
  blindIndex,
  decryptField,
  encryptField,
  fieldAad,
  normalizeEmail,
  normalizePhone,
  SubjectKeys,
} from '@custodian/crypto';
import type { LookupField } from '@custodian/domain';
import { Inject, Injectable } from '@nestjs/common';

export const BLIND_INDEX_KEY = Symbol.for('custodian.BlindIndexKey');

/**
 * The one cipher module for personal values: each field encrypted under the subject's own
 * data key, bound to subject and field name so a ciphertext cannot be replayed elsewhere.
 */
@Injectable()
export class FieldVault {
  constructor(
    private readonly keys: SubjectKeys,
    @Inject(BLIND_INDEX_KEY) private readonly indexKey: Buffer,
  ) {}

  /** Encrypts values under the subject's key, creating the key on first use. */
  async encrypt(
    subjectId: string,
    values: Record<string, string>,
  ): Promise<{ keyId: string; fields: Record<string, string> }> {
    const { keyId, dek } = await this.keys.dataKeyFor(subjectId);
    const fields: Record<string, string> = {};
    for (const [name, value] of Object.entries(values))
      fields[name] = encryptField(dek, keyId, value, fieldAad(subjectId, name));
    return { keyId, fields };
  }

  /** Plaintext of the fields, or null when the subject's key is gone (erased). */
  async decrypt(
    subjectId: string,
    fields: Record<string, string>,
  ): Promise<Record<string, string> | null> {
    const key = await this.keys.existingDataKey(subjectId);
    if (!key) return null;
    const values: Record<string, string> = {};
    for (const [name, value] of Object.entries(fields))
      values[name] = decryptField(key.dek, value, fieldAad(subjectId, name));
    return values;
  }

  /** The blind-index hash of a lookup value, or null when the value is not a plausible one. */
  lookupHash(field: LookupField, value: string): string | null {
    const normalized = field === 'email' ? normalizeEmail(value) : normalizePhone(value);
    return normalized === null ? null : blindIndex(this.indexKey, field, normalized);
  }
}
