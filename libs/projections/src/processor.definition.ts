import type { RecordedEvent } from '@custodian/event-store';

export interface ProcessorContext {
  /** Aborted when the processor stops: give up; what was not finished is delivered again. */
  signal: AbortSignal;
  /** 1 the first time these events are handed over in this process; more on a retry. */
  attempt: number;
  /** The collection readers query for a projection (one the processor waits for). */
  collectionFor(projection: string): string;
}

/**
 * A processor (reactor) turns events into an effect: appends other events, destroys a key,
 * calls a webhook. It is run like a projection, from a durable checkpoint, in batches, and
 * delivery is at least once: after a crash, a stop or a failure the same events come again,
 * so `handle` must be idempotent (deterministic event ids, "already done" checks). Its
 * effects may happen in any store; only its checkpoint lives in the read store.
 */
export interface ProcessorDefinition {
  /** Lowercase letters, digits, "_" or "-"; names its checkpoint (`reactor:<name>`). */
  name: string;
  /**
   * Bump it to run the processor again over the whole log, under a new checkpoint: its
   * effects being idempotent, only those missing happen. Default 1.
   */
  version?: number;
  /** Event types it handles ('all' for every one); others only advance its checkpoint. */
  eventTypes: readonly string[] | 'all';
  /** Projections that must have applied an event before `handle` is given it. */
  waitFor?: readonly string[];
  /** Failed attempts at one event before it is parked as a dead letter (default 10). */
  maxAttempts?: number;
  /** The effect of some events of its types, in log order. */
  handle(events: readonly RecordedEvent[], ctx: ProcessorContext): Promise<void>;
}

const NAME = /^[a-z][a-z0-9_-]{0,39}$/;

export function validateProcessor(def: ProcessorDefinition): void {
  if (!NAME.test(def.name)) {
    throw new Error(
      `processor name "${def.name}" must be lowercase letters, digits, "_" or "-" (at most 40)`,
    );
  }
  const version = def.version ?? 1;
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new Error(`processor "${def.name}": version must be a positive integer`);
  }
  if (def.eventTypes.length === 0)
    throw new Error(`processor "${def.name}" handles no event types`);
  const attempts = def.maxAttempts ?? 1;
  if (!Number.isSafeInteger(attempts) || attempts < 1) {
    throw new Error(`processor "${def.name}": maxAttempts must be a positive integer`);
  }
}

/** Where a processor keeps its progress; version 1 keeps the plain name. */
export function processorCheckpoint(def: ProcessorDefinition): string {
  const version = def.version ?? 1;
  return version === 1 ? `reactor:${def.name}` : `reactor:${def.name}:v${version}`;
}
