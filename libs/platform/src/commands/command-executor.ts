import {
  conflict,
  DomainError,
  fold,
  type Decider,
  type DomainEvent,
  type JsonObject,
} from '@custodian/domain';
import {
  deterministicEventId,
  EVENT_STORE,
  newEventId,
  schemaVersionToWrite,
  upcastLog,
  WrongExpectedRevisionError,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type RecordedEvent,
} from '@custodian/event-store';
import { Inject, Injectable, Optional, UnprocessableEntityException } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { WriteTracker } from './write-tracker';
import { CustodianMetrics } from '../metrics/custodian-metrics';

/** Who asked, the request that carried it and what caused it, for every event's metadata. */
export interface CommandMeta {
  actor: { id: string; role: string };
  /** Correlation: the request the work belongs to, kept by everything it goes on to cause. */
  requestId: string;
  /**
   * The id of what caused the events: the command's own id (one per command dispatched), or
   * the id of the event a reaction answers.
   */
  causationId: string;
  now: Date;
  /**
   * Idempotency-Key as sent; scoped to the actor and stream, so a retry of the same request
   * appends nothing and the same key with another body is refused.
   */
  idempotencyKey?: string;
  /**
   * Fingerprint of the request the key stands for (same request, same fingerprint). Never a
   * plain or master-keyed digest of a body that holds personal values: such a body is keyed by
   * the customer's own data key (`FieldVault.requestDigest`), so erasure shreds it too.
   */
  requestHash?: string;
  /** If-Match: the stream revision the caller last saw; another one is a 412. */
  expectedRevision?: bigint;
}

/** An event as appended: id, type, data and metadata. */
export type AppendedEvent = Pick<RecordedEvent, 'id' | 'type' | 'data' | 'metadata'>;

/** A decided event as appended, its type and data typed (distributes over a union). */
export type Appended<E extends DomainEvent> = E extends DomainEvent
  ? Pick<RecordedEvent, 'id' | 'metadata'> & E
  : never;

export interface CommandOutcome<S, E extends DomainEvent = DomainEvent> {
  /**
   * The events this command produced now, or those of the original request on a retry (read
   * back from the stream and upcast to the current schema).
   */
  events: Appended<E>[];
  state: S;
  /** True when a retry (Idempotency-Key or deterministic ids) found the original outcome. */
  replayed: boolean;
  /** Revision of the stream's last event after the command (null when the stream is empty). */
  revision: bigint | null;
}

/** A stream's state as a command needs it, and the revision it was read at. */
export interface LoadedState<S> {
  state: S;
  /** Revision of the stream's last event (null: no stream); the append expects exactly it. */
  revision: bigint | null;
  /** The events read, when the whole stream was: retries are recognised in them. */
  history?: readonly RecordedEvent[];
}

/** Reads a command's state some cheaper way than folding the whole stream. */
export type StateLoader<S> = (events: EventStore, stream: string) => Promise<LoadedState<S>>;

export interface ExecuteOptions<S> {
  /** Instead of reading and folding the whole stream (e.g. erasure reads two events). */
  load?: StateLoader<S>;
  /**
   * Deterministic id of the i-th event decided, for work that may run again (a reaction to an
   * event): when the stream already holds the first of them, nothing is decided or appended.
   */
  eventIds?: (index: number) => string;
}

export interface RecordOptions {
  /** Event ids derive from this key (default: the command's id and the stream). */
  key?: string;
}

const MAX_ATTEMPTS = 5;

/**
 * The one command handler: read the stream (folded, or by a loader), decide, append with the
 * revision read. A concurrent writer makes the append fail its revision check, and the command
 * is decided again on the new state. Append-only audit records take a path with no read at
 * all (`record`). Events carry who, when, why (correlation, causation) and a schema version,
 * and every append is told to the write tracker.
 */
