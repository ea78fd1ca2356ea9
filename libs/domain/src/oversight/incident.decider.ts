import type { Decider } from '../shared/decider';
import { conflict, invalid, notFound } from '../shared/domain-error';

/** Stream `incident-<incidentId>`. */
export const incidentStream = (incidentId: string) => `incident-${incidentId}`;

export const JURISDICTIONS = ['152-fz', 'gdpr'] as const;
export type Jurisdiction = (typeof JURISDICTIONS)[number];

/**
 * The notices the law asks for after a personal-data breach, counted from when the operator
 * learnt of it: 152-FZ art. 21 §3.1 (Roskomnadzor: a first notice within 24 hours, the results
 * of the investigation within 72 hours) and GDPR art. 33 (the supervisory authority within 72 hours).
 */
export const OBLIGATIONS = [
  { obligation: '152-fz-initial-notice', jurisdiction: '152-fz', hours: 24 },
  { obligation: '152-fz-investigation-results', jurisdiction: '152-fz', hours: 72 },
  { obligation: 'gdpr-supervisory-authority', jurisdiction: 'gdpr', hours: 72 },
] as const;
export type Obligation = (typeof OBLIGATIONS)[number]['obligation'];

export interface IncidentOpened {
  type: 'IncidentOpened';
  data: {
    incidentId: string;
    title: string;
    description: string;
    source:
      | { kind: 'anomaly'; anomalyId: string }
      | { kind: 'manual' }
      /** Opened from the reads and exports that relied on an invalidated consent receipt. */
      | { kind: 'receipt-invalidation'; receiptId: string };
    /** Whose reads and exports the incident is about; empty for everyone's. */
    actorIds: string[];
    /**
     * The customers affected when the source names them (a receipt invalidation: the customer
     * whose receipt it was); absent, they are whoever the actors read in the window.
     */
    subjectIds?: string[];
    /** The window of access the incident covers. */
    from: string;
    to: string;
    jurisdictions: Jurisdiction[];
    /** When the operator learnt of it: the deadlines count from here. */
    detectedAt: string;
    openedBy: string;
    at: string;
  };
}
export interface IncidentNoteAdded {
  type: 'IncidentNoteAdded';
  data: { incidentId: string; text: string; by: string; at: string };
}
export interface IncidentNotificationSent {
  type: 'IncidentNotificationSent';
  data: { incidentId: string; obligation: Obligation; reference: string; by: string; at: string };
}
export interface IncidentClosed {
  type: 'IncidentClosed';
  data: { incidentId: string; remediation: string; by: string; at: string };
}

export type IncidentEvent =
  IncidentOpened | IncidentNoteAdded | IncidentNotificationSent | IncidentClosed;

export const INCIDENT_EVENT_TYPES: readonly IncidentEvent['type'][] = [
  'IncidentOpened',
  'IncidentNoteAdded',
  'IncidentNotificationSent',
  'IncidentClosed',
];

export interface IncidentState {
  opened: IncidentOpened['data'];
  notes: Array<IncidentNoteAdded['data']>;
  notifications: Array<IncidentNotificationSent['data']>;
  closed: IncidentClosed['data'] | null;
}

export type IncidentCommand =
  | { type: 'OpenIncident'; opened: IncidentOpened['data'] }
  | { type: 'AddNote'; incidentId: string; text: string; by: string }
  | {
      type: 'RecordNotification';
      incidentId: string;
      obligation: Obligation;
      reference: string;
      by: string;
    }
  | { type: 'CloseIncident'; incidentId: string; remediation: string; by: string };

export const incidentDecider: Decider<
  IncidentCommand,
  IncidentState | null,
  IncidentEvent,
  { now: Date }
> = {
  initialState: () => null,

  evolve(state, event) {
    if (event.type === 'IncidentOpened')
      return { opened: event.data, notes: [], notifications: [], closed: null };
    if (!state) return state;
    switch (event.type) {
      case 'IncidentNoteAdded':
        return { ...state, notes: [...state.notes, event.data] };
      case 'IncidentNotificationSent':
        return { ...state, notifications: [...state.notifications, event.data] };
      case 'IncidentClosed':
        return { ...state, closed: event.data };
    }
  },

  decide(command, state, { now }) {
    const at = now.toISOString();
    if (command.type === 'OpenIncident') {
      if (state) throw conflict('incidentId', 'this incident is already open');
      return [{ type: 'IncidentOpened', data: command.opened }];
    }
    const { incidentId } = command;
    if (!state) throw notFound('incidentId', `incident ${incidentId} does not exist`);
    if (state.closed) throw conflict('incidentId', `incident ${incidentId} is closed`);
    switch (command.type) {
      case 'AddNote':
        return [
          {
            type: 'IncidentNoteAdded',
            data: { incidentId, text: command.text, by: command.by, at },
          },
        ];
      case 'RecordNotification': {
        const due = OBLIGATIONS.find((o) => o.obligation === command.obligation)!;
        if (!state.opened.jurisdictions.includes(due.jurisdiction))
          throw invalid('obligation', `the incident is not under ${due.jurisdiction}`);
        if (state.notifications.some((n) => n.obligation === command.obligation))
          throw conflict('obligation', `${command.obligation} was already recorded`);
        return [
          {
            type: 'IncidentNotificationSent',
            data: {
              incidentId,
              obligation: command.obligation,
              reference: command.reference,
              by: command.by,
              at,
            },
          },
        ];
      }
      case 'CloseIncident':
        return [
          {
            type: 'IncidentClosed',
            data: { incidentId, remediation: command.remediation, by: command.by, at },
          },
        ];
    }
  },
};

export interface Deadline {
  obligation: Obligation;
  due: string;
  sentAt: string | null;
  /** Not sent and past due while the incident is open, or sent after it was due. */
  overdue: boolean;
}

/** The notification deadlines of an incident as they stand at `now`. */
export function incidentDeadlines(state: IncidentState, now: Date): Deadline[] {
  const detected = Date.parse(state.opened.detectedAt);
  return OBLIGATIONS.filter((o) => state.opened.jurisdictions.includes(o.jurisdiction)).map((o) => {
    const due = new Date(detected + o.hours * 3_600_000).toISOString();
    const sentAt = state.notifications.find((n) => n.obligation === o.obligation)?.at ?? null;
    const overdue =
      sentAt !== null ? sentAt > due : state.closed === null && now.toISOString() > due;
    return { obligation: o.obligation, due, sentAt, overdue };
  });
}
