export const CONSENT_CHANNELS = [
  'web',
  'mobile',
  'call_centre',
  'offline',
  'import',
  'email',
  /** The customer's own privacy centre (`/privacy`). */
  'privacy-centre',
] as const;
export type ConsentChannel = (typeof CONSENT_CHANNELS)[number];

/** How consent was collected (affirmative methods) or withdrawn (any method). */
export const CONSENT_METHODS = [
  'checkbox_opt_in',
  'double_opt_in_confirmed',
  'recorded_verbal',
  'signed_form',
  'unsubscribe_link',
  'account_settings',
  'written_request',
  'gpc_signal',
] as const;
export type ConsentMethod = (typeof CONSENT_METHODS)[number];

/** Methods that show an affirmative act, as a valid grant requires (no pre-ticked boxes). */
export const AFFIRMATIVE_METHODS: readonly ConsentMethod[] = [
  'checkbox_opt_in',
  'double_opt_in_confirmed',
  'recorded_verbal',
  'signed_form',
];

/**
 * A grant carries all of it (but the proof); a revocation needs only the channel: withdrawing
 * must be as easy as giving (GDPR art. 7(3)), so the rest is recorded when it is given.
 */
export interface ConsentEvidence {
  channel: ConsentChannel;
  /** Where it was collected: a form id, a page, a call-centre script. Never personal data. */
  collectionPoint?: string;
  method?: ConsentMethod;
  /** BCP 47 language of the notice shown. */
  language?: string;
  /** ISO 3166 country or region code whose law applies (RU, DE, US-CA, EU). */
  jurisdiction?: string;
  /**
   * The stored proof (a recording, a signed form) holds the customer, so no plain digest of it
   * is kept: `proofHmac` is an HMAC of its SHA-256 under a key derived from the customer's data
   * key (shredded with it); `POST /v1/subjects/{id}/consents/proof-check` compares a document's
   * digest with it. Events recorded before this kept `proofSha256` itself.
   */
  proofHmac?: string;
  /** Legacy (before issue 11): the proof's plain SHA-256. */
  proofSha256?: string;
}

/**
 * Effective consent of one customer for one purpose at a moment. `erased`: the customer was
 * erased; whatever was decided before, nothing may be done with them any more.
 */
export type ConsentStatus = 'granted' | 'revoked' | 'expired' | 'stale' | 'never' | 'erased';

/** The last recorded decision for one purpose. */
export interface PurposeConsent {
  purposeId: string;
  /**
   * The decider records grants and revocations; read models mark every consent of a customer
   * who was erased `erased`, and keep it so whatever is recorded after.
   */
  decision: 'granted' | 'revoked' | 'erased';
  /** When the decision was recorded. */
  since: string;
  noticeVersion: string | null;
  channel: ConsentChannel;
  /** Null for a revocation that did not say how it was made. */
  method: ConsentMethod | null;
  expiresAt: string | null;
  receiptId: string;
}

export interface ConsentState {
  /** By purpose id. */
  purposes: Record<string, PurposeConsent>;
}