@Injectable()
export class CommandExecutor {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    private readonly writes: WriteTracker,
    @Optional() private readonly metrics?: CustodianMetrics,
  ) {}

  async execute<C, S, E extends DomainEvent, Ctx>(
    stream: string,
    decider: Decider<C, S, E, Ctx>,
    command: C,
    context: (state: S) => Ctx | Promise<Ctx>,
    meta: CommandMeta,
    options: ExecuteOptions<S> = {},
  ): Promise<CommandOutcome<S, E>> {
    const idempotency = meta.idempotencyKey === undefined ? null : idempotencyOf(stream, meta);
    const idOf = idempotency
      ? (i: number) => deterministicEventId(idempotency.key, i)
      : options.eventIds;
    const load = options.load ?? ((events, s) => foldStream(events, s, decider));
    for (let attempt = 1; ; attempt++) {
      const { state, revision, history } = await load(this.events, stream);
      if (meta.expectedRevision !== undefined && revision !== meta.expectedRevision) {
        throw new DomainError(
          'precondition',
          'If-Match',
          `the record is at revision ${revision ?? 'none'}, not ${meta.expectedRevision}`,
        );
      }
      if (idOf) {
        if (!history) throw new Error(`${stream}: retries are recognised only in a full read`);
        const original = idempotency
          ? history.filter((e) => e.metadata.idempotencyKey === idempotency.key)
          : originalEvents(history, idOf);
        if (original.length > 0) {
          if (idempotency && original[0].metadata.requestHash !== idempotency.requestHash)
            throw reusedKey();
          // The stream holds the decider's events (as in the fold), upcast to the current schema.
          const events = upcastLog(original) as unknown as Appended<E>[];
          return { events, state, replayed: true, revision };
        }
      }
      const decided = decider.decide(command, state, await context(state));
      if (decided.length === 0) return { events: [], state, replayed: false, revision };
      const toAppend = decided.map((event, i) =>
        toNewEvent(event, meta, idOf ? idOf(i) : newEventId(), idempotency),
      );
      try {
        const result = await this.append(stream, toAppend, revision ?? 'no_stream');
        // With deterministic ids, a racing twin that appended first makes this append a retry
        // that writes nothing: answer what the twin appended, as a replay.
        const twin = idOf ? await this.twinAppend(stream, revision, toAppend) : null;
        if (twin) {
          if (idempotency && twin[0].metadata.requestHash !== idempotency.requestHash)
            throw reusedKey();
          let next = state;
          const events = upcastLog(twin) as unknown as Appended<E>[];
          for (const event of events) next = decider.evolve(next, event as unknown as E);
          return { events, state: next, replayed: true, revision: result.nextExpectedRevision };
        }
        let next = state;
        for (const event of decided) next = decider.evolve(next, event);
        return {
          events: decided.map(
            (event, i) =>
              ({ ...event, id: toAppend[i].id!, metadata: toAppend[i].metadata! }) as Appended<E>,
          ),
          state: next,
          replayed: false,
          revision: result.nextExpectedRevision,
        };
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError)) throw error;
        if (attempt >= MAX_ATTEMPTS)
          throw conflict(null, 'too many concurrent changes to the same record; retry');
      }
    }
  }

  /**
   * Append-only records (audit trails such as `access-<subjectId>`, which grow with every read):
   * nothing is read and nothing decided, so no revision can conflict (`expectedRevision:
   * 'any'`). Ids derive from the command's id (or `key`), so appending the same records again
   * writes nothing, however late: every adapter dedupes `any` appends by id for good (SQLite by
   * its unique ids; EventStoreDB, whose own dedupe of `any` lasts only as long as its recent-id
   * cache, through a plan stream per append and an exact expected revision, see `appendOnce`).
   */
  async record(
    stream: string,
    events: readonly DomainEvent[],
    meta: CommandMeta,
    options: RecordOptions = {},
  ): Promise<AppendResult> {
    const key = options.key ?? `${meta.causationId}|${stream}`;
    return this.append(
      stream,
      events.map((event, i) => toNewEvent(event, meta, deterministicEventId(key, i))),
      'any',
    );
  }

  /**
   * The events stored where `toAppend` went, when they are another request's under the same
   * ids (the store took our append as a retry of theirs); null when they are ours.
   */
  private async twinAppend(
    stream: string,
    revision: bigint | null,
    toAppend: readonly NewEvent[],
  ): Promise<RecordedEvent[] | null> {
    const stored = await this.events.readStream(stream, {
      fromRevision: revision === null ? 0n : revision + 1n,
      maxCount: toAppend.length,
    });
    const ours = stored.every(
      (e, i) =>
        e.id === toAppend[i].id &&
        e.metadata.causationId === toAppend[i].metadata?.causationId &&
        JSON.stringify(e.data) === JSON.stringify(toAppend[i].data),
    );
    return ours ? null : stored;
  }

  private async append(
    stream: string,
    events: NewEvent[],
    expectedRevision: ExpectedRevision,
  ): Promise<AppendResult> {
    let result: AppendResult;
    try {
      result = await this.events.append(stream, events, { expectedRevision });
    } catch (error) {
      this.metrics?.countAppend(stream, events.length, error);
      throw error;
    }
    this.metrics?.countAppend(stream, events.length);
    this.writes.recordAppend(stream, result.position);
    return result;
  }
}

function reusedKey(): UnprocessableEntityException {
  return new UnprocessableEntityException({
    message: 'this Idempotency-Key was already used with a different request',
    details: [{ field: 'Idempotency-Key', problem: 'already used with a different request' }],
  });
}

/** The default state loader: every event of the stream, folded. */
async function foldStream<S, E extends DomainEvent>(
  events: EventStore,
  stream: string,
  decider: Pick<Decider<unknown, S, E, unknown>, 'initialState' | 'evolve'>,
): Promise<LoadedState<S>> {
  const history = await events.readStream(stream);
  const last = history[history.length - 1];
  return {
    // The stream holds the decider's events by convention; upcast, they are in its schema.
    state: fold(decider, upcastLog(history) as unknown as E[]),
    revision: last ? last.revision : null,
    history,
  };
}

/** The events an earlier run appended under these ids, in order (none: it has not run). */
function originalEvents(
  history: readonly RecordedEvent[],
  idOf: (index: number) => string,
): RecordedEvent[] {
  const byId = new Map(history.map((e) => [e.id, e]));
  const found: RecordedEvent[] = [];
  for (let event = byId.get(idOf(0)); event; event = byId.get(idOf(found.length)))
    found.push(event);
  return found;
}

/** A decided event as stored: its data, and metadata saying who, when, why and in which schema. */
function toNewEvent(
  event: DomainEvent,
  meta: CommandMeta,
  id: string = newEventId(),
  idempotency: { key: string; requestHash: string } | null = null,
): NewEvent {
  return {
    id,
    type: event.type,
    data: event.data as unknown as JsonObject,
    metadata: {
      eventId: id,
      occurredAt: meta.now.toISOString(),
      actor: { id: meta.actor.id, role: meta.actor.role },
      correlationId: meta.requestId,
      causationId: meta.causationId,
      schemaVersion: schemaVersionToWrite(event.type),
      ...(idempotency
        ? { idempotencyKey: idempotency.key, requestHash: idempotency.requestHash }
        : {}),
    },
  };
}

/** The key is stored hashed with its scope: callers' keys are theirs, and may be anything. */
function idempotencyOf(stream: string, meta: CommandMeta): { key: string; requestHash: string } {
  return {
    key: sha256(`${meta.actor.id}\n${stream}\n${meta.idempotencyKey}`),
    requestHash: meta.requestHash ?? '',
  };
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** JSON with object keys sorted, so the same request always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
