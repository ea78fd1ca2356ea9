import { KeyDestroyedError } from '@custodian/crypto';
import { gone } from '@custodian/domain';
import type { FieldVault } from '@custodian/platform';

/** Seals values under the customer's key; 410 when an erasure destroyed it meanwhile. */
export async function sealFor(
  vault: FieldVault,
  subjectId: string,
  values: Record<string, string>,
): Promise<{ keyId: string; fields: Record<string, string> }> {
  try {
    return await vault.encrypt(subjectId, values);
  } catch (error) {
    if (error instanceof KeyDestroyedError) throw gone(subjectId);
    throw error;
  }
}
