import { effectiveStatus, type PurposeConsent, type PurposeState } from '@custodian/domain';
import { mayDeclarePurpose, type RoleRules } from '@custodian/policy';

/**
 * Why a read of a customer's data for a declared purpose is refused, or null: no purpose, an
 * unknown or inactive one, a role that may not read customers or declare this purpose, or (for
 * a purpose resting on consent) no consent in force. A lookup finds people, so it checks no
 * consent: that is checked per customer when they are read.
 */
export function readRefusal(
  rules: RoleRules,
  role: string,
  purpose: PurposeState | null,
  purposeId: string | null,
  consents: Record<string, PurposeConsent>,
  now: Date,
  checkConsent = true,
): string | null {
  if (purposeId === null) return 'no_purpose_declared';
  if (!purpose) return 'unknown_purpose';
  if (purpose.status !== 'active') return 'purpose_inactive';
  if (!rules.mayReadCustomers) return 'role_may_not_read_customers';
  if (!mayDeclarePurpose(role, purpose)) return 'role_may_not_declare_purpose';
  if (
    checkConsent &&
    purpose.legalBasis === 'consent' &&
    effectiveStatus(consents[purpose.purposeId], purpose, now) !== 'granted'
  )
    return 'no_consent_for_purpose';
  return null;
}
