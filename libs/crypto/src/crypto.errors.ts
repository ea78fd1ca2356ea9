/** Input the key store, envelope functions or SubjectKeys cannot accept; nothing was written. */
export class InvalidCryptoInputError extends Error {
  override readonly name = 'InvalidCryptoInputError';
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

/** The subject's data key was destroyed (crypto-shredded); it is never replaced. */
export class KeyDestroyedError extends Error {
  override readonly name = 'KeyDestroyedError';
  constructor(readonly subjectId: string) {
    super(`the data key of subject "${subjectId}" was destroyed`);
  }
}

/**
 * A value could not be decrypted or unwrapped. The message never holds plaintext, key material
 * or the value itself: 'malformed' means it is not in our format, 'authentication' that the key,
 * the context (aad) or the bytes are wrong.
 */
export class DecryptionError extends Error {
  override readonly name = 'DecryptionError';
  constructor(
    readonly reason: 'malformed' | 'authentication',
    detail: string,
  ) {
    super(`cannot decrypt: ${detail}`);
  }
}

/** The master key is missing or unusable. Never carries the key or the file's content. */
export class MasterKeyError extends Error {
  override readonly name = 'MasterKeyError';
}
