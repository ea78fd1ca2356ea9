import {
  SUBJECT_EVENT_TYPES,
  subjectDecider,
  type JsonObject,
  type SubjectEvent,
} from '@custodian/domain';
import type { TypedProjection } from '../projection.definition';

export interface SubjectDocument extends JsonObject {
  subjectId: string;
  keyId: string;
  source: string;
  /** Field name → ciphertext under the subject's key. Emptied on erasure. */
  fields: Record<string, string>;
  registeredAt: string;
  erased: boolean;
  erasedAt: string | null;
  erasureReason: string | null;
}

/**
 * Each customer's profile as ciphertext, and whether they were erased. Values are decrypted
 * only when the API returns them; after erasure the document keeps no ciphertext at all.
 */
export const subjectsProjection: TypedProjection<SubjectDocument, SubjectEvent> = {
  name: 'subjects',
  version: 1,
  eventTypes: SUBJECT_EVENT_TYPES,
  indexes: ['erased', 'registeredAt'],
  documentIds: (event) => [String(event.data.subjectId)],
  apply: (doc, event) => {
    const previous = doc && {
      subjectId: doc.subjectId,
      keyId: doc.keyId,
      source: doc.source,
      fields: doc.fields,
      registeredAt: doc.registeredAt,
      erased: doc.erased
        ? { at: doc.erasedAt!, reason: doc.erasureReason as never, keyId: doc.keyId }
        : null,
    };
    const state = subjectDecider.evolve(previous, event);
    if (!state) return null;
    return {
      subjectId: state.subjectId,
      keyId: state.keyId,
      source: state.source,
      fields: state.fields,
      registeredAt: state.registeredAt,
      erased: state.erased !== null,
      erasedAt: state.erased?.at ?? null,
      erasureReason: state.erased?.reason ?? null,
    };
  },
};
