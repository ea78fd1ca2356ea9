/**
 * Envelope encryption with AES-256-GCM from node:crypto. Master key → HKDF → KEK and
 * blind-index key; the KEK wraps each subject's DEK; the DEK encrypts that subject's fields.
 * Every encryption takes a fresh random 96-bit IV: GCM breaks if an IV repeats under one key,
 * and random IVs are safe up to 2^32 encryptions per key, far beyond one subject's fields or
 * one KEK's subjects.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { DecryptionError, InvalidCryptoInputError } from './crypto.errors';
import { validateKeyId, validateSubjectId } from './key-store.validation';

const ALGORITHM = 'aes-256-gcm';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const B64URL = '[A-Za-z0-9_-]';
/** 12 bytes are exactly 16 base64url characters; ciphertext + 16-byte tag at least 22. */
const WRAPPED = new RegExp(`^v1\\.(${B64URL}{16})\\.(${B64URL}{22,})$`);
const FIELD = new RegExp(`^enc:v1:(${B64URL}{1,64}):(${B64URL}{16}):(${B64URL}{22,})$`);
/** Field names in a field context; no ':' so `<subjectId>:<field>` splits one way only. */
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_.]{0,63}$/;

/**
 * The purposes `deriveKey` is used for. Each yields an unrelated key, so the blind-index key
 * reveals nothing about the KEK and vice versa.
 */
export const KEY_PURPOSES = { keyWrap: 'kek', blindIndex: 'blind-index' } as const;

/** The aad of a wrapped DEK: binds it to its subject and key id. */
export function keyWrapAad(subjectId: string, keyId: string): string {
  return `${validateSubjectId(subjectId)}:${validateKeyId(keyId)}`;
}

/** The aad of an encrypted field value: binds it to its subject and field. */
export function fieldAad(subjectId: string, fieldName: string): string {
  if (typeof fieldName !== 'string' || !FIELD_NAME.test(fieldName)) {
    throw new InvalidCryptoInputError(
      'fieldName',
      'must be a letter then letters, digits, "_" or "."',
    );
  }
  return `${validateSubjectId(subjectId)}:${fieldName}`;
}

export function wrapKey(kek: Buffer, dek: Buffer, aad: string): string {
  checkKey(kek, 'kek');
  checkKey(dek, 'dek');
  const [iv, sealed] = seal(kek, dek, wrapContext(aad));
  return `v1.${iv}.${sealed}`;
}

export function unwrapKey(kek: Buffer, wrapped: string, aad: string): Buffer {
  checkKey(kek, 'kek');
  const match = typeof wrapped === 'string' ? WRAPPED.exec(wrapped) : null;
  if (!match) throw new DecryptionError('malformed', 'not a wrapped key');
  const dek = open(kek, match[1]!, match[2]!, wrapContext(aad));
  if (dek.length !== KEY_BYTES) throw new DecryptionError('malformed', 'not a 256-bit key');
  return dek;
}

/** `enc:v1:<keyId>:<iv>:<ciphertext+tag>`, all base64url. */
export function encryptField(dek: Buffer, keyId: string, plaintext: string, aad: string): string {
  checkKey(dek, 'dek');
  validateKeyId(keyId);
  if (typeof plaintext !== 'string') {
    throw new InvalidCryptoInputError('plaintext', 'must be a string');
  }
  const [iv, sealed] = seal(dek, Buffer.from(plaintext, 'utf8'), fieldContext(keyId, aad));
  return `enc:v1:${keyId}:${iv}:${sealed}`;
}

export function decryptField(dek: Buffer, value: string, aad: string): string {
  checkKey(dek, 'dek');
  const match = typeof value === 'string' ? FIELD.exec(value) : null;
  if (!match) throw new DecryptionError('malformed', 'not an encrypted field value');
  return open(dek, match[2]!, match[3]!, fieldContext(match[1]!, aad)).toString('utf8');
}

export function isEncryptedField(value: unknown): value is string {
  return typeof value === 'string' && FIELD.test(value);
}

