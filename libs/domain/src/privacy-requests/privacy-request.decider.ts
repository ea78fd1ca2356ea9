import type { Decider } from '../shared/decider';
import { conflict, notFound } from '../shared/domain-error';
import { answerDeadline, extendedDeadline, type PrivacyJurisdiction } from './privacy-deadlines';

/** Stream `privacyrequest-<requestId>`: one data subject's request, as a case. */
export const privacyRequestStream = (requestId: string) => `privacyrequest-${requestId}`;

/** What the data subject asks for (`withdrawal` covers an objection to processing). */
export const PRIVACY_REQUEST_KINDS = [
  'access',
  'rectification',
  'erasure',
  'withdrawal',
  'restriction',
] as const;
export type PrivacyRequestKind = (typeof PRIVACY_REQUEST_KINDS)[number];

/** How the request reached the controller. */
export const PRIVACY_REQUEST_CHANNELS = [
  'privacy-centre',
  'crm',
  'web',
  'mobile',
  'email',
  'call_centre',
  'post',
  'in_person',
] as const;
export type PrivacyRequestChannel = (typeof PRIVACY_REQUEST_CHANNELS)[number];

export const PRIVACY_REQUEST_STATUSES = [
  'received',
  'in_progress',
  'extended',
  'completed',
  'refused',
] as const;
export type PrivacyRequestStatus = (typeof PRIVACY_REQUEST_STATUSES)[number];

export interface PrivacyRequestReceived {
  type: 'PrivacyRequestReceived';
  data: {
    requestId: string;
    subjectId: string;
    kind: PrivacyRequestKind;
    jurisdiction: PrivacyJurisdiction;
    receivedVia: PrivacyRequestChannel;
    receivedAt: string;
    /** The answer's deadline, as the table gave it when the request arrived. */
    dueAt: string;
    dueDay: string;
    provisionalCalendar: boolean;
    by: string;
    at: string;
  };
}
export interface PrivacyRequestIdentityVerified {
  type: 'PrivacyRequestIdentityVerified';
  data: { requestId: string; by: string; at: string };
}
export interface PrivacyRequestExtended {
  type: 'PrivacyRequestExtended';
  data: {
    requestId: string;
    reason: string;
    previousDueAt: string;
    dueAt: string;
    dueDay: string;
    provisionalCalendar: boolean;
    by: string;
    at: string;
  };
}
export interface PrivacyRequestCompleted {
  type: 'PrivacyRequestCompleted';
  data: {
    requestId: string;
    /** What was done, in operational words (no personal values). */
    outcome: string | null;
    /** The receipt that shows it (an erasure receipt's event id, a consent receipt…). */
    receiptId: string | null;
    /** Answered after its deadline. */
    late: boolean;
    by: string;
    at: string;
  };
}
export interface PrivacyRequestRefused {
  type: 'PrivacyRequestRefused';
  data: { requestId: string; reason: string; late: boolean; by: string; at: string };
}

export type PrivacyRequestEvent =
  | PrivacyRequestReceived
  | PrivacyRequestIdentityVerified
  | PrivacyRequestExtended
  | PrivacyRequestCompleted
  | PrivacyRequestRefused;

export const PRIVACY_REQUEST_EVENT_TYPES: readonly PrivacyRequestEvent['type'][] = [
  'PrivacyRequestReceived',
  'PrivacyRequestIdentityVerified',
  'PrivacyRequestExtended',
  'PrivacyRequestCompleted',
  'PrivacyRequestRefused',
];

export interface PrivacyRequestState {
  received: PrivacyRequestReceived['data'];
  verified: PrivacyRequestIdentityVerified['data'] | null;
  extended: PrivacyRequestExtended['data'] | null;
  completed: PrivacyRequestCompleted['data'] | null;
  refused: PrivacyRequestRefused['data'] | null;
  /** The deadline in force (the extended one once extended). */
  dueAt: string;
  dueDay: string;
}

export type PrivacyRequestCommand =
  | {
      type: 'OpenPrivacyRequest';
      requestId: string;
      subjectId: string;
      kind: PrivacyRequestKind;
      jurisdiction: PrivacyJurisdiction;
      receivedVia: PrivacyRequestChannel;
      receivedAt: string;
      by: string;
    }
  | { type: 'VerifyIdentity'; requestId: string; by: string }
  | { type: 'ExtendPrivacyRequest'; requestId: string; reason: string; by: string }
  | {
      type: 'CompletePrivacyRequest';
      requestId: string;
      outcome: string | null;
      receiptId: string | null;
      by: string;
    }
  | { type: 'RefusePrivacyRequest'; requestId: string; reason: string; by: string };

