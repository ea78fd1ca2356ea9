import { randomBytes } from 'node:crypto';
import { DecryptionError, InvalidCryptoInputError } from './crypto.errors';
import {
  blindIndex,
  decryptField,
  deriveKey,
  encryptField,
  fieldAad,
  isEncryptedField,
  KEY_PURPOSES,
  keyIdOf,
  keyWrapAad,
  unwrapKey,
  wrapKey,
} from './envelope';
import { normalizeEmail, normalizePhone } from './lookup-normal';

const subjectId = '7d9f6a3e-0b1c-4e5f-8a9b-0c1d2e3f4a5b';
const keyId = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';

/** Flips one bit of the decoded ciphertext and re-encodes it, keeping the format valid. */
function tamper(value: string, separator: string): string {
  const parts = value.split(separator);
  const body = Buffer.from(parts[parts.length - 1]!, 'base64url');
  body[0]! ^= 1;
  parts[parts.length - 1] = body.toString('base64url');
  return parts.join(separator);
}

function decryptError(run: () => unknown): DecryptionError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DecryptionError);
    return error as DecryptionError;
  }
  throw new Error('expected a DecryptionError');
}

describe('field encryption', () => {
  const dek = randomBytes(32);
  const aad = fieldAad(subjectId, 'email');

  it('round-trips text, including empty and non-ASCII strings', () => {
    for (const plaintext of ['ada@example.com', '', 'Zoë Ångström 😀', 'x'.repeat(10_000)]) {
      const value = encryptField(dek, keyId, plaintext, aad);
      expect(decryptField(dek, value, aad)).toBe(plaintext);
    }
  });

  it('writes enc:v1:<keyId>:<iv>:<ciphertext> and never the plaintext', () => {
    const value = encryptField(dek, keyId, 'ada@example.com', aad);
    expect(value).toMatch(/^enc:v1:[0-9a-f-]{36}:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]+$/);
    expect(value).not.toContain('ada@example');
    expect(isEncryptedField(value)).toBe(true);
    expect(keyIdOf(value)).toBe(keyId);
  });

  it('uses a fresh IV each time, so equal plaintexts give different values', () => {
    const values = Array.from({ length: 50 }, () => encryptField(dek, keyId, 'same', aad));
    expect(new Set(values).size).toBe(50);
    expect(new Set(values.map((v) => v.split(':')[3])).size).toBe(50);
  });

  it('refuses a value moved to another subject or another field', () => {
    const value = encryptField(dek, keyId, 'ada@example.com', aad);
    const otherSubject = fieldAad('another-subject', 'email');
    expect(decryptError(() => decryptField(dek, value, otherSubject)).reason).toBe(
      'authentication',
    );
    expect(() => decryptField(dek, value, fieldAad(subjectId, 'phone'))).toThrow(DecryptionError);
  });

  it('refuses a tampered ciphertext, IV or key id, and a wrong key', () => {
    const value = encryptField(dek, keyId, 'ada@example.com', aad);
    expect(() => decryptField(dek, tamper(value, ':'), aad)).toThrow(DecryptionError);
    const parts = value.split(':');
    const iv = Buffer.from(parts[3]!, 'base64url');
    iv[0]! ^= 1;
    const badIv = [...parts.slice(0, 3), iv.toString('base64url'), parts[4]].join(':');
    expect(() => decryptField(dek, badIv, aad)).toThrow(DecryptionError);
    const otherKeyId = value.replace(keyId, 'another-key');
    expect(() => decryptField(dek, otherKeyId, aad)).toThrow(DecryptionError);
    expect(() => decryptField(randomBytes(32), value, aad)).toThrow(DecryptionError);
  });

  it('says nothing about the plaintext or the key in its errors', () => {
    const value = encryptField(dek, keyId, 'ada@example.com', aad);
    const error = decryptError(() => decryptField(randomBytes(32), value, aad));
    expect(error.message).not.toContain('ada');
    expect(error.message).not.toContain(dek.toString('base64'));
    expect(error.message).not.toContain(value);
  });

  it.each([
    ['plain text', 'ada@example.com'],
    ['an unknown version', 'enc:v2:k:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA'],
    ['a short IV', 'enc:v1:k:AAAA:AAAAAAAAAAAAAAAAAAAAAA'],
    ['a body shorter than the tag', 'enc:v1:k:AAAAAAAAAAAAAAAA:AAAA'],
    ['non-canonical base64url', 'enc:v1:k:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAB'],
    ['padding', 'enc:v1:k:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA=='],
    ['a key id with a colon', 'enc:v1:a:b:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA'],
  ])('treats %s as malformed', (_, value) => {
    expect(decryptError(() => decryptField(dek, value, aad)).reason).toBe('malformed');
  });

  it('recognizes only well-formed values', () => {
    expect(isEncryptedField('ada@example.com')).toBe(false);
    expect(isEncryptedField(42)).toBe(false);
    expect(isEncryptedField(null)).toBe(false);
    expect(isEncryptedField('enc:v1:k:short:x')).toBe(false);
    expect(() => keyIdOf('ada@example.com')).toThrow(DecryptionError);
  });

  it('rejects bad keys, key ids, field names and contexts', () => {
    expect(() => encryptField(randomBytes(16), keyId, 'x', aad)).toThrow(InvalidCryptoInputError);
    expect(() => encryptField(dek, 'a:b', 'x', aad)).toThrow(InvalidCryptoInputError);
    expect(() => encryptField(dek, keyId, 'x', '')).toThrow(InvalidCryptoInputError);
    expect(() => encryptField(dek, keyId, 42 as never, aad)).toThrow(InvalidCryptoInputError);
    expect(() => fieldAad(subjectId, 'a:b')).toThrow(InvalidCryptoInputError);
    expect(() => fieldAad('', 'email')).toThrow(InvalidCryptoInputError);
  });
});

