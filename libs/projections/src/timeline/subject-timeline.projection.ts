import type { JsonObject, JsonValue } from '@custodian/domain';
import type { DocumentLookup, ProjectionDefinition, StoredEvent } from '../projection.definition';
import { sortablePosition } from '../sortable-position';

/**
 * One entry of a customer's timeline: an event that names them (`data.subjectId`), or the
 * expiry of a consent they gave. Facts only: ids, purposes, field names, roles, reasons; never
 * a value or its ciphertext, so the timeline reads the same after the customer is erased.
 */
export interface TimelineEntryDocument extends JsonObject {
  subjectId: string;
  /** `event` for an event of the log, `expiry` for a consent's end (known from its grant). */
  kind: 'event' | 'expiry';
  category: string;
  type: string;
  /** When it happened. */
  at: string;
  /** When the log learned it: an entry is part of the history as known at `asOf` once this is. */
  recorded: string;
  /** Log position of the event (of the grant, for an expiry). */
  position: string;
  eventId: string;
  actor: { id: string; role: string } | null;
  facts: JsonObject;
}

/** Categories of the event types this build knows; any other type naming a subject is `other`. */
const CATEGORIES: Record<string, string> = {
  SubjectRegistered: 'registration',
  ProfileUpdated: 'profile',
  ConsentGranted: 'consent',
  ConsentRevoked: 'consent',
  FieldsAccessed: 'read',
  AccessDenied: 'read',
  SubjectExported: 'export',
  ErasureHeld: 'erasure',
  ErasureApproved: 'erasure',
  SubjectErased: 'erasure',
  TextRedacted: 'ai',
  RedactionMappingShredded: 'ai',
  InsightRecorded: 'ai',
};

type Data = Record<string, unknown>;
const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const names = (value: unknown): string[] =>
  value && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value).sort() : [];
const fieldList = (value: unknown): JsonValue =>
  Array.isArray(value) ? value.map((f: Data) => ({ name: str(f?.name), mask: str(f?.mask) })) : [];
/** Counts per placeholder type (`NAME`, `PHONE`…): numbers only. */
const counts = (value: unknown): JsonObject => {
  const out: JsonObject = {};
  if (value && typeof value === 'object' && !Array.isArray(value))
    for (const [type, n] of Object.entries(value as Data))
      if (/^[A-Z_]{1,20}$/.test(type) && typeof n === 'number' && Number.isFinite(n)) out[type] = n;
  return out;
};
const pick = (data: Data, keys: readonly string[]): JsonObject => {
  const out: JsonObject = {};
  for (const key of keys) {
    const value = data[key];
    if (value === undefined) continue;
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value))
      out[key] = value as JsonValue;
  }
  return out;
};

/**
 * What an entry shows of each event: chosen field by field for the types this build knows; for
 * any other type (privacy requests, when they land) its ids and status only. Values, their
 * ciphertext, notes and evidence are never copied.
 */
