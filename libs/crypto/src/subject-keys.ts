import { randomBytes, randomUUID } from 'node:crypto';
import { DecryptionError, InvalidCryptoInputError } from './crypto.errors';
import { keyWrapAad, unwrapKey, wrapKey } from './envelope';
import type { KeyStore, KeyTombstone, WrappedKeyRecord } from './key-store.port';
import { validateSubjectId } from './key-store.validation';
import { otherKek, readRotationMarker, wrappingKek, type RotationMarker } from './master-rotation';

export interface SubjectKeysOptions {
  keyStore: KeyStore;
  /** The key-encryption key, `deriveKey(master, KEY_PURPOSES.keyWrap)`. */
  kek: Buffer;
  /**
   * How long an unwrapped key may be served from memory. Other processes learn of a destroy
   * only through this expiry, so it bounds how long a shredded key stays usable anywhere.
   * 0 disables the cache.
   */
  cacheTtlMs?: number;
  maxCacheEntries?: number;
  now?: () => Date;
}

/** A subject's data key in clear. Treat `dek` as read-only: it may be shared via the cache. */
export interface DataKey {
  keyId: string;
  dek: Buffer;
}

interface CacheEntry {
  key: DataKey;
  expiresAt: number;
}

const DEK_BYTES = 32;
/** How long a read of the rotation marker is trusted before a new key is wrapped. */
const MARKER_TTL_MS = 1000;

/** Gets, creates and destroys subjects' data keys, keeping unwrapped ones briefly in memory. */
export class SubjectKeys {
  private readonly keyStore: KeyStore;
  private readonly kek: Buffer;
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => Date;
  /** Insertion order: the first entry is the oldest, evicted first when the cache is full. */
  private readonly cache = new Map<string, CacheEntry>();
  /**
   * Bumped by every destroy and forget. A load that started before one must not cache what it
   * read: the key may have been destroyed while the load was in flight.
   */
  private generation = 0;
  /** The master-key rotation marker as last read, and when (see `master-rotation.ts`). */
  private marker: { value: RotationMarker | null; readAt: number } | null = null;

  constructor(options: SubjectKeysOptions) {
    if (!Buffer.isBuffer(options.kek) || options.kek.length !== 32) {
      throw new InvalidCryptoInputError('kek', 'must be a Buffer of 32 bytes');
    }
    const ttl = options.cacheTtlMs ?? 1000;
    if (!Number.isFinite(ttl) || ttl < 0) {
      throw new InvalidCryptoInputError('cacheTtlMs', 'must be a finite number >= 0');
    }
    const max = options.maxCacheEntries ?? 10_000;
    if (!Number.isInteger(max) || max < 1) {
      throw new InvalidCryptoInputError('maxCacheEntries', 'must be a positive integer');
    }
    this.keyStore = options.keyStore;
    this.kek = options.kek;
    this.ttlMs = ttl;
    this.maxEntries = max;
    this.now = options.now ?? (() => new Date());
  }

  /** The subject's data key, created on first use. Throws KeyDestroyedError once shredded. */
  async dataKeyFor(subjectId: string): Promise<DataKey> {
    validateSubjectId(subjectId);
    const cached = this.cached(subjectId);
    if (cached) return cached;
    const started = this.startLoad();
    const stored = await this.keyStore.get(subjectId);
    const key = stored ? await this.unwrap(stored) : await this.create(subjectId);
    this.remember(subjectId, key, started);
    return key;
  }

  /** The subject's data key if it has one; null when it never had one or it was destroyed. */
  async existingDataKey(subjectId: string): Promise<DataKey | null> {
    validateSubjectId(subjectId);
    const cached = this.cached(subjectId);
    if (cached) return cached;
    const started = this.startLoad();
    const stored = await this.keyStore.get(subjectId);
    if (!stored) return null;
    const key = await this.unwrap(stored);
    this.remember(subjectId, key, started);
    return key;
  }

  /** Shreds the subject: destroys its key in the store and forgets it here at once. */
  async destroy(subjectId: string, at: Date): Promise<KeyTombstone | null> {
    validateSubjectId(subjectId);
    this.forget(subjectId);
    try {
      return await this.keyStore.destroy(subjectId, at);
    } finally {
      // Again, in case a load cached the key while the destroy was in flight.
      this.forget(subjectId);
    }
  }

  /** Drops a cached key, e.g. on seeing `SubjectErased` that another process handled. */
  forget(subjectId: string): void {
    this.generation++;
    this.cache.delete(subjectId);
  }

  clearCache(): void {
    this.generation++;
    this.cache.clear();
  }

  private async create(subjectId: string): Promise<DataKey> {
    const dek = randomBytes(DEK_BYTES);
    const keyId = randomUUID();
    // While the master key is rotated, new keys go straight under the new KEK.
    const kek = wrappingKek(await this.rotationMarker(false), this.kek);
    const stored = await this.keyStore.putIfAbsent({
      subjectId,
      keyId,
      wrappedKey: wrapKey(kek, dek, keyWrapAad(subjectId, keyId)),
      createdAt: this.now().toISOString(),
    });
    // First writer wins: a concurrent creator may have stored its key before ours.
    return stored.keyId === keyId ? { keyId, dek } : await this.unwrap(stored);
  }

  /**
   * Under this process's KEK, or, while the master key is rotated, under the other one (the
   * marker holds it wrapped under this one): the app keeps reading keys already re-wrapped.
   */
  private async unwrap(record: WrappedKeyRecord): Promise<DataKey> {
    const aad = keyWrapAad(record.subjectId, record.keyId);
    try {
      return { keyId: record.keyId, dek: unwrapKey(this.kek, record.wrappedKey, aad) };
    } catch (error) {
      if (!(error instanceof DecryptionError)) throw error;
      const other = otherKek(await this.rotationMarker(true), this.kek);
      if (!other) throw error;
      return { keyId: record.keyId, dek: unwrapKey(other, record.wrappedKey, aad) };
    }
  }

  private async rotationMarker(fresh: boolean): Promise<RotationMarker | null> {
    const now = Date.now();
    if (!fresh && this.marker && now - this.marker.readAt < MARKER_TTL_MS) return this.marker.value;
    this.marker = { value: await readRotationMarker(this.keyStore), readAt: now };
    return this.marker.value;
  }

  private cached(subjectId: string): DataKey | null {
    const entry = this.cache.get(subjectId);
    if (!entry) return null;
    if (entry.expiresAt > this.now().getTime()) return entry.key;
    this.cache.delete(subjectId);
    return null;
  }

  private startLoad(): { generation: number; at: number } {
    return { generation: this.generation, at: this.now().getTime() };
  }

  /** The TTL counts from when the load started, so it bounds the key's age from the store. */
  private remember(
    subjectId: string,
    key: DataKey,
    started: { generation: number; at: number },
  ): void {
    if (this.ttlMs === 0 || started.generation !== this.generation) return;
    this.cache.delete(subjectId);
    this.cache.set(subjectId, { key, expiresAt: started.at + this.ttlMs });
    while (this.cache.size > this.maxEntries) {
      const oldest = this.cache.keys().next().value as string;
      this.cache.delete(oldest);
    }
  }
}
