import {
  StreamNotFoundError,
  WrongExpectedVersionError,
  type AppendExpectedRevision,
  type AppendResult,
  type EventData,
  type EventStoreDBClient,
  type Filter,
  type Position,
  type ReadPosition,
  type ReadRevision,
} from '@eventstore/db-client';
import { Readable } from 'node:stream';

/**
 * An in-memory stand-in for the parts of the ESDB client the adapter calls, with the server's
 * observable behaviour where the adapter depends on it: `readAll` and `subscribeToAll` start
 * AT `fromPosition` (inclusive), unknown streams fail with StreamNotFoundError, conflicts throw
 * WrongExpectedVersionError, and a repeated append is a no-op the way the server's is: with an
 * exact expected revision (or no_stream), when the same ids already follow that revision; with
 * `any` (or stream_exists), only while its ids are in the server's recent-id cache, which
 * `forgetEventIds()` empties (as a restart or eviction does): then the events are stored again.
 * It lets the adapter's own logic (filtering, exclusivity, resubscribing) run without a server;
 * the contract suite against a real server remains the proof.
 */
export interface FakeEvent {
  streamId: string;
  id: string;
  revision: bigint;
  type: string;
  data: unknown;
  metadata: unknown;
  isJson: boolean;
  created: Date;
  position: Position;
}

export class FakeCall extends Readable {
  cancelled = false;
  constructor() {
    super({ objectMode: true, read: () => undefined });
  }
  async cancel(): Promise<void> {
    this.cancelled = true;
  }
  async unsubscribe(): Promise<void> {
    this.cancelled = true;
  }
}

interface LiveSubscription {
  call: FakeCall;
  typePattern?: RegExp;
}

export class FakeEsdbClient {
  readonly log: FakeEvent[] = [];
  readonly calls = {
    append: 0,
    readStream: 0,
    readAll: 0,
    subscribe: [] as ReadPosition[],
  };
  /** Set to report no position for idempotent retries, as a server may. */
  omitIdempotentPosition = false;
  /** Set to write a `$>` projection link after every append, as system projections do. */
  emitLinks = false;
  readonly live = new Set<LiveSubscription>();
  /** The server's cache of recently written event ids (what `any` appends are deduplicated by). */
  private readonly recentIds = new Set<string>();
  readonly subscriptions: FakeCall[] = [];
  disposed = false;
  private nextPosition = 100n;

  asClient(): EventStoreDBClient {
    return this as unknown as EventStoreDBClient;
  }

  async appendToStream(
    stream: string,
    events: EventData[],
    { expectedRevision = 'any' }: { expectedRevision?: AppendExpectedRevision } = {},
  ): Promise<AppendResult> {
    this.calls.append++;
    const existing = this.log.filter((e) => e.streamId === stream);
    const idempotent = (last: FakeEvent): AppendResult => ({
      success: true,
      nextExpectedRevision: last.revision,
      position: this.omitIdempotentPosition ? undefined : last.position,
    });
    if (typeof expectedRevision === 'bigint' || expectedRevision === 'no_stream') {
      // The same ids right after the expected revision: the server checks the stream itself.
      const from = expectedRevision === 'no_stream' ? 0 : Number(expectedRevision) + 1;
      const there = existing.slice(from, from + events.length);
      if (there.length === events.length && there.every((e, i) => e.id === events[i].id))
        return idempotent(there[there.length - 1]);
    }
    const retried = this.recentIds.has(events[0].id)
      ? existing.find((e) => e.id === events[0].id)
      : undefined;
    if (retried) {
      const there = existing.slice(
        Number(retried.revision),
        Number(retried.revision) + events.length,
      );
      if (there.length === events.length && there.every((e, i) => e.id === events[i].id))
        return idempotent(there[there.length - 1]);
      // Only some of the ids match what is stored: the server refuses the append.
      throw new WrongExpectedVersionError(undefined, {
        streamName: stream,
        expected: expectedRevision,
        current: BigInt(existing.length) - 1n,
      });
    }
    const current = BigInt(existing.length) - 1n;
    const ok =
      expectedRevision === 'any' ||
      (expectedRevision === 'no_stream' && current === -1n) ||
      (expectedRevision === 'stream_exists' && current >= 0n) ||
      expectedRevision === current;
    if (!ok) {
      throw new WrongExpectedVersionError(undefined, {
        streamName: stream,
        expected: expectedRevision,
        current: current < 0n ? 'no_stream' : current,
      });
    }
    let last: FakeEvent | undefined;
    events.forEach((event, i) => {
      last = this.record({
        streamId: stream,
        id: event.id,
        revision: current + 1n + BigInt(i),
        type: event.type,
        data: event.data,
        metadata: event.metadata,
        isJson: event.contentType === 'application/json',
      });
    });
    if (this.emitLinks) {
      this.record({
        streamId: `$ce-${stream.split('-')[0]}`,
        id: `link-${last!.id}`,
        revision: 0n,
        type: '$>',
        data: new Uint8Array(),
        metadata: undefined,
        isJson: false,
      });
    }
    return { success: true, nextExpectedRevision: last!.revision, position: last!.position };
  }