export function timelineFacts(type: string, data: Data): JsonObject {
  switch (type) {
    case 'SubjectRegistered': {
      const duplicateOf = data.duplicateOf as Data | undefined;
      return {
        ...pick(data, ['source', 'keyId']),
        fields: names(data.fields),
        ...(duplicateOf ? { duplicateOf: str(duplicateOf.subjectId) } : {}),
      };
    }
    case 'ProfileUpdated': {
      const changed = (data.changed ?? {}) as Data;
      const keys = names(changed);
      return {
        changed: keys.filter((k) => changed[k] !== null),
        removed: keys.filter((k) => changed[k] === null),
      };
    }
    case 'ConsentGranted':
      return pick(data, ['purposeId', 'receiptId', 'noticeVersion', 'legalBasis', 'expiresAt']);
    case 'ConsentRevoked':
      return pick(data, ['purposeId', 'receiptId', 'noticeVersion', 'legalBasis', 'trigger']);
    case 'FieldsAccessed':
      return {
        ...pick(data, [
          'actorId',
          'role',
          'purposeId',
          'via',
          'policyVersion',
          'requestId',
          'withoutConsent',
        ]),
        fields: fieldList(data.fields),
      };
    case 'AccessDenied':
      return pick(data, ['actorId', 'role', 'purposeId', 'reason', 'requestId']);
    case 'SubjectExported':
      return {
        ...pick(data, ['exportId', 'actorId', 'role', 'purposeId', 'mode']),
        fields: fieldList(data.fields),
      };
    case 'ErasureHeld':
      return pick(data, [
        'requestedBy',
        'role',
        'reason',
        'requestedVia',
        'erasuresThisHour',
        'threshold',
      ]);
    case 'ErasureApproved':
      return pick(data, ['approverId']);
    case 'SubjectErased':
      return pick(data, ['keyId', 'reason', 'requestedVia']);
    // AI processing (issue 17): the purpose, the connector and counts, never the text, a value
    // found in it or the sealed mapping (only whether one was kept).
    case 'TextRedacted':
      return {
        ...pick(data, [
          'redactionId',
          'purposeId',
          'connectorId',
          'actorId',
          'role',
          'expiresAt',
          'requestId',
        ]),
        counts: counts(data.counts),
        mappingKept: data.mapping !== null && data.mapping !== undefined,
      };
    case 'RedactionMappingShredded':
      return pick(data, ['redactionId', 'keyId', 'expiredAt']);
    case 'InsightRecorded':
      return pick(data, [
        'insightId',
        'purposeId',
        'connectorId',
        'redactionId',
        'kind',
        'valueType',
        'actorId',
        'role',
        'requestId',
      ]);
    default: {
      const keys = Object.keys(data).filter(
        (k) => (/Id$/.test(k) && k !== 'subjectId') || k === 'status' || k === 'kind',
      );
      return pick(data, keys);
    }
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The customers an event names: `data.subjectId` (a UUID). */
export function subjectOf(event: StoredEvent): string | null {
  const id = str((event.data as Data | null)?.subjectId);
  return id && UUID.test(id) ? id.toLowerCase() : null;
}

/** When the event happened: its own time field, else when it was recorded. */
function eventTime(event: StoredEvent): string {
  const data = (event.data ?? {}) as Data;
  for (const key of ['at', 'grantedAt', 'revokedAt', 'registeredAt', 'updatedAt', 'erasedAt']) {
    const value = str(data[key]);
    if (value) return value;
  }
  return recordedTime(event);
}

function recordedTime(event: StoredEvent): string {
  return str(event.metadata?.occurredAt) ?? event.recordedAt.toISOString();
}

const entryId = (subjectId: string, event: StoredEvent) =>
  `${subjectId}:${sortablePosition(event.position)}`;
/** The expiry of the consent in force for a purpose, while it is still ahead (or not replaced). */
const pendingExpiryId = (subjectId: string, purposeId: string) =>
  `${subjectId}:expiry:${purposeId}`;
/** An expiry that happened: kept under the grant's receipt once a later consent event replaces it. */
const pastExpiryId = (subjectId: string, receiptId: string) => `${subjectId}:expired:${receiptId}`;

const isConsent = (event: StoredEvent) =>
  event.type === 'ConsentGranted' || event.type === 'ConsentRevoked';

/**
 * Every customer's history, one document per entry, indexed by customer and time. Generic over
 * event types: any event whose data names a `subjectId` becomes an entry (a new type lands in
 * `other` with its ids). A consent with an expiry adds an `expiry` entry at that time, removed
 * if a revocation, a new consent for the purpose or the erasure comes first.
 */
export const subjectTimelineProjection: ProjectionDefinition<TimelineEntryDocument, StoredEvent> = {
  name: 'subject_timeline',
  // v2: AI processing (redactions, their mappings' shredding, insights) shown as `ai`, with counts.
  version: 2,
  eventTypes: 'all',
  indexes: ['subjectId', 'at', 'recorded', 'kind'],
  consults: (event) => {
    const subjectId = subjectOf(event);
    const purposeId = str((event.data as Data).purposeId);
    return subjectId && isConsent(event) && purposeId
      ? [pendingExpiryId(subjectId, purposeId)]
      : [];
  },
  documentIds: (event, lookup) => {
    const subjectId = subjectOf(event);
    if (!subjectId) return [];
    const ids = [entryId(subjectId, event)];
    const purposeId = str((event.data as Data).purposeId);
    if (isConsent(event) && purposeId) {
      const pendingId = pendingExpiryId(subjectId, purposeId);
      ids.push(pendingId);
      const pending = lookup?.(pendingId);
      if (pending && pending.at <= eventTime(event))
        ids.push(pastExpiryId(subjectId, String(pending.facts.receiptId)));
    }
    return ids;
  },
  documentsWhere: (event) => {
    const subjectId = subjectOf(event);
    return event.type === 'SubjectErased' && subjectId ? { subjectId, kind: 'expiry' } : null;
  },
  apply: (doc, event, id, lookup?: DocumentLookup<TimelineEntryDocument>) => {
    const subjectId = subjectOf(event)!;
    const data = (event.data ?? {}) as Data;
    if (id === entryId(subjectId, event)) {
      const actor = event.metadata?.actor as Data | undefined;
      return {
        subjectId,
        kind: 'event',
        category: CATEGORIES[event.type] ?? 'other',
        type: event.type,
        at: eventTime(event),
        recorded: recordedTime(event),
        position: event.position,
        eventId: event.id,
        actor:
          actor && typeof actor.id === 'string' && typeof actor.role === 'string'
            ? { id: actor.id, role: actor.role }
            : null,
        facts: timelineFacts(event.type, data),
      };
    }
    if (event.type === 'SubjectErased') {
      // A pending expiry after the erasure never happens: the consent ended with it.
      return doc && doc.at > eventTime(event) && !id.includes(':expired:') ? null : doc;
    }
    const purposeId = str(data.purposeId)!;
    if (id === pendingExpiryId(subjectId, purposeId)) {
      const expiresAt = str(data.expiresAt);
      if (event.type !== 'ConsentGranted' || !expiresAt) return null;
      return {
        subjectId,
        kind: 'expiry',
        category: 'consent',
        type: 'ConsentExpired',
        at: expiresAt,
        recorded: recordedTime(event),
        position: event.position,
        eventId: event.id,
        actor: null,
        facts: pick(data, ['purposeId', 'receiptId', 'noticeVersion']),
      };
    }
    // The pending expiry had already happened when this consent event came: keep it.
    const pending = lookup?.(pendingExpiryId(subjectId, purposeId)) ?? null;
    return pending ? { ...pending, kind: 'expiry' } : doc;
  },
};
