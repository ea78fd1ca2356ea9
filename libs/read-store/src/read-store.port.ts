/**
 * The ReadStore port: named collections of JSON documents, written only in atomic batches
 * together with a projection checkpoint. Adapters: embedded SQLite, MongoDB; both pass
 * `testing/read-store.contract.ts`.
 */
import type { JsonObject } from '@custodian/domain';

export type Scalar = string | number | boolean | null;

export interface CollectionSpec {
  /** Lowercase letters, digits and "_", starting with a letter; at most 63 characters. */
  name: string;
  /** Top-level fields that `find` may filter on by equality and sort by. `id` always is. */
  indexes?: string[];
}

export interface FindQuery {
  /** Equality on indexed fields, all of which must match. */
  where?: Record<string, Scalar>;
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
}

export interface WriteBatch {
  writes: DocumentWrite[];
  /** Stored in the same atomic commit as the writes. */
  checkpoint?: { name: string } & Checkpoint;
}

export interface ReadStore {
  /** Creates the collection and its indexes if missing; safe to call on every start. */
  ensureCollection(spec: CollectionSpec): Promise<void>;
  /** Removes a collection and all its documents (used when a rebuilt projection is swapped in). */
  dropCollection(name: string): Promise<void>;
  get(collection: string, id: string): Promise<JsonObject | null>;
  getMany(collection: string, ids: readonly string[]): Promise<Map<string, JsonObject>>;
  find(collection: string, query?: FindQuery): Promise<FindPage>;
  count(collection: string, where?: Record<string, Scalar>): Promise<number>;
  /** All writes and the checkpoint commit together or not at all. */
  commit(batch: WriteBatch): Promise<void>;
  getCheckpoint(name: string): Promise<Checkpoint | null>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const READ_STORE = Symbol.for('custodian.ReadStore');
