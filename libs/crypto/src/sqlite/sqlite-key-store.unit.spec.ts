import Database from 'better-sqlite3';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deriveKey, keyWrapAad, KEY_PURPOSES, wrapKey } from '../envelope';
import type { WrappedKeyRecord } from '../key-store.port';
import { keyStoreContract } from '../testing/key-store.contract';
import { SqliteKeyStore } from './sqlite-key-store';

keyStoreContract('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'custodian-ks-'));
  const store = new SqliteKeyStore({ file: join(dir, 'keys.sqlite') });
  return {
    store,
    dispose: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteKeyStore on disk', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'custodian-ks-'));
    file = join(dir, 'keys.sqlite');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const kek = deriveKey(randomBytes(32), KEY_PURPOSES.keyWrap);
  const realKey = (subjectId: string): WrappedKeyRecord => {
    const keyId = randomUUID();
    return {
      subjectId,
      keyId,
      wrappedKey: wrapKey(kek, randomBytes(32), keyWrapAad(subjectId, keyId)),
      createdAt: new Date().toISOString(),
    };
  };

  /** Every form the wrapped key could take on disk: its text, and its decoded bytes. */
  const needles = (record: WrappedKeyRecord): Buffer[] => {
    const sealed = record.wrappedKey.split('.')[2]!;
    const bytes = Buffer.from(sealed, 'base64url');
    return [
      Buffer.from(record.wrappedKey),
      Buffer.from(sealed),
      bytes,
      Buffer.from(bytes.toString('base64')),
    ];
  };
  const files = () => [file, `${file}-wal`, `${file}-shm`];
  /** Raw bytes of the database and its WAL and shared-memory files, wherever the key sits. */
  const foundOnDisk = (record: WrappedKeyRecord): string[] =>
    files().flatMap((path) => {
      if (!existsSync(path)) return [];
      const raw = readFileSync(path);
      return needles(record).some((needle) => raw.includes(needle)) ? [path] : [];
    });

  it('leaves no trace of a destroyed key in keys.sqlite, -wal or -shm', async () => {
    const store = new SqliteKeyStore({ file });
    const victim = realKey(`victim-${randomUUID()}`);
    const others = Array.from({ length: 20 }, (_, i) => realKey(`other-${i}`));
    for (const record of [...others.slice(0, 10), victim, ...others.slice(10)]) {
      await store.putIfAbsent(record);
    }
    // The search can fail: before the destroy the key is on disk.
    expect(foundOnDisk(victim).length).toBeGreaterThan(0);

    await store.destroy(victim.subjectId, new Date());
    // Still open, so the WAL and shm files exist as a running server would leave them.
    expect(foundOnDisk(victim)).toEqual([]);
    expect(store.hasPendingScrub).toBe(false);
    for (const other of others) expect(foundOnDisk(other).length).toBeGreaterThan(0);
    expect(await store.get(others[0]!.subjectId)).toEqual(others[0]);
    await store.close();
    expect(foundOnDisk(victim)).toEqual([]);
  });

  it('leaves no trace when the only key on the page is destroyed', async () => {
    const store = new SqliteKeyStore({ file });
    const victim = realKey('only');
    await store.putIfAbsent(victim);
    expect(foundOnDisk(victim).length).toBeGreaterThan(0);
    await store.destroy('only', new Date());
    expect(foundOnDisk(victim)).toEqual([]);
    await store.close();
  });

  it('scrubs later when a reader blocked the checkpoint, and on close', async () => {
    const store = new SqliteKeyStore({ file, busyTimeoutMs: 50 });
    const victim = realKey('victim');
    await store.putIfAbsent(victim);
    await store.putIfAbsent(realKey('other'));

    // Another connection holding an old snapshot keeps the WAL frames alive.
    const reader = new Database(file, { readonly: true });
    reader.prepare('BEGIN').run();
    reader.prepare('SELECT count(*) FROM keys').get();
    await store.destroy('victim', new Date());
    expect(store.hasPendingScrub).toBe(true);
    expect(await store.get('victim')).toBeNull();
    // The residue this class exists to remove, really there while the reader holds on.
    expect(foundOnDisk(victim).length).toBeGreaterThan(0);

    reader.prepare('COMMIT').run();
    reader.close();
    await store.putIfAbsent(realKey('next'));
    expect(store.hasPendingScrub).toBe(false);
    expect(foundOnDisk(victim)).toEqual([]);
    await store.close();
  });

  it('keeps keys and tombstones across a reopen', async () => {
    const first = new SqliteKeyStore({ file });
    const kept = realKey('kept');
    await first.putIfAbsent(kept);
    await first.putIfAbsent(realKey('gone'));
    const tombstone = await first.destroy('gone', new Date('2026-03-01T00:00:00.000Z'));
    await first.close();

    const second = new SqliteKeyStore({ file });
    expect(await second.get('kept')).toEqual(kept);
    expect(await second.destroyed('gone')).toEqual(tombstone);
    await second.close();
    await expect(second.ping()).rejects.toThrow('key store is closed');
  });
});
