import { badParam, PURPOSE_ID_PATTERN } from '@custodian/platform';

export const MAX_GATE_IDS = 10_000;
/** Field names: the catalogue's own shape (subjects.dto.ts). */
const FIELD_NAME = /^[a-z][A-Za-z0-9]{1,39}$/;
const MAX_INCLUDE = 8;

export interface GateRequest {
  purposeId: string;
  subjectIds: unknown[];
  /** Contact fields to return for each allowed customer (absent: the gate alone, no values). */
  include?: string[];
}

/**
 * The gate's body, checked by hand rather than by the validation pipe: copying and
 * decorating 10,000 ids would cost more than the check itself. Ids are checked one by one
 * in the service, with the same error shape.
 */
export function parseGateRequest(body: unknown): GateRequest {
  const { purposeId, subjectIds, include, ...rest } = (body ?? {}) as Record<string, unknown>;
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
  if (include === undefined) return { purposeId, subjectIds };
  if (!Array.isArray(include) || include.length === 0 || include.length > MAX_INCLUDE) {
    throw badParam('include', `must be a non-empty array of at most ${MAX_INCLUDE} field names`);
  }
  include.forEach((name, i) => {
    if (typeof name !== 'string' || !FIELD_NAME.test(name))
      throw badParam(
        `include.${i}`,
        'must be a field name (2-40 letters or digits, a lowercase letter first)',
      );
    if (include.indexOf(name) !== i) throw badParam(`include.${i}`, 'is named twice');
  });
  return { purposeId, subjectIds, include: include as string[] };
}
