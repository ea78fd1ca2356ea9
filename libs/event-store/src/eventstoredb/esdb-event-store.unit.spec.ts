import { AccessDeniedError, UnavailableError } from '@eventstore/db-client';
import { createServer } from 'node:net';
import {
  EventStoreUnavailableError,
  InvalidEventStoreInputError,
  WrongExpectedRevisionError,
} from '../event-store.errors';
import type { NewEvent, RecordedEvent } from '../event-store.port';
import { deterministicEventId } from '../event-ids';
import { EsdbEventStore } from './esdb-event-store';
import { encodePosition } from './esdb-positions';
import { FakeEsdbClient } from './testing/fake-esdb-client';
import { eventStoreContract } from '../testing/event-store.contract';

// The contract against the in-memory client, which forgets recent ids on demand as a
// restarted server does: audit records must still be stored once.
eventStoreContract('EventStoreDB (in-memory client)', async () => {
  const fake = new FakeEsdbClient();
  const store = new EsdbEventStore(fake.asClient(), {
    resubscribe: { initialDelayMs: 1, maxDelayMs: 4 },
  });
  return { store, dispose: () => store.close(), forgetEventIds: () => fake.forgetEventIds() };
});

/**
 * The adapter's own logic against an in-memory client that behaves like the server where it
 * matters (inclusive `fromPosition`, per-stream idempotency). The contract suite against a
 * real server is in esdb-event-store.int.spec.ts.
 */