describe('key wrapping', () => {
  const kek = randomBytes(32);
  const dek = randomBytes(32);
  const aad = keyWrapAad(subjectId, keyId);

  it('round-trips a data key in the v1.<iv>.<ciphertext> format', () => {
    const wrapped = wrapKey(kek, dek, aad);
    expect(wrapped).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{64}$/);
    expect(unwrapKey(kek, wrapped, aad).equals(dek)).toBe(true);
    expect(wrapKey(kek, dek, aad)).not.toBe(wrapped);
  });

  it('refuses another subject or key id, a wrong KEK, or tampering', () => {
    const wrapped = wrapKey(kek, dek, aad);
    expect(() => unwrapKey(kek, wrapped, keyWrapAad('other', keyId))).toThrow(DecryptionError);
    expect(() => unwrapKey(kek, wrapped, keyWrapAad(subjectId, 'other'))).toThrow(DecryptionError);
    expect(() => unwrapKey(randomBytes(32), wrapped, aad)).toThrow(DecryptionError);
    expect(() => unwrapKey(kek, tamper(wrapped, '.'), aad)).toThrow(DecryptionError);
    expect(decryptError(() => unwrapKey(kek, 'v2.x.y', aad)).reason).toBe('malformed');
  });

  it('keeps wrapped keys and field values apart even under one key and context', () => {
    // A wrapped key re-spelt as a field value must not decrypt (distinct internal contexts).
    const wrapped = wrapKey(kek, dek, 'same');
    const [, iv, body] = wrapped.split('.');
    expect(() => decryptField(kek, `enc:v1:${keyId}:${iv}:${body}`, 'same')).toThrow(
      DecryptionError,
    );
  });

  it('rejects keys that are not 32 bytes', () => {
    expect(() => wrapKey(randomBytes(31), dek, aad)).toThrow(InvalidCryptoInputError);
    expect(() => wrapKey(kek, randomBytes(16), aad)).toThrow(InvalidCryptoInputError);
    expect(() => wrapKey('key' as never, dek, aad)).toThrow(InvalidCryptoInputError);
  });
});

describe('deriveKey', () => {
  const master = randomBytes(32);

  it('derives stable, distinct 32-byte keys per purpose and master', () => {
    const kek = deriveKey(master, KEY_PURPOSES.keyWrap);
    const index = deriveKey(master, KEY_PURPOSES.blindIndex);
    expect(kek).toHaveLength(32);
    expect(deriveKey(master, KEY_PURPOSES.keyWrap).equals(kek)).toBe(true);
    expect(kek.equals(index)).toBe(false);
    expect(kek.equals(master)).toBe(false);
    expect(deriveKey(randomBytes(32), KEY_PURPOSES.keyWrap).equals(kek)).toBe(false);
  });

  it('rejects a short master key or a bad purpose', () => {
    expect(() => deriveKey(randomBytes(16), 'kek')).toThrow(InvalidCryptoInputError);
    expect(() => deriveKey(master, '')).toThrow(InvalidCryptoInputError);
    expect(() => deriveKey(master, 'Bad Purpose')).toThrow(InvalidCryptoInputError);
  });
});

describe('blindIndex', () => {
  const key = randomBytes(32);

  it('is deterministic hex HMAC-SHA256, keyed', () => {
    const index = blindIndex(key, 'email', 'ada@example.com');
    expect(index).toMatch(/^[0-9a-f]{64}$/);
    expect(blindIndex(key, 'email', 'ada@example.com')).toBe(index);
    expect(blindIndex(randomBytes(32), 'email', 'ada@example.com')).not.toBe(index);
    expect(blindIndex(key, 'email', 'bob@example.com')).not.toBe(index);
  });

  it('separates fields, and the field from the value', () => {
    expect(blindIndex(key, 'email', 'x')).not.toBe(blindIndex(key, 'phone', 'x'));
    expect(blindIndex(key, 'ab', 'c')).not.toBe(blindIndex(key, 'a', 'bc'));
    expect(() => blindIndex(key, 'a\0b', 'c')).toThrow(InvalidCryptoInputError);
    expect(() => blindIndex(key, '', 'c')).toThrow(InvalidCryptoInputError);
    expect(() => blindIndex(randomBytes(8), 'email', 'c')).toThrow(InvalidCryptoInputError);
  });

  it('matches differently written values once normalized', () => {
    const a = normalizeEmail('  Ada.Lovelace@Example.COM ');
    const b = normalizeEmail('ada.lovelace@example.com');
    expect(blindIndex(key, 'email', a!)).toBe(blindIndex(key, 'email', b!));
    const p = normalizePhone('+44 (20) 7946-0958');
    const q = normalizePhone('+44.20.7946.0958');
    expect(blindIndex(key, 'phone', p!)).toBe(blindIndex(key, 'phone', q!));
  });
});
