import type { PurposeState } from '../purposes/purpose.types';
import type { ConsentStatus, PurposeConsent } from './consent.types';

/**
 * The one rule for "may we act on this customer for this purpose": the recorded decision,
 * read at a moment. A customer who was erased is `erased`, never anything else. A grant lapses at its expiry, and goes stale once a later notice of the
 * purpose that requires re-consent has been published — both without anyone acting.
 */
export function effectiveStatus(
  consent: PurposeConsent | undefined,
  purpose: Pick<PurposeState, 'notices'>,
  /** The moment, as a Date or already as its ISO string (cheaper when checking thousands). */
  at: Date | string,
): ConsentStatus {
  if (!consent) return 'never';
  if (consent.decision === 'erased') return 'erased';
  if (consent.decision === 'revoked') return 'revoked';
  const moment = typeof at === 'string' ? at : at.toISOString();
  if (consent.expiresAt !== null && consent.expiresAt <= moment) return 'expired';
  if (isStale(consent.noticeVersion, purpose, moment)) return 'stale';
  return 'granted';
}

/**
 * The flags (marketing, profiling, ...) of the active purposes the customer has a consent in
 * force for: what the role policy's consent conditions look at.
 */
export function grantedPurposeFlags(
  consents: Readonly<Record<string, PurposeConsent | undefined>>,
  purposes: Iterable<Pick<PurposeState, 'purposeId' | 'status' | 'notices' | 'flags'>>,
  at: Date | string,
): Set<string> {
  const flags = new Set<string>();
  for (const p of purposes) {
    if (p.status !== 'active' || effectiveStatus(consents[p.purposeId], p, at) !== 'granted')
      continue;
    for (const [flag, on] of Object.entries(p.flags)) if (on) flags.add(flag);
  }
  return flags;
}

/** A later notice requiring re-consent, published by `moment`, makes an older grant stale. */
function isStale(
  noticeVersion: string | null,
  purpose: Pick<PurposeState, 'notices'>,
  moment: string,
): boolean {
  const shown = purpose.notices.findIndex((n) => n.version === noticeVersion);
  if (shown < 0) return false;
  return purpose.notices
    .slice(shown + 1)
    .some((n) => n.requiresReconsent && n.version !== noticeVersion && n.publishedAt <= moment);
}

/** A customer's consent for one purpose once they are erased: kept for its dates, never in force. */
export function erasedConsent<C extends PurposeConsent>(consent: C): C {
  return { ...consent, decision: 'erased' };
}
