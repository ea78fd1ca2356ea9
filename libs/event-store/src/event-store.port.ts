/**
 * The EventStore port: every adapter (embedded SQLite, EventStoreDB) implements exactly this,
 * and every adapter passes `testing/event-store.contract.ts`.
 *
 * Revisions are 0-based per stream, as in EventStoreDB. Global positions are opaque strings
 * (bigints do not survive JSON); only the adapter that produced a position compares it.
 */
import type { JsonObject } from '@custodian/domain';

export type { JsonObject, JsonPrimitive, JsonValue } from '@custodian/domain';

/** `bigint` means "the stream's last event has exactly this revision". */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | bigint;

export interface NewEvent {
  /** UUID. Give a deterministic one (see `deterministicEventId`) to make a retried append a no-op. */
  id?: string;
  /** Stable PascalCase name, never derived from a class name. */
  type: string;
  data: JsonObject;
  metadata?: JsonObject;
}

export interface RecordedEvent {
  id: string;
  stream: string;
  revision: bigint;
  position: string;
  type: string;
  data: JsonObject;
  metadata: JsonObject;
  recordedAt: Date;
}

export interface AppendOptions {
  expectedRevision?: ExpectedRevision;
}

export interface AppendResult {
  /** Revision of the last event now in the stream; pass it back as `expectedRevision`. */
  nextExpectedRevision: bigint;
  /** Global position of the last event written. */
  position: string;
}

export interface ReadStreamOptions {
  /** Inclusive. Default: the first event forwards, the last event backwards. */
  fromRevision?: bigint;
  direction?: 'forwards' | 'backwards';
  maxCount?: number;
}

export interface ReadAllOptions {
  /** Exclusive: events strictly after this position. Default: from the beginning. */
  after?: string;
  maxCount?: number;
}

export interface SubscribeAllOptions {
  /** Exclusive: the subscription delivers events strictly after this position. */
  after?: string;
  /** Ends the subscription; the iterator then completes. */
  signal?: AbortSignal;
}

export interface EventStore {
  append(stream: string, events: NewEvent[], options?: AppendOptions): Promise<AppendResult>;
  /** Events of one stream; an unknown stream reads as empty. */
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** Events of every stream in global order (system events excluded). */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /** Catch-up, then live: every event after `after`, in order, with no gap and no duplicate. */
  subscribeAll(options?: SubscribeAllOptions): AsyncIterable<RecordedEvent>;
  /** The newest event in the store, or null when it is empty. */
  readLastEvent(): Promise<RecordedEvent | null>;
  /** How many events lie after `after`, counting at most `cap` of them. */
  countEventsAfter(after: string | undefined, cap: number): Promise<number>;
  /**
   * How many events lie after `after` up to and including `upTo`, from the positions alone
   * (O(1), whatever the distance), where the adapter's positions allow it: the embedded log's
   * positions are gapless. Absent where they do not (EventStoreDB's are byte offsets).
   */
  eventsBetween?(after: string | undefined, upTo: string): number;
  /** Negative, zero or positive as `a` is before, at or after `b`. */
  comparePositions(a: string, b: string): number;
  /** Cheap reachability check for health endpoints. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Injection token for the configured EventStore. */
export const EVENT_STORE = Symbol.for('custodian.EventStore');
