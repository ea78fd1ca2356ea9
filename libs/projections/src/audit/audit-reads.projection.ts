import {
  SUBJECT_ACCESS_PURPOSE,
  type AccessEvent,
  type ActorEvent,
  type ConsentEvent,
  type ConsentReceiptInvalidated,
  type JsonObject,
  type PurposeEvent,
  type AccessVia,
} from '@custodian/domain';
import type { RolePolicyPublished } from '@custodian/policy';
import type { DocumentLookup, TypedProjection } from '../projection.definition';

/** The events the audit index folds. */
export type AuditIndexEvent =
  | AccessEvent
  | PurposeEvent
  | ConsentEvent
  | RolePolicyPublished
  | Extract<ActorEvent, { type: 'ActorSuspended' | 'ActorReinstated' }>
  | ConsentReceiptInvalidated;

export const AUDIT_READ_EVENT_TYPES = [
  'FieldsAccessed',
  'AccessDenied',
  'SubjectExported',
] as const;

/** `via` of a read: how the customer was reached, as its event says (refusals have none). */
export type AuditVia = AccessVia | 'export';

/** A consent as the index folds it, per customer and purpose. */
export interface AuditConsentState extends JsonObject {
  decision: 'granted' | 'revoked';
  receiptId: string;
  noticeVersion: string | null;
  grantedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  /** Set once a DPO invalidated this receipt. */
  invalidation: { at: string; reason: string; by: string } | null;
}

/**
 * What a read or export rested on, as the log stood at its position: the purpose and its
 * status, the lawful basis (with the consent receipt in force when the basis is consent), the
 * role policy version and the masks applied, and the actor's standing.
 */
export interface Justification extends JsonObject {
  purpose: {
    purposeId: string;
    /** False when the log holds no registration of it (the built-in subject-access purpose). */
    registered: boolean;
    status: string | null;
    legalBasis: string | null;
    /** The newest notice published for the purpose by then. */
    noticeVersion: string | null;
  };
  basis: {
    kind: string;
    /** For a basis of consent: the customer's consent for the purpose then (null: never given). */
    consent: {
      inForce: boolean;
      receiptId: string;
      decision: 'granted' | 'revoked';
      noticeVersion: string | null;
      grantedAt: string | null;
      expiresAt: string | null;
      revokedAt: string | null;
      /** An invalidation recorded by then (the read's own `invalidation` shows any later one). */
      invalidated: boolean;
    } | null;
  };
  policy: {
    /** The version the read recorded (exports: the newest version published by then). */
    version: number;
    masks: Array<{ name: string; mask: string }>;
  };
  actor: {
    suspended: boolean;
    suspendedSince: string | null;
    suspensionReason: string | null;
  };
}

/** One read, export or refusal: what its event holds, and its justification. */
export interface AuditReadDocument extends JsonObject {
  kind: 'read';
  eventId: string;
  eventType: AccessEvent['type'];
  /** The event's position in the log (opaque, as the event store gives it). */
  position: string;
  at: string;
  subjectId: string;
  actorId: string;
  role: string;
  purposeId: string;
  outcome: 'read' | 'refused';
  /** Null for a refusal (its event names no route). */
  via: AuditVia | null;
  fields: Array<{ name: string; mask: string }>;
  policyVersion: number | null;
  requestId: string | null;
  withoutConsent: boolean;
  /** Why it was refused (refusals only). */
  reason: string | null;
  exportId: string | null;
  destination: string | null;
  mode: string | null;
  /** The consent receipt the read relied on, if its basis was a consent in force; else null. */
  receiptId: string | null;
  justification: Justification;
  /** Set when the receipt it relied on was later (or already) invalidated. */
  invalidation: { receiptId: string; at: string; reason: string; by: string } | null;
}

/** The folded state the index keeps beside the reads (never listed). */
export interface AuditStateDocument extends JsonObject {
  kind: 'state';
  state: JsonObject;
}

export type AuditIndexDocument = AuditReadDocument | AuditStateDocument;

/**
 * Positions as strings that sort in log order: the SQLite store's decimal sequence, or
 * EventStoreDB's `<commit>/<prepare>`, each part zero-padded to 20 digits.
 */
export function positionKey(position: string): string {
  const parts = position.split('/');
  if (parts.length > 2 || parts.some((p) => !/^\d{1,20}$/.test(p)))
    throw new Error(`not a log position: ${position}`);
  return parts.map((p) => p.padStart(20, '0')).join('/');
}

export const readDocumentId = (position: string) => `r:${positionKey(position)}`;
const purposeDoc = (purposeId: string) => `s:purpose:${purposeId}`;
const consentDoc = (subjectId: string, purposeId: string) => `s:consent:${subjectId}:${purposeId}`;
const actorDoc = (actorId: string) => `s:actor:${actorId}`;
const POLICY_DOC = 's:policy';

