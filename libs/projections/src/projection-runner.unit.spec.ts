import type { JsonObject } from '@custodian/domain';
import { SqliteEventStore, type RecordedEvent } from '@custodian/event-store';
import { SqliteReadStore, UnknownCollectionError } from '@custodian/read-store';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProjectionDefinition } from './projection.definition';
import { activeCollection, readCatalogEntry } from './projection-catalog';
import { ProjectionRunner } from './projection-runner';

interface StreamSummary extends JsonObject {
  count: number;
  total: number;
  applied: string[];
}

/** Per stream: how many events, the sum of their `n`, and every event id applied, in order. */
function summary(version: number, weight = 1): ProjectionDefinition<StreamSummary> {
  return {
    name: 'stream_summary',
    version,
    eventTypes: ['Counted'],
    indexes: ['count'],
    documentIds: (event: RecordedEvent) => [event.stream],
    apply: (doc, event) => ({
      count: (doc?.count ?? 0) + 1,
      total: (doc?.total ?? 0) + weight * (event.data.n as number),
      applied: [...(doc?.applied ?? []), event.id],
    }),
  };
}

describe('ProjectionRunner', () => {
  let dir: string;
  let events: SqliteEventStore;
  let reads: SqliteReadStore;
  let runner: ProjectionRunner | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'custodian-proj-'));
    events = new SqliteEventStore({ file: join(dir, 'events.sqlite'), pollIntervalMs: 20 });
    reads = new SqliteReadStore({ file: join(dir, 'read.sqlite') });
  });
  afterEach(async () => {
    await runner?.stop();
    runner = undefined;
    await events.close();
    await reads.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const append = async (stream: string, ns: number[], type = 'Counted') =>
    events.append(
      stream,
      ns.map((n) => ({ type, data: { n } })),
    );
  const startRunner = async (
    defs: ProjectionDefinition<StreamSummary>[],
    batchSize = 50,
    retiredGraceMs?: number,
  ) => {
    runner = new ProjectionRunner(events, reads, defs as never, {
      batchSize,
      catchUpBatchSize: batchSize,
      retryDelayMs: 10,
      retiredGraceMs,
    });
    await runner.start();
    return runner;
  };
  const doc = async (id: string) => {
    const collection = runner!.collectionFor('stream_summary');
    return (await reads.get(collection, id)) as StreamSummary | null;
  };

  it('catches up from the start, then applies live events', async () => {
    await append('s-1', [1, 2, 3]);
    await append('s-2', [10]);
    await append('other-1', [99], 'Ignored');
    const r = await startRunner([summary(1)]);
    await r.waitFor((await events.readLastEvent())!.position);
    expect(await doc('s-1')).toMatchObject({ count: 3, total: 6 });
    expect(await doc('s-2')).toMatchObject({ count: 1, total: 10 });
    expect(await doc('other-1')).toBeNull();

    const live = await append('s-1', [4]);
    await r.waitFor(live.position);
    expect(await doc('s-1')).toMatchObject({ count: 4, total: 10 });
    await waitUntil(() => r.status()[0].state === 'live');
    expect(r.status()[0]).toMatchObject({
      name: 'stream_summary',
      state: 'live',
      version: 1,
      sequence: 6,
    });
  });

  it('applies events in batches no larger than the batch size, in order', async () => {
    const commit = jest.spyOn(reads, 'commit');
    for (let i = 0; i < 10; i++) await append(`s-${i % 3}`, [i, i + 100]);
    const r = await startRunner([summary(1)], 7);
    await r.waitFor((await events.readLastEvent())!.position);
    const sizes = commit.mock.calls
      .filter(([batch]) => batch.checkpoint)
      .map(([batch]) => batch.checkpoint!.sequence);
    expect(sizes[sizes.length - 1]).toBe(20);
    sizes.forEach((s, i) => expect(s - (sizes[i - 1] ?? 0)).toBeLessThanOrEqual(7));
    const all = await events.readAll();
    for (const id of ['s-0', 's-1', 's-2']) {
      expect((await doc(id))!.applied).toEqual(all.filter((e) => e.stream === id).map((e) => e.id));
    }
  });

  it('resumes exactly where it stopped after a restart: nothing applied twice, nothing skipped', async () => {
    await append('s-1', [1, 2]);
    let r = await startRunner([summary(1)]);
    await r.waitFor((await events.readLastEvent())!.position);
    await r.stop();
    await append('s-1', [3, 4, 5]);
    expect((await r.lag())[0]).toMatchObject({ name: 'stream_summary', eventsBehind: 3 });
    expect((await r.lag())[0].secondsBehind).toBeGreaterThanOrEqual(0);

    r = await startRunner([summary(1)]);
    await r.waitFor((await events.readLastEvent())!.position);
    const applied = (await doc('s-1'))!.applied;
    expect(applied).toEqual((await events.readStream('s-1')).map((e) => e.id));
    expect((await doc('s-1'))!.total).toBe(15);
    expect(await r.lag()).toEqual([{ name: 'stream_summary', eventsBehind: 0, secondsBehind: 0 }]);
  });

  it('rebuilds a changed definition into a fresh collection and swaps it in when caught up', async () => {
    await append('s-1', [1, 2, 3]);
    let r = await startRunner([summary(1)]);
    await r.waitFor((await events.readLastEvent())!.position);
    const v1 = r.collectionFor('stream_summary');
    await r.stop();

    r = await startRunner([summary(2, 10)], 50, 400);
    await r.waitFor((await events.readLastEvent())!.position);
    await waitUntil(() => r.status()[0].state === 'live');
    const v2 = r.collectionFor('stream_summary');
    expect(v2).not.toBe(v1);
    expect(v2).toMatch(/^stream_summary_v2_/);
    expect(await activeCollection(reads, 'stream_summary')).toBe(v2);
    expect(await doc('s-1')).toMatchObject({ count: 3, total: 60 });
    expect(r.status()[0]).toMatchObject({ version: 2, activeVersion: 2 });
    // A reader in another process that resolved v1 before the swap keeps getting answers
    // from it for the grace period (it used to be dropped at once: "never asked")...
    expect(await reads.get(v1, 's-1')).toMatchObject({ count: 3, total: 6 });
    expect((await readCatalogEntry(reads, 'stream_summary'))!.retired).toEqual([
      expect.objectContaining({ version: 1, collection: v1 }),
    ]);
    // ...and it is dropped after.
    await waitUntil(async () =>
      reads.get(v1, 's-1').then(
        () => false,
        (error: unknown) => error instanceof UnknownCollectionError,
      ),
    );
    expect((await readCatalogEntry(reads, 'stream_summary'))!.retired).toEqual([]);
  });

  it('drops a build retired before a stop at the next start, once past its grace period', async () => {
    await append('s-1', [1, 2]);
    let r = await startRunner([summary(1)]);
    await r.waitFor((await events.readLastEvent())!.position);
    const v1 = r.collectionFor('stream_summary');
    await r.stop();
    r = await startRunner([summary(2, 10)], 50, 200);
    await waitUntil(() => r.status()[0].state === 'live');
    await r.stop(); // before the grace period is over: v1 is still there
    expect(await reads.get(v1, 's-1')).not.toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 250));
    r = await startRunner([summary(2, 10)], 50, 200);
    await expect(reads.get(v1, 's-1')).rejects.toBeInstanceOf(UnknownCollectionError);
    expect(await doc('s-1')).toMatchObject({ count: 2, total: 30 });
  });

  it('keeps serving the old version until the rebuild has caught up', async () => {
    await append('s-1', [1]);
    let r = await startRunner([summary(1)]);
    await r.waitFor((await events.readLastEvent())!.position);
    const v1 = r.collectionFor('stream_summary');
    await r.stop();
    // A rebuild that cannot finish: its event store read fails until we let it.
    let allow = false;
    const original = events.countEventsAfter.bind(events);
    jest.spyOn(events, 'countEventsAfter').mockImplementation(async (after, cap) => {
      if (!allow) throw new Error('store paused');
      return original(after, cap);
    });
    r = await startRunner([summary(2)]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(r.collectionFor('stream_summary')).toBe(v1);
    expect(await activeCollection(reads, 'stream_summary')).toBe(v1);
    expect(r.status()[0]).toMatchObject({ version: 2, activeVersion: 1 });
    allow = true;
    await waitUntil(() => r.status()[0].state === 'live');
    expect(r.collectionFor('stream_summary')).not.toBe(v1);
  });

  it('rebuilt from scratch equals the projection built live, event by event', async () => {
    const r1 = await startRunner([summary(1)]);
    for (let i = 0; i < 60; i++) {
      const result = await append(`s-${i % 4}`, [i]);
      if (i % 7 === 0) await r1.waitFor(result.position);
    }
    await r1.waitFor((await events.readLastEvent())!.position);
    const liveCollection = r1.collectionFor('stream_summary');
    const live = await reads.find(liveCollection, { limit: 100 });
    await r1.stop();

    const rebuilt = new ProjectionRunner(events, reads, [{ ...summary(2) }] as never, {
      batchSize: 1000,
    });
    await rebuilt.start();
    await waitUntil(() => rebuilt.status()[0].state === 'live');
    const rebuiltDocs = await reads.find(rebuilt.collectionFor('stream_summary'), { limit: 100 });
    await rebuilt.stop();
    expect(rebuiltDocs.items).toEqual(live.items);
    expect(live.items).toHaveLength(4);
  });

  it('retries after a failure and applies every event exactly once', async () => {
    await append('s-1', [1, 2, 3]);
    let failures = 2;
    const original = reads.commit.bind(reads);
    jest.spyOn(reads, 'commit').mockImplementation(async (batch) => {
      if (batch.checkpoint && failures-- > 0) throw new Error('disk hiccup');
      return original(batch);
    });
    const r = await startRunner([summary(1)]);
    await r.waitFor((await events.readLastEvent())!.position);
    expect((await doc('s-1'))!.applied).toHaveLength(3);
    expect(r.status()[0].error).toBeUndefined();
  });

  it('reports a failing projection with its error', async () => {
    await append('s-1', [1]);
    const broken: ProjectionDefinition<StreamSummary> = {
      ...summary(1),
      apply: () => {
        throw new Error('bug in apply');
      },
    };
    const r = await startRunner([broken]);
    await waitUntil(() => r.status()[0].state === 'failed');
    expect(r.status()[0].error).toBe('bug in apply');
  });

  /** The store's open subscriptions, counted as they start and end. */
  const countSubscriptions = () => {
    const open = { now: 0 };
    const subscribe = events.subscribeAll.bind(events);
    events.subscribeAll = async function* (options) {
      open.now++;
      try {
        yield* subscribe(options);
      } finally {
        open.now--;
      }
    };
    return open;
  };
  const named = (name: string): ProjectionDefinition<StreamSummary> => ({ ...summary(1), name });

  it('once caught up, reads the log with one subscription for every projection', async () => {
    const open = countSubscriptions();
    await append('s-1', [1, 2]);
    const r = await startRunner([named('first'), named('second'), named('third')]);
    await waitUntil(() => r.status().every((s) => s.state === 'live') && open.now === 1);
    for (let i = 0; i < 20; i++) await append(`s-${i % 3}`, [i]);
    const last = (await events.readLastEvent())!.position;
    await r.waitFor(last);
    expect(open.now).toBe(1);
    for (const name of ['first', 'second', 'third']) {
      const got = (await reads.get(r.collectionFor(name), 's-1')) as StreamSummary;
      expect(got).toMatchObject({
        count: 2 + 7,
        total: 3 + [1, 4, 7, 10, 13, 16, 19].reduce((a, b) => a + b),
      });
    }
  });

  it('takes a projection that fails in the shared feed out of it; it retries alone and applies every event once', async () => {
    let failed = false;
    const flaky: ProjectionDefinition<StreamSummary> = {
      ...named('flaky'),
      apply: (doc, event, id) => {
        if (event.data.n === 100 && !failed) {
          failed = true;
          throw new Error('transient');
        }
        return summary(1).apply(doc, event, id);
      },
    };
    const open = countSubscriptions();
    const r = await startRunner([named('steady'), flaky]);
    await waitUntil(() => r.status().every((s) => s.state === 'live') && open.now === 1);
    await append('s-1', [1, 100, 2]);
    const last = (await events.readLastEvent())!.position;
    await r.waitFor(last);
    for (const name of ['steady', 'flaky']) {
      const got = (await reads.get(r.collectionFor(name), 's-1')) as StreamSummary;
      expect(got).toMatchObject({ count: 3, total: 103 });
      expect(new Set(got.applied).size).toBe(3);
    }
    expect(failed).toBe(true);
    // Back in the feed once caught up again.
    await waitUntil(() => open.now === 1);
  });

  describe('documents chosen by their fields, and documents consulted', () => {
    interface Membership extends JsonObject {
      group: string;
      member: string;
      closed: boolean;
    }
    /**
     * One document per group member; closing a group closes every member's document (found by
     * `group`, which no event of the closing names) and leaves a marker that members joining
     * later consult, so they join closed.
     */
    const memberships: ProjectionDefinition<Membership> = {
      name: 'memberships',
      version: 1,
      eventTypes: ['Joined', 'GroupClosed'],
      indexes: ['group'],
      consults: (event) => (event.type === 'Joined' ? [`closed:${String(event.data.group)}`] : []),
      documentIds: (event) =>
        event.type === 'Joined'
          ? [`${String(event.data.group)}:${String(event.data.member)}`]
          : [`closed:${String(event.data.group)}`],
      documentsWhere: (event) =>
        event.type === 'GroupClosed' ? { group: String(event.data.group) } : null,
      apply: (doc, event, id, lookup) => {
        const group = String(event.data.group);
        if (event.type === 'GroupClosed') {
          return id.startsWith('closed:')
            ? { group: `closed:${group}`, member: '', closed: true }
            : { ...doc!, closed: true };
        }
        return {
          group,
          member: String(event.data.member),
          closed: lookup!(`closed:${group}`) !== null,
        };
      },
    };
    const history = async () => {
      const write = (type: string, data: JsonObject) => events.append(type, [{ type, data }]);
      await write('Joined', { group: 'a', member: '1' });
      await write('Joined', { group: 'a', member: '2' });
      await write('Joined', { group: 'b', member: '3' });
      await write('GroupClosed', { group: 'a' });
      await write('Joined', { group: 'a', member: '4' });
      await write('Joined', { group: 'b', member: '5' });
    };
    const membershipDocs = async (r: ProjectionRunner) => {
      const page = await reads.find(r.collectionFor('memberships'), { limit: 100 });
      return Object.fromEntries(page.items.map((item) => [item.id, item.doc.closed]));
    };
    const expected = {
      'a:1': true,
      'a:2': true,
      'a:4': true,
      'b:3': false,
      'b:5': false,
      'closed:a': true,
    };

    it.each([1, 50])(
      'closes every member stored before, and members joining after, in batches of %i',
      async (batchSize) => {
        await history();
        runner = new ProjectionRunner(events, reads, [memberships] as never, {
          batchSize,
          retryDelayMs: 10,
        });
        await runner.start();
        await runner.waitFor((await events.readLastEvent())!.position);
        expect(await membershipDocs(runner)).toEqual(expected);
      },
    );

    it('closes documents written earlier in the same batch and stored ones alike, live', async () => {
      runner = new ProjectionRunner(events, reads, [memberships] as never, { retryDelayMs: 10 });
      await runner.start();
      await events.append('Joined', [{ type: 'Joined', data: { group: 'a', member: '1' } }]);
      await runner.waitFor((await events.readLastEvent())!.position);
      await history();
      await runner.waitFor((await events.readLastEvent())!.position);
      expect(await membershipDocs(runner)).toEqual(expected);
    });

    it('fails a projection that looks up a document it did not declare', async () => {
      await events.append('Joined', [{ type: 'Joined', data: { group: 'a', member: '1' } }]);
      const sneaky: ProjectionDefinition<Membership> = {
        ...memberships,
        name: 'sneaky',
        apply: (_doc, _event, _id, lookup) => ({
          group: 'a',
          member: '1',
          closed: lookup!('somewhere-else') !== null,
        }),
      };
      runner = new ProjectionRunner(events, reads, [sneaky] as never, { retryDelayMs: 10 });
      await runner.start();
      await waitUntil(() => runner!.status()[0].error !== undefined);
      expect(runner.status()[0].error).toMatch(/consults\(\) did not name/);
    });
  });

  it('rejects definitions with bad names, versions or duplicate names', () => {
    expect(
      () => new ProjectionRunner(events, reads, [{ ...summary(1), name: 'Bad Name' }] as never),
    ).toThrow(/name/);
    expect(() => new ProjectionRunner(events, reads, [{ ...summary(0) }] as never)).toThrow(
      /version/,
    );
    expect(() => new ProjectionRunner(events, reads, [summary(1), summary(2)] as never)).toThrow(
      /two/,
    );
  });
});

async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
