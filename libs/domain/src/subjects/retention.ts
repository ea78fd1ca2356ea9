import { effectiveStatus } from '../consent/consent-status';
import type { PurposeConsent } from '../consent/consent.types';
import type { PurposeState } from '../purposes/purpose.types';
import { addIsoDuration } from '../shared/iso';

export interface RetentionInput {
  registeredAt: string;
  /** Names of the fields the profile holds. */
  fieldNames: readonly string[];
  /** The customer's last recorded decision per purpose. */
  consents: readonly PurposeConsent[];
  /** Every registered purpose, by id. */
  purposes: ReadonlyMap<string, PurposeState>;
}

/**
 * When a customer's data may no longer be kept: null while some active purpose still gives a
 * basis (a consent in force, or another legal basis that uses one of the profile's fields);
 * otherwise the latest moment a basis ended plus that purpose's retention period.
 */
export function retentionDeadline(input: RetentionInput, now: Date): Date | null {
  const moment = now.toISOString();
  const fields = new Set(input.fieldNames);
  const uses = (p: PurposeState) => p.assessment.minimumFields.some((f) => fields.has(f));
  const active = [...input.purposes.values()].filter((p) => p.status === 'active');
  if (active.some((p) => p.legalBasis !== 'consent' && uses(p))) return null;
  const ends: Date[] = [];
  for (const consent of input.consents) {
    const purpose = input.purposes.get(consent.purposeId);
    if (!purpose) continue;
    const status = effectiveStatus(consent, purpose, now);
    if (status === 'granted' && purpose.status === 'active') return null;
    ends.push(
      addIsoDuration(new Date(basisEnd(consent, purpose, status, moment)), purpose.retention),
    );
  }
  // Registration itself: kept as long as the longest retention among purposes using its fields.
  const justifying = [...input.purposes.values()].filter(uses);
  const longest = (justifying.length > 0 ? justifying : active).map((p) =>
    addIsoDuration(new Date(input.registeredAt), p.retention),
  );
  ends.push(...(longest.length > 0 ? longest : [new Date(input.registeredAt)]));
  return new Date(Math.max(...ends.map((d) => d.getTime())));
}

/** When the basis a consent gave came to an end. */
function basisEnd(
  consent: PurposeConsent,
  purpose: PurposeState,
  status: string,
  moment: string,
): string {
  if (consent.decision === 'revoked') return consent.since;
  if (status === 'expired' && consent.expiresAt) return consent.expiresAt;
  if (purpose.status === 'retired' && purpose.retiredAt) return purpose.retiredAt;
  if (status === 'stale') {
    const shown = purpose.notices.findIndex((n) => n.version === consent.noticeVersion);
    const superseding = purpose.notices
      .slice(shown + 1)
      .find((n) => n.requiresReconsent && n.publishedAt <= moment);
    if (superseding) return superseding.publishedAt;
  }
  return moment;
}
