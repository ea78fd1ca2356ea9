import {
  WEBHOOK_EVENT_TYPES,
  type ConnectorEvent,
  type ConsentEvent,
  type SubjectEvent,
  type WebhookEventType,
} from '@custodian/domain';
import type { Recorded } from '@custodian/event-store';
import type { ConnectorDocument } from './connectors.projection';
import { sortablePosition } from '../sortable-position';

/** The log events webhooks and the feed are made from. */
export const WEBHOOK_SOURCE_EVENT_TYPES = [
  'ConsentGranted',
  'ConsentRevoked',
  'ProfileUpdated',
  'SubjectErased',
  'ConnectorSuspended',
] as const;

export type WebhookSourceEvent = Recorded<ConsentEvent | SubjectEvent | ConnectorEvent>;

/**
 * What a receiver gets (webhook body and feed item alike): the event's id, its type, when it
 * happened, where it is in the log (the feed cursor), and facts: ids, purposes, field names.
 * Never a personal value: a changed profile names its fields, not their values.
 */
export interface WebhookPayload {
  eventId: string;
  type: WebhookEventType;
  occurredAt: string;
  position: string;
  data: Record<string, string | string[] | null>;
}

export interface WebhookMessage {
  payload: WebhookPayload;
  /** Deliveries with the same key go in log order (a customer, or the suspended connector). */
  orderKey: string;
}

/**
 * The message this event makes for this connector, or null when the connector has no business
 * with it: not subscribed to its type, registered after it, a consent for a purpose it does not
 * serve, a profile change to no field it receives. A connector without a webhook takes every
 * type (its feed; `types=` narrows it).
 */
export function webhookMessage(
  event: WebhookSourceEvent,
  connector: ConnectorDocument,
): WebhookMessage | null {
  const position = sortablePosition(event.position);
  if (position <= connector.since) return null;
  const made = messageOf(event, connector);
  if (!made) return null;
  const subscribed: readonly string[] = connector.webhook?.events ?? WEBHOOK_EVENT_TYPES;
  if (!subscribed.includes(made.type)) return null;
  const occurredAt =
    typeof event.metadata.occurredAt === 'string'
      ? event.metadata.occurredAt
      : event.recordedAt.toISOString();
  return {
    payload: { eventId: event.id, type: made.type, occurredAt, position, data: made.data },
    orderKey: made.orderKey,
  };
}

function messageOf(
  event: WebhookSourceEvent,
  connector: ConnectorDocument,
): { type: WebhookEventType; orderKey: string; data: WebhookPayload['data'] } | null {
  switch (event.type) {
    case 'ConsentGranted': {
      const d = event.data;
      if (!connector.purposes.includes(d.purposeId)) return null;
      return {
        type: 'consent.granted',
        orderKey: d.subjectId,
        data: {
          subjectId: d.subjectId,
          purposeId: d.purposeId,
          receiptId: d.receiptId,
          noticeVersion: d.noticeVersion,
          legalBasis: d.legalBasis,
          expiresAt: d.expiresAt,
        },
      };
    }
    case 'ConsentRevoked': {
      const d = event.data;
      if (!connector.purposes.includes(d.purposeId)) return null;
      return {
        type: d.trigger === 'gpc' ? 'consent.gpc_opt_out' : 'consent.revoked',
        orderKey: d.subjectId,
        data: {
          subjectId: d.subjectId,
          purposeId: d.purposeId,
          receiptId: d.receiptId,
          legalBasis: d.legalBasis,
          trigger: d.trigger,
        },
      };
    }
    case 'ProfileUpdated': {
      const fields = Object.keys(event.data.changed)
        .filter((f) => connector.fields.includes(f))
        .sort();
      if (fields.length === 0) return null;
      return {
        type: 'profile.changed',
        orderKey: event.data.subjectId,
        data: { subjectId: event.data.subjectId, fields },
      };
    }
    case 'SubjectErased':
      return {
        type: 'erasure.requested',
        orderKey: event.data.subjectId,
        data: {
          subjectId: event.data.subjectId,
          reason: event.data.reason,
          requestedVia: event.data.requestedVia,
        },
      };
    case 'ConnectorSuspended':
      return {
        type: 'connector.suspended',
        orderKey: `connector:${event.data.connectorId}`,
        data: { connectorId: event.data.connectorId, reason: event.data.reason },
      };
    default:
      return null;
  }
}
