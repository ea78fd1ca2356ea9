import {
  ANY,
  jsonEvent,
  NO_STREAM,
  STREAM_EXISTS,
  type AppendExpectedRevision,
  type EventData,
  type RecordedEvent as EsdbRecordedEvent,
} from '@eventstore/db-client';
import type { ValidatedEvent } from '../append-validation';
import { EventStoreUnavailableError } from '../event-store.errors';
import type { ExpectedRevision, JsonObject, RecordedEvent } from '../event-store.port';
import { encodePosition, isRealPosition } from './esdb-positions';

export function toEsdbExpectedRevision(expected: ExpectedRevision): AppendExpectedRevision {
  switch (expected) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    default:
      return expected;
  }
}

/** A validated event as an ESDB JSON event, keeping its id so a retry is idempotent. */
export function toEventData(event: ValidatedEvent): EventData {
  return jsonEvent({ id: event.id, type: event.type, data: event.data, metadata: event.metadata });
}

/**
 * System events (`$`-typed: stats, projection links and checkpoints, metadata) and anything in
 * a `$` stream are the server's own bookkeeping, `_` streams the adapter's; the port cannot
 * write any of them, so they never reach a caller.
 */
export function isUserEvent(event: EsdbRecordedEvent): boolean {
  return (
    !event.type.startsWith('$') &&
    !event.streamId.startsWith('$') &&
    // The adapter's own plans of `any` appends (`_once-<id>`): no port stream starts with "_".
    !event.streamId.startsWith('_')
  );
}

/** `position` overrides the event's own (stream reads carry it only on 22.6+ servers). */
export function toRecordedEvent(
  event: EsdbRecordedEvent,
  position = event.position,
): RecordedEvent {
  if (!isRealPosition(position)) {
    throw new EventStoreUnavailableError(
      `EventStoreDB did not report the position of event ${event.id} in "${event.streamId}"; the adapter needs server 22.6 or later`,
    );
  }
  return {
    id: event.id,
    stream: event.streamId,
    revision: event.revision,
    position: encodePosition(position),
    type: event.type,
    data: jsonObject(event.data, event, 'data'),
    // The client sends `{}` but hands back nothing for empty metadata.
    metadata: event.metadata === undefined ? {} : jsonObject(event.metadata, event, 'metadata'),
    recordedAt: event.created,
  };
}

function jsonObject(
  value: unknown,
  event: EsdbRecordedEvent,
  part: 'data' | 'metadata',
): JsonObject {
  const isObject =
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array);
  // Binary data (`isJson` false) was not written by this adapter either, even if it parses.
  if (isObject && (part === 'metadata' || event.isJson)) return value as JsonObject;
  // Written by something other than this adapter: refuse it rather than guess.
  throw new EventStoreUnavailableError(
    `EventStoreDB event ${event.id} in "${event.streamId}" has ${part} that is not a JSON object`,
  );
}
