import {
  legalHoldDecider,
  LEGAL_HOLD_EVENT_TYPES,
  type JsonObject,
  type LegalHoldEvent,
  type LegalHoldState,
} from '@custodian/domain';
import type { TypedProjection } from '../projection.definition';

/** No ciphertext here: names, periods and dates only. */
export interface LegalHoldDocument extends JsonObject {
  subjectId: string;
  status: 'held' | 'ended';
  until: string;
  placedAt: string;
  endedAt: string | null;
}

/** Legal holds by status and end, for the retention sweep that shreds them when they run out. */
export const legalHoldsProjection: TypedProjection<LegalHoldDocument, LegalHoldEvent> = {
  name: 'legal_holds',
  version: 1,
  eventTypes: LEGAL_HOLD_EVENT_TYPES,
  indexes: ['status', 'until'],
  documentIds: (event) => [String(event.data.subjectId)],
  apply: (doc, event) => {
    const before: LegalHoldState | null = doc
      ? {
          placed: {
            subjectId: doc.subjectId,
            keyId: '',
            fields: {},
            purposes: [],
            until: doc.until,
            placedAt: doc.placedAt,
          },
          ended: null,
        }
      : null;
    const state = legalHoldDecider.evolve(before, event);
    if (!state) return doc;
    return {
      subjectId: state.placed.subjectId,
      status: state.ended ? 'ended' : 'held',
      until: state.placed.until,
      placedAt: state.placed.placedAt,
      endedAt: state.ended?.endedAt ?? null,
    };
  },
};