type Ev = Parameters<TypedProjection<AuditIndexDocument, AuditIndexEvent>['apply']>[1];

const isRead = (e: Ev): e is Extract<Ev, { type: (typeof AUDIT_READ_EVENT_TYPES)[number] }> =>
  (AUDIT_READ_EVENT_TYPES as readonly string[]).includes(e.type);

const stateOf = (doc: AuditIndexDocument | null): JsonObject | null =>
  doc && doc.kind === 'state' ? doc.state : null;

const wrap = (state: JsonObject): AuditStateDocument => ({ kind: 'state', state });

/**
 * The audit index (`audit_reads`): one document per read, export or refusal, with what its
 * event holds and the justification of it as the log stood at its position. It folds purposes,
 * consents, role-policy versions, actor suspensions and receipt invalidations as it goes, so a
 * rebuild from the log gives the same justifications. Queried by actor, role, purpose,
 * outcome, route, customer, time and the receipt relied on, in log order (ids sort by position).
 */
export const auditReadsProjection: TypedProjection<AuditIndexDocument, AuditIndexEvent> = {
  name: 'audit_reads',
  version: 1,
  eventTypes: [
    ...AUDIT_READ_EVENT_TYPES,
    'PurposeRegistered',
    'NoticePublished',
    'PurposeActivated',
    'PurposeRetired',
    'ConsentGranted',
    'ConsentRevoked',
    'RolePolicyPublished',
    'ActorSuspended',
    'ActorReinstated',
    'ConsentReceiptInvalidated',
  ],
  indexes: [
    'kind',
    'eventId',
    'actorId',
    'role',
    'purposeId',
    'outcome',
    'via',
    'subjectId',
    'at',
    'receiptId',
  ],
  compoundIndexes: [
    ['actorId', 'at'],
    ['subjectId', 'at'],
  ],
  consults: (event) => {
    if (!isRead(event)) return [];
    const { subjectId, purposeId, actorId } = event.data;
    return [purposeDoc(purposeId), consentDoc(subjectId, purposeId), POLICY_DOC, actorDoc(actorId)];
  },
  documentIds: (event) => {
    if (isRead(event)) return [readDocumentId(event.position)];
    switch (event.type) {
      case 'PurposeRegistered':
      case 'NoticePublished':
      case 'PurposeActivated':
      case 'PurposeRetired':
        return [purposeDoc(event.data.purposeId)];
      case 'ConsentGranted':
      case 'ConsentRevoked':
      case 'ConsentReceiptInvalidated':
        return [consentDoc(event.data.subjectId, event.data.purposeId)];
      case 'RolePolicyPublished':
        return [POLICY_DOC];
      case 'ActorSuspended':
      case 'ActorReinstated':
        return [actorDoc(event.data.actorId)];
      default:
        return [];
    }
  },
  // Every read that relied on an invalidated receipt is marked, wherever it is in the log.
  documentsWhere: (event) =>
    event.type === 'ConsentReceiptInvalidated' ? { receiptId: event.data.receiptId } : null,
  apply: (doc, event, _id, lookup) => {
    if (isRead(event)) return readDocument(event, lookup!);
    const state = stateOf(doc);
    switch (event.type) {
      case 'PurposeRegistered':
        return wrap({
          purposeId: event.data.purposeId,
          status: 'draft',
          legalBasis: event.data.legalBasis,
          noticeVersion: null,
        });
      case 'NoticePublished':
        return state ? wrap({ ...state, noticeVersion: event.data.version }) : doc;
      case 'PurposeActivated':
        return state ? wrap({ ...state, status: 'active' }) : doc;
      case 'PurposeRetired':
        return state ? wrap({ ...state, status: 'retired' }) : doc;
      case 'ConsentGranted':
        return wrap({
          decision: 'granted',
          receiptId: event.data.receiptId,
          noticeVersion: event.data.noticeVersion,
          grantedAt: event.data.grantedAt,
          expiresAt: event.data.expiresAt,
          revokedAt: null,
          invalidation: null,
        } satisfies AuditConsentState);
      case 'ConsentRevoked':
        return wrap({
          decision: 'revoked',
          receiptId: event.data.receiptId,
          noticeVersion: event.data.noticeVersion,
          grantedAt: (state?.grantedAt as string | null | undefined) ?? null,
          expiresAt: null,
          revokedAt: event.data.revokedAt,
          invalidation: null,
        } satisfies AuditConsentState);
      case 'RolePolicyPublished':
        return wrap({ version: event.data.version, publishedAt: event.data.publishedAt });
      case 'ActorSuspended':
        return wrap({ suspended: true, since: event.data.at, reason: event.data.reason });
      case 'ActorReinstated':
        return wrap({ suspended: false, since: null, reason: null });
      case 'ConsentReceiptInvalidated': {
        const invalidation = {
          receiptId: event.data.receiptId,
          at: event.data.at,
          reason: event.data.reason,
          by: event.data.invalidatedBy,
        };
        if (doc?.kind === 'read') return { ...doc, invalidation };
        // The customer's consent for the purpose: flagged while it still rests on this receipt.
        if (state && state.receiptId === event.data.receiptId)
          return wrap({
            ...state,
            invalidation: { at: invalidation.at, reason: invalidation.reason, by: invalidation.by },
          });
        return doc;
      }
      default:
        return doc;
    }
  },
};

