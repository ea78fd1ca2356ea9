import { SqliteEventStore, type EventStore, type RecordedEvent } from '@custodian/event-store';
import { leafOf, type SealedLeaf } from './log-hash';

/**
 * The log as each adapter stores it, hashed event by event. Every adapter has its own canonical
 * encoding of an event's stored bytes (docs/integrity.md); a checkpoint names the one it used.
 */
export interface StoredLog {
  readonly encoding: string;
  /** Events after `after` up to and including `upTo` (default: the end), at most `max`, hashed. */
  leaves(after: string | undefined, upTo: string | undefined, max: number): Promise<SealedLeaf[]>;
}

/** Embedded SQLite: the columns as stored, `data` and `metadata` being the stored JSON text. */
export const SQLITE_ENCODING = 'sqlite-v1';
/**
 * Any other adapter (EventStoreDB): data and metadata as `JSON.stringify` writes the JSON the
 * adapter returns, which for EventStoreDB are the bytes its client wrote.
 */
export const JSON_ENCODING = 'json-v1';

export function storedLogOf(store: EventStore): StoredLog {
  if (store instanceof SqliteEventStore) {
    return {
      encoding: SQLITE_ENCODING,
      leaves: async (after, upTo, max) =>
        store.readStoredRows(after, upTo, max).map((row) => ({
          position: String(row.position),
          leaf: leafOf([
            row.event_id,
            row.stream,
            String(row.revision),
            row.type,
            row.data,
            row.metadata,
            String(row.recorded_at),
          ]),
        })),
    };
  }
  return {
    encoding: JSON_ENCODING,
    leaves: async (after, upTo, max) => {
      const events = await store.readAll({ after, maxCount: max });
      const within =
        upTo === undefined
          ? events
          : events.filter((e) => store.comparePositions(e.position, upTo) <= 0);
      return within.map((event) => ({ position: event.position, leaf: jsonLeaf(event) }));
    },
  };
}

export function jsonLeaf(event: RecordedEvent): Buffer {
  return leafOf([
    event.id,
    event.stream,
    event.revision.toString(),
    event.type,
    JSON.stringify(event.data),
    JSON.stringify(event.metadata),
    String(event.recordedAt.getTime()),
  ]);
}
