import { randomBytes } from 'node:crypto';
import { KeyDestroyedError, InvalidCryptoInputError } from './crypto.errors';
import { decryptField, encryptField, fieldAad, keyWrapAad, unwrapKey } from './envelope';
import type { KeyStore, KeyTombstone, WrappedKeyRecord, WrappingChange } from './key-store.port';
import { SubjectKeys } from './subject-keys';

/** An in-memory KeyStore that counts calls, to observe the cache. */
class MemoryKeyStore implements KeyStore {
  readonly keys = new Map<string, WrappedKeyRecord>();
  readonly tombstones = new Map<string, KeyTombstone>();
  gets = 0;
  puts = 0;
  appliedThrough: string | null = null;

  async putIfAbsent(record: WrappedKeyRecord): Promise<WrappedKeyRecord> {
    this.puts++;
    if (this.tombstones.has(record.subjectId)) throw new KeyDestroyedError(record.subjectId);
    if (!this.keys.has(record.subjectId)) this.keys.set(record.subjectId, record);
    return this.keys.get(record.subjectId)!;
  }
  async get(subjectId: string): Promise<WrappedKeyRecord | null> {
    this.gets++;
    return this.keys.get(subjectId) ?? null;
  }
  async destroy(subjectId: string, at: Date): Promise<KeyTombstone | null> {
    const existing = this.tombstones.get(subjectId);
    if (existing) return existing;
    const key = this.keys.get(subjectId);
    if (!key) return null;
    const tombstone = { keyId: key.keyId, destroyedAt: at.toISOString() };
    this.tombstones.set(subjectId, tombstone);
    this.keys.delete(subjectId);
    return tombstone;
  }
  async destroyed(subjectId: string): Promise<KeyTombstone | null> {
    return this.tombstones.get(subjectId) ?? null;
  }
  async destroyedAmong(subjectIds: readonly string[]): Promise<Set<string>> {
    return new Set(subjectIds.filter((id) => this.tombstones.has(id)));
  }
  async erasuresAppliedThrough(): Promise<string | null> {
    return this.appliedThrough;
  }
  async setErasuresAppliedThrough(position: string | null): Promise<void> {
    this.appliedThrough = position;
  }
  readonly settings = new Map<string, string>();
  async listKeys(after: string | null, limit: number): Promise<WrappedKeyRecord[]> {
    return [...this.keys.values()]
      .filter((k) => after === null || k.subjectId > after)
      .sort((a, b) => (a.subjectId < b.subjectId ? -1 : 1))
      .slice(0, limit);
  }
  async countKeys(): Promise<number> {
    return this.keys.size;
  }
  async replaceWrapped(changes: readonly WrappingChange[]): Promise<boolean[]> {
    return changes.map(({ subjectId, expected, next }) => {
      const key = this.keys.get(subjectId);
      if (!key || key.wrappedKey !== expected) return false;
      this.keys.set(subjectId, { ...key, wrappedKey: next });
      return true;
    });
  }
  async getSetting(name: string): Promise<string | null> {
    return this.settings.get(name) ?? null;
  }
  async setSetting(name: string, value: string | null): Promise<void> {
    if (value === null) this.settings.delete(name);
    else this.settings.set(name, value);
  }
  async ping(): Promise<void> {}
  async close(): Promise<void> {}
}

