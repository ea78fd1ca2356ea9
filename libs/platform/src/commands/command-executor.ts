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
  WrongExpectedRevisionError,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
} from '@custodian/event-store';
import { Inject, Injectable, UnprocessableEntityException } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { WriteTracker } from './write-tracker';

/** Who asked, and the request that carried it, for every event's metadata. */
export interface CommandMeta {
  actor: { id: string; role: string };
  requestId: string;
  now: Date;
  /**
   * Idempotency-Key as sent; scoped to the actor and stream, so a retry of the same request
   * appends nothing and the same key with another body is refused.
   */
  idempotencyKey?: string;
  /** Canonical form of the request the key stands for. */
  request?: unknown;
  /** If-Match: the stream revision the caller last saw; another one is a 412. */
  expectedRevision?: bigint;
}

/** An event as appended: id, type, data and metadata. */
export type AppendedEvent = Pick<RecordedEvent, 'id' | 'type' | 'data' | 'metadata'>;

export interface CommandOutcome<S> {
  /** The events this command produced now, or those of the original request on a retry. */
  events: AppendedEvent[];
  state: S;
  /** True when an Idempotency-Key retry returned the original outcome. */
  replayed: boolean;
  /** Revision of the stream's last event after the command (null when the stream is empty). */
  revision: bigint | null;
}

const MAX_ATTEMPTS = 5;
export const SCHEMA_VERSION = 1;

/**
 * The one command handler: read the stream, fold it, decide, append with the revision read.
 * A concurrent writer makes the append fail its revision check, and the command is decided
 * again on the new state. Events carry who, when, why (correlation) and a schema version.
 */
@Injectable()
export class CommandExecutor {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    private readonly writes: WriteTracker,
  ) {}

  async execute<C, S, E extends DomainEvent, Ctx>(
    stream: string,
    decider: Decider<C, S, E, Ctx>,
    command: C,
    context: (state: S) => Ctx | Promise<Ctx>,
    meta: CommandMeta,
  ): Promise<CommandOutcome<S>> {
    const idempotency = meta.idempotencyKey === undefined ? null : idempotencyOf(stream, meta);
    for (let attempt = 1; ; attempt++) {
      const history = await this.events.readStream(stream);
      const state = fold(decider, history as unknown as E[]);
      const last = history[history.length - 1];
      const revision = last ? last.revision : null;
      if (meta.expectedRevision !== undefined && revision !== meta.expectedRevision) {
        throw new DomainError(
          'precondition',
          'If-Match',
          `the record is at revision ${revision ?? 'none'}, not ${meta.expectedRevision}`,
        );
      }
      if (idempotency) {
        const original = history.filter((e) => e.metadata.idempotencyKey === idempotency.key);
        if (original.length > 0) {
          if (original[0].metadata.requestHash !== idempotency.requestHash) {
            throw new UnprocessableEntityException({
              message: 'this Idempotency-Key was already used with a different request',
              details: [
                { field: 'Idempotency-Key', problem: 'already used with a different request' },
              ],
            });
          }
          return { events: original, state, replayed: true, revision };
        }
      }
      const decided = decider.decide(command, state, await context(state));
      if (decided.length === 0) return { events: [], state, replayed: false, revision };
      const toAppend = decided.map((event, i) =>
        toNewEvent(
          event,
          meta,
          idempotency ? deterministicEventId(idempotency.key, i) : newEventId(),
          idempotency,
        ),
      );
      try {
        const result = await this.events.append(stream, toAppend, {
          expectedRevision: revision ?? 'no_stream',
        });
        this.writes.recordAppend(stream, result.position);
        let next = state;
        for (const event of decided) next = decider.evolve(next, event);
        return {
          events: toAppend as AppendedEvent[],
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
}

/** A decided event as stored: its data, and metadata saying who, when, why and in which schema. */
export function toNewEvent(
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
      causationId: meta.requestId,
      schemaVersion: SCHEMA_VERSION,
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
    requestHash: sha256(canonicalJson(meta.request ?? null)),
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
