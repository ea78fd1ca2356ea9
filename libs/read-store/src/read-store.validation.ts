import { InvalidReadStoreInputError } from './read-store.errors';
import type {
  CollectionSpec,
  FindQuery,
  LeaseRequest,
  RangeBound,
  RangeFilter,
  Scalar,
  WhereValue,
  WriteBatch,
} from './read-store.port';

const COLLECTION = /^[a-z][a-z0-9_]{0,62}$/;
const FIELD = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;
const RANGE_OPS = ['gt', 'gte', 'lt', 'lte'] as const;
export type RangeOp = (typeof RANGE_OPS)[number];

export function validateCollectionName(name: unknown): string {
  if (typeof name !== 'string' || !COLLECTION.test(name)) {
    throw new InvalidReadStoreInputError(
      'collection',
      'must be lowercase letters, digits or "_", starting with a letter, at most 63 characters',
    );
  }
  return name;
}

export function validateSpec(spec: CollectionSpec): Required<CollectionSpec> {
  const name = validateCollectionName(spec.name);
  const compoundIndexes = (spec.compoundIndexes ?? []).map((fields) => [...fields]);
  for (const fields of compoundIndexes) {
    if (fields.length < 2 || fields.length > 4 || new Set(fields).size !== fields.length) {
      throw new InvalidReadStoreInputError(
        'compoundIndexes',
        'each must name two to four different fields',
      );
    }
  }
  const indexes = [...new Set([...(spec.indexes ?? []), ...compoundIndexes.flat()])];
  for (const field of indexes) {
    if (!FIELD.test(field) || field === 'id') {
      throw new InvalidReadStoreInputError('indexes', `"${field}" is not an indexable field name`);
    }
  }
  return { name, indexes, compoundIndexes, deferIndexes: spec.deferIndexes === true };
}

export interface NormalizedQuery {
  /** Ranges are copies holding only their bounds, which are all strings or all numbers. */
  where: Array<[string, WhereValue]>;
  sortField: string;
  descending: boolean;
  limit: number;
  after: { value: Scalar; id: string } | null;
}

/** Checks a query against the collection's declared indexes. */
export function normalizeQuery(query: FindQuery, indexes: readonly string[]): NormalizedQuery {
  const where = Object.entries(query.where ?? {}).map(([field, value]): [string, WhereValue] => {
    if (field !== 'id' && !indexes.includes(field)) {
      throw new InvalidReadStoreInputError(
        `where.${field}`,
        'is not an indexed field of this collection',
      );
    }
    return [field, isScalar(value) ? value : normalizeRange(field, value)];
  });
  const sortField = query.sort?.field ?? 'id';
  if (sortField !== 'id' && !indexes.includes(sortField)) {
    throw new InvalidReadStoreInputError('sort.field', `"${sortField}" is not an indexed field`);
  }
  const direction = query.sort?.direction ?? 'asc';
  if (direction !== 'asc' && direction !== 'desc') {
    throw new InvalidReadStoreInputError('sort.direction', 'must be "asc" or "desc"');
  }
  const limit = query.limit ?? DEFAULT_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new InvalidReadStoreInputError('limit', `must be an integer from 1 to ${MAX_LIMIT}`);
  }
  return {
    where,
    sortField,
    descending: direction === 'desc',
    limit,
    after: query.cursor === undefined ? null : decodeCursor(query.cursor),
  };
}

/** True for the range objects of a normalized where; everything else there is a scalar. */
export function isRange(value: WhereValue): value is RangeFilter {
  return typeof value === 'object' && value !== null;
}

/** A normalized range's bounds, in a fixed order. */
export function rangeBounds(range: RangeFilter): Array<[RangeOp, RangeBound]> {
  return RANGE_OPS.flatMap((op): Array<[RangeOp, RangeBound]> => {
    const bound = range[op];
    return bound === undefined ? [] : [[op, bound]];
  });
}

/**
 * Copies a range, strictly: an unknown key such as "$gt" is an error, not a bound that is quietly
 * ignored (or, in MongoDB, passed on as an operator). Bounds of one range share a type because
 * each only matches values of its own type, so a mixed range could match nothing.
 */
function normalizeRange(field: string, value: unknown): RangeFilter {
  const path = `where.${field}`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidReadStoreInputError(
      path,
      'must be a string, number, boolean, null or a range of gt, gte, lt, lte',
    );
  }
  const unknownKey = Object.keys(value).find((key) => !RANGE_OPS.some((op) => op === key));
  if (unknownKey !== undefined) {
    throw new InvalidReadStoreInputError(
      path,
      `"${unknownKey}" is not a range bound; use gt, gte, lt or lte`,
    );
  }
  const range: Partial<Record<RangeOp, RangeBound>> = {};
  let type: 'string' | 'number' | undefined;
  for (const op of RANGE_OPS) {
    const bound = (value as Record<string, unknown>)[op];
    if (bound === undefined) continue;
    if (typeof bound !== 'string' && !(typeof bound === 'number' && Number.isFinite(bound))) {
      throw new InvalidReadStoreInputError(`${path}.${op}`, 'must be a string or a finite number');
    }
    if (type !== undefined && typeof bound !== type) {
      throw new InvalidReadStoreInputError(path, 'bounds must be all strings or all numbers');
    }
    type = typeof bound === 'string' ? 'string' : 'number';
    range[op] = bound;
  }
  if (type === undefined) {
    throw new InvalidReadStoreInputError(path, 'a range needs at least one of gt, gte, lt, lte');
  }
  return range as RangeFilter;
}

