import { randomUUID } from 'node:crypto';
import { deterministicEventId } from '../event-ids';
import {
  DuplicateEventIdError,
  InvalidEventStoreInputError,
  WrongExpectedRevisionError,
} from '../event-store.errors';
import type { EventStore, NewEvent, RecordedEvent } from '../event-store.port';
import { withTimeout } from './with-timeout';

export interface EventStoreFixture {
  store: EventStore;
  /** Closes the store and removes what the fixture created. */
  dispose(): Promise<void>;
  /**
   * Makes the store forget the event ids it has seen recently, as EventStoreDB's recent-id
   * cache does on a restart or eviction (the in-memory ESDB client models it); absent where
   * the store never forgets (SQLite keeps every id) or cannot be made to (a real server).
   */
  forgetEventIds?(): void;
}

/**
 * The behaviour every EventStore adapter must have. Streams are unique per test, and reads of
 * `$all` are filtered to the test's own streams, so the suite also runs against a shared server.
 */
export function eventStoreContract(adapter: string, open: () => Promise<EventStoreFixture>): void {
  describe(`EventStore contract: ${adapter}`, () => {
    let fixture: EventStoreFixture;
    let store: EventStore;
    beforeEach(async () => {
      fixture = await open();
      store = fixture.store;
    });
    afterEach(async () => fixture.dispose());

    const streamOf = (prefix = 'test') => `${prefix}-${randomUUID()}`;
    const ev = (n: number, extra: Partial<NewEvent> = {}): NewEvent => ({
      type: 'ThingHappened',
      data: { n },
      ...extra,
    });
    const events = (count: number, start = 0) =>
      Array.from({ length: count }, (_, i) => ev(start + i));
    const ns = (recorded: RecordedEvent[]) => recorded.map((e) => e.data.n);

    describe('appending and reading a stream', () => {
      it('numbers revisions from 0 and returns the next expected revision', async () => {
        const stream = streamOf();
        const first = await store.append(stream, events(3), { expectedRevision: 'no_stream' });
        expect(first.nextExpectedRevision).toBe(2n);
        const second = await store.append(stream, [ev(3)], { expectedRevision: 2n });
        expect(second.nextExpectedRevision).toBe(3n);
        const read = await store.readStream(stream);
        expect(read.map((e) => e.revision)).toEqual([0n, 1n, 2n, 3n]);
        expect(ns(read)).toEqual([0, 1, 2, 3]);
        expect(read[3].position).toBe(second.position);
        expect(read.every((e) => e.stream === stream && e.type === 'ThingHappened')).toBe(true);
      });

      it('round-trips ids, data, metadata and the recording time', async () => {
        const stream = streamOf();
        const id = randomUUID();
        const data = { text: 'Привет, мир ✓', nested: { list: [1, 2.5, null, true] }, empty: {} };
        const metadata = { correlationId: randomUUID(), actor: { id: 'a1', role: 'admin' } };
        const before = Date.now();
        await store.append(stream, [{ id, type: 'ConsentGranted', data, metadata }]);
        const [read] = await store.readStream(stream);
        expect(read.id).toBe(id);
        expect(read.type).toBe('ConsentGranted');
        expect(read.data).toEqual(data);
        expect(read.metadata).toEqual(metadata);
        expect(read.recordedAt).toBeInstanceOf(Date);
        expect(read.recordedAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
        expect(read.recordedAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
      });

      it('reads forwards and backwards from a revision with a max count', async () => {
        const stream = streamOf();
        await store.append(stream, events(10));
        expect(ns(await store.readStream(stream, { maxCount: 3 }))).toEqual([0, 1, 2]);
        expect(ns(await store.readStream(stream, { fromRevision: 4n, maxCount: 2 }))).toEqual([
          4, 5,
        ]);
        expect(ns(await store.readStream(stream, { direction: 'backwards', maxCount: 3 }))).toEqual(
          [9, 8, 7],
        );
        expect(
          ns(await store.readStream(stream, { direction: 'backwards', fromRevision: 2n })),
        ).toEqual([2, 1, 0]);
        expect(await store.readStream(stream, { fromRevision: 10n })).toEqual([]);
      });

      it('reads an unknown stream as empty', async () => {
        expect(await store.readStream(streamOf())).toEqual([]);
      });
    });

    describe('expected revision', () => {
      it('accepts any, no_stream on a new stream, stream_exists and the exact revision', async () => {
        const stream = streamOf();
        await store.append(stream, [ev(0)], { expectedRevision: 'no_stream' });
        await store.append(stream, [ev(1)], { expectedRevision: 'stream_exists' });
        await store.append(stream, [ev(2)], { expectedRevision: 1n });
        await store.append(stream, [ev(3)], { expectedRevision: 'any' });
        await store.append(stream, [ev(4)]);
        expect(ns(await store.readStream(stream))).toEqual([0, 1, 2, 3, 4]);
      });

      it.each([
        ['no_stream on an existing stream', 'no_stream' as const, true],
        ['stream_exists on a missing stream', 'stream_exists' as const, false],
        ['a revision behind the head', 0n, true],
        ['a revision ahead of the head', 5n, true],
        ['a revision on a missing stream', 0n, false],
      ])('throws WrongExpectedRevision for %s and writes nothing', async (_, expected, exists) => {
        const stream = streamOf();
        if (exists) await store.append(stream, events(2));
        const error = await store
          .append(stream, [ev(99)], { expectedRevision: expected })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect((error as WrongExpectedRevisionError).stream).toBe(stream);
        expect(ns(await store.readStream(stream))).toEqual(exists ? [0, 1] : []);
      });

      it('lets exactly one of many writers win each revision', async () => {
        const stream = streamOf();
        await store.append(stream, [ev(-1)]);
        const writers = 16;
        const rounds = 5;
        let wins = 0;
        let conflicts = 0;
        for (let round = 0; round < rounds; round++) {
          const expected = BigInt(round);
          const outcomes = await Promise.allSettled(
            Array.from({ length: writers }, (_, w) =>
              store.append(stream, [ev(round * 100 + w)], { expectedRevision: expected }),
            ),
          );
          const won = outcomes.filter((o) => o.status === 'fulfilled');
          expect(won).toHaveLength(1);
          for (const o of outcomes) {
            if (o.status === 'rejected')
              expect(o.reason).toBeInstanceOf(WrongExpectedRevisionError);
          }
          wins += won.length;
          conflicts += outcomes.length - won.length;
        }
        expect(wins).toBe(rounds);
        expect(conflicts).toBe(rounds * (writers - 1));
        const read = await store.readStream(stream);
        expect(read.map((e) => e.revision)).toEqual([0n, 1n, 2n, 3n, 4n, 5n]);
      });

      it('keeps writers racing through read-then-append loops gap-free and duplicate-free', async () => {
        const stream = streamOf();
        const perWriter = 10;
        const writers = 8;
        const writer = async (w: number) => {
          let done = 0;
          while (done < perWriter) {
            const [last] = await store.readStream(stream, { direction: 'backwards', maxCount: 1 });
            try {
              await store.append(stream, [ev(w * 1000 + done)], {
                expectedRevision: last ? last.revision : 'no_stream',
              });
              done++;
            } catch (error) {
              if (!(error instanceof WrongExpectedRevisionError)) throw error;
            }
          }
        };
        await Promise.all(Array.from({ length: writers }, (_, w) => writer(w)));
        const read = await store.readStream(stream);
        expect(read.map((e) => e.revision)).toEqual(
          Array.from({ length: writers * perWriter }, (_, i) => BigInt(i)),
        );
        expect(new Set(ns(read)).size).toBe(writers * perWriter);
      });

      it('fails only the append whose check fails when appends arrive together', async () => {
        const a = streamOf();
        const b = streamOf();
        await store.append(b, [ev(0)]);
        const results = await Promise.allSettled([
          store.append(a, [ev(1)], { expectedRevision: 'no_stream' }),
          store.append(b, [ev(2)], { expectedRevision: 'no_stream' }),
          store.append(a, [ev(3)], { expectedRevision: 0n }),
          store.append(b, [ev(4)], { expectedRevision: 0n }),
        ]);
        expect(results.map((r) => r.status)).toEqual([
          'fulfilled',
          'rejected',
          'fulfilled',
          'fulfilled',
        ]);
        expect(ns(await store.readStream(a))).toEqual([1, 3]);
        expect(ns(await store.readStream(b))).toEqual([0, 4]);
      });
    });

    describe('idempotency', () => {
      it('appends nothing and reports the same result when the same events are appended again', async () => {
        const stream = streamOf();
        const batch = [0, 1, 2].map((n) => ev(n, { id: deterministicEventId(`key-${stream}`, n) }));
        const first = await store.append(stream, batch, { expectedRevision: 'no_stream' });
        const again = await store.append(stream, batch, { expectedRevision: 'no_stream' });
        expect(again).toEqual(first);
        const anyAgain = await store.append(stream, batch, { expectedRevision: 'any' });
        expect(anyAgain.nextExpectedRevision).toBe(first.nextExpectedRevision);
        expect(ns(await store.readStream(stream))).toEqual([0, 1, 2]);
      });

      it('stores an audit record (any revision) once when it is retried after the store forgot its ids, even after other appends', async () => {
        const stream = streamOf('access');
        const record = [7, 8].map((n) => ev(n, { id: deterministicEventId(`audit-${stream}`, n) }));
        const first = await store.append(stream, record, { expectedRevision: 'any' });
        await store.append(stream, [ev(9)], { expectedRevision: 'any' });
        fixture.forgetEventIds?.();
        // The retry (a resumed export, a client retrying with its Idempotency-Key) comes later.
        const retried = await store.append(stream, record, { expectedRevision: 'any' });
        expect(retried).toEqual(first);
        fixture.forgetEventIds?.();
        expect(await store.append(stream, record, { expectedRevision: 'any' })).toEqual(first);
        expect(ns(await store.readStream(stream))).toEqual([7, 8, 9]);
        const all = await store.readAll();
        expect(ns(all.filter((e) => e.stream === stream))).toEqual([7, 8, 9]);
        // Nothing but the stream's own events is handed out, whatever the adapter keeps.
        expect(all.every((e) => !e.stream.startsWith('_'))).toBe(true);
      });

      it('stores an append at an exact revision once when it is retried after the store forgot its ids', async () => {
        const stream = streamOf();
        const batch = [0, 1].map((n) => ev(n, { id: deterministicEventId(`exact-${stream}`, n) }));
        const first = await store.append(stream, batch, { expectedRevision: 'no_stream' });
        fixture.forgetEventIds?.();
        expect(await store.append(stream, batch, { expectedRevision: 'no_stream' })).toEqual(first);
        const next = [ev(2, { id: deterministicEventId(`exact-${stream}`, 2) })];
        const second = await store.append(stream, next, { expectedRevision: 1n });
        fixture.forgetEventIds?.();
        expect(await store.append(stream, next, { expectedRevision: 1n })).toEqual(second);
        expect(ns(await store.readStream(stream))).toEqual([0, 1, 2]);
      });

      it('derives the same UUID from the same key and index, and different ones otherwise', () => {
        const id = deterministicEventId('k', 0);
        expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(deterministicEventId('k', 0)).toBe(id);
        expect(deterministicEventId('k', 1)).not.toBe(id);
        expect(deterministicEventId('k2', 0)).not.toBe(id);
      });
    });

    describe('the global log', () => {
      it('orders every stream by global position and reads after a position', async () => {
        const marker = await store.readLastEvent();
        const a = streamOf('a');
        const b = streamOf('b');
        await store.append(a, [ev(0)]);
        await store.append(b, [ev(1), ev(2)]);
        await store.append(a, [ev(3)]);
        const ours = (await store.readAll({ after: marker?.position })).filter(
          (e) => e.stream === a || e.stream === b,
        );
        expect(ns(ours)).toEqual([0, 1, 2, 3]);
        for (let i = 1; i < ours.length; i++) {
          expect(store.comparePositions(ours[i].position, ours[i - 1].position)).toBeGreaterThan(0);
        }
        const afterSecond = (await store.readAll({ after: ours[1].position })).filter(
          (e) => e.stream === a || e.stream === b,
        );
        expect(ns(afterSecond)).toEqual([2, 3]);
        const limited = await store.readAll({ after: marker?.position, maxCount: 2 });
        expect(limited).toHaveLength(2);
        expect(store.comparePositions(ours[0].position, ours[0].position)).toBe(0);
        const last = await store.readLastEvent();
        expect(last?.id).toBe(ours[3].id);
        expect(await store.countEventsAfter(ours[0].position, 1000)).toBeGreaterThanOrEqual(3);
        expect(await store.countEventsAfter(ours[0].position, 2)).toBe(2);
        expect(await store.countEventsAfter(last!.position, 1000)).toBe(0);
      });

      it('subscribes with catch-up then live, with no gap and no duplicate across the switch', async () => {
        const marker = await store.readLastEvent();
        const stream = streamOf('sub');
        await store.append(stream, events(25));
        const controller = new AbortController();
        const seen: RecordedEvent[] = [];
        const total = 60;
        const consumed = (async () => {
          for await (const event of store.subscribeAll({
            after: marker?.position,
            signal: controller.signal,
          })) {
            if (event.stream !== stream) continue;
            seen.push(event);
            if (seen.length === total) controller.abort();
          }
        })();
        // Live appends interleave with catch-up reads.
        for (let i = 25; i < total; i += 5) {
          await store.append(stream, events(5, i));
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        await withTimeout(consumed, 10_000, 'subscription did not deliver every event');
        expect(ns(seen)).toEqual(Array.from({ length: total }, (_, i) => i));
      });

      it('subscribes from a position, delivering only what comes after it', async () => {
        const stream = streamOf('sub');
        await store.append(stream, events(3));
        const [, second] = await store.readStream(stream);
        const controller = new AbortController();
        const seen: number[] = [];
        const consumed = (async () => {
          for await (const event of store.subscribeAll({
            after: second.position,
            signal: controller.signal,
          })) {
            if (event.stream !== stream) continue;
            seen.push(event.data.n as number);
            if (seen.length === 2) controller.abort();
          }
        })();
        await store.append(stream, [ev(3)]);
        await withTimeout(consumed, 10_000, 'subscription did not deliver');
        expect(seen).toEqual([2, 3]);
      });

      it('ends a subscription when its signal aborts while it waits', async () => {
        const stream = streamOf('sub');
        const controller = new AbortController();
        const last = await store.readLastEvent();
        const seen: number[] = [];
        let delivered!: () => void;
        const live = new Promise<void>((resolve) => (delivered = resolve));
        const iterating = (async () => {
          for await (const event of store.subscribeAll({
            after: last?.position,
            signal: controller.signal,
          })) {
            if (event.stream !== stream) continue;
            seen.push(event.data.n as number);
            delivered();
          }
          return 'ended';
        })();
        // An event appended after subscribing arrives: the subscription is live, and then waits.
        await store.append(stream, [ev(1)]);
        await withTimeout(live, 10_000, 'subscription did not deliver the event appended live');
        // A moment to go back to waiting, the case named; ended it must be either way.
        await new Promise((resolve) => setTimeout(resolve, 20));
        controller.abort();
        await expect(
          withTimeout(iterating, 5_000, 'subscription did not end when its signal aborted'),
        ).resolves.toBe('ended');
        expect(seen).toEqual([1]);
      });
    });

    describe('bad input', () => {
      const invalid: Array<[string, () => [string, unknown[], object?]]> = [
        ['an empty stream name', () => ['', [ev(0)]]],
        ['a system stream name', () => ['$all', [ev(0)]]],
        ['no events', () => [streamOf(), []]],
        ['an event without a type', () => [streamOf(), [{ data: {} }]]],
        ['data that is not an object', () => [streamOf(), [{ type: 'T', data: 'text' }]]],
        ['a function in data', () => [streamOf(), [{ type: 'T', data: { f: () => 1 } }]]],
        ['NaN in data', () => [streamOf(), [{ type: 'T', data: { n: NaN } }]]],
        ['a Date in data', () => [streamOf(), [{ type: 'T', data: { at: new Date() } }]]],
        [
          'a bigint in metadata',
          () => [streamOf(), [{ type: 'T', data: {}, metadata: { n: 1n } }]],
        ],
        ['undefined in data', () => [streamOf(), [{ type: 'T', data: { u: undefined } }]]],
        ['an id that is not a UUID', () => [streamOf(), [{ id: 'x', type: 'T', data: {} }]]],
        ['a negative expected revision', () => [streamOf(), [ev(0)], { expectedRevision: -1n }]],
        ['a numeric expected revision', () => [streamOf(), [ev(0)], { expectedRevision: 1 }]],
      ];
      it.each(invalid)('rejects %s with a clear error and writes nothing', async (_, make) => {
        const [stream, batch, options] = make();
        const before = await store.readLastEvent();
        const error = await store
          .append(stream, batch as NewEvent[], options as never)
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidEventStoreInputError);
        expect((error as Error).message).toMatch(/^(stream|events|expectedRevision)/);
        const after = await store.readLastEvent();
        expect(after?.id).toBe(before?.id);
      });

      it('rejects a circular data object', async () => {
        const data: Record<string, unknown> = {};
        data.self = data;
        await expect(
          store.append(streamOf(), [{ type: 'T', data } as NewEvent]),
        ).rejects.toBeInstanceOf(InvalidEventStoreInputError);
      });

      it('rejects an append that repeats only part of an earlier one, writing nothing', async () => {
        const stream = streamOf();
        const first = ev(0, { id: randomUUID() });
        const second = ev(1, { id: randomUUID() });
        await store.append(stream, [first, second]);
        await expect(store.append(stream, [second, ev(2)])).rejects.toBeInstanceOf(
          DuplicateEventIdError,
        );
        expect(ns(await store.readStream(stream))).toEqual([0, 1]);
      });

      it('rejects a negative revision and a bad max count on reads', async () => {
        await expect(store.readStream(streamOf(), { fromRevision: -1n })).rejects.toBeInstanceOf(
          InvalidEventStoreInputError,
        );
        await expect(store.readStream(streamOf(), { maxCount: 0 })).rejects.toBeInstanceOf(
          InvalidEventStoreInputError,
        );
        await expect(store.readAll({ after: 'not-a-position' })).rejects.toBeInstanceOf(
          InvalidEventStoreInputError,
        );
      });
    });
  });
}
