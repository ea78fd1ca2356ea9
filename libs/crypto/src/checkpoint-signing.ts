import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { deriveKey } from './envelope';

/** The HKDF purpose of the integrity signing key: `custodian/integrity-signing/v1`. */
export const INTEGRITY_SIGNING_PURPOSE = 'integrity-signing';

/** DER prefix of a PKCS#8 Ed25519 private key; the 32-byte seed follows it (RFC 8410). */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface CheckpointSigner {
  /** Base64 of the public key's SPKI DER: what a checkpoint publishes. */
  publicKey: string;
  sign(bytes: Buffer): string;
}

/**
 * The Ed25519 key that signs integrity checkpoints, derived from the master key with HKDF
 * under its own label (so it is none of the other derived keys); the same master key always
 * gives the same key pair, in every process.
 */
export function checkpointSigner(master: Buffer): CheckpointSigner {
  return checkpointSignerFromKey(deriveKey(master, INTEGRITY_SIGNING_PURPOSE));
}

/**
 * The same from the signing key itself (`resolveDurableKey(store, master,
 * INTEGRITY_SIGNING_PURPOSE)`: after a master-key rotation it is kept wrapped in the key store,
 * so checkpoints signed before the rotation still verify). The key is zeroed once used.
 */
export function checkpointSignerFromKey(key: Buffer): CheckpointSigner {
  const seed = Buffer.from(key);
  key.fill(0);
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  seed.fill(0);
  const publicKey = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return {
    publicKey: publicKey.toString('base64'),
    sign: (bytes) => sign(null, bytes, privateKey).toString('base64'),
  };
}

/** The public key a checkpoint names, or null when it is not an Ed25519 SPKI key. */
export function checkpointPublicKey(base64: string): KeyObject | null {
  try {
    const key = createPublicKey({
      key: Buffer.from(base64, 'base64'),
      format: 'der',
      type: 'spki',
    });
    return key.asymmetricKeyType === 'ed25519' ? key : null;
  } catch {
    return null;
  }
}

/** Whether `signature` (base64) is `key`'s Ed25519 signature of `bytes`. */
export function verifyCheckpointSignature(
  key: KeyObject,
  bytes: Buffer,
  signature: string,
): boolean {
  try {
    return verify(null, bytes, key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}