describe('EsdbEventStore (in-memory client)', () => {
  let fake: FakeEsdbClient;
  let store: EsdbEventStore;
  beforeEach(() => {
    fake = new FakeEsdbClient();
    store = new EsdbEventStore(fake.asClient(), {
      resubscribe: { initialDelayMs: 1, maxDelayMs: 4 },
    });
  });
  afterEach(() => store.close());

  const ev = (n: number, extra: Partial<NewEvent> = {}): NewEvent => ({
    type: 'ThingHappened',
    data: { n },
    ...extra,
  });
  const ns = (events: RecordedEvent[]) => events.map((e) => e.data.n);
  const systemEvent = () =>
    fake.record({
      streamId: '$stats-127.0.0.1:2113',
      id: 'stats',
      revision: 0n,
      type: '$statsCollected',
      data: {},
      metadata: undefined,
      isJson: true,
    });

  describe('append', () => {
    it('validates before sending anything', async () => {
      await expect(store.append('$all', [ev(0)])).rejects.toBeInstanceOf(
        InvalidEventStoreInputError,
      );
      await expect(
        store.append('s', [{ type: 'T', data: { n: NaN } }] as NewEvent[]),
      ).rejects.toBeInstanceOf(InvalidEventStoreInputError);
      expect(fake.calls.append).toBe(0);
    });

    it('returns the revision and encoded position of the last event written', async () => {
      const result = await store.append('s-1', [ev(0), ev(1)], { expectedRevision: 'no_stream' });
      expect(result).toEqual({
        nextExpectedRevision: 1n,
        position: encodePosition(fake.log[1].position),
      });
      const [, second] = await store.readStream('s-1');
      expect(second.position).toBe(result.position);
    });

    it.each([
      ['reports a position', false, 0],
      ['reports no position', true, 1],
    ])(
      'answers a retry exactly as the original when the server %s',
      async (_, omit, extraReads) => {
        const batch = [0, 1, 2].map((n) => ev(n, { id: deterministicEventId('key', n) }));
        const first = await store.append('s-1', batch, { expectedRevision: 'no_stream' });
        fake.omitIdempotentPosition = omit;
        const readsBefore = fake.calls.readStream;
        const again = await store.append('s-1', batch, { expectedRevision: 'no_stream' });
        expect(again).toEqual(first);
        expect(fake.calls.readStream - readsBefore).toBe(extraReads);
        expect(fake.log).toHaveLength(3);
      },
    );

    it('maps a revision conflict to WrongExpectedRevisionError', async () => {
      const missing = await store
        .append('s-1', [ev(0)], { expectedRevision: 0n })
        .catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(WrongExpectedRevisionError);
      expect(missing).toMatchObject({ stream: 's-1', expected: '0', actual: 'no_stream' });
      await store.append('s-1', [ev(0), ev(1)]);
      await expect(
        store.append('s-1', [ev(2)], { expectedRevision: 'no_stream' }),
      ).rejects.toMatchObject({ expected: 'no_stream', actual: '1' });
    });

    it('fails when closed', async () => {
      await store.close();
      await expect(store.append('s-1', [ev(0)])).rejects.toBeInstanceOf(EventStoreUnavailableError);
      expect(fake.disposed).toBe(true);
    });
  });

  describe('reads', () => {
    it('reads an unknown stream as empty, and a stream forwards and backwards', async () => {
      expect(await store.readStream('nope')).toEqual([]);
      await store.append(
        's-1',
        [0, 1, 2, 3].map((n) => ev(n)),
      );
      expect(ns(await store.readStream('s-1', { fromRevision: 1n, maxCount: 2 }))).toEqual([1, 2]);
      expect(ns(await store.readStream('s-1', { direction: 'backwards', maxCount: 2 }))).toEqual([
        3, 2,
      ]);
    });

    it('reads $all strictly after a position, without system events', async () => {
      await store.append('a-1', [ev(0)]);
      systemEvent();
      await store.append('b-1', [ev(1), ev(2)]);
      systemEvent();
      await store.append('a-1', [ev(3)]);
      const all = await store.readAll();
      expect(ns(all)).toEqual([0, 1, 2, 3]);
      expect(ns(await store.readAll({ after: all[1].position }))).toEqual([2, 3]);
      // maxCount counts the events returned, not the system events skipped on the way.
      expect(ns(await store.readAll({ after: all[0].position, maxCount: 2 }))).toEqual([1, 2]);
      expect(await store.countEventsAfter(all[0].position, 10)).toBe(3);
      expect(await store.countEventsAfter(all[0].position, 2)).toBe(2);
      expect(await store.countEventsAfter(all[3].position, 10)).toBe(0);
      expect(await store.countEventsAfter(undefined, 10)).toBe(4);
    });

    it('finds the last user event behind any number of system events', async () => {
      expect(await store.readLastEvent()).toBeNull();
      fake.emitLinks = true;
      await store.append('a-1', [ev(0), ev(1)]);
      for (let i = 0; i < 50; i++) systemEvent();
      const last = await store.readLastEvent();
      expect(last?.data).toEqual({ n: 1 });
      expect(last?.stream).toBe('a-1');
    });

    it('rejects positions it did not produce', async () => {
      await expect(store.readAll({ after: '42' })).rejects.toBeInstanceOf(
        InvalidEventStoreInputError,
      );
      expect(() => store.comparePositions('1/1', 'x')).toThrow(InvalidEventStoreInputError);
      expect(store.comparePositions('2/1', '1/9')).toBeGreaterThan(0);
    });
  });

  describe('subscribeAll', () => {
    /** Consumes until `until` says stop, then aborts; returns what was delivered. */
    const consume = async (
      options: { after?: string },
      onEvent: (seen: RecordedEvent[]) => boolean | void,
    ): Promise<RecordedEvent[]> => {
      const controller = new AbortController();
      const seen: RecordedEvent[] = [];
      for await (const event of store.subscribeAll({ ...options, signal: controller.signal })) {
        seen.push(event);
        if (onEvent(seen) === true) controller.abort();
      }
      return seen;
    };

    it('delivers strictly after `after`, catch-up then live, skipping system events', async () => {
      await store.append('s-1', [ev(0), ev(1)]);
      const [first] = await store.readStream('s-1');
      fake.emitLinks = true;
      const seen = await consume({ after: first.position }, (events) => {
        if (events.length === 1) void store.append('s-1', [ev(2), ev(3)]);
        return events.length === 3;
      });
      expect(ns(seen)).toEqual([1, 2, 3]);
    });

    it('resubscribes from the last delivered position after a drop: no gap, no duplicate', async () => {
      await store.append(
        's-1',
        [0, 1, 2, 3].map((n) => ev(n)),
      );
      const seen = await consume({}, (events) => {
        if (events.length === 2) fake.drop(new UnavailableError());
        if (events.length === 4) fake.drop(); // the server just ends it
        if (events.length === 5) void store.append('s-1', [ev(5)]);
        if (events.length === 4) void store.append('s-1', [ev(4)]);
        return events.length === 6;
      });
      expect(ns(seen)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(fake.calls.subscribe[0]).toBe('start');
      // The second event of the stream (the log also holds the adapter's append plans).
      const userEvents = fake.log.filter((e) => e.streamId === 's-1');
      expect(fake.calls.subscribe[1]).toEqual(userEvents[1].position);
      expect(fake.calls.subscribe.length).toBeGreaterThanOrEqual(3);
    });

    it('ends with EventStoreUnavailableError on an error a resubscribe cannot fix', async () => {
      await store.append('s-1', [ev(0)]);
      const failed = consume({}, () => void fake.drop(new AccessDeniedError())).catch(
        (e: unknown) => e,
      );
      const error = await failed;
      expect(error).toBeInstanceOf(EventStoreUnavailableError);
      expect((error as Error).cause).toBeInstanceOf(AccessDeniedError);
    });

    it('unsubscribes when the consumer breaks out of the loop', async () => {
      await store.append('s-1', [ev(0), ev(1)]);
      for await (const _ of store.subscribeAll()) break;
      expect(fake.subscriptions).toHaveLength(1);
      expect(fake.subscriptions[0].cancelled).toBe(true);
      expect(fake.live.size).toBe(0);
    });

    it('ends when its signal aborts while it waits, or when the store closes', async () => {
      const controller = new AbortController();
      const waiting = store.subscribeAll({ signal: controller.signal })[Symbol.asyncIterator]();
      const next = waiting.next();
      setTimeout(() => controller.abort(), 10);
      await expect(next).resolves.toEqual({ value: undefined, done: true });
      expect(fake.subscriptions[0].cancelled).toBe(true);

      const other = store.subscribeAll()[Symbol.asyncIterator]().next();
      setTimeout(() => void store.close(), 10);
      await expect(other).resolves.toEqual({ value: undefined, done: true });
    });
  });
});

describe('EsdbEventStore (real client, no server listening)', () => {
  let port: number;
  beforeAll(async () => {
    // A port that was free a moment ago: connecting to it is refused at once.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
    await new Promise((resolve) => server.close(resolve));
  });

  it('reports every operation as EventStoreUnavailableError, with the cause', async () => {
    const store = new EsdbEventStore(`esdb://127.0.0.1:${port}?tls=false`);
    try {
      for (const operation of [
        () => store.ping(),
        () => store.append('s-1', [{ type: 'T', data: {} }]),
        () => store.readStream('s-1'),
        () => store.readAll(),
        () => store.readLastEvent(),
      ]) {
        const error = await operation().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(EventStoreUnavailableError);
        expect((error as Error).cause).toBeDefined();
      }
    } finally {
      await store.close();
    }
  });

  it('keeps retrying a subscription until aborted', async () => {
    const store = new EsdbEventStore(`esdb://127.0.0.1:${port}?tls=false`, {
      resubscribe: { initialDelayMs: 5, maxDelayMs: 20 },
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    let delivered = 0;
    for await (const _ of store.subscribeAll({ signal: controller.signal })) delivered++;
    expect(delivered).toBe(0);
    await store.close();
  });
});

describe('EsdbEventStore (in-memory client): the head of the log', () => {
  let fake: FakeEsdbClient;
  let store: EsdbEventStore;
  beforeEach(() => {
    fake = new FakeEsdbClient();
    store = new EsdbEventStore(fake.asClient());
  });
  afterEach(() => store.close());
  const ev = (n: number): NewEvent => ({ type: 'ThingHappened', data: { n } });

  it('answers readLastEvent and an idle countEventsAfter from the head it read, without reading $all again', async () => {
    await store.append('s-1', [ev(0), ev(1)]);
    const head = await store.readLastEvent();
    const reads = fake.calls.readAll;
    for (let i = 0; i < 20; i++) {
      expect(await store.readLastEvent()).toEqual(head);
      expect(await store.countEventsAfter(head!.position, 100)).toBe(0);
    }
    expect(fake.calls.readAll).toBe(reads);
    // Its own append clears it: the next read sees the new head.
    await store.append('s-1', [ev(2)]);
    expect((await store.readLastEvent())!.data).toEqual({ n: 2 });
    expect(await store.countEventsAfter(head!.position, 100)).toBe(1);
  });

  it("sees another process's append once the cached head is older than headCacheMs", async () => {
    const quick = new EsdbEventStore(fake.asClient(), { headCacheMs: 30 });
    const other = new EsdbEventStore(fake.asClient());
    await quick.append('s-1', [ev(0)]);
    const head = await quick.readLastEvent();
    await other.append('s-1', [ev(1)]);
    expect(await quick.readLastEvent()).toEqual(head); // within the cache time
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect((await quick.readLastEvent())!.data).toEqual({ n: 1 });
    expect(await quick.countEventsAfter(head!.position, 100)).toBe(1);
  });

  it('moves the cached head forward with the events a subscription delivers', async () => {
    await store.append('s-1', [ev(0)]);
    await store.readLastEvent();
    const controller = new AbortController();
    const seen: RecordedEvent[] = [];
    const done = (async () => {
      for await (const event of store.subscribeAll({ signal: controller.signal })) {
        seen.push(event);
        if (seen.length === 2) controller.abort();
      }
    })();
    // Another process appends: only the subscription tells this store.
    await new EsdbEventStore(fake.asClient()).append('s-1', [ev(1)]);
    await done;
    const reads = fake.calls.readAll;
    expect((await store.readLastEvent())!.data).toEqual({ n: 1 });
    expect(fake.calls.readAll).toBe(reads);
  });
});
