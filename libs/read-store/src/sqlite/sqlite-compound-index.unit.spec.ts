import type Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteReadStore } from './sqlite-read-store';

/**
 * The audit index's query "this actor in this time range, in id order" must be answered from
 * the compound (actor, at) index, not by visiting every document of the actor: the plan of the
 * exact statement `find` runs names that index.
 */
describe('SQLite read store: compound indexes', () => {
  let dir: string;
  let store: SqliteReadStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'custodian-rs-compound-'));
    store = new SqliteReadStore({ file: join(dir, 'read.sqlite') });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers an equality plus a range from the compound index', async () => {
    await store.ensureCollection({
      name: 'reads',
      indexes: ['actor', 'at', 'kind'],
      compoundIndexes: [['actor', 'at']],
    });
    await store.commit({
      writes: Array.from({ length: 2000 }, (_, i) => ({
        collection: 'reads',
        id: `r:${String(i).padStart(8, '0')}`,
        doc: {
          kind: 'read',
          actor: `a${i % 20}`,
          at: new Date(Date.UTC(2026, 0, 1) + i * 3_600_000).toISOString(),
        },
      })),
    });
    const db = (store as unknown as { db: Database.Database }).db;
    const statements: Array<{ sql: string; params: unknown[] }> = [];
    const prepare = db.prepare.bind(db);
    db.prepare = ((sql: string) => {
      const statement = prepare(sql);
      const all = statement.all.bind(statement);
      statement.all = ((...params: unknown[]) => {
        statements.push({ sql, params });
        return all(...params);
      }) as typeof statement.all;
      return statement;
    }) as typeof db.prepare;

    const page = await store.find('reads', {
      where: {
        actor: 'a3',
        at: { gte: '2026-02-01T00:00:00.000Z', lt: '2026-03-01T00:00:00.000Z' },
      },
      limit: 10,
    });
    expect(page.items).toHaveLength(10);
    const [{ sql, params }] = statements;
    const plan = (prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>)
      .map((row) => row.detail)
      .join('\n');
    expect(plan).toMatch(/USING INDEX c_reads__actor__at/);
  });
});
