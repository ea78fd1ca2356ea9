import {
  REDACTION_MAPPING_EVENT_TYPES,
  type JsonObject,
  type RedactionEvent,
} from '@custodian/domain';
import type { TypedProjection } from '../projection.definition';

/** No ciphertext here: ids, when the mapping expires and whether it is shredded. */
export interface RedactionMappingDocument extends JsonObject {
  redactionId: string;
  subjectId: string;
  expiresAt: string;
  status: 'sealed' | 'shredded';
}

/**
 * Pseudonym mappings sealed under a key of their own (issue 17), by status and expiry: the
 * expiry sweep destroys the key of each `sealed` one whose `expiresAt` has passed. Redactions
 * that kept no mapping, or kept one under the customer's key alone, are not listed.
 */
export const redactionMappingsProjection: TypedProjection<
  RedactionMappingDocument,
  RedactionEvent
> = {
  name: 'redaction_mappings',
  version: 1,
  eventTypes: REDACTION_MAPPING_EVENT_TYPES,
  indexes: ['status', 'expiresAt'],
  documentIds: (event) =>
    event.type === 'TextRedacted' &&
    !(event.data.mapping?.redactionKeyId && event.data.expiresAt && event.data.subjectId)
      ? []
      : [event.data.redactionId],
  apply: (doc, event) => {
    if (event.type === 'TextRedacted')
      return (
        doc ?? {
          redactionId: event.data.redactionId,
          subjectId: event.data.subjectId!,
          expiresAt: event.data.expiresAt!,
          status: 'sealed',
        }
      );
    return doc && { ...doc, status: 'shredded' };
  },
};
