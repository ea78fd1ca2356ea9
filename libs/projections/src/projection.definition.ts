import type { JsonObject } from '@custodian/domain';
import type { CustodianEvent, Recorded, RecordedEvent } from '@custodian/event-store';

/** What a projection may be given: a stored event, its data typed or not. */
export type StoredEvent = Omit<RecordedEvent, 'type' | 'data'> & { type: string; data: unknown };

/**
 * A projection is pure: the same events in the same order always give the same documents, so
 * a rebuilt projection equals the live one. Time and ids come from the events, never the clock.
 */
export interface ProjectionDefinition<
  D extends JsonObject = JsonObject,
  Ev extends StoredEvent = RecordedEvent,
> {
  /** Lowercase letters, digits and "_"; names its collections. */
  name: string;
  /** Bump it when `apply` changes meaning: the projection is rebuilt and swapped in. */
  version: number;
  /** Event types this projection reads ('all' for every one); others only advance its checkpoint. */
  eventTypes: readonly Ev['type'][] | 'all';
  /** Top-level document fields to index for `find`. */
  indexes?: readonly string[];
  /** Indexes over several fields in order (then id), as the read store's `compoundIndexes`. */
  compoundIndexes?: readonly (readonly string[])[];
  /**
   * The ids of the documents an event changes; none means the event is ignored. `lookup` gives
   * the documents `consults` names for this event, as they stand just before it (the runner
   * always passes it; it is optional for callers of a definition that consults nothing).
   */
  documentIds(event: Ev, lookup?: DocumentLookup<D>): readonly string[];
  /**
   * Also changed by the event: every document of this projection whose fields equal these
   * (indexed fields only), as they stand just before it — e.g. every consent of a customer
   * being erased. The runner finds them, so `documentIds` need not know them. Null: none.
   */
  documentsWhere?(event: Ev): Record<string, string | number | boolean> | null;
  /**
   * Documents of this projection that `documentIds` and `apply` read for this event, without
   * changing them (e.g. a per-customer marker). Still pure: they are what earlier events made.
   */
  consults?(event: Ev): readonly string[];
  /** The document after the event, or null to delete it. */
  apply(doc: D | null, event: Ev, id: string, lookup?: DocumentLookup<D>): D | null;
}

/**
 * The documents a definition's `consults` named for the event being applied, as they stand just
 * before it (null: no such document). Asking for another id throws: a projection may read only
 * what it declared, so the runner can load it ahead.
 */
export type DocumentLookup<D extends JsonObject = JsonObject> = (id: string) => D | null;

/**
 * A projection of typed events: `apply` gets them decoded (the runners upcast each batch once,
 * for all projections) and narrowed to the types it names in `eventTypes`.
 */
export type TypedProjection<
  D extends JsonObject,
  E extends CustodianEvent = CustodianEvent,
> = ProjectionDefinition<D, Recorded<E>>;

/**
 * The definition as the runner holds it, with its document and event types erased: the runner
 * gives it only events of the types it names, decoded, and stores what it returns.
 */
export function untyped<D extends JsonObject, Ev extends StoredEvent>(
  definition: ProjectionDefinition<D, Ev>,
): ProjectionDefinition<JsonObject> {
  return definition as unknown as ProjectionDefinition<JsonObject>;
}

const NAME = /^[a-z][a-z0-9_]{0,39}$/;

export function validateDefinition(def: ProjectionDefinition<JsonObject>): void {
  if (!NAME.test(def.name)) {
    throw new Error(
      `projection name "${def.name}" must be lowercase letters, digits or "_" (at most 40)`,
    );
  }
  if (!Number.isSafeInteger(def.version) || def.version < 1) {
    throw new Error(`projection "${def.name}": version must be a positive integer`);
  }
  if (def.eventTypes.length === 0)
    throw new Error(`projection "${def.name}" handles no event types`);
}

/** A fresh collection name for one build of a projection version; builds never share one. */
export function newBuildCollection(name: string, version: number, random: () => string): string {
  return `${name}_v${version}_${random()}`;
}

export function checkpointName(collection: string): string {
  return `projection:${collection}`;
}