function readDocument(
  event: Extract<Ev, { type: (typeof AUDIT_READ_EVENT_TYPES)[number] }>,
  lookup: DocumentLookup<AuditIndexDocument>,
): AuditReadDocument {
  const { subjectId, purposeId, actorId, at } = event.data;
  const purpose = stateOf(lookup(purposeDoc(purposeId)));
  const consent = stateOf(lookup(consentDoc(subjectId, purposeId))) as AuditConsentState | null;
  const policy = stateOf(lookup(POLICY_DOC));
  const actor = stateOf(lookup(actorDoc(actorId)));
  const builtIn = !purpose && purposeId === SUBJECT_ACCESS_PURPOSE;
  const legalBasis = (purpose?.legalBasis as string | undefined) ?? null;
  const inForce =
    !!consent &&
    consent.decision === 'granted' &&
    (consent.expiresAt === null || consent.expiresAt > at);
  const basisKind = builtIn ? 'legal_obligation' : (legalBasis ?? 'unknown');
  const fields = event.type === 'AccessDenied' ? [] : event.data.fields;
  const policyVersion =
    event.type === 'FieldsAccessed'
      ? event.data.policyVersion
      : ((policy?.version as number | undefined) ?? 0);
  const receiptId =
    event.type !== 'AccessDenied' && basisKind === 'consent' && inForce ? consent.receiptId : null;
  const justification: Justification = {
    purpose: {
      purposeId,
      registered: !!purpose,
      status: (purpose?.status as string | undefined) ?? null,
      legalBasis: builtIn ? 'legal_obligation' : legalBasis,
      noticeVersion: (purpose?.noticeVersion as string | null | undefined) ?? null,
    },
    basis: {
      kind: basisKind,
      consent:
        basisKind === 'consent' && consent
          ? {
              inForce,
              receiptId: consent.receiptId,
              decision: consent.decision,
              noticeVersion: consent.noticeVersion,
              grantedAt: consent.grantedAt,
              expiresAt: consent.expiresAt,
              revokedAt: consent.revokedAt,
              invalidated: consent.invalidation !== null,
            }
          : null,
    },
    policy: { version: policyVersion, masks: fields.map((f) => ({ name: f.name, mask: f.mask })) },
    actor: {
      suspended: actor?.suspended === true,
      suspendedSince: (actor?.since as string | null | undefined) ?? null,
      suspensionReason: (actor?.reason as string | null | undefined) ?? null,
    },
  };
  const invalidation =
    receiptId && consent?.invalidation ? { receiptId, ...consent.invalidation } : null;
  return {
    kind: 'read',
    eventId: event.id,
    eventType: event.type,
    position: event.position,
    at,
    subjectId,
    actorId,
    role: event.data.role,
    purposeId,
    outcome: event.type === 'AccessDenied' ? 'refused' : 'read',
    via:
      event.type === 'FieldsAccessed'
        ? event.data.via
        : event.type === 'SubjectExported'
          ? 'export'
          : null,
    fields: fields.map((f) => ({ name: f.name, mask: f.mask })),
    policyVersion: event.type === 'FieldsAccessed' ? event.data.policyVersion : null,
    // An export row's event names no request: the one that caused it is its correlation id.
    requestId:
      event.type === 'SubjectExported'
        ? typeof event.metadata.correlationId === 'string'
          ? event.metadata.correlationId
          : null
        : event.data.requestId,
    withoutConsent: event.type === 'FieldsAccessed' && event.data.withoutConsent === true,
    reason: event.type === 'AccessDenied' ? event.data.reason : null,
    exportId: event.type === 'SubjectExported' ? event.data.exportId : null,
    destination: event.type === 'SubjectExported' ? event.data.destination : null,
    mode: event.type === 'SubjectExported' ? (event.data.mode ?? null) : null,
    receiptId,
    justification,
    invalidation,
  };
}
