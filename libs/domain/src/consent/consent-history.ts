import { purposeAt } from '../purposes/purpose.decider';
import type { PurposeEvent } from '../purposes/purpose.events';
import type { PurposeState } from '../purposes/purpose.types';
import { fold } from '../shared/decider';
import { consentDecider } from './consent.decider';
import { consentEventTime, type ConsentEvent } from './consent.events';
import { effectiveStatus } from './consent-status';
import type { ConsentState, ConsentStatus, PurposeConsent } from './consent.types';

export interface PurposeConsentView {
  purposeId: string;
  purposeStatus: PurposeState['status'];
  legalBasis: PurposeState['legalBasis'];
  status: ConsentStatus;
  /** When the recorded decision was made; null when there is none. */
  since: string | null;
  noticeVersion: string | null;
  channel: PurposeConsent['channel'] | null;
  expiresAt: string | null;
  receiptId: string | null;
}

/** A customer's consent state at a moment, from the events alone. */
export function consentStateAt(events: readonly ConsentEvent[], at: Date): ConsentState {
  const cutoff = at.toISOString();
  return fold(
    consentDecider,
    events.filter((e) => consentEventTime(e) <= cutoff),
  );
}

/**
 * The state per purpose at a moment: every purpose registered by then, with the customer's
 * effective status for it. Purposes and consents are both replayed to that moment, so the
 * answer for 1 March is what was true on 1 March, not what today's read models say. From the
 * customer's erasure (`erasedAt`) on, every purpose is `erased`.
 */
export function consentViewAt(
  consents: readonly ConsentEvent[],
  purposes: ReadonlyMap<string, readonly PurposeEvent[]>,
  at: Date,
  erasedAt: string | null = null,
): PurposeConsentView[] {
  const state = consentStateAt(consents, at);
  const erased = erasedAt !== null && erasedAt <= at.toISOString();
  const views: PurposeConsentView[] = [];
  for (const [purposeId, history] of purposes) {
    const purpose = purposeAt(history, at);
    if (!purpose) continue;
    const consent = state.purposes[purposeId];
    views.push({
      purposeId,
      purposeStatus: purpose.status,
      legalBasis: purpose.legalBasis,
      status: erased ? 'erased' : effectiveStatus(consent, purpose, at),
      since: consent?.since ?? null,
      noticeVersion: consent?.noticeVersion ?? null,
      channel: consent?.channel ?? null,
      expiresAt: consent?.expiresAt ?? null,
      receiptId: consent?.receiptId ?? null,
    });
  }
  return views.sort((a, b) => a.purposeId.localeCompare(b.purposeId));
}
