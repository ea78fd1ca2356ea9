import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DuplicateEventIdError, WrongExpectedRevisionError } from '../event-store.errors';
import { eventStoreContract } from '../testing/event-store.contract';
import { withTimeout } from '../testing/with-timeout';
import { SqliteEventStore } from './sqlite-event-store';

eventStoreContract('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'custodian-es-'));
  const store = new SqliteEventStore({ file: join(dir, 'events.sqlite'), pollIntervalMs: 20 });
  return {
    store,
    dispose: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteEventStore', () => {
  let dir: string;
  let file: string;
  let store: SqliteEventStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'custodian-es-'));
    file = join(dir, 'events.sqlite');
    store = new SqliteEventStore({ file });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('group-commits appends that arrive together, each keeping its own revision check', async () => {
    const before = store.stats;
    const appends = Array.from({ length: 64 }, (_, i) =>
      store.append(`s-${i}`, [{ type: 'T', data: { i } }], { expectedRevision: 'no_stream' }),
    );
    const conflicting = store.append('s-0', [{ type: 'T', data: {} }], {
      expectedRevision: 'no_stream',
    });
    const results = await Promise.allSettled([...appends, conflicting]);
    expect(results.slice(0, 64).every((r) => r.status === 'fulfilled')).toBe(true);
    expect(results[64]).toMatchObject({
      status: 'rejected',
      reason: expect.any(WrongExpectedRevisionError),
    });
    const after = store.stats;
    expect(after.appends - before.appends).toBe(65);
    expect(after.transactions - before.transactions).toBe(1);
  });

  it('rejects an event id already used in another stream, writing nothing', async () => {
    const id = randomUUID();
    await store.append('a-1', [{ id, type: 'T', data: {} }]);
    await expect(
      store.append('b-1', [
        { type: 'T', data: {} },
        { id, type: 'T', data: {} },
      ]),
    ).rejects.toBeInstanceOf(DuplicateEventIdError);
    expect(await store.readStream('b-1')).toEqual([]);
  });

  it('runs its connection in WAL mode with synchronous=FULL (2): each commit is fsynced before an append is acknowledged', async () => {
    expect(store.durability()).toEqual({ journalMode: 'wal', synchronous: 2 });
    await store.append('s-1', [{ type: 'T', data: {} }]);
    await store.close();
    // Both are per-connection settings: a reopened file must be opened the same way.
    store = new SqliteEventStore({ file });
    expect(store.durability()).toEqual({ journalMode: 'wal', synchronous: 2 });
  });

  it('keeps every acknowledged event across a reopen', async () => {
    for (let i = 0; i < 20; i++) await store.append('s-1', [{ type: 'T', data: { i } }]);
    await store.close();
    store = new SqliteEventStore({ file });
    expect((await store.readStream('s-1')).map((e) => e.data.i)).toEqual(
      Array.from({ length: 20 }, (_, i) => i),
    );
  });

  it('delivers events appended by another process to a live subscriber, in order', async () => {
    await store.append('warm-1', [{ type: 'T', data: {} }]);
    const last = await store.readLastEvent();
    const controller = new AbortController();
    const seen: number[] = [];
    const subscribed = (async () => {
      for await (const event of store.subscribeAll({
        after: last!.position,
        signal: controller.signal,
      })) {
        seen.push(event.data.i as number);
        if (seen.length === 5) controller.abort();
      }
    })();
    try {
      await promisify(execFile)(
        process.execPath,
        [
          '--import',
          'tsx',
          join(__dirname, '../testing/sqlite-append-child.ts'),
          file,
          'other-1',
          '5',
        ],
        { timeout: 15_000 },
      );
      // The child has committed all five, so only this process's polling (every 100 ms) is
      // left: 10 s is ample on a loaded machine, and a subscriber that never polls fails here.
      await withTimeout(
        subscribed,
        10_000,
        () =>
          `the subscriber saw ${seen.length} of 5 events 10 s after the other process wrote them`,
      );
    } finally {
      controller.abort();
    }
    expect(seen).toEqual([0, 1, 2, 3, 4]);
  });
});
