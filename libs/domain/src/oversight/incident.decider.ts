import type { Decider } from '../shared/decider';
import { conflict, invalid, notFound } from '../shared/domain-error';

/** Stream `incident-<incidentId>`. */
export const incidentStream = (incidentId: string) => `incident-${incidentId}`;

export const JURISDICTIONS = ['152-fz', 'gdpr'] as const;
export type Jurisdiction = (typeof JURISDICTIONS)[number];

/** The risk to the affected customers' rights and freedoms, as the DPO assessed it. */
export const INCIDENT_RISKS = ['low', 'high'] as const;
export type IncidentRisk = (typeof INCIDENT_RISKS)[number];

/**
 * The notices the law asks for after a personal-data breach, counted from when the operator
 * learnt of it: 152-FZ art. 21 §3.1 (Roskomnadzor: a first notice within 24 hours, the results
 * of the investigation within 72 hours), GDPR art. 33 (the supervisory authority within 72
 * hours) and, where the risk to the customers is high, GDPR art. 34 (the customers themselves,
 * "without undue delay": held here to the same 72 hours).
 */
export const OBLIGATIONS = [
  { obligation: '152-fz-initial-notice', jurisdiction: '152-fz', hours: 24, risk: 'any' },
  { obligation: '152-fz-investigation-results', jurisdiction: '152-fz', hours: 72, risk: 'any' },
  { obligation: 'gdpr-supervisory-authority', jurisdiction: 'gdpr', hours: 72, risk: 'any' },
  { obligation: 'gdpr-data-subjects', jurisdiction: 'gdpr', hours: 72, risk: 'high' },
] as const;
export type Obligation = (typeof OBLIGATIONS)[number]['obligation'];

/** The obligations an incident carries: those of its jurisdictions, and of its risk. */
export function incidentObligations(opened: IncidentOpened['data']) {
  return OBLIGATIONS.filter(
    (o) =>
      opened.jurisdictions.includes(o.jurisdiction) && (o.risk === 'any' || opened.risk === 'high'),
  );
}

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
    /** High adds the notice to the affected customers (GDPR art. 34); v1 events read as low. */
    risk: IncidentRisk;
    /**
     * When the operator learnt of it: the deadlines count from here. For an incident opened
     * from an anomaly, the anomaly's detection time.
     */
    detectedAt: string;
    openedBy: string;
    at: string;
  };
}
export interface IncidentNoteAdded {
  type: 'IncidentNoteAdded';
  data: { incidentId: string; text: string; by: string; at: string };
}
/** The DPO's (re)assessment of the risk to the customers, with why. */
export interface IncidentRiskAssessed {
  type: 'IncidentRiskAssessed';
  data: { incidentId: string; risk: IncidentRisk; rationale: string; by: string; at: string };
}
export interface IncidentNotificationSent {
  type: 'IncidentNotificationSent';
  data: { incidentId: string; obligation: Obligation; reference: string; by: string; at: string };
}
/** An obligation left unmet at closing, and the DPO's reason it was not needed. */
export interface UnmetObligation {
  obligation: Obligation;
  reason: string;
}
export interface IncidentClosed {
  type: 'IncidentClosed';
  data: {
    incidentId: string;
    remediation: string;
    /** Every obligation not notified when it closed, with its reason (v1 events read as none). */
    unmet: UnmetObligation[];
    by: string;
    at: string;
  };
}

export type IncidentEvent =
  | IncidentOpened
  | IncidentNoteAdded
  | IncidentRiskAssessed
  | IncidentNotificationSent
  | IncidentClosed;

export const INCIDENT_EVENT_TYPES: readonly IncidentEvent['type'][] = [
  'IncidentOpened',
  'IncidentNoteAdded',
  'IncidentRiskAssessed',
  'IncidentNotificationSent',
  'IncidentClosed',
];

export interface IncidentState {
  opened: IncidentOpened['data'];
  notes: Array<IncidentNoteAdded['data']>;
  /** Reassessments of the risk; `opened.risk` is the one in force. */
  assessments: Array<IncidentRiskAssessed['data']>;
  notifications: Array<IncidentNotificationSent['data']>;
  closed: IncidentClosed['data'] | null;
}

