import {
  type ConnectorRegistered,
  type ConsentEvent,
  type DownstreamAcknowledged,
  type DownstreamCause,
  type JsonObject,
  type PurposeRegistered,
  type SubjectEvent,
} from '@custodian/domain';
import type { DocumentLookup, TypedProjection } from '../projection.definition';

/** One connector's owed act for one erasure or withdrawal, and its acknowledgement if any. */
export interface DownstreamObligationDocument extends JsonObject {
  kind: 'obligation';
  connectorId: string;
  /** The `SubjectErased` or `ConsentRevoked` event. */
  eventId: string;
  subjectId: string;
  cause: DownstreamCause;
  purposeId: string | null;
  /** When the customer was erased or withdrew: the legal clock starts here. */
  at: string;
  acknowledged: boolean;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
}

/** What the registry knew when each event came: the connectors, and purposes not resting on consent. */
interface RegistryDocument extends JsonObject {
  kind: 'registry';
  connectors: Record<string, { purposes: string[]; fields: string[] }>;
  withoutConsent: string[];
}

/** Which purposes a customer ever consented to, and which fields (names only) they ever held. */
interface SubjectDocument extends JsonObject {
  kind: 'subject';
  granted: string[];
  fields: string[];
}

type Doc = DownstreamObligationDocument | RegistryDocument | SubjectDocument;
type Event =
  ConnectorRegistered | PurposeRegistered | SubjectEvent | ConsentEvent | DownstreamAcknowledged;

const REGISTRY = 'registry';
const subjectDoc = (subjectId: string) => `subject:${subjectId}`;
export const downstreamObligationId = (eventId: string, connectorId: string) =>
  `obligation:${eventId}:${connectorId}`;

/**
 * Who must acknowledge what (152-FZ Art. 21 p.5): for each erasure and each withdrawal, one
 * document per connector registered before it that holds the customer's data —
 * - a withdrawal of purpose P: every connector serving P, when the customer had consented to P
 *   or P does not rest on consent (an objection);
 * - an erasure: every connector serving a purpose the customer consented to, or serving a
 *   purpose not resting on consent and receiving a field the customer held.
 * Acknowledgements mark their document. Ids, purposes and field names only; whether one is
 * pending or overdue depends on the clock, so readers work it out from `at`.
 */
export const downstreamObligationsProjection: TypedProjection<Doc, Event> = {
  name: 'downstream_obligations',
  version: 1,
  eventTypes: [
    'ConnectorRegistered',
    'PurposeRegistered',
    'SubjectRegistered',
    'ProfileUpdated',
    'SubjectErased',
    'ConsentGranted',
    'ConsentRevoked',
    'DownstreamAcknowledged',
  ],
  indexes: ['kind', 'connectorId', 'subjectId', 'eventId', 'acknowledged'],
  consults: (event) =>
    event.type === 'SubjectErased' || event.type === 'ConsentRevoked'
      ? [REGISTRY, subjectDoc(event.data.subjectId)]
      : [],
  documentIds: (event, lookup) => {
    switch (event.type) {
      case 'ConnectorRegistered':
      case 'PurposeRegistered':
        return [REGISTRY];
      case 'SubjectRegistered':
      case 'ProfileUpdated':
      case 'ConsentGranted':
        return [subjectDoc(event.data.subjectId)];
      case 'SubjectErased':
      case 'ConsentRevoked':
        return owing(event, lookup!).map((c) => downstreamObligationId(event.id, c));
      case 'DownstreamAcknowledged':
        return [downstreamObligationId(event.data.eventId, event.data.connectorId)];
    }
  },
  apply: (doc, event, id) => {
    switch (event.type) {
      case 'ConnectorRegistered': {
        const registry = (doc as RegistryDocument | null) ?? emptyRegistry();
        const { connectorId, purposes, fields } = event.data;
        return {
          ...registry,
          connectors: { ...registry.connectors, [connectorId]: { purposes, fields } },
        };
      }
      case 'PurposeRegistered': {
        const registry = (doc as RegistryDocument | null) ?? emptyRegistry();
        if (event.data.legalBasis === 'consent') return registry;
        return {
          ...registry,
          withoutConsent: [...new Set([...registry.withoutConsent, event.data.purposeId])],
        };
      }
      case 'SubjectRegistered':
      case 'ProfileUpdated': {
        const subject = (doc as SubjectDocument | null) ?? emptySubject();
        const names =
          event.type === 'SubjectRegistered'
            ? Object.keys(event.data.fields)
            : Object.entries(event.data.changed)
                .filter(([, value]) => value !== null)
                .map(([name]) => name);
        return { ...subject, fields: [...new Set([...subject.fields, ...names])] };
      }
      case 'ConsentGranted': {
        const subject = (doc as SubjectDocument | null) ?? emptySubject();
        return { ...subject, granted: [...new Set([...subject.granted, event.data.purposeId])] };
      }
      case 'ConsentRevoked':
      case 'SubjectErased': {
        const connectorId = id.slice(`obligation:${event.id}:`.length);
        return {
          kind: 'obligation',
          connectorId,
          eventId: event.id,
          subjectId: event.data.subjectId,
          cause: event.type === 'SubjectErased' ? 'erasure' : 'withdrawal',
          purposeId: event.type === 'ConsentRevoked' ? event.data.purposeId : null,
          at: event.type === 'SubjectErased' ? event.data.erasedAt : event.data.revokedAt,
          acknowledged: false,
          acknowledgedAt: null,
          acknowledgedBy: null,
        };
      }
      case 'DownstreamAcknowledged': {
        const obligation = doc as DownstreamObligationDocument | null;
        if (!obligation || obligation.acknowledged) return obligation;
        return {
          ...obligation,
          acknowledged: true,
          acknowledgedAt: event.data.acknowledgedAt,
          acknowledgedBy: event.data.acknowledgedBy,
        };
      }
    }
  },
};

/** The connectors that owe an act for this erasure or withdrawal (see the projection). */
function owing(
  event: Extract<Event, { type: 'SubjectErased' | 'ConsentRevoked' }>,
  lookup: DocumentLookup<Doc>,
): string[] {
  const registry = (lookup(REGISTRY) as RegistryDocument | null) ?? emptyRegistry();
  const subject =
    (lookup(subjectDoc(event.data.subjectId)) as SubjectDocument | null) ?? emptySubject();
  const withoutConsent = new Set(registry.withoutConsent);
  const granted = new Set(subject.granted);
  const held = new Set(subject.fields);
  return Object.entries(registry.connectors)
    .filter(([, connector]) => {
      if (event.type === 'ConsentRevoked') {
        const purposeId = event.data.purposeId;
        return (
          connector.purposes.includes(purposeId) &&
          (granted.has(purposeId) || event.data.legalBasis !== 'consent')
        );
      }
      return connector.purposes.some(
        (p) =>
          granted.has(p) || (withoutConsent.has(p) && connector.fields.some((f) => held.has(f))),
      );
    })
    .map(([connectorId]) => connectorId)
    .sort();
}

function emptyRegistry(): RegistryDocument {
  return { kind: 'registry', connectors: {}, withoutConsent: [] };
}

function emptySubject(): SubjectDocument {
  return { kind: 'subject', granted: [], fields: [] };
}