describe('SubjectKeys', () => {
  const kek = randomBytes(32);
  let store: MemoryKeyStore;
  let clock: number;
  let keys: SubjectKeys;
  beforeEach(() => {
    store = new MemoryKeyStore();
    clock = Date.parse('2026-03-01T12:00:00.000Z');
    keys = new SubjectKeys({ keyStore: store, kek, now: () => new Date(clock) });
  });

  it('creates a key once, wrapped by the KEK for its subject, and serves it from then on', async () => {
    const key = await keys.dataKeyFor('s1');
    expect(key.dek).toHaveLength(32);
    const stored = store.keys.get('s1')!;
    expect(stored).toEqual({
      subjectId: 's1',
      keyId: key.keyId,
      wrappedKey: expect.stringMatching(/^v1\./),
      createdAt: '2026-03-01T12:00:00.000Z',
    });
    expect(stored.wrappedKey).not.toContain(key.dek.toString('base64url'));
    expect(unwrapKey(kek, stored.wrappedKey, keyWrapAad('s1', key.keyId))).toEqual(key.dek);

    clock += 5000;
    keys.clearCache();
    expect(await keys.dataKeyFor('s1')).toEqual(key);
    expect(await keys.existingDataKey('s1')).toEqual(key);
    expect(store.puts).toBe(1);
  });

  it('gives concurrent callers the one stored key', async () => {
    const results = await Promise.all(Array.from({ length: 5 }, () => keys.dataKeyFor('s1')));
    for (const result of results) expect(result).toEqual(results[0]);
    const value = encryptField(results[0]!.dek, results[0]!.keyId, 'x', fieldAad('s1', 'name'));
    const fresh = new SubjectKeys({ keyStore: store, kek });
    expect(decryptField((await fresh.dataKeyFor('s1')).dek, value, fieldAad('s1', 'name'))).toBe(
      'x',
    );
  });

  it('uses the stored key when another process created one first', async () => {
    const other = new SubjectKeys({ keyStore: store, kek });
    const theirs = await other.dataKeyFor('s1');
    expect(await keys.dataKeyFor('s1')).toEqual(theirs);
  });

  it('caches unwrapped keys until the TTL passes', async () => {
    await keys.dataKeyFor('s1');
    const gets = store.gets;
    clock += 999;
    await keys.dataKeyFor('s1');
    await keys.existingDataKey('s1');
    expect(store.gets).toBe(gets);
    clock += 1;
    await keys.existingDataKey('s1');
    expect(store.gets).toBe(gets + 1);
  });

  it('forgets a key destroyed elsewhere within the TTL', async () => {
    await keys.dataKeyFor('s1');
    await store.destroy('s1', new Date());
    expect(await keys.existingDataKey('s1')).not.toBeNull();
    clock += 1000;
    expect(await keys.existingDataKey('s1')).toBeNull();
    await expect(keys.dataKeyFor('s1')).rejects.toBeInstanceOf(KeyDestroyedError);
  });

  it('caches nothing with a zero TTL', async () => {
    const uncached = new SubjectKeys({ keyStore: store, kek, cacheTtlMs: 0 });
    await uncached.dataKeyFor('s1');
    await uncached.dataKeyFor('s1');
    await uncached.dataKeyFor('s1');
    expect(store.gets).toBe(3);
  });

  it('bounds the cache, evicting the oldest entries', async () => {
    const small = new SubjectKeys({ keyStore: store, kek, maxCacheEntries: 2 });
    await small.dataKeyFor('a');
    await small.dataKeyFor('b');
    await small.dataKeyFor('c');
    const gets = store.gets;
    await small.existingDataKey('c');
    await small.existingDataKey('b');
    expect(store.gets).toBe(gets);
    await small.existingDataKey('a');
    expect(store.gets).toBe(gets + 1);
  });

  it('returns null from existingDataKey for an unknown subject, without creating a key', async () => {
    expect(await keys.existingDataKey('nobody')).toBeNull();
    expect(store.keys.size).toBe(0);
    expect(store.puts).toBe(0);
  });

  it('destroys a key: the cache drops it at once and it is never re-created', async () => {
    const key = await keys.dataKeyFor('s1');
    const at = new Date('2026-03-02T00:00:00.000Z');
    expect(await keys.destroy('s1', at)).toEqual({
      keyId: key.keyId,
      destroyedAt: at.toISOString(),
    });
    expect(await keys.existingDataKey('s1')).toBeNull();
    await expect(keys.dataKeyFor('s1')).rejects.toBeInstanceOf(KeyDestroyedError);
    expect(await keys.destroy('s1', new Date())).toEqual({
      keyId: key.keyId,
      destroyedAt: at.toISOString(),
    });
    expect(await keys.destroy('never-had-one', at)).toBeNull();
  });

  it('does not cache a key read while it was being destroyed', async () => {
    await keys.dataKeyFor('s1');
    keys.clearCache();
    // The read is answered before the destroy, but completes after it.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const get = store.get.bind(store);
    store.get = async (subjectId) => {
      const result = await get(subjectId);
      await gate;
      return result;
    };
    const pending = keys.existingDataKey('s1');
    await keys.destroy('s1', new Date());
    release();
    expect(await pending).not.toBeNull();
    store.get = get;
    expect(await keys.existingDataKey('s1')).toBeNull();
  });

  it('refuses a key wrapped under another KEK', async () => {
    await keys.dataKeyFor('s1');
    const wrongKek = new SubjectKeys({ keyStore: store, kek: randomBytes(32) });
    await expect(wrongKek.existingDataKey('s1')).rejects.toThrow('cannot decrypt');
  });

  it('rejects bad options and subject ids', async () => {
    expect(() => new SubjectKeys({ keyStore: store, kek: randomBytes(16) })).toThrow(
      InvalidCryptoInputError,
    );
    expect(() => new SubjectKeys({ keyStore: store, kek, cacheTtlMs: -1 })).toThrow(
      InvalidCryptoInputError,
    );
    expect(() => new SubjectKeys({ keyStore: store, kek, maxCacheEntries: 0 })).toThrow(
      InvalidCryptoInputError,
    );
    await expect(keys.dataKeyFor('')).rejects.toBeInstanceOf(InvalidCryptoInputError);
    await expect(keys.existingDataKey('x'.repeat(129))).rejects.toBeInstanceOf(
      InvalidCryptoInputError,
    );
  });
});
