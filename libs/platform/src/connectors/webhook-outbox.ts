import type { JsonObject } from '@custodian/domain';
import type { WebhookPayload } from '@custodian/projections';
import type { DocumentWrite, ReadStore } from '@custodian/read-store';

/**
 * Every message made for every connector, one document each (`<connectorId>/<eventId>`), in the
 * read store: the connector's queue for webhooks, its change feed, and the record of delivery
 * attempts. `position` (the event's sortable log position) orders it.
 */
export const OUTBOX = 'webhook_outbox';

export const OUTBOX_STATUSES = ['pending', 'delivered', 'dead', 'feed'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

export interface OutboxDocument extends JsonObject {
  connectorId: string;
  eventId: string;
  type: string;
  position: string;
  orderKey: string;
  /** The exact body sent (and served by the feed). */
  body: string;
  /** `feed` for a connector without a webhook: nothing to deliver, only to read. */
  status: OutboxStatus;
  attempts: number;
  firstAttemptAt: string | null;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  /** Why it was dead-lettered. */
  deadReason: string | null;
  /** Insert-if-absent marker: a replayed event leaves an existing message as it is. */
  v: number;
}

export const outboxId = (connectorId: string, eventId: string) => `${connectorId}/${eventId}`;

export async function ensureOutbox(reads: ReadStore): Promise<void> {
  await reads.ensureCollection({
    name: OUTBOX,
    indexes: ['connectorId', 'position', 'status', 'eventId', 'type'],
  });
}

/** A new message; skipped when it is already there (at-least-once handling of the log). */
export function newMessage(
  connectorId: string,
  payload: WebhookPayload,
  orderKey: string,
  hasWebhook: boolean,
): DocumentWrite {
  const doc: OutboxDocument = {
    connectorId,
    eventId: payload.eventId,
    type: payload.type,
    position: payload.position,
    orderKey,
    body: JSON.stringify(payload),
    status: hasWebhook ? 'pending' : 'feed',
    attempts: 0,
    firstAttemptAt: null,
    lastAttemptAt: null,
    nextAttemptAt: null,
    lastStatus: null,
    lastError: null,
    deliveredAt: null,
    deadReason: null,
    v: 1,
  };
  return {
    collection: OUTBOX,
    id: outboxId(connectorId, payload.eventId),
    doc,
    guard: { field: 'v', below: 1 },
  };
}

/** A message as the deliveries route shows it. */
export function deliveryView(doc: OutboxDocument) {
  const { body, v: _v, orderKey: _orderKey, ...rest } = doc;
  return { ...rest, payload: JSON.parse(body) as WebhookPayload };
}
