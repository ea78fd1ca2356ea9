import { newEventId } from './event-ids';
import { InvalidEventStoreInputError } from './event-store.errors';
import type { AppendOptions, ExpectedRevision, JsonObject, NewEvent } from './event-store.port';

/** An append that passed validation: ids assigned, payloads serialised once. */
export interface ValidatedAppend {
  stream: string;
  expectedRevision: ExpectedRevision;
  events: ValidatedEvent[];
}

export interface ValidatedEvent {
  id: string;
  type: string;
  data: JsonObject;
  metadata: JsonObject;
  dataJson: string;
  metadataJson: string;
}

const STREAM_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/;
const EVENT_TYPE = /^[A-Za-z][A-Za-z0-9_.-]{0,127}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_EVENTS_PER_APPEND = 10_000;

export function validateStreamName(stream: unknown): string {
  if (typeof stream !== 'string' || stream.length === 0) {
    throw new InvalidEventStoreInputError('stream', 'must be a non-empty string');
  }
  if (!STREAM_NAME.test(stream)) {
    throw new InvalidEventStoreInputError(
      'stream',
      'must be 1-200 characters of letters, digits, "_", ".", ":" or "-", not starting with "$" or punctuation',
    );
  }
  return stream;
}

export function validateExpectedRevision(value: unknown): ExpectedRevision {
  if (value === undefined) return 'any';
  if (value === 'any' || value === 'no_stream' || value === 'stream_exists') return value;
  if (typeof value === 'bigint') {
    if (value < 0n)
      throw new InvalidEventStoreInputError('expectedRevision', 'must not be negative');
    return value;
  }
  throw new InvalidEventStoreInputError(
    'expectedRevision',
    'must be "any", "no_stream", "stream_exists" or a non-negative bigint',
  );
}

export function validateMaxCount(value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidEventStoreInputError('maxCount', 'must be a positive integer');
  }
  return value;
}

export function validateAppend(
  stream: unknown,
  events: unknown,
  options: AppendOptions | undefined,
): ValidatedAppend {
  const name = validateStreamName(stream);
  const expectedRevision = validateExpectedRevision(options?.expectedRevision);
  if (!Array.isArray(events) || events.length === 0) {
    throw new InvalidEventStoreInputError('events', 'must be a non-empty array');
  }
  if (events.length > MAX_EVENTS_PER_APPEND) {
    throw new InvalidEventStoreInputError('events', `at most ${MAX_EVENTS_PER_APPEND} per append`);
  }
  const seen = new Set<string>();
  const validated = events.map((event: unknown, index) => {
    const field = `events[${index}]`;
    if (!isPlainObject(event)) throw new InvalidEventStoreInputError(field, 'must be an object');
    const { id, type, data, metadata } = event as Partial<NewEvent>;
    if (typeof type !== 'string' || !EVENT_TYPE.test(type)) {
      throw new InvalidEventStoreInputError(`${field}.type`, 'must be a stable event type name');
    }
    let eventId: string;
    if (id === undefined) {
      eventId = newEventId();
    } else if (typeof id === 'string' && UUID.test(id)) {
      eventId = id.toLowerCase();
    } else {
      throw new InvalidEventStoreInputError(`${field}.id`, 'must be a UUID');
    }
    if (seen.has(eventId)) {
      throw new InvalidEventStoreInputError(`${field}.id`, 'appears twice in one append');
    }
    seen.add(eventId);
    assertJsonObject(data, `${field}.data`);
    const meta = metadata ?? {};
    assertJsonObject(meta, `${field}.metadata`);
    return {
      id: eventId,
      type,
      data,
      metadata: meta,
      dataJson: JSON.stringify(data),
      metadataJson: JSON.stringify(meta),
    };
  });
  return { stream: name, expectedRevision, events: validated };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Rejects anything JSON would silently change or drop: only what round-trips exactly passes. */
function assertJsonObject(value: unknown, field: string): asserts value is JsonObject {
  if (!isPlainObject(value)) throw new InvalidEventStoreInputError(field, 'must be a JSON object');
  // The fast check builds no paths; only a failure walks again to name the field at fault.
  if (!isJson(value, new Set())) {
    assertJson(value, field, new Set());
    throw new InvalidEventStoreInputError(field, 'is not JSON');
  }
}

function isJson(value: unknown, ancestors: Set<object>): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (ancestors.has(value)) return false;
      ancestors.add(value);
      let ok: boolean;
      if (Array.isArray(value)) ok = value.every((item) => isJson(item, ancestors));
      else if (isPlainObject(value)) {
        ok = true;
        for (const key in value) {
          if (!isJson(value[key], ancestors)) {
            ok = false;
            break;
          }
        }
      } else ok = false;
      ancestors.delete(value);
      return ok;
    }
    default:
      return false;
  }
}

function assertJson(value: unknown, path: string, ancestors: Set<object>): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) {
        throw new InvalidEventStoreInputError(path, 'numbers must be finite to be JSON');
      }
      return;
    case 'object': {
      if (value === null) return;
      if (ancestors.has(value)) throw new InvalidEventStoreInputError(path, 'is circular');
      ancestors.add(value);
      if (Array.isArray(value)) {
        value.forEach((item, i) => assertJson(item, `${path}[${i}]`, ancestors));
      } else if (isPlainObject(value)) {
        for (const [key, item] of Object.entries(value))
          assertJson(item, `${path}.${key}`, ancestors);
      } else {
        throw new InvalidEventStoreInputError(
          path,
          'must be plain JSON (no class instances or dates)',
        );
      }
      ancestors.delete(value);
      return;
    }
    default:
      throw new InvalidEventStoreInputError(path, `a ${typeof value} is not JSON`);
  }
}
