import type { Decider, DomainEvent } from '../shared/decider';

/** Why a connector must act: the customer was erased, or withdrew (or objected to) a purpose. */
export type DownstreamCause = 'erasure' | 'withdrawal';

/**
 * A connector's word that it forgot the customer (an erasure) or stopped the processing (a
 * withdrawal) the event `eventId` asked of it (152-FZ Art. 21 p.5). Ids and facts only.
 */
export type DownstreamAcknowledged = DomainEvent<
  'DownstreamAcknowledged',
  {
    connectorId: string;
    /** The `SubjectErased` or `ConsentRevoked` event acknowledged. */
    eventId: string;
    subjectId: string;
    cause: DownstreamCause;
    /** The purpose withdrawn (null for an erasure). */
    purposeId: string | null;
    /** The connector's own key (`connector:<id>`), or the DPO or admin who recorded it. */
    acknowledgedBy: string;
    acknowledgedAt: string;
  }
>;

export const DOWNSTREAM_EVENT_TYPES: readonly DownstreamAcknowledged['type'][] = [
  'DownstreamAcknowledged',
];

/** Streams `acknowledgements-<connectorId>`: one connector's acknowledgements. */
export const acknowledgementStream = (connectorId: string) => `acknowledgements-${connectorId}`;

/** What a connector owes for one event, as the obligations projection found it. */
export interface DownstreamObligation {
  connectorId: string;
  eventId: string;
  subjectId: string;
  cause: DownstreamCause;
  purposeId: string | null;
}

export type AcknowledgeCommand = {
  type: 'Acknowledge';
  obligation: DownstreamObligation;
  by: string;
};

/** The events this connector has acknowledged, by event id, with the acknowledgement. */
export type AcknowledgementState = Record<string, DownstreamAcknowledged['data']>;

/**
 * A connector's acknowledgements: one per event. Acknowledging again decides nothing (a
 * connector retrying at least once is answered with the first acknowledgement).
 */
export const acknowledgementDecider: Decider<
  AcknowledgeCommand,
  AcknowledgementState,
  DownstreamAcknowledged,
  { now: Date }
> = {
  initialState: () => ({}),
  evolve: (state, event) => ({ ...state, [event.data.eventId]: event.data }),
  decide(command, state, { now }) {
    const { obligation, by } = command;
    if (state[obligation.eventId]) return [];
    return [
      {
        type: 'DownstreamAcknowledged',
        data: { ...obligation, acknowledgedBy: by, acknowledgedAt: now.toISOString() },
      },
    ];
  },
};

/** When the connector must have acted by: `days` after the erasure or withdrawal. */
export function downstreamDueAt(at: string, days: number): string {
  return new Date(Date.parse(at) + days * 86_400_000).toISOString();
}

export type DownstreamStatus = 'pending' | 'acknowledged' | 'overdue';

/** Acknowledged, or pending until the due moment and overdue after it. */
export function downstreamStatus(
  acknowledgedAt: string | null,
  dueAt: string,
  now: Date,
): DownstreamStatus {
  if (acknowledgedAt !== null) return 'acknowledged';
  return now.getTime() > Date.parse(dueAt) ? 'overdue' : 'pending';
}
