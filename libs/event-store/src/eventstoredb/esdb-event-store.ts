import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  excludeSystemEvents,
  FORWARDS,
  jsonEvent,
  NO_STREAM,
  START,
  WrongExpectedVersionError,
  type AllStreamRecordedEvent,
  type AppendResult as EsdbAppendResult,
  type Position,
} from '@eventstore/db-client';
import {
  validateAppend,
  validateMaxCount,
  validateStreamName,
  type ValidatedAppend,
} from '../append-validation';
import {
  DuplicateEventIdError,
  EventStoreUnavailableError,
  InvalidEventStoreInputError,
  WrongExpectedRevisionError,
} from '../event-store.errors';
import type {
  AppendOptions,
  AppendResult,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeAllOptions,
} from '../event-store.port';
import { backoffDelay, sleep, type BackoffOptions } from './esdb-backoff';
import {
  isStreamNotFound,
  isTransient,
  toAppendError,
  toPortError,
  wrongExpectedRevision,
  type AppendContext,
} from './esdb-errors';
import { isUserEvent, toEsdbExpectedRevision, toEventData, toRecordedEvent } from './esdb-mapping';
import {
  comparePositions,
  decodePosition,
  encodePosition,
  isRealPosition,
  MAX_U64,
} from './esdb-positions';

export interface EsdbEventStoreOptions {
  /** How `subscribeAll` spaces its resubscribe attempts after the subscription drops. */
  resubscribe?: BackoffOptions;
  /** How long `ping` waits for an answer. Default 5 s. */
  pingTimeoutMs?: number;
  /**
   * How long the log's head, once read, answers `readLastEvent` and an idle `countEventsAfter`
   * without a read of `$all` (default 250 ms). Own appends clear it; a subscription's events
   * move it forward.
   */
  headCacheMs?: number;
}

/** The part of the client's read and subscription streams this adapter uses. */
interface ClientStream<T> extends AsyncIterable<T> {
  on(event: 'error', listener: (error: Error) => void): unknown;
  destroy(): unknown;
  /** A read's way to end the call. */
  cancel?(): Promise<void>;
  /** A subscription's way to end the call. */
  unsubscribe?(): Promise<void>;
}

/**
 * The EventStore port over EventStoreDB (gRPC client v6). Positions are `"<commit>/<prepare>"`;
 * appends use the validated event ids as ESDB event ids, so a retried append is a server-side
 * no-op that reports what the original reported.
 */
export class EsdbEventStore implements EventStore {
  private readonly client: EventStoreDBClient;
  private readonly options: EsdbEventStoreOptions;
  /** One per live `subscribeAll`, so `close()` can end them. */
  private readonly subscriptions = new Set<AbortController>();
  private closed = false;
  /** The log's last user event as last read (or seen go by on a subscription), and when. */
  private head: { event: RecordedEvent | null; at: number } | undefined;
  /** Bumped by every append here, so a read begun before it does not cache a stale head. */
  private appends = 0;

  /** From a connection string (`esdb://host:2113?tls=false`) or a client; `close()` disposes it. */
  constructor(connection: string | EventStoreDBClient, options: EsdbEventStoreOptions = {}) {
    this.client =
      typeof connection === 'string' ? EventStoreDBClient.connectionString(connection) : connection;
    this.options = options;
  }

  async append(stream: string, events: NewEvent[], options?: AppendOptions): Promise<AppendResult> {
    this.assertOpen();
    // Validate before anything is sent, exactly as every other adapter does.
    const append = validateAppend(stream, events, options);
    return append.expectedRevision === 'any'
      ? this.appendOnce(append)
      : this.appendChecked(append, append.expectedRevision);
  }

