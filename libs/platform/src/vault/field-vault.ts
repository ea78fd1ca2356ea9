import {
  blindIndex,
  decryptField,
  deriveKey,
  encryptField,
  fieldAad,
  DEFAULT_PHONE_REGION,
  KeyDestroyedError,
  legacyLookupForms,
  normalizeEmail,
  normalizePhone,
  SubjectKeys,
} from '@custodian/crypto';
import { gone, type LookupField } from '@custodian/domain';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { AccessReceipt, exportSubject } from './access-receipt';

export const BLIND_INDEX_KEY = Symbol.for('custodian.BlindIndexKey');

/**
 * The name a customer's legal-hold key is kept under in the key store: beside, never instead
 * of, the customer's own data key, so destroying one leaves the other.
 */
export const holdKeyName = (subjectId: string) => `hold-${subjectId}`;
/**
 * The name of a redaction's own key in the key store (issue 17): the pseudonym mapping is sealed
 * under the customer's key and again under this one, which is destroyed when the mapping
 * expires. Never a customer's id (those are bare UUIDs).
 */
export const redactionKeyName = (redactionId: string) => `redaction-${redactionId}`;
/** The region a phone number without a country code is read in (`CUSTODIAN_PHONE_REGION`). */
export const PHONE_REGION = Symbol.for('custodian.PhoneRegion');

/**
 * The one cipher module for personal values: each field encrypted under the subject's own
 * data key, bound to subject and field name so a ciphertext cannot be replayed elsewhere.
 * Plaintext comes out only against an `AccessReceipt`, which only an appended access record
 * yields (`AccessRecorder`); nothing else in the code base may import `decryptField` or
 * `SubjectKeys` (lint, `eslint.config.mjs`).
 */
@Injectable()
export class FieldVault {
  /** Data keys a download has loaded, for as long as its receipt lives. */
  private readonly downloadKeys = new WeakMap<AccessReceipt, Map<string, Buffer | null>>();

