import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leaseContract, readStoreContract } from '../testing/read-store.contract';
import { SqliteReadStore } from './sqlite-read-store';

readStoreContract('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'custodian-rs-'));
  const store = new SqliteReadStore({ file: join(dir, 'read.sqlite') });
  return {
    store,
    dispose: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

const openSqlite = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'custodian-rs-'));
  const store = new SqliteReadStore({ file: join(dir, 'read.sqlite') });
  return {
    store,
    dispose: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};
leaseContract('SQLite', openSqlite);

describe('SQLite read store: a lease across connections to one file (as across processes)', () => {
  it('is held by one connection at a time and moves at expiry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'custodian-rs-lease-'));
    const file = join(dir, 'read.sqlite');
    const a = new SqliteReadStore({ file });
    const b = new SqliteReadStore({ file });
    try {
      const now = Date.now();
      expect(
        (await a.acquireLease({ name: 'singleton', holder: 'a', ttlMs: 100, now })).holder,
      ).toBe('a');
      expect(
        (await b.acquireLease({ name: 'singleton', holder: 'b', ttlMs: 100, now: now + 50 }))
          .holder,
      ).toBe('a');
      expect((await b.getLease('singleton'))?.holder).toBe('a');
      expect(
        (await b.acquireLease({ name: 'singleton', holder: 'b', ttlMs: 100, now: now + 100 }))
          .holder,
      ).toBe('b');
      expect(
        (await a.acquireLease({ name: 'singleton', holder: 'a', ttlMs: 100, now: now + 101 }))
          .holder,
      ).toBe('b');
    } finally {
      await a.close();
      await b.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SQLite read store: deleted entries leave no copy in its files', () => {
  let dir: string;
  let file: string;
  let store: SqliteReadStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'custodian-rs-scrub-'));
    file = join(dir, 'read.sqlite');
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Every byte of the database, its WAL and its shared-memory index. */
  const fileBytes = () =>
    Buffer.concat(
      ['', '-wal', '-shm'].map((suffix) =>
        existsSync(file + suffix) ? readFileSync(file + suffix) : Buffer.alloc(0),
      ),
    );
  const entry = (hash: string) => ({
    collection: 'blind_index',
    id: `email:${hash}:s-${hash.slice(0, 8)}`,
    doc: { field: 'email', hash, subjectId: `s-${hash.slice(0, 8)}` },
  });

  /** 2,000 entries in batches (enough for page splits in the table and both indexes). */
  async function fill(): Promise<string[]> {
    await store.ensureCollection({ name: 'blind_index', indexes: ['hash', 'subjectId'] });
    const hashes = Array.from({ length: 2000 }, () => randomBytes(32).toString('hex'));
    for (let i = 0; i < hashes.length; i += 100)
      await store.commit({ writes: hashes.slice(i, i + 100).map(entry) });
    return hashes;
  }
  const removals = (hashes: string[]) =>
    hashes.map((hash) => ({ ...entry(hash), doc: null }) as const);

  it('finds no byte of a deleted entry in the database, WAL or SHM after a scrub, while the kept ones are there', async () => {
    store = new SqliteReadStore({ file });
    const hashes = await fill();
    const erased = hashes.filter((_, i) => i % 3 === 0);
    const kept = hashes.filter((_, i) => i % 3 !== 0);
    // Control: before the deletion the scan finds them.
    const before = fileBytes();
    expect(erased.filter((hash) => before.includes(hash))).toEqual(erased);

    await store.commit({ writes: removals(erased), scrub: true });
    expect(store.hasPendingScrub).toBe(false);
    const after = fileBytes();
    expect(erased.filter((hash) => after.includes(hash))).toEqual([]);
    expect(kept.filter((hash) => !after.includes(hash))).toEqual([]);
    expect(existsSync(`${file}-wal`) ? readFileSync(`${file}-wal`).length : 0).toBe(0);
  });

  it('keeps deleted bytes in the files when a batch is not marked scrub (projections are not slowed)', async () => {
    store = new SqliteReadStore({ file });
    const hashes = await fill();
    const erased = hashes.slice(0, 50);
    await store.commit({ writes: removals(erased) });
    const after = fileBytes();
    expect(erased.filter((hash) => after.includes(hash)).length).toBeGreaterThan(0);
  });

  it('retries a scrub another connection held up, until nothing is left', async () => {
    store = new SqliteReadStore({ file, busyTimeoutMs: 50 });
    const hashes = await fill();
    const erased = hashes.slice(0, 50);
    // Another process reading an old snapshot: the WAL cannot be truncated under it.
    const reader = new Database(file, { readonly: true });
    const snapshot = reader.prepare('SELECT id FROM c_blind_index');
    reader.exec('BEGIN');
    snapshot.get();
    try {
      await store.commit({ writes: removals(erased), scrub: true });
      expect(store.hasPendingScrub).toBe(true);
      expect(erased.filter((hash) => fileBytes().includes(hash)).length).toBeGreaterThan(0);
    } finally {
      reader.exec('COMMIT');
      reader.close();
    }
    const deadline = Date.now() + 5000;
    while (store.hasPendingScrub && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(store.hasPendingScrub).toBe(false);
    const after = fileBytes();
    expect(erased.filter((hash) => after.includes(hash))).toEqual([]);
  });

  it('scrubs at start-up what a crash between an erasure and its checkpoint left in the WAL', async () => {
    store = new SqliteReadStore({ file });
    const hashes = await fill();
    await store.close();
    const erased = hashes.slice(0, 50);
    // A process that commits the deletion and is killed before it checkpoints: its frames,
    // and those of the inserts before them, stay in the WAL.
    const child = spawnSync(
      process.execPath,
      [
        '-e',
        `const db = new (require('better-sqlite3'))(process.argv[1]);
         db.pragma('secure_delete = ON'); db.pragma('journal_mode = WAL');
         db.pragma('wal_autocheckpoint = 0');
         const rows = db.prepare('SELECT id, doc FROM c_blind_index').all();
         const put = db.prepare('UPDATE c_blind_index SET doc = ? WHERE id = ?');
         db.transaction(() => rows.forEach((r) => put.run(r.doc, r.id)))();
         const remove = db.prepare('DELETE FROM c_blind_index WHERE id = ?');
         db.transaction(() => JSON.parse(process.argv[2]).forEach((id) => remove.run(id)))();
         process.kill(process.pid, 'SIGKILL');`,
        file,
        JSON.stringify(erased.map((hash) => entry(hash).id)),
      ],
      { cwd: process.cwd(), encoding: 'utf8' },
    );
    expect(child.signal).toBe('SIGKILL');
    expect(erased.filter((hash) => fileBytes().includes(hash))).toEqual(erased);

    store = new SqliteReadStore({ file });
    expect(store.hasPendingScrub).toBe(false);
    const after = fileBytes();
    expect(erased.filter((hash) => after.includes(hash))).toEqual([]);
    expect(await store.get('blind_index', entry(hashes[60]).id)).not.toBeNull();
  });
});