  /**
   * An append with `expectedRevision: 'any'` (audit records: `FieldsAccessed`,
   * `SubjectExported`…, appended without reading their stream) must still never be stored
   * twice. The server dedupes `any` appends only by its recent-id cache, which a restart or an
   * eviction empties; it dedupes an append with an exact expected revision by the stream itself
   * (the same ids already after that revision). So the append is planned in a stream of its own,
   * `_once-<first event id>` (deterministic; "_" cannot start a port stream name, and the
   * adapter never hands these events out): the plan names the revision the events go after,
   * then they are appended at exactly that revision. A retry, however late, reads the plan and
   * looks at that revision: its events there are the original, reported as before; otherwise
   * the original never landed, and the append is planned again at the stream's new head.
   */
  private async appendOnce(append: ValidatedAppend): Promise<AppendResult> {
    const planStream = `${ONCE_STREAM_PREFIX}${append.events[0].id}`;
    for (let attempt = 1; ; attempt++) {
      const plan = await this.readPlan(planStream);
      if (plan) {
        const original = await this.readStream(append.stream, {
          fromRevision: plan.after + 1n,
          maxCount: append.events.length,
        });
        if (
          original.length === append.events.length &&
          original.every((event, i) => event.id === append.events[i].id)
        ) {
          const last = original[original.length - 1];
          return { nextExpectedRevision: last.revision, position: last.position };
        }
      }
      const [head] = await this.readStream(append.stream, { direction: 'backwards', maxCount: 1 });
      const after = head ? head.revision : -1n;
      try {
        await this.client.appendToStream(
          planStream,
          [
            jsonEvent({
              type: 'AppendPlanned',
              data: { stream: append.stream, after: String(after) },
            }),
          ],
          { expectedRevision: plan ? plan.revision : NO_STREAM },
        );
      } catch (error) {
        // Another try of this same append moved the plan: look again (the plan then tells
        // whether that try stored the events).
        if (!(error instanceof WrongExpectedVersionError) || attempt >= ONCE_ATTEMPTS)
          throw toAppendError(error, contextOf(append));
        continue;
      }
      try {
        return await this.appendChecked(append, head ? head.revision : 'no_stream');
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError) || attempt >= ONCE_ATTEMPTS) throw error;
        // Refused though the stream did not move: some of these ids are stored already, not as
        // this append (the server's partial-duplicate answer).
        const [now] = await this.readStream(append.stream, { direction: 'backwards', maxCount: 1 });
        if ((now ? now.revision : -1n) === after)
          throw new DuplicateEventIdError(append.stream, append.events[0].id);
        // Another writer moved the stream since its head was read: plan again at the new head.
      }
    }
  }

  private async readPlan(planStream: string): Promise<{ revision: bigint; after: bigint } | null> {
    const plans: { revision: bigint; after: bigint }[] = [];
    try {
      await consume(
        this.client.readStream(planStream, {
          direction: BACKWARDS,
          fromRevision: END,
          maxCount: 1,
        }),
        (resolved) => {
          const event = resolved.event;
          if (event) {
            const data = event.data as { after?: unknown };
            plans.push({ revision: event.revision, after: BigInt(String(data.after)) });
          }
        },
      );
    } catch (error) {
      if (isStreamNotFound(error)) return null;
      throw toPortError(error, `reading the plan of an append to "${planStream}"`);
    }
    return plans[0] ?? null;
  }

  private async appendChecked(
    append: ValidatedAppend,
    expectedRevision: Exclude<ExpectedRevision, 'any'> | 'any',
  ): Promise<AppendResult> {
    const context: AppendContext = { ...contextOf(append), expectedRevision };
    let result: EsdbAppendResult;
    try {
      result = await this.client.appendToStream(append.stream, append.events.map(toEventData), {
        expectedRevision: toEsdbExpectedRevision(expectedRevision),
      });
    } catch (error) {
      throw toAppendError(error, context);
    }
    if (!result.success) {
      // Only with a client built with `throwOnAppendFailure: false`, whose reported revision
      // is unreliable on the batch-append path: ask the stream itself.
      const [head] = await this.readStream(append.stream, { direction: 'backwards', maxCount: 1 });
      throw wrongExpectedRevision(context, head ? head.revision : 'no_stream');
    }
    this.head = undefined;
    this.appends++;
    return {
      nextExpectedRevision: result.nextExpectedRevision,
      position: encodePosition(await this.positionOfAppend(append, result)),
    };
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    validateStreamName(stream);
    const maxCount = validateMaxCount(options.maxCount, Number.MAX_SAFE_INTEGER);
    const from = options.fromRevision;
    if (from !== undefined && (typeof from !== 'bigint' || from < 0n || from >= MAX_U64)) {
      throw new InvalidEventStoreInputError('fromRevision', 'must be a non-negative bigint');
    }
    const backwards = options.direction === 'backwards';
    const events: RecordedEvent[] = [];
    try {
      await consume(
        this.client.readStream(stream, {
          direction: backwards ? BACKWARDS : FORWARDS,
          fromRevision: from ?? (backwards ? END : START),
          maxCount,
        }),
        (resolved) => {
          if (resolved.event) events.push(toRecordedEvent(resolved.event));
        },
      );
    } catch (error) {
      if (isStreamNotFound(error)) return [];
      throw toPortError(error, `reading stream "${stream}"`);
    }
    return events;
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const maxCount = validateMaxCount(options.maxCount, Number.MAX_SAFE_INTEGER);
    const after = decodeOptional(options.after);
    const events: RecordedEvent[] = [];
    await this.scanForwards(after, (event) => {
      events.push(toRecordedEvent(event));
      return events.length < maxCount;
    });
    return events;
  }

  async *subscribeAll(options: SubscribeAllOptions = {}): AsyncGenerator<RecordedEvent> {
    this.assertOpen();
    /** The last position the server handed us: where a resubscribe resumes. */
    let after = decodeOptional(options.after);
    const stop = this.stopSignal(options.signal);
    let attempt = 0;
    try {
      while (!stop.signal.aborted) {
        const subscription = this.client.subscribeToAll({
          fromPosition: after ?? START,
          filter: excludeSystemEvents(),
        });
        // Failures surface through iteration; this only keeps a late one from going unhandled.
        subscription.on('error', ignore);
        subscription.on('confirmation', () => (attempt = 0));
        // Ending the stream wakes an iteration that is waiting for the next event.
        const end = () => subscription.destroy();
        stop.signal.addEventListener('abort', end, { once: true });
        try {
          for await (const resolved of subscription) {
            const event = resolved.event;
            if (!event) continue;
            // `after` is exclusive, and a resubscribe may replay the event it resumed from.
            if (after && comparePositions(event.position, after) <= 0) continue;
            after = event.position;
            attempt = 0;
            if (!isUserEvent(event)) continue;
            const recorded = toRecordedEvent(event);
            this.seen(recorded);
            yield recorded;
            if (stop.signal.aborted) return;
          }
          // The server ended the subscription without an error: resubscribe all the same.
        } catch (error) {
          if (stop.signal.aborted) return;
          if (!isTransient(error)) throw toPortError(error, 'subscription to $all');
        } finally {
          stop.signal.removeEventListener('abort', end);
          unsubscribe(subscription);
        }
        await sleep(backoffDelay(attempt++, this.options.resubscribe), stop.signal);
      }
    } finally {
      stop.dispose();
    }
  }

  async readLastEvent(): Promise<RecordedEvent | null> {
    this.assertOpen();
    const cached = this.freshHead();
    if (cached) return cached.event;
    const at = Date.now();
    const appends = this.appends;
    let last: RecordedEvent | null = null;
    // Backwards until the first user event: system events (projection links, stats) may
    // follow the last user event in any number, so a fixed small page could miss it.
    try {
      await consume(
        this.client.readAll({ direction: BACKWARDS, fromPosition: END }),
        (resolved) => {
          if (!resolved.event || !isUserEvent(resolved.event)) return true;
          last = toRecordedEvent(resolved.event);
          return false;
        },
      );
    } catch (error) {
      throw toPortError(error, 'reading the last event');
    }
    // Unless an append or a newer event came by while reading.
    if (appends === this.appends) this.head ??= { event: last, at };
    return last;
  }

  /** The cached head while fresh. */
  private freshHead(): { event: RecordedEvent | null } | undefined {
    const head = this.head;
    return head && Date.now() - head.at < (this.options.headCacheMs ?? 250) ? head : undefined;
  }

  /** A subscription's event: if it is past the known head, it is the head now. */
  private seen(event: RecordedEvent): void {
    const known = this.head?.event;
    if (known && this.comparePositions(event.position, known.position) > 0)
      this.head = { event, at: Date.now() };
  }

  async countEventsAfter(after: string | undefined, cap: number): Promise<number> {
    this.assertOpen();
    const limit = validateMaxCount(cap, 1);
    // Idle: nothing after the head as just read (or seen on a subscription), no read of $all.
    const head = this.freshHead();
    if (
      after !== undefined &&
      head?.event &&
      this.comparePositions(after, head.event.position) >= 0
    )
      return 0;
    let count = 0;
    await this.scanForwards(decodeOptional(after), () => ++count < limit);
    return count;
  }

  comparePositions(a: string, b: string): number {
    return comparePositions(decodePosition(a), decodePosition(b));
  }

  async ping(): Promise<void> {
    this.assertOpen();
    const read = this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 });
    const timeoutMs = this.options.pingTimeoutMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([consume(read, () => undefined), timeout]);
    } catch (error) {
      unsubscribe(read);
      throw toPortError(error, 'ping');
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const subscription of this.subscriptions) subscription.abort();
    await this.client.dispose();
  }

  private assertOpen(): void {
    if (this.closed) throw new EventStoreUnavailableError('event store is closed');
  }

  /**
   * Visits the user events strictly after `after`, in log order, until `visit` returns false.
   * ESDB's `fromPosition` is inclusive, so the event at `after` itself is skipped; the client
   * cannot filter `readAll` server-side, so system events are skipped here.
   */
  private async scanForwards(
    after: Position | undefined,
    visit: (event: AllStreamRecordedEvent) => boolean,
  ): Promise<void> {
    try {
      await consume(
        this.client.readAll({ direction: FORWARDS, fromPosition: after ?? START }),
        (resolved) => {
          const event = resolved.event;
          if (!event || !isUserEvent(event)) return true;
          if (after && comparePositions(event.position, after) <= 0) return true;
          return visit(event);
        },
      );
    } catch (error) {
      throw toPortError(error, 'reading $all');
    }
  }

  /**
   * The server reports the position of the append's last event, except on an idempotent retry
   * it may not (no position when the original is not yet indexed): then the last event of the
   * original append is the one at the revision it reports, so read that event's position.
   */
  private async positionOfAppend(
    append: ValidatedAppend,
    result: EsdbAppendResult,
  ): Promise<Position> {
    if (isRealPosition(result.position)) return result.position;
    const [last] = await this.readStream(append.stream, {
      fromRevision: result.nextExpectedRevision,
      maxCount: 1,
    });
    if (!last) {
      throw new EventStoreUnavailableError(
        `EventStoreDB acknowledged the append to "${append.stream}" but its last event is missing`,
      );
    }
    return decodePosition(last.position);
  }

  /** Aborts when the caller's signal does or the store closes. */
  private stopSignal(signal: AbortSignal | undefined): { signal: AbortSignal; dispose(): void } {
    const controller = new AbortController();
    const abort = () => controller.abort();
    if (signal?.aborted) abort();
    signal?.addEventListener('abort', abort, { once: true });
    this.subscriptions.add(controller);
    return {
      signal: controller.signal,
      dispose: () => {
        signal?.removeEventListener('abort', abort);
        this.subscriptions.delete(controller);
      },
    };
  }
}

/** Streams holding the plans of `any` appends (see `appendOnce`); never handed out. */
export const ONCE_STREAM_PREFIX = '_once-';
const ONCE_ATTEMPTS = 10;

function contextOf(append: ValidatedAppend): AppendContext {
  return {
    stream: append.stream,
    expectedRevision: append.expectedRevision,
    firstEventId: append.events[0].id,
  };
}

function decodeOptional(position: string | undefined): Position | undefined {
  return position === undefined ? undefined : decodePosition(position);
}

/**
 * Reads a client stream until it ends or `visit` returns false; stopping early cancels the
 * call so the server stops sending.
 */
async function consume<T>(
  read: ClientStream<T>,
  visit: (item: T) => boolean | void,
): Promise<void> {
  read.on('error', ignore);
  let complete = false;
  try {
    for await (const item of read) {
      if (visit(item) === false) return;
    }
    complete = true;
  } finally {
    if (!complete) unsubscribe(read);
  }
}

/** Cancels a read or subscription call, quietly: it may already be over. */
function unsubscribe<T>(call: ClientStream<T>): void {
  const cancelled = call.unsubscribe ? call.unsubscribe() : call.cancel?.();
  cancelled?.catch(ignore);
}

function ignore(): void {}