  /** Appends an event as the server itself would (stats, projection state). */
  record(event: Omit<FakeEvent, 'position' | 'created'>): FakeEvent {
    this.nextPosition += 100n;
    const stored = {
      ...event,
      created: new Date(),
      position: { commit: this.nextPosition, prepare: this.nextPosition },
    };
    this.log.push(stored);
    this.recentIds.add(stored.id);
    for (const sub of this.live) {
      if (!sub.typePattern || sub.typePattern.test(stored.type)) sub.call.push({ event: stored });
    }
    return stored;
  }

  /** Empties the recent-id cache, as a server restart or cache eviction does. */
  forgetEventIds(): void {
    this.recentIds.clear();
  }

  readStream(
    stream: string,
    {
      direction = 'forwards',
      fromRevision,
      maxCount = Number.MAX_SAFE_INTEGER,
    }: { direction?: string; fromRevision?: ReadRevision; maxCount?: number | bigint } = {},
  ): FakeCall {
    this.calls.readStream++;
    const events = this.log.filter((e) => e.streamId === stream);
    const call = new FakeCall();
    if (events.length === 0) {
      call.destroy(new StreamNotFoundError(undefined, stream));
      return call;
    }
    const backwards = direction === 'backwards';
    const from = typeof fromRevision === 'bigint' ? fromRevision : undefined;
    const selected = backwards
      ? events.filter((e) => from === undefined || e.revision <= from).reverse()
      : events.filter((e) => from === undefined || e.revision >= from);
    for (const event of selected.slice(0, Number(maxCount))) call.push({ event });
    call.push(null);
    return call;
  }

  readAll({
    direction = 'forwards',
    fromPosition = 'start',
    maxCount = Number.MAX_SAFE_INTEGER,
  }: {
    direction?: string;
    fromPosition?: ReadPosition;
    maxCount?: number | bigint;
  } = {}): FakeCall {
    this.calls.readAll++;
    const from = typeof fromPosition === 'object' ? fromPosition.commit : undefined;
    const selected =
      direction === 'backwards'
        ? this.log.filter((e) => from === undefined || e.position.commit <= from).reverse()
        : this.log.filter((e) => from === undefined || e.position.commit >= from);
    const call = new FakeCall();
    for (const event of selected.slice(0, Number(maxCount))) call.push({ event });
    call.push(null);
    return call;
  }

  subscribeToAll({
    fromPosition = 'start',
    filter,
  }: { fromPosition?: ReadPosition; filter?: Filter } = {}): FakeCall {
    this.calls.subscribe.push(fromPosition);
    const call = new FakeCall();
    const typePattern = filter && 'regex' in filter ? new RegExp(filter.regex) : undefined;
    const from = typeof fromPosition === 'object' ? fromPosition.commit : undefined;
    for (const event of this.log) {
      if (from !== undefined && event.position.commit < from) continue;
      if (!typePattern || typePattern.test(event.type)) call.push({ event });
    }
    const sub = { call, typePattern };
    this.live.add(sub);
    this.subscriptions.push(call);
    const leave = () => this.live.delete(sub);
    call.on('close', leave);
    call.unsubscribe = async () => {
      call.cancelled = true;
      leave();
    };
    return call;
  }

  /** Every live subscription fails with `error` (or just ends, as a server closing it). */
  drop(error?: Error): void {
    for (const sub of [...this.live]) {
      this.live.delete(sub);
      if (error) sub.call.destroy(error);
      else sub.call.push(null);
    }
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.drop();
  }
}