export type IncidentCommand =
  | { type: 'OpenIncident'; opened: IncidentOpened['data'] }
  | { type: 'AddNote'; incidentId: string; text: string; by: string }
  | { type: 'AssessRisk'; incidentId: string; risk: IncidentRisk; rationale: string; by: string }
  | {
      type: 'RecordNotification';
      incidentId: string;
      obligation: Obligation;
      reference: string;
      by: string;
    }
  | {
      type: 'CloseIncident';
      incidentId: string;
      remediation: string;
      unmet: UnmetObligation[];
      by: string;
    };

export const incidentDecider: Decider<
  IncidentCommand,
  IncidentState | null,
  IncidentEvent,
  { now: Date }
> = {
  initialState: () => null,

  evolve(state, event) {
    if (event.type === 'IncidentOpened')
      return { opened: event.data, notes: [], assessments: [], notifications: [], closed: null };
    if (!state) return state;
    switch (event.type) {
      case 'IncidentNoteAdded':
        return { ...state, notes: [...state.notes, event.data] };
      case 'IncidentRiskAssessed':
        return {
          ...state,
          opened: { ...state.opened, risk: event.data.risk },
          assessments: [...state.assessments, event.data],
        };
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
      case 'AssessRisk': {
        if (command.risk === state.opened.risk)
          throw conflict('risk', `the incident is already recorded as ${command.risk} risk`);
        if (state.notifications.some((n) => n.obligation === 'gdpr-data-subjects'))
          throw conflict('risk', 'the customers were already notified as for a high risk');
        return [
          {
            type: 'IncidentRiskAssessed',
            data: {
              incidentId,
              risk: command.risk,
              rationale: command.rationale,
              by: command.by,
              at,
            },
          },
        ];
      }
      case 'RecordNotification': {
        const due = OBLIGATIONS.find((o) => o.obligation === command.obligation)!;
        if (!state.opened.jurisdictions.includes(due.jurisdiction))
          throw invalid('obligation', `the incident is not under ${due.jurisdiction}`);
        if (due.risk === 'high' && state.opened.risk !== 'high')
          throw invalid(
            'obligation',
            `${due.obligation} is owed only where the risk to the customers is high; this incident is recorded as ${state.opened.risk} risk`,
          );
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
      case 'CloseIncident': {
        const notified = new Set(state.notifications.map((n) => n.obligation));
        const open = incidentObligations(state.opened)
          .map((o) => o.obligation)
          .filter((o) => !notified.has(o));
        const reasons = new Map<Obligation, string>();
        for (const { obligation, reason } of command.unmet) {
          if (reasons.has(obligation))
            throw invalid('unmet', `${obligation} is given a reason more than once`);
          if (!open.includes(obligation))
            throw invalid(
              'unmet',
              notified.has(obligation)
                ? `${obligation} was notified: it needs no reason`
                : `${obligation} is not an obligation of this incident`,
            );
          reasons.set(obligation, reason);
        }
        const missing = open.filter((o) => !reasons.has(o));
        if (missing.length > 0)
          throw conflict(
            'unmet',
            `the incident cannot close with ${missing.join(', ')} unmet: record the notification, or give the reason it was not needed in unmet`,
          );
        return [
          {
            type: 'IncidentClosed',
            data: {
              incidentId,
              remediation: command.remediation,
              unmet: open.map((obligation) => ({ obligation, reason: reasons.get(obligation)! })),
              by: command.by,
              at,
            },
          },
        ];
      }
    }
  },
};

export interface Deadline {
  obligation: Obligation;
  due: string;
  sentAt: string | null;
  /** Closed without it: the DPO's reason it was not needed. */
  unmetReason: string | null;
  /** Not sent and past due while the incident is open, or sent after it was due. */
  overdue: boolean;
}

/** The notification deadlines of an incident as they stand at `now`. */
export function incidentDeadlines(state: IncidentState, now: Date): Deadline[] {
  const detected = Date.parse(state.opened.detectedAt);
  return incidentObligations(state.opened).map((o) => {
    const due = new Date(detected + o.hours * 3_600_000).toISOString();
    const sentAt = state.notifications.find((n) => n.obligation === o.obligation)?.at ?? null;
    const unmetReason =
      state.closed?.unmet.find((u) => u.obligation === o.obligation)?.reason ?? null;
    const overdue =
      sentAt !== null ? sentAt > due : state.closed === null && now.toISOString() > due;
    return { obligation: o.obligation, due, sentAt, unmetReason, overdue };
  });
}
