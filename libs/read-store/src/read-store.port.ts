/**
 * The ReadStore port: named collections of JSON documents, written only in atomic batches
 * together with a projection checkpoint. Adapters: embedded SQLite, MongoDB; both pass
 * `testing/read-store.contract.ts`.
 */
import type { JsonObject } from '@custodian/domain';

export type Scalar = string | number | boolean | null;

/** A range bound. Strings compare by UTF-8 bytes, so ISO-8601 UTC timestamps compare by time. */
export type RangeBound = string | number;

export interface Range<T extends RangeBound> {
  gt?: T;
  gte?: T;
  lt?: T;
  lte?: T;
}

/**
 * Bounds on an indexed field: at least one, all of them must hold. Every bound is a string or
 * every bound a finite number, and it only matches values of its own type: a string range never
 * matches numbers and a number range never matches strings or booleans (MongoDB only compares
 * values within one BSON type bracket, so the SQLite adapter checks the JSON type to agree).
 * A missing or null field never matches a range.
 */
export type RangeFilter = Range<string> | Range<number>;

/** Equality with a scalar, or a range. */
export type WhereValue = Scalar | RangeFilter;

export interface CollectionSpec {
  /** Lowercase letters, digits and "_", starting with a letter; at most 63 characters. */
  name: string;
  /** Top-level fields that `find` and `count` may filter and `find` sort by. `id` always is. */
  indexes?: string[];
  /**
   * Indexes over several fields at once, in order (then `id`), e.g. `['actorId', 'at']` for
   * "this actor within this time range" without visiting the actor's other documents. Their
   * fields become filterable as if listed in `indexes`. Two to four fields each.
   */
  compoundIndexes?: string[][];
  /**
   * A collection about to be filled from nothing (a projection rebuild): the adapter may build
   * the indexes later, in one pass, rather than on every write. They are built at the latest
   * when the collection is first queried (`find`, `count`) or ensured again without this flag;
   * queries answer the same either way. Adapters may ignore it.
   */
  deferIndexes?: boolean;
}

export interface FindQuery {
  /**
   * Conditions on indexed fields, all of which must match: a scalar for equality (null also
   * matches a missing field), or a `RangeFilter`.
   */
  where?: Record<string, WhereValue>;
  /** Default: by id ascending. Ties are broken by id. */
  sort?: { field: string; direction?: 'asc' | 'desc' };
  /** Default 100, at most 1000. */
  limit?: number;
  /** `nextCursor` from the previous page. */
  cursor?: string;
}

export interface StoredDocument {
  id: string;
  doc: JsonObject;
}

export interface FindPage {
  items: StoredDocument[];
  /** Null when there is nothing after this page. */
  nextCursor: string | null;
}

/** Where a projection has got to in the event log. */
export interface Checkpoint {
  /** Opaque event-store position of the last event applied. */
  position: string;
  /** How many events the projection has applied, counting from the start; grows by one per event. */
  sequence: number;
}

export interface DocumentWrite {
  collection: string;
  id: string;
  /** The whole new document, or null to delete it. */
  doc: JsonObject | null;
  /**
   * Applies this write only while the stored document is missing, or its top-level `field` is
   * missing, not a number, or a number below `below`; otherwise the write is skipped (not an
   * error) and the rest of the batch still commits. The check and the write are one atomic step
   * in the store, so writers in several processes can order their writes by a number they carry
   * (a stream revision): the highest wins whatever order they arrive in.
   */
  guard?: { field: string; below: number };
}

export interface WriteBatch {
  writes: DocumentWrite[];
  /** Stored in the same atomic commit as the writes. */
  checkpoint?: { name: string } & Checkpoint;
  /**
   * The batch deletes something that must not survive anywhere in the store's files (an
   * erasure's blind-index entries): once it has committed, the adapter removes the older copies
   * it keeps beside the live data. Costly (SQLite checkpoints its WAL), so projections never set it.
   */
  scrub?: boolean;
}

/**
 * A named lease: at most one holder at a time, until it expires unless its holder renews it.
 * Times are milliseconds since the epoch, from the callers' clocks (keep them in sync well
 * within a lease's time to live).
 */
export interface Lease {
  name: string;
  holder: string;
  /** When this holder took it (kept across renewals). */
  acquiredAt: number;
  expiresAt: number;
}

export interface LeaseRequest {
  /** As a collection name: lowercase letters, digits and "_", starting with a letter. */
  name: string;
  /** Who asks; at most 200 characters. */
  holder: string;
  /** How long from `now` the lease lasts; a whole number of ms from 1 to one day. */
  ttlMs: number;
  /** Default `Date.now()`. */
  now?: number;
  /** A holder known to be dead (its process is gone): its lease is taken though unexpired. */
  takeOverFrom?: string;
}

export interface ReadStore {
  /** Creates the collection and its indexes if missing; safe to call on every start. */
  ensureCollection(spec: CollectionSpec): Promise<void>;
  /** Removes a collection and all its documents (used when a rebuilt projection is swapped in). */
  dropCollection(name: string): Promise<void>;
  get(collection: string, id: string): Promise<JsonObject | null>;
  getMany(collection: string, ids: readonly string[]): Promise<Map<string, JsonObject>>;
  find(collection: string, query?: FindQuery): Promise<FindPage>;
  /** `where` as in `FindQuery`. */
  count(collection: string, where?: Record<string, WhereValue>): Promise<number>;
  /** All writes and the checkpoint commit together or not at all. */
  commit(batch: WriteBatch): Promise<void>;
  getCheckpoint(name: string): Promise<Checkpoint | null>;
  /**
   * Takes the lease for `holder`, or renews it, if it is free, expired, already `holder`'s, or
   * held by `takeOverFrom`; otherwise leaves it. One atomic step in the store, so two processes
   * asking at once never both get it. Returns the lease as stored afterwards: `holder` holds it
   * only if the returned lease names it.
   */
  acquireLease(request: LeaseRequest): Promise<Lease>;
  /** Gives the lease up if `holder` holds it (a no-op otherwise). */
  releaseLease(name: string, holder: string): Promise<void>;
  /** The lease as stored (possibly expired), or null if nobody ever took it. */
  getLease(name: string): Promise<Lease | null>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const READ_STORE = Symbol.for('custodian.ReadStore');