  constructor(
    private readonly keys: SubjectKeys,
    @Inject(BLIND_INDEX_KEY) private readonly indexKey: Buffer,
    @Optional() @Inject(PHONE_REGION) readonly phoneRegion: string = DEFAULT_PHONE_REGION,
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

  /**
   * Plaintext of the fields, or null when the subject's key is gone (erased). The receipt of
   * the access record appended for this read must name the customer and every field asked for;
   * it is spent, so it serves one decryption.
   */
  async decrypt(
    receipt: AccessReceipt,
    fields: Record<string, string>,
  ): Promise<Record<string, string> | null> {
    const subjectId = receipt.subjectId;
    AccessReceipt.prototype.spend.call(receipt, subjectId, Object.keys(fields));
    const key = await this.keys.existingDataKey(subjectId);
    if (!key) return null;
    const values: Record<string, string> = {};
    for (const [name, value] of Object.entries(fields))
      values[name] = decryptField(key.dek, value, fieldAad(subjectId, name));
    return values;
  }

  /**
   * Moves fields a legal hold keeps from the customer's data key to the customer's hold key
   * (created here), before the erasure destroys the data key. The receipt of the access record
   * appended for the re-keying must cover them; the plaintext never leaves this method. Null
   * when the data key is already gone.
   */
  async holdFields(
    receipt: AccessReceipt,
    fields: Record<string, string>,
  ): Promise<{ keyId: string; fields: Record<string, string> } | null> {
    const subjectId = receipt.subjectId;
    AccessReceipt.prototype.spend.call(receipt, subjectId, Object.keys(fields));
    const key = await this.keys.existingDataKey(subjectId);
    if (!key) return null;
    const hold = await this.keys.dataKeyFor(holdKeyName(subjectId));
    const held: Record<string, string> = {};
    for (const [name, value] of Object.entries(fields)) {
      const aad = fieldAad(subjectId, name);
      held[name] = encryptField(hold.dek, hold.keyId, decryptField(key.dek, value, aad), aad);
    }
    return { keyId: hold.keyId, fields: held };
  }

  /** Plaintext of held fields against the receipt of the read's access record; null once the hold key is destroyed. */
  async openHeld(
    receipt: AccessReceipt,
    fields: Record<string, string>,
  ): Promise<Record<string, string> | null> {
    const subjectId = receipt.subjectId;
    AccessReceipt.prototype.spend.call(receipt, subjectId, Object.keys(fields));
    const hold = await this.keys.existingDataKey(holdKeyName(subjectId));
    if (!hold) return null;
    const values: Record<string, string> = {};
    for (const [name, value] of Object.entries(fields))
      values[name] = decryptField(hold.dek, value, fieldAad(subjectId, name));
    return values;
  }

  /** Shreds what a legal hold kept: destroys the customer's hold key. */
  async destroyHoldKey(subjectId: string, at: Date): Promise<void> {
    await this.keys.destroy(holdKeyName(subjectId), at);
  }

  /**
   * Seals values for a redaction's pseudonym mapping in two layers: under the customer's data
   * key (bound to customer and field, so erasure shreds it), and that ciphertext again under the
   * redaction's own key (created here), which `destroyRedactionKey` destroys at expiry. Opening
   * needs both keys. Throws KeyDestroyedError when the customer's key is gone.
   */
  async sealForRedaction(
    subjectId: string,
    redactionId: string,
    values: Record<string, string>,
  ): Promise<{ keyId: string; redactionKeyId: string; fields: Record<string, string> }> {
    const inner = await this.encrypt(subjectId, values);
    const name = redactionKeyName(redactionId);
    const outer = await this.keys.dataKeyFor(name);
    const fields: Record<string, string> = {};
    for (const [field, sealed] of Object.entries(inner.fields))
      fields[field] = encryptField(outer.dek, outer.keyId, sealed, fieldAad(name, field));
    return { keyId: inner.keyId, redactionKeyId: outer.keyId, fields };
  }

  /**
   * Plaintext of fields sealed by `sealForRedaction`, against the receipt of the read's access
   * record (naming the customer and every field). Null when either key is gone: the customer
   * erased, or the mapping expired and its key destroyed.
   */
  async openRedaction(
    receipt: AccessReceipt,
    redactionId: string,
    fields: Record<string, string>,
  ): Promise<Record<string, string> | null> {
    const subjectId = receipt.subjectId;
    AccessReceipt.prototype.spend.call(receipt, subjectId, Object.keys(fields));
    const name = redactionKeyName(redactionId);
    const outer = await this.keys.existingDataKey(name);
    if (!outer) return null;
    const key = await this.keys.existingDataKey(subjectId);
    if (!key) return null;
    const values: Record<string, string> = {};
    for (const [field, sealed] of Object.entries(fields)) {
      const inner = decryptField(outer.dek, sealed, fieldAad(name, field));
      values[field] = decryptField(key.dek, inner, fieldAad(subjectId, field));
    }
    return values;
  }

  /** Shreds an expired pseudonym mapping: destroys the redaction's own key (idempotent). */
  async destroyRedactionKey(redactionId: string, at: Date): Promise<{ keyId: string } | null> {
    return this.keys.destroy(redactionKeyName(redactionId), at);
  }

  /**
   * Seals an export row (a line holding the customer's values) under the customer's data key,
   * so erasing the customer makes the row unreadable in files already written. Null when the
   * customer has been erased meanwhile.
   */
  async sealRow(subjectId: string, line: string, label: string): Promise<string | null> {
    const key = await this.keys.existingDataKey(subjectId);
    return key && encryptField(key.dek, key.keyId, line, rowAad(subjectId, label));
  }

  /**
   * Opens rows sealed by `sealRow` for a download: `receipt` is the download's own record (the
   * rows were recorded customer by customer when the export was generated). Null for a row
   * whose customer has been erased.
   */
  async openRows(
    receipt: AccessReceipt,
    exportId: string,
    rows: ReadonlyArray<{ subjectId: string; sealed: string }>,
    label: string,
  ): Promise<Array<string | null>> {
    AccessReceipt.prototype.check.call(receipt, exportSubject(exportId));
    // One download reads the file twice (its digest, then the body): the keys it has loaded are
    // kept with its receipt, so each customer's key is read and unwrapped once per download.
    let keys = this.downloadKeys.get(receipt);
    if (!keys) this.downloadKeys.set(receipt, (keys = new Map<string, Buffer | null>()));
    for (const { subjectId } of rows)
      if (!keys.has(subjectId))
        keys.set(subjectId, (await this.keys.existingDataKey(subjectId))?.dek ?? null);
    return rows.map(({ subjectId, sealed }) => {
      const dek = keys.get(subjectId);
      return dek ? decryptField(dek, sealed, rowAad(subjectId, label)) : null;
    });
  }

  /**
   * A fingerprint of a request about the customer (the idempotency check's request hash),
   * keyed by the customer's own data key: it is shredded with the key, so after an erasure it
   * confirms nothing about what the request held. 410 once the key is destroyed.
   */
  async requestDigest(subjectId: string, canonical: string): Promise<string> {
    return this.keyedDigest(subjectId, 'request-digest', canonical);
  }

  /**
   * The fingerprint of a consent's proof document (its SHA-256, as the caller sent it), keyed
   * by the customer's data key like `requestDigest`. 410 once the key is destroyed.
   */
  async proofDigest(subjectId: string, proofSha256: string): Promise<string> {
    return this.keyedDigest(subjectId, 'proof-digest', proofSha256);
  }

  private async keyedDigest(subjectId: string, purpose: string, text: string): Promise<string> {
    try {
      const { dek } = await this.keys.dataKeyFor(subjectId);
      return createHmac('sha256', deriveKey(dek, purpose)).update(text, 'utf8').digest('hex');
    } catch (error) {
      if (error instanceof KeyDestroyedError) throw gone(subjectId);
      throw error;
    }
  }

  /** The blind-index hash of a lookup value, or null when the value is not a plausible one. */
  lookupHash(field: LookupField, value: string): string | null {
    const normalized =
      field === 'email' ? normalizeEmail(value) : normalizePhone(value, this.phoneRegion);
    return normalized === null ? null : blindIndex(this.indexKey, field, normalized);
  }

  /**
   * Every hash a lookup for this value must query: its current normal form's, and those of
   * the forms earlier versions indexed (entries written before issue 12 were hashed from
   * them and stay until the customer's profile changes). Empty when no form is plausible.
   */
  lookupHashes(field: LookupField, value: string): string[] {
    const current = this.lookupHash(field, value);
    const legacy = legacyLookupForms(field, value, this.phoneRegion).map((form) =>
      blindIndex(this.indexKey, field, form),
    );
    return [...new Set(current === null ? legacy : [current, ...legacy])];
  }
}

function rowAad(subjectId: string, label: string): string {
  return `custodian/export-row\0${label}\0${subjectId}`;
}