export interface PrivacyRequestContext {
  now: Date;
  /** For completing an erasure request: whether the log has the customer erased. */
  subjectErased?: boolean;
}

/** The status a case is in. */
export function privacyRequestStatus(state: PrivacyRequestState): PrivacyRequestStatus {
  if (state.completed) return 'completed';
  if (state.refused) return 'refused';
  if (state.extended) return 'extended';
  return state.verified ? 'in_progress' : 'received';
}

/** Open and past its deadline at `now`. */
export function privacyRequestOverdue(state: PrivacyRequestState, now: Date): boolean {
  return !state.completed && !state.refused && now.toISOString() > state.dueAt;
}

/**
 * A data subject's request as a case: received → identity verified (work in progress) →
 * extended once with a reason → completed, or refused with a reason at any point while open.
 */
export const privacyRequestDecider: Decider<
  PrivacyRequestCommand,
  PrivacyRequestState | null,
  PrivacyRequestEvent,
  PrivacyRequestContext
> = {
  initialState: () => null,

  evolve(state, event) {
    if (event.type === 'PrivacyRequestReceived')
      return {
        received: event.data,
        verified: null,
        extended: null,
        completed: null,
        refused: null,
        dueAt: event.data.dueAt,
        dueDay: event.data.dueDay,
      };
    if (!state) return state;
    switch (event.type) {
      case 'PrivacyRequestIdentityVerified':
        return { ...state, verified: event.data };
      case 'PrivacyRequestExtended':
        return {
          ...state,
          extended: event.data,
          dueAt: event.data.dueAt,
          dueDay: event.data.dueDay,
        };
      case 'PrivacyRequestCompleted':
        return { ...state, completed: event.data };
      case 'PrivacyRequestRefused':
        return { ...state, refused: event.data };
    }
  },

  decide(command, state, { now, subjectErased }) {
    const at = now.toISOString();
    if (command.type === 'OpenPrivacyRequest') {
      if (state) throw conflict('requestId', 'this privacy request is already open');
      const due = answerDeadline(command.jurisdiction, new Date(command.receivedAt));
      return [
        {
          type: 'PrivacyRequestReceived',
          data: {
            requestId: command.requestId,
            subjectId: command.subjectId,
            kind: command.kind,
            jurisdiction: command.jurisdiction,
            receivedVia: command.receivedVia,
            receivedAt: command.receivedAt,
            dueAt: due.dueAt,
            dueDay: due.dueDay,
            provisionalCalendar: due.provisional,
            by: command.by,
            at,
          },
        },
      ];
    }
    const { requestId, by } = command;
    if (!state) throw notFound('requestId', `privacy request ${requestId} does not exist`);
    if (state.completed || state.refused)
      throw conflict('requestId', `privacy request ${requestId} is ${privacyRequestStatus(state)}`);
    const late = at > state.dueAt;
    switch (command.type) {
      case 'VerifyIdentity':
        if (state.verified)
          throw conflict('requestId', `the identity for request ${requestId} is already verified`);
        return [{ type: 'PrivacyRequestIdentityVerified', data: { requestId, by, at } }];
      case 'ExtendPrivacyRequest': {
        if (state.extended)
          throw conflict('requestId', `privacy request ${requestId} was already extended once`);
        if (late)
          throw conflict(
            'requestId',
            `the deadline (${state.dueAt}) has passed: an extension must be notified before it`,
          );
        const { jurisdiction, receivedAt } = state.received;
        const due = extendedDeadline(jurisdiction, new Date(receivedAt));
        return [
          {
            type: 'PrivacyRequestExtended',
            data: {
              requestId,
              reason: command.reason,
              previousDueAt: state.dueAt,
              dueAt: due.dueAt,
              dueDay: due.dueDay,
              provisionalCalendar: due.provisional,
              by,
              at,
            },
          },
        ];
      }
      case 'CompletePrivacyRequest':
        if (!state.verified)
          throw conflict(
            'requestId',
            `the data subject's identity for request ${requestId} is not verified yet`,
          );
        if (state.received.kind === 'erasure' && subjectErased !== true)
          throw conflict(
            'requestId',
            `subject ${state.received.subjectId} has not been erased: erase first (POST /v1/subjects/{id}/erasure), then complete`,
          );
        return [
          {
            type: 'PrivacyRequestCompleted',
            data: {
              requestId,
              outcome: command.outcome,
              receiptId: command.receiptId,
              late,
              by,
              at,
            },
          },
        ];
      case 'RefusePrivacyRequest':
        return [
          {
            type: 'PrivacyRequestRefused',
            data: { requestId, reason: command.reason, late, by, at },
          },
        ];
    }
  },
};
