/**
 * Translates validated read-store queries (see `normalizeQuery`) into MongoDB filters and sorts.
 * Pure functions, so the exact shapes are unit-tested without a server.
 */
import type { JsonObject } from '@custodian/domain';
import type { Document, Filter } from 'mongodb';
import { InvalidReadStoreInputError } from '../read-store.errors';
import type { Scalar } from '../read-store.port';
import { isRange, rangeBounds } from '../read-store.validation';
import type { NormalizedQuery } from '../read-store.validation';

/** How a read-model document is stored: the caller's JSON under `d`, so its keys never clash. */
export interface StoredModel {
  _id: string;
  d: JsonObject;
  /** Sequence of the checkpointed batch that last wrote it; absent for unguarded writes. */
  _seq?: number;
}

type Direction = 1 | -1;

/** `id` is the Mongo `_id`; declared fields live under `d` (names are validated to [A-Za-z0-9_]). */
export function fieldPath(field: string): string {
  return field === 'id' ? '_id' : `d.${field}`;
}

/**
 * Equality or a range on each field. `{ path: null }` matches null and missing alike, as SQL's
 * IS NULL on json_extract does; booleans only match booleans. $gt/$gte/$lt/$lte only match
 * values in the bound's type bracket (a string bound strings, a number bound numbers) and never
 * null or missing, which is what the SQLite adapter's json_type check reproduces.
 */
export function whereFilter(where: NormalizedQuery['where']): Filter<StoredModel> {
  const filter: Document = {};
  for (const [field, value] of where) {
    filter[fieldPath(field)] = isRange(value)
      ? Object.fromEntries(rangeBounds(value).map(([op, bound]) => [`$${op}`, bound]))
      : value;
  }
  return filter;
}

/** The where clause plus, when paging, the keyset condition; `$and` keeps both `_id` terms. */
export function findFilter(q: NormalizedQuery): Filter<StoredModel> {
  const where = whereFilter(q.where);
  if (!q.after) return where;
  const after = keysetFilter(q.sortField, q.descending, q.after.value, q.after.id);
  return Object.keys(where).length === 0 ? after : { $and: [where, after] };
}

/** Sort field, then id in the same direction. Null and missing sort first ascending, last descending. */
export function sortSpec(sortField: string, descending: boolean): Record<string, Direction> {
  const dir: Direction = descending ? -1 : 1;
  return sortField === 'id' ? { _id: dir } : { [fieldPath(sortField)]: dir, _id: dir };
}

/**
 * Scalar types in BSON sort order, after null. Mongo's $gt/$lt only compare values of the same
 * type ("type bracketing"), so the values of other types that sort after the cursor are added
 * by type, or a field holding both numbers and strings would lose the strings when paging.
 */
const TYPE_ORDER = ['number', 'string', 'bool'] as const;

/**
 * Documents strictly after (value, id) in the page order: the same rows as the SQLite adapter's
 * keysetCondition. Null stands for null or missing.
 */
export function keysetFilter(
  sortField: string,
  descending: boolean,
  value: Scalar,
  id: string,
): Filter<StoredModel> {
  if (sortField === 'id') return { _id: descending ? { $lt: id } : { $gt: id } };
  const path = fieldPath(sortField);
  if (value === null) {
    return descending
      ? { [path]: null, _id: { $lt: id } }
      : { $or: [{ [path]: null, _id: { $gt: id } }, { [path]: { $ne: null } }] };
  }
  const rank = TYPE_ORDER.indexOf(bsonType(value));
  const laterTypes = descending ? TYPE_ORDER.slice(0, rank) : TYPE_ORDER.slice(rank + 1);
  const branches: Document[] = [
    { [path]: descending ? { $lt: value } : { $gt: value } },
    { [path]: value, _id: descending ? { $lt: id } : { $gt: id } },
  ];
  if (laterTypes.length > 0) branches.push({ [path]: { $type: [...laterTypes] } });
  if (descending) branches.push({ [path]: null });
  return { $or: branches };
}

/**
 * The value a page's last row was sorted by, for its cursor. Indexed fields are meant to hold
 * scalars; an object or array has no cursor value (Mongo orders arrays by their elements), so
 * it fails loudly here instead of paging past documents silently.
 */
export function sortValue(row: Pick<StoredModel, '_id' | 'd'>, sortField: string): Scalar {
  if (sortField === 'id') return row._id;
  const value = row.d[sortField];
  if (value === undefined || value === null) return null;
  if (typeof value === 'object') {
    throw new InvalidReadStoreInputError(
      'sort.field',
      `"${sortField}" holds an object or array in document "${row._id}", so it cannot be paged`,
    );
  }
  return value;
}

function bsonType(value: Exclude<Scalar, null>): (typeof TYPE_ORDER)[number] {
  if (typeof value === 'number') return 'number';
  return typeof value === 'string' ? 'string' : 'bool';
}
