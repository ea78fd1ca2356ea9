import { addIsoDuration } from '../shared/iso';
import type { Decider } from '../shared/decider';
import { conflict, notFound } from '../shared/domain-error';
import type { PurposeState } from '../purposes/purpose.types';

/** Stream `hold-<subjectId>`: the fields an erasure kept under a legal hold, and its end. */
export const legalHoldStream = (subjectId: string) => `hold-${subjectId}`;

/** The purpose the access records of a hold's own re-keying are filed under. */
export const LEGAL_HOLD_PURPOSE = 'legal-hold';

export interface HeldPurpose {
  purposeId: string;
  fields: string[];
  holdAfterBasisEnds: string;
  /** When this purpose's hold ends. */
  until: string;
}

export interface LegalHoldPlaced {
  type: 'LegalHoldPlaced';
  data: {
    subjectId: string;
    /** The hold's own key (not the customer's data key, which the erasure destroys). */
    keyId: string;
    /** Field name → ciphertext under the hold key. */
    fields: Record<string, string>;
    purposes: HeldPurpose[];
    /** The hold ends when the last purpose's does. */
    until: string;
    placedAt: string;
  };
}
export interface LegalHoldEnded {
  type: 'LegalHoldEnded';
  data: { subjectId: string; keyId: string; endedAt: string };
}
export type LegalHoldEvent = LegalHoldPlaced | LegalHoldEnded;
export const LEGAL_HOLD_EVENT_TYPES: readonly LegalHoldEvent['type'][] = [
  'LegalHoldPlaced',
  'LegalHoldEnded',
];

export interface LegalHoldState {
  placed: LegalHoldPlaced['data'];
  ended: LegalHoldEnded['data'] | null;
}

export type LegalHoldCommand =
  | { type: 'PlaceLegalHold'; placed: Omit<LegalHoldPlaced['data'], 'placedAt'> }
  | { type: 'EndLegalHold'; subjectId: string };

/** A customer's legal hold: placed once, at the erasure; ended once, when its time has run out. */
export const legalHoldDecider: Decider<
  LegalHoldCommand,
  LegalHoldState | null,
  LegalHoldEvent,
  { now: Date }
> = {
  initialState: () => null,
  evolve(state, event) {
    if (event.type === 'LegalHoldPlaced') return { placed: event.data, ended: null };
    return state && { ...state, ended: event.data };
  },
  decide(command, state, { now }) {
    const at = now.toISOString();
    if (command.type === 'PlaceLegalHold') {
      // Placed already (an erasure retried after a crash): nothing new.
      if (state) return [];
      return [{ type: 'LegalHoldPlaced', data: { ...command.placed, placedAt: at } }];
    }
    if (!state) throw notFound('subjectId', `subject ${command.subjectId} has no legal hold`);
    if (state.ended) return [];
    if (state.placed.until > at)
      throw conflict('subjectId', `the legal hold runs until ${state.placed.until}`);
    return [
      {
        type: 'LegalHoldEnded',
        data: { subjectId: command.subjectId, keyId: state.placed.keyId, endedAt: at },
      },
    ];
  },
};

/**
 * What an erasure at `now` must keep: per purpose with a legal hold (active or retired; a
 * draft holds nothing) the fields of its hold the customer has, until `now` plus its period —
 * the basis (the contract, the obligation) ends at the latest with the erasure.
 */
export function heldPurposes(
  purposes: Iterable<PurposeState>,
  fieldNames: readonly string[],
  now: Date,
): HeldPurpose[] {
  const has = new Set(fieldNames);
  const held: HeldPurpose[] = [];
  for (const purpose of purposes) {
    if (!purpose.legalHold || purpose.status === 'draft') continue;
    const fields = purpose.legalHold.fields.filter((f) => has.has(f)).sort();
    if (fields.length === 0) continue;
    held.push({
      purposeId: purpose.purposeId,
      fields,
      holdAfterBasisEnds: purpose.legalHold.holdAfterBasisEnds,
      until: addIsoDuration(now, purpose.legalHold.holdAfterBasisEnds).toISOString(),
    });
  }
  return held.sort((a, b) => a.purposeId.localeCompare(b.purposeId));
}
