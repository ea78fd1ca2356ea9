import type { Decider } from '../shared/decider';
import { conflict, DomainError, notFound } from '../shared/domain-error';
import type { ErasureChannel, ErasureReason } from '../subjects/subject.types';

/**
 * Stream `erasureapproval-<subjectId>`: an erasure held for a second person because its
 * requester had erased more customers this hour than the configured limit allows.
 */
export const erasureApprovalStream = (subjectId: string) => `erasureapproval-${subjectId}`;

export interface ErasureHeld {
  type: 'ErasureHeld';
  data: {
    subjectId: string;
    requestedBy: string;
    role: string;
    reason: ErasureReason;
    requestedVia: ErasureChannel;
    /** Erasures the requester had made in the hour when this one was asked for. */
    erasuresThisHour: number;
    /** The limit in force (`CUSTODIAN_ERASURE_APPROVAL_ABOVE`). */
    threshold: number;
    at: string;
  };
}
export interface ErasureApproved {
  type: 'ErasureApproved';
  data: { subjectId: string; approverId: string; note: string; at: string };
}
export type ErasureApprovalEvent = ErasureHeld | ErasureApproved;
export const ERASURE_APPROVAL_EVENT_TYPES: readonly ErasureApprovalEvent['type'][] = [
  'ErasureHeld',
  'ErasureApproved',
];

export interface ErasureApprovalState {
  request: ErasureHeld['data'];
  status: 'awaiting_approval' | 'approved';
  approval: ErasureApproved['data'] | null;
}

export type ErasureApprovalCommand =
  | { type: 'HoldErasure'; request: ErasureHeld['data'] }
  | { type: 'ApproveErasure'; subjectId: string; approverId: string; note: string };

/**
 * Four eyes on erasures beyond the hourly limit: held, then approved by someone other than
 * the requester (the erasure itself is the subject's `SubjectErased`, recorded on approval).
 * Holding what is already held decides nothing.
 */
export const erasureApprovalDecider: Decider<
  ErasureApprovalCommand,
  ErasureApprovalState | null,
  ErasureApprovalEvent,
  { now: Date }
> = {
  initialState: () => null,

  evolve(state, event) {
    if (event.type === 'ErasureHeld')
      return { request: event.data, status: 'awaiting_approval', approval: null };
    return state && { ...state, status: 'approved', approval: event.data };
  },

  decide(command, state, { now }) {
    if (command.type === 'HoldErasure') {
      if (state?.status === 'awaiting_approval') return [];
      return [{ type: 'ErasureHeld', data: command.request }];
    }
    const { subjectId, approverId, note } = command;
    if (!state)
      throw notFound('subjectId', `no erasure of subject ${subjectId} is awaiting approval`);
    if (state.status !== 'awaiting_approval')
      throw conflict('subjectId', `the erasure of subject ${subjectId} is already approved`);
    if (approverId === state.request.requestedBy)
      throw new DomainError(
        'forbidden',
        'subjectId',
        'nobody approves their own erasure; another DPO must',
      );
    return [
      { type: 'ErasureApproved', data: { subjectId, approverId, note, at: now.toISOString() } },
    ];
  },
};
