/**
 * The catalogue of domain events: every event type libs/domain defines, with its codec.
 * Events of libs/policy have their codecs there; libs/event-store joins both into the
 * catalogue the store edge decodes with (`CustodianEvent`, `eventCodecs`).
 */
import type { AiEvent } from './ai/ai.events';
import type { ConnectorEvent } from './connectors/connector.events';
import type { ConsentEvent } from './consent/consent.events';
import type { DownstreamAcknowledged } from './downstream/acknowledgement';
import type { AccessEvent } from './oversight/access.events';
import type { ActorEvent } from './oversight/actor.decider';
import type { ErasureApprovalEvent } from './oversight/erasure-approval.decider';
import type { ExportEvent } from './oversight/export.decider';
import type { IncidentEvent } from './oversight/incident.decider';
import type { ReceiptInvalidationEvent } from './oversight/receipt-invalidation.decider';
import type { IntegrityEvent } from './integrity/checkpoint.events';
import type { PrivacyRequestEvent } from './privacy-requests/privacy-request.decider';
import type { PurposeEvent } from './purposes/purpose.events';
import type { FieldDeclared } from './subjects/field-catalogue';
import type { LegalHoldEvent } from './subjects/legal-hold';
import type { SubjectEvent } from './subjects/subject.events';
import { eventCodec, type EventCodec } from './shared/event-codec';

export type DomainEventOfCatalogue =
  | PurposeEvent
  | ConsentEvent
  | SubjectEvent
  | FieldDeclared
  | AccessEvent
  | ActorEvent
  | ExportEvent
  | ErasureApprovalEvent
  | IncidentEvent
  | ReceiptInvalidationEvent
  | IntegrityEvent
  | PrivacyRequestEvent
  | LegalHoldEvent
  | ConnectorEvent
  | DownstreamAcknowledged
  | AiEvent;

/** One codec per type; the mapped type makes a missing or misspelt type a compile error. */
export const domainEventCodecs: {
  readonly [T in DomainEventOfCatalogue['type']]: EventCodec<T>;
} = {
  PurposeRegistered: eventCodec('PurposeRegistered'),
  NoticePublished: eventCodec('NoticePublished'),
  PurposeActivated: eventCodec('PurposeActivated'),
  PurposeRetired: eventCodec('PurposeRetired'),
  ConsentGranted: eventCodec('ConsentGranted'),
  /**
   * v2: `trigger` is always present. A v1 revocation carries none: it was an explicit request
   * (GPC revocations always said so), so the upcaster makes that default explicit and no reader
   * has to guess it.
   */
  ConsentRevoked: eventCodec('ConsentRevoked', [
    (data) => ('trigger' in data ? data : { ...data, trigger: 'request' }),
  ]),
  SubjectRegistered: eventCodec('SubjectRegistered'),
  ProfileUpdated: eventCodec('ProfileUpdated'),
  SubjectErased: eventCodec('SubjectErased'),
  FieldDeclared: eventCodec('FieldDeclared'),
  FieldsAccessed: eventCodec('FieldsAccessed'),
  AccessDenied: eventCodec('AccessDenied'),
  SubjectExported: eventCodec('SubjectExported'),
  AnomalyDetected: eventCodec('AnomalyDetected'),
  ActorSuspended: eventCodec('ActorSuspended'),
  ActorReinstated: eventCodec('ActorReinstated'),
  ExportRequested: eventCodec('ExportRequested'),
  ExportApproved: eventCodec('ExportApproved'),
  ExportRejected: eventCodec('ExportRejected'),
  ExportCompleted: eventCodec('ExportCompleted'),
  ExportFailed: eventCodec('ExportFailed'),
  ExportDownloaded: eventCodec('ExportDownloaded'),
  ErasureHeld: eventCodec('ErasureHeld'),
  ErasureApproved: eventCodec('ErasureApproved'),
  /** v2 records the risk; a v1 incident (before risk was assessed) reads as low risk. */
  IncidentOpened: eventCodec('IncidentOpened', [
    (data) => ('risk' in data ? data : { ...data, risk: 'low' }),
  ]),
  IncidentNoteAdded: eventCodec('IncidentNoteAdded'),
  IncidentRiskAssessed: eventCodec('IncidentRiskAssessed'),
  IncidentNotificationSent: eventCodec('IncidentNotificationSent'),
  /** v2 lists the obligations left unmet with their reasons; a v1 closing reads as none. */
  IncidentClosed: eventCodec('IncidentClosed', [
    (data) => ('unmet' in data ? data : { ...data, unmet: [] }),
  ]),
  ConsentReceiptInvalidated: eventCodec('ConsentReceiptInvalidated'),
  LogCheckpointSealed: eventCodec('LogCheckpointSealed'),
  PrivacyRequestReceived: eventCodec('PrivacyRequestReceived'),
  PrivacyRequestIdentityVerified: eventCodec('PrivacyRequestIdentityVerified'),
  PrivacyRequestExtended: eventCodec('PrivacyRequestExtended'),
  PrivacyRequestCompleted: eventCodec('PrivacyRequestCompleted'),
  PrivacyRequestRefused: eventCodec('PrivacyRequestRefused'),
  LegalHoldPlaced: eventCodec('LegalHoldPlaced'),
  LegalHoldEnded: eventCodec('LegalHoldEnded'),
  ConnectorRegistered: eventCodec('ConnectorRegistered'),
  WebhookSecretIssued: eventCodec('WebhookSecretIssued'),
  ConnectorSuspended: eventCodec('ConnectorSuspended'),
  ConnectorReinstated: eventCodec('ConnectorReinstated'),
  DownstreamAcknowledged: eventCodec('DownstreamAcknowledged'),
  TextRedacted: eventCodec('TextRedacted'),
  InsightRecorded: eventCodec('InsightRecorded'),
};
