import {
  CONSENT_EVENT_TYPES,
  consentDecider,
  erasedConsent,
  SUBJECT_EVENT_TYPES,
  subjectDecider,
  type ConsentEvent,
  type JsonObject,
  type PurposeConsent,
  type SubjectEvent,
  type SubjectState,
} from '@custodian/domain';
import { ROLES, type Mask, type Role, type RolePolicy } from '@custodian/policy';
import type { TypedProjection } from '../projection.definition';

export interface CustomerViewsDocument extends JsonObject {
  subjectId: string;
  keyId: string;
  source: string;
  /** False while only consents are known (they may be recorded before a profile exists). */
  registered: boolean;
  registeredAt: string;
  policyVersion: number;
  erased: boolean;
  /** Every field's ciphertext; a role sees those its mask does not hide. */
  fields: Record<string, string>;
  /** Per role: how each field is shown (consent conditions are applied when read). */
  roles: Record<string, Record<string, Mask>>;
  /** The customer's last decision per purpose: the consent badges of the card (`erased` once erased). */
  consents: Record<string, PurposeConsent & JsonObject>;
}

/**
 * Added to the role policy's version to give the definition's: bumped when `apply` changes
 * meaning, so existing views are rebuilt (2: erased customers' consents read `erased`).
 */
const REVISION = 2;

/** The definition version for a role-policy version (a newer policy or revision: a rebuild). */
export const customerViewsVersion = (policyVersion: number) => policyVersion + REVISION;

/**
 * What each role sees on the customer card, per customer: the visible field set (as
 * ciphertext), the mask for each field, and the consent badges. Built for one version of the
 * role policy: publishing a new version gives a new definition version, which the runner
 * rebuilds into a fresh collection and swaps in once caught up.
 */
export function customerViewsProjection(
  policy: RolePolicy,
): TypedProjection<CustomerViewsDocument, SubjectEvent | ConsentEvent> {
  const masksFor = (fields: Record<string, string>): Record<string, Record<string, Mask>> =>
    Object.fromEntries(
      ROLES.map((role: Role) => {
        const rules = policy.roles[role];
        return [
          role,
          Object.fromEntries(
            Object.keys(fields).map((f) => [f, rules.fields[f] ?? rules.otherFields]),
          ),
        ];
      }),
    );
  return {
    name: 'customer_views',
    version: customerViewsVersion(policy.version),
    eventTypes: [...SUBJECT_EVENT_TYPES, ...CONSENT_EVENT_TYPES],
    documentIds: (event) => [String(event.data.subjectId)],
    apply: (doc, event) => {
      if (event.type === 'ConsentGranted' || event.type === 'ConsentRevoked') {
        const e = event;
        const decided = consentDecider.evolve({ purposes: {} }, e).purposes[e.data.purposeId];
        const base = doc ?? unregistered(e.data.subjectId, policy.version);
        return {
          ...base,
          consents: {
            ...base.consents,
            // Recorded after the erasure (a command racing it): erased all the same.
            [e.data.purposeId]: (base.erased ? erasedConsent(decided) : decided) as PurposeConsent &
              JsonObject,
          },
        };
      }
      const previous: SubjectState | null = doc?.registered
        ? {
            subjectId: doc.subjectId,
            keyId: doc.keyId,
            source: doc.source,
            fields: doc.fields,
            registeredAt: doc.registeredAt,
            erased: doc.erased
              ? { at: '', reason: 'data_subject_request', keyId: doc.keyId }
              : null,
          }
        : null;
      const state = subjectDecider.evolve(previous, event);
      if (!state) return null;
      const erased = state.erased !== null;
      return {
        subjectId: state.subjectId,
        keyId: state.keyId,
        source: state.source,
        registered: true,
        registeredAt: state.registeredAt,
        policyVersion: policy.version,
        erased,
        fields: erased ? {} : state.fields,
        roles: erased ? {} : masksFor(state.fields),
        consents: erased
          ? Object.fromEntries(
              Object.entries(doc?.consents ?? {}).map(([p, c]) => [p, erasedConsent(c)]),
            )
          : (doc?.consents ?? {}),
      };
    },
  };
}

function unregistered(subjectId: string, policyVersion: number): CustomerViewsDocument {
  return {
    subjectId,
    keyId: '',
    source: '',
    registered: false,
    registeredAt: '',
    policyVersion,
    erased: false,
    fields: {},
    roles: {},
    consents: {},
  };
}
