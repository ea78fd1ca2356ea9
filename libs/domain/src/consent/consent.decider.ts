import { coveredByGpc, type PurposeState } from '../purposes/purpose.types';
import type { Decider } from '../shared/decider';
import { invalid, notFound } from '../shared/domain-error';
import type { ConsentEvent, ConsentRevoked } from './consent.events';
import { AFFIRMATIVE_METHODS, type ConsentEvidence, type ConsentState } from './consent.types';

export interface RecordConsent {
  type: 'RecordConsent';
  subjectId: string;
  purposeId: string;
  action: 'grant' | 'revoke';
  noticeVersion: string | null;
  evidence: ConsentEvidence;
  expiresAt: string | null;
  /** The receipt id of the decision recorded (ids come in, never made inside the domain). */
  receiptId: string;
  /** The request carried a Global Privacy Control signal (`Sec-GPC: 1`). */
  gpc: boolean;
}

export interface ConsentContext {
  now: Date;
  /** The purpose the command names, as it stands now; null when it is not registered. */
  purpose: PurposeState | null;
  /** Active purposes a GPC signal opts out of (only consulted when `gpc` is set). */
  gpcPurposes: readonly PurposeState[];
  /** Receipt id for the GPC opt-out recorded for a purpose, derived from the command's. */
  gpcReceiptId(purposeId: string): string;
}

/** The evidence a grant must carry; a revocation needs only the channel. */
export const GRANT_EVIDENCE = ['collectionPoint', 'method', 'language', 'jurisdiction'] as const;

/** One customer's consents, per purpose: grants and revocations with their evidence. */
export const consentDecider: Decider<RecordConsent, ConsentState, ConsentEvent, ConsentContext> = {
  initialState: () => ({ purposes: {} }),

  evolve(state, event) {
    const d = event.data;
    const granted = event.type === 'ConsentGranted';
    return {
      purposes: {
        ...state.purposes,
        [d.purposeId]: {
          purposeId: d.purposeId,
          decision: granted ? 'granted' : 'revoked',
          since: granted ? event.data.grantedAt : event.data.revokedAt,
          noticeVersion: d.noticeVersion,
          channel: d.evidence.channel,
          method: d.evidence.method ?? null,
          expiresAt: granted ? event.data.expiresAt : null,
          receiptId: d.receiptId,
        },
      },
    };
  },

  decide(command, state, context) {
    const { purpose, now } = context;
    const at = now.toISOString();
    if (!purpose) throw notFound('purposeId', `purpose "${command.purposeId}" is not registered`);
    if (purpose.status !== 'active') {
      throw invalid('purposeId', `purpose "${purpose.purposeId}" is ${purpose.status}, not active`);
    }
    if (
      command.noticeVersion !== null &&
      !purpose.notices.some((n) => n.version === command.noticeVersion)
    ) {
      throw invalid(
        'noticeVersion',
        `purpose "${purpose.purposeId}" has no notice version "${command.noticeVersion}"`,
      );
    }

    const events: ConsentEvent[] = [];
    if (command.action === 'grant') {
      if (command.noticeVersion === null)
        throw invalid('noticeVersion', 'a grant must name the notice shown');
      for (const field of GRANT_EVIDENCE)
        if (command.evidence[field] === undefined)
          throw invalid(`evidence.${field}`, 'is required for a grant');
      if (!AFFIRMATIVE_METHODS.includes(command.evidence.method!)) {
        throw invalid(
          'evidence.method',
          `"${command.evidence.method}" is not an affirmative act of consent`,
        );
      }
      if (command.expiresAt !== null && command.expiresAt <= at) {
        throw invalid('expiresAt', 'must be in the future');
      }
      if (command.gpc && coveredByGpc(purpose.flags)) {
        throw invalid(
          'Sec-GPC',
          `the request carries a Global Privacy Control signal, which opts out of purpose "${purpose.purposeId}" (sale/share or targeted advertising)`,
        );
      }
      events.push({
        type: 'ConsentGranted',
        data: {
          subjectId: command.subjectId,
          purposeId: purpose.purposeId,
          receiptId: command.receiptId,
          noticeVersion: command.noticeVersion,
          legalBasis: purpose.legalBasis,
          evidence: command.evidence,
          expiresAt: command.expiresAt,
          grantedAt: at,
        },
      });
    } else {
      if (command.expiresAt !== null) throw invalid('expiresAt', 'only a grant can expire');
      events.push(
        revocation(
          command.subjectId,
          purpose,
          command.receiptId,
          command.noticeVersion,
          command.evidence,
          'request',
          at,
        ),
      );
    }

    if (command.gpc) {
      // The signal opts out of every covered purpose not already revoked.
      for (const covered of context.gpcPurposes) {
        if (covered.purposeId === purpose.purposeId && command.action === 'revoke') continue;
        if (state.purposes[covered.purposeId]?.decision === 'revoked') continue;
        events.push(
          revocation(
            command.subjectId,
            covered,
            context.gpcReceiptId(covered.purposeId),
            null,
            { ...command.evidence, method: 'gpc_signal' },
            'gpc',
            at,
          ),
        );
      }
    }
    return events;
  },
};

function revocation(
  subjectId: string,
  purpose: PurposeState,
  receiptId: string,
  noticeVersion: string | null,
  evidence: ConsentEvidence,
  trigger: ConsentRevoked['data']['trigger'],
  at: string,
): ConsentRevoked {
  return {
    type: 'ConsentRevoked',
    data: {
      subjectId,
      purposeId: purpose.purposeId,
      receiptId,
      noticeVersion,
      legalBasis: purpose.legalBasis,
      evidence,
      trigger,
      revokedAt: at,
    },
  };
}