/** Which subject key a value was encrypted under, without decrypting it. */
export function keyIdOf(value: string): string {
  const match = typeof value === 'string' ? FIELD.exec(value) : null;
  if (!match) throw new DecryptionError('malformed', 'not an encrypted field value');
  return match[1]!;
}

/**
 * HKDF-SHA256 of the master key. The salt is fixed (the master key is already uniformly
 * random, so it only separates this app's derivations); the purpose goes in `info`.
 */
export function deriveKey(master: Buffer, purpose: string): Buffer {
  if (!Buffer.isBuffer(master) || master.length < KEY_BYTES) {
    throw new InvalidCryptoInputError('master', 'must be a Buffer of at least 32 bytes');
  }
  if (typeof purpose !== 'string' || !/^[a-z0-9][a-z0-9._-]{0,63}$/.test(purpose)) {
    throw new InvalidCryptoInputError(
      'purpose',
      'must be lowercase letters, digits, ".", "_", "-"',
    );
  }
  const derived = hkdfSync('sha256', master, 'custodian', `custodian/${purpose}/v1`, KEY_BYTES);
  return Buffer.from(derived);
}

/**
 * A deterministic keyed hash for equality lookups on encrypted values (find a subject by email
 * without storing it in clear). The field goes in too, so equal values of different fields
 * differ; NUL separates them and is refused in the field, so the input splits one way only.
 */
export function blindIndex(indexKey: Buffer, field: string, normalizedValue: string): string {
  if (!Buffer.isBuffer(indexKey) || indexKey.length < KEY_BYTES) {
    throw new InvalidCryptoInputError('indexKey', 'must be a Buffer of at least 32 bytes');
  }
  if (typeof field !== 'string' || field.length === 0 || field.includes('\0')) {
    throw new InvalidCryptoInputError('field', 'must be a non-empty string without NUL');
  }
  if (typeof normalizedValue !== 'string') {
    throw new InvalidCryptoInputError('normalizedValue', 'must be a string');
  }
  return createHmac('sha256', indexKey)
    .update(`${field}\0${normalizedValue}`, 'utf8')
    .digest('hex');
}

/** Distinct prefixes keep a wrap context and a field context from ever being equal. */
function wrapContext(aad: string): Buffer {
  return Buffer.from(`custodian/wrap/v1\0${checkAad(aad)}`, 'utf8');
}

function fieldContext(keyId: string, aad: string): Buffer {
  return Buffer.from(`custodian/field/v1\0${keyId}\0${checkAad(aad)}`, 'utf8');
}

function checkAad(aad: string): string {
  if (typeof aad !== 'string' || aad.length === 0) {
    throw new InvalidCryptoInputError('aad', 'must be a non-empty string');
  }
  return aad;
}

function checkKey(key: Buffer, field: string): void {
  if (!Buffer.isBuffer(key) || key.length !== KEY_BYTES) {
    throw new InvalidCryptoInputError(field, 'must be a Buffer of 32 bytes');
  }
}

function seal(key: Buffer, plaintext: Buffer, aad: Buffer): [iv: string, sealed: string] {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return [iv.toString('base64url'), body.toString('base64url')];
}

function open(key: Buffer, ivText: string, sealedText: string, aad: Buffer): Buffer {
  const iv = Buffer.from(ivText, 'base64url');
  const sealed = Buffer.from(sealedText, 'base64url');
  // The patterns bound the text; the decoded lengths are checked too (base64url is lenient).
  // Re-encoding also refuses non-canonical text (stray bits in the last character), so one
  // ciphertext has one spelling.
  if (
    iv.length !== IV_BYTES ||
    sealed.length < TAG_BYTES ||
    sealed.toString('base64url') !== sealedText
  ) {
    throw new DecryptionError('malformed', 'bad IV or ciphertext length');
  }
  try {
    const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    return Buffer.concat([
      decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch {
    throw new DecryptionError(
      'authentication',
      'authentication failed (wrong key, wrong context, or the value was altered)',
    );
  }
}
