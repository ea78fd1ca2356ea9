import type { Decider } from '../shared/decider';
import { conflict } from '../shared/domain-error';

/** Stream `receipt-<receiptId>`: a DPO's finding that a consent receipt was unsound. */
export const receiptStream = (receiptId: string) => `receipt-${receiptId}`;

/**
 * A consent receipt found unsound (forged proof, wrong notice): the reads and exports that
 * relied on it are listed as affected. The consent ledger itself is left as it was recorded.
 */
export interface ConsentReceiptInvalidated {
  type: 'ConsentReceiptInvalidated';
  data: {
    receiptId: string;
    /** The consent the receipt belongs to (from the receipt), so a fold per customer finds it. */
    subjectId: string;
    purposeId: string;
    /** Operational text: why the receipt is unsound (no personal values). */
    reason: string;
    invalidatedBy: string;
    at: string;
  };
}

export type ReceiptInvalidationEvent = ConsentReceiptInvalidated;

export type ReceiptInvalidationState = ConsentReceiptInvalidated['data'] | null;

export interface InvalidateReceipt {
  type: 'InvalidateReceipt';
  receiptId: string;
  subjectId: string;
  purposeId: string;
  reason: string;
  by: string;
}

/** A receipt is invalidated once: a second invalidation is a conflict. */
export const receiptInvalidationDecider: Decider<
  InvalidateReceipt,
  ReceiptInvalidationState,
  ReceiptInvalidationEvent,
  { now: Date }
> = {
  initialState: () => null,
  evolve: (_state, event) => event.data,
  decide: (command, state, { now }) => {
    if (state)
      throw conflict(
        'receiptId',
        `receipt ${command.receiptId} was already invalidated at ${state.at}`,
      );
    return [
      {
        type: 'ConsentReceiptInvalidated',
        data: {
          receiptId: command.receiptId,
          subjectId: command.subjectId,
          purposeId: command.purposeId,
          reason: command.reason,
          invalidatedBy: command.by,
          at: now.toISOString(),
        },
      },
    ];
  },
};
