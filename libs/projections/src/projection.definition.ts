import type { JsonObject } from '@custodian/domain';
import type { RecordedEvent } from '@custodian/event-store';

/**
 * A projection is pure: the same events in the same order always give the same documents, so
 * a rebuilt projection equals the live one. Time and ids come from the events, never the clock.
 */
export interface ProjectionDefinition<D extends JsonObject = JsonObject> {
  /** Lowercase letters, digits and "_"; names its collections. */
  name: string;
  /** Bump it when `apply` changes meaning: the projection is rebuilt and swapped in. */
  version: number;
  /** Event types this projection reads ('all' for every one); others only advance its checkpoint. */
  eventTypes: readonly string[] | 'all';
  /** Top-level document fields to index for `find`. */
  indexes?: readonly string[];
  /** The ids of the documents an event changes; none means the event is ignored. */
  documentIds(event: RecordedEvent): readonly string[];
  /** The document after the event, or null to delete it. */
  apply(doc: D | null, event: RecordedEvent, id: string): D | null;
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
