import {
  coveredByGpc,
  purposeDecider,
  PURPOSE_EVENT_TYPES,
  type JsonObject,
  type PurposeEvent,
  type PurposeState,
} from '@custodian/domain';
import type { TypedProjection } from '../projection.definition';

export type PurposeDocument = PurposeState & { gpcCovered: boolean } & JsonObject;

/** Every registered purpose as it stands now, for listing and for the GPC opt-out set. */
export const purposesProjection: TypedProjection<PurposeDocument, PurposeEvent> = {
  name: 'purposes',
  version: 1,
  eventTypes: PURPOSE_EVENT_TYPES,
  indexes: ['status', 'gpcCovered'],
  documentIds: (event) => [String(event.data.purposeId)],
  apply: (doc, event) => {
    const state = purposeDecider.evolve(doc, event);
    return state && ({ ...state, gpcCovered: coveredByGpc(state.flags) } as PurposeDocument);
  },
};
