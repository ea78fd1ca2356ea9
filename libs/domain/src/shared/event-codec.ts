import type { JsonObject } from '../json';

/** Turns the data of one schema version of an event into the data of the next. Pure. */
export type Upcaster = (data: JsonObject) => JsonObject;

/**
 * How one event type is stored: its stable name, the schema version writers stamp in
 * `metadata.schemaVersion`, and the upcasters that bring older stored data up to it.
 * `upcasters[i]` turns version i+1 into version i+2, so `schemaVersion === upcasters.length + 1`.
 */
export interface EventCodec<Type extends string = string> {
  readonly type: Type;
  readonly schemaVersion: number;
  readonly upcasters: readonly Upcaster[];
}

/** A codec whose current version follows from its upcasters (none: version 1). */
export function eventCodec<Type extends string>(
  type: Type,
  upcasters: readonly Upcaster[] = [],
): EventCodec<Type> {
  return { type, schemaVersion: upcasters.length + 1, upcasters };
}
