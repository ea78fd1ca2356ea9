import type Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteReadStore } from './sqlite-read-store';

/**
 * A collection filled from nothing (a projection rebuild) may defer its indexes: writes then
 * maintain none, and the indexes are built in one pass at the first query, or when the
 * collection is ensured again without the flag. Queries answer the same either way.
 */
describe('SQLite read store: deferred indexes', () => {
  let dir: string;
  let store: SqliteReadStore;
  const indexesOf = (table: string) =>
    (store as unknown as { db: Database.Database }).db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
      )
      .all(table)
      .map((row) => (row as { name: string }).name)
      .sort();
  const fill = (collection: string) =>
    store.commit({
      writes: Array.from({ length: 50 }, (_, i) => ({
        collection,
        id: `d-${String(i).padStart(2, '0')}`,
        doc: { subjectId: `s-${i % 5}`, at: i },
      })),
      checkpoint: { name: `projection:${collection}`, position: '50', sequence: 50 },
    });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'custodian-rs-deferred-'));
    store = new SqliteReadStore({ file: join(dir, 'read.sqlite') });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes without indexes, then builds them at the first query, which answers as indexed', async () => {
    const spec = {
      name: 'timeline',
      indexes: ['subjectId'],
      compoundIndexes: [['subjectId', 'at']],
    };
    await store.ensureCollection({ ...spec, deferIndexes: true });
    await fill('timeline');
    expect(indexesOf('c_timeline')).toEqual([]);
    const page = await store.find('timeline', { where: { subjectId: 's-3' }, limit: 100 });
    expect(page.items.map((item) => item.id)).toEqual([
      'd-03',
      'd-08',
      'd-13',
      'd-18',
      'd-23',
      'd-28',
      'd-33',
      'd-38',
      'd-43',
      'd-48',
    ]);
    // A compound index's fields are indexed one by one too (as `ensureCollection` always did).
    expect(indexesOf('c_timeline')).toEqual([
      'c_timeline__at',
      'c_timeline__subjectId',
      'c_timeline__subjectId__at',
    ]);
    expect(await store.count('timeline', { subjectId: 's-1' })).toBe(10);
  });

  it('builds them when the collection is ensured again without the flag (the projection is live)', async () => {
    await store.ensureCollection({ name: 'views', indexes: ['subjectId'], deferIndexes: true });
    await fill('views');
    expect(indexesOf('c_views')).toEqual([]);
    await store.ensureCollection({ name: 'views', indexes: ['subjectId'] });
    expect(indexesOf('c_views')).toEqual(['c_views__subjectId']);
    expect(await store.count('views', { subjectId: 's-0' })).toBe(10);
  });
});