export function encodeCursor(value: Scalar, id: string): string {
  return Buffer.from(JSON.stringify([value, id])).toString('base64url');
}

function decodeCursor(cursor: unknown): { value: Scalar; id: string } {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(String(cursor), 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      isScalar(parsed[0]) &&
      typeof parsed[1] === 'string'
    ) {
      return { value: parsed[0], id: parsed[1] };
    }
  } catch {
    // fall through to the error below
  }
  throw new InvalidReadStoreInputError('cursor', 'is not a cursor this store returned');
}

export function validateIds(ids: readonly unknown[], field = 'id'): void {
  for (const id of ids) validateId(id, field);
}

export function validateId(id: unknown, field = 'id'): string {
  if (typeof id !== 'string' || id.length === 0 || id.length > 512) {
    throw new InvalidReadStoreInputError(
      field,
      'must be a non-empty string of at most 512 characters',
    );
  }
  return id;
}

export function validateBatch(batch: WriteBatch): void {
  if (!batch || !Array.isArray(batch.writes)) {
    throw new InvalidReadStoreInputError('writes', 'must be an array');
  }
  batch.writes.forEach((write, i) => {
    validateCollectionName(write.collection);
    validateId(write.id, `writes[${i}].id`);
    if (write.doc !== null && (typeof write.doc !== 'object' || Array.isArray(write.doc))) {
      throw new InvalidReadStoreInputError(`writes[${i}].doc`, 'must be an object or null');
    }
    const guard = write.guard;
    if (guard !== undefined) {
      if (typeof guard !== 'object' || guard === null || !FIELD.test(String(guard.field))) {
        throw new InvalidReadStoreInputError(`writes[${i}].guard.field`, 'must be a field name');
      }
      if (typeof guard.below !== 'number' || !Number.isFinite(guard.below)) {
        throw new InvalidReadStoreInputError(`writes[${i}].guard.below`, 'must be a finite number');
      }
    }
  });
  if (batch.scrub !== undefined && typeof batch.scrub !== 'boolean') {
    throw new InvalidReadStoreInputError('scrub', 'must be a boolean');
  }
  const checkpoint = batch.checkpoint;
  if (checkpoint) {
    if (typeof checkpoint.name !== 'string' || checkpoint.name.length === 0) {
      throw new InvalidReadStoreInputError('checkpoint.name', 'must be a non-empty string');
    }
    if (typeof checkpoint.position !== 'string' || checkpoint.position.length === 0) {
      throw new InvalidReadStoreInputError('checkpoint.position', 'must be a non-empty string');
    }
    if (!Number.isSafeInteger(checkpoint.sequence) || checkpoint.sequence < 0) {
      throw new InvalidReadStoreInputError('checkpoint.sequence', 'must be a non-negative integer');
    }
  }
}

function isScalar(value: unknown): value is Scalar {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}

const MAX_LEASE_TTL_MS = 86_400_000;

/** Checks a lease request; returns it with `now` filled in. */
export function validateLeaseRequest(request: LeaseRequest): Required<
  Omit<LeaseRequest, 'takeOverFrom'>
> & {
  takeOverFrom: string | null;
} {
  if (typeof request !== 'object' || request === null)
    throw new InvalidReadStoreInputError('lease', 'must be an object');
  const name = validateLeaseName(request.name);
  const holder = validateLeaseHolder(request.holder, 'holder');
  const { ttlMs } = request;
  if (!Number.isInteger(ttlMs) || ttlMs < 1 || ttlMs > MAX_LEASE_TTL_MS)
    throw new InvalidReadStoreInputError(
      'ttlMs',
      `must be a whole number from 1 to ${MAX_LEASE_TTL_MS}`,
    );
  const now = request.now ?? Date.now();
  if (!Number.isSafeInteger(now) || now < 0)
    throw new InvalidReadStoreInputError('now', 'must be a whole number of ms since the epoch');
  const takeOverFrom =
    request.takeOverFrom === undefined
      ? null
      : validateLeaseHolder(request.takeOverFrom, 'takeOverFrom');
  return { name, holder, ttlMs, now, takeOverFrom };
}

export function validateLeaseHolder(holder: unknown, field = 'holder'): string {
  if (typeof holder !== 'string' || holder.length === 0 || holder.length > 200)
    throw new InvalidReadStoreInputError(field, 'must be a string of 1 to 200 characters');
  return holder;
}

export function validateLeaseName(name: unknown): string {
  if (typeof name !== 'string' || !COLLECTION.test(name))
    throw new InvalidReadStoreInputError(
      'name',
      'must be lowercase letters, digits or "_", starting with a letter, at most 63 characters',
    );
  return name;
}
