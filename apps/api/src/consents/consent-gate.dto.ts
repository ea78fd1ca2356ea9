import { badParam, PURPOSE_ID_PATTERN } from '@custodian/platform';

export const MAX_GATE_IDS = 10_000;

/**
 * The gate's body, checked by hand rather than by the validation pipe: copying and
 * decorating 10,000 ids would cost more than the check itself. Ids are checked one by one
 * in the service, with the same error shape.
 */
export function parseGateRequest(body: unknown): { purposeId: string; subjectIds: unknown[] } {
  const { purposeId, subjectIds, ...rest } = (body ?? {}) as Record<string, unknown>;
  const unknownField = Object.keys(rest)[0];
  if (unknownField !== undefined) throw badParam(unknownField, 'is not a field of this request');
  if (typeof purposeId !== 'string' || !PURPOSE_ID_PATTERN.test(purposeId)) {
    throw badParam('purposeId', 'must be 2-64 lowercase letters, digits or "-"');
  }
  if (!Array.isArray(subjectIds) || subjectIds.length === 0) {
    throw badParam('subjectIds', 'must be a non-empty array of subject ids');
  }
  if (subjectIds.length > MAX_GATE_IDS) {
    throw badParam('subjectIds', `must contain no more than ${MAX_GATE_IDS} elements`);
  }
  return { purposeId, subjectIds };
}
