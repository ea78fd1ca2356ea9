import { Collection, Db, MongoClient, MongoClientOptions } from 'mongodb';
import { KeyDestroyedError } from '../crypto.errors';
import type { KeyStore, KeyTombstone, WrappedKeyRecord, WrappingChange } from '../key-store.port';
import {
  validateDate,
  validatePage,
  validatePosition,
  validateRecord,
  validateSettingName,
  validateSettingValue,
  validateChanges,
  validateSubjectId,
} from '../key-store.validation';

export type MongoKeyStoreOptions = { database: string } & (
  | { uri: string; clientOptions?: MongoClientOptions }
  /** A client owned by the caller: `close()` leaves it open. */
  | { client: MongoClient }
);

interface StoredKey {
  _id: string;
  keyId: string;
  wrappedKey: string;
  createdAt: string;
}

interface StoredSetting {
  _id: string;
  value: string;
}

interface StoredTombstone {
  _id: string;
  keyId: string;
  destroyedAt: string;
}

const DUPLICATE_KEY = 11000;
const ERASURES_APPLIED = 'erasures_applied_through';
/** Rounds of insert-then-read in `putIfAbsent` before giving up (see there). */
const PUT_ATTEMPTS = 5;

/**
 * Wrapped data keys in MongoDB: `subject_keys` and `key_tombstones`, both keyed by `_id` =
 * subjectId (unique by construction, so no extra index is needed).
 *
 * Writes wait for a majority and reads use majority read concern on the primary: a key that a
 * failover could roll back must never be handed out, or data encrypted under it would be lost.
 *
 * Deleting a document does not scrub it from MongoDB's storage, oplog (the insert entry holds
 * the wrapped key until the oplog rolls over) or backups. What makes shredding hold there is
 * that the wrapped key is useless without the master key, which lives outside the database.
 */
export class MongoKeyStore implements KeyStore {
  private readonly client: MongoClient;
  private readonly ownsClient: boolean;
  private readonly db: Db;
  private readonly keys: Collection<StoredKey>;
  private readonly tombstones: Collection<StoredTombstone>;
  private readonly settings: Collection<StoredSetting>;
  private closed = false;

  constructor(options: MongoKeyStoreOptions) {
    if ('client' in options) {
      this.client = options.client;
      this.ownsClient = false;
    } else {
      // No I/O here: the driver connects on the first operation.
      this.client = new MongoClient(options.uri, options.clientOptions);
      this.ownsClient = true;
    }
    this.db = this.client.db(options.database);
    const settings = {
      writeConcern: { w: 'majority' as const, journal: true },
      readConcern: { level: 'majority' as const },
      readPreference: 'primary' as const,
    };
    this.keys = this.db.collection<StoredKey>('subject_keys', settings);
    this.tombstones = this.db.collection<StoredTombstone>('key_tombstones', settings);
    this.settings = this.db.collection<StoredSetting>('key_store_settings', settings);
  }

  /**
   * Insert, and on a duplicate read the winner. Two races need care:
   * - a concurrent `destroy` may tombstone the subject between our tombstone check and our
   *   insert; so the tombstone is checked again after inserting, and a key found under a
   *   tombstone is deleted and refused;
   * - the winner's insert may not be majority-committed yet, so the majority read can miss it;
   *   then we try again, a bounded number of times.
   */
  async putIfAbsent(record: WrappedKeyRecord): Promise<WrappedKeyRecord> {
    const { subjectId, ...fields } = validateRecord(record);
    for (let attempt = 1; attempt <= PUT_ATTEMPTS; attempt++) {
      await this.refuseIfDestroyed(subjectId);
      try {
        await this.keys.insertOne({ _id: subjectId, ...fields });
        await this.refuseIfDestroyed(subjectId);
        return { subjectId, ...fields };
      } catch (error) {
        if (errorCode(error) !== DUPLICATE_KEY) throw error;
      }
      const existing = await this.get(subjectId);
      if (existing) return existing;
      await delay(20 * attempt);
    }
    throw new Error(`could not store or read the data key of subject "${subjectId}"; try again`);
  }

  async get(subjectId: string): Promise<WrappedKeyRecord | null> {
    validateSubjectId(subjectId);
    // The tombstone is read too (in parallel), so a key whose destroy was interrupted between
    // its two writes is never served.
    const [key, tombstone] = await Promise.all([
      this.keys.findOne({ _id: subjectId }),
      this.tombstones.findOne({ _id: subjectId }),
    ]);
    if (!key || tombstone) return null;
    return {
      subjectId,
      keyId: key.keyId,
      wrappedKey: key.wrappedKey,
      createdAt: key.createdAt,
    };
  }

  /**
   * The tombstone is written before the key is deleted. Crashing in between leaves a key under
   * a tombstone, which `get` and `putIfAbsent` already treat as destroyed and a retried
   * `destroy` deletes. The other order could crash with the key gone and no tombstone: the
   * erasure would be forgotten, `destroy` would answer "never had a key", and `putIfAbsent`
   * would give the erased subject a fresh key.
   */
  async destroy(subjectId: string, at: Date): Promise<KeyTombstone | null> {
    validateSubjectId(subjectId);
    const destroyedAt = validateDate(at).toISOString();
    let tombstone = await this.destroyed(subjectId);
    if (!tombstone) {
      const key = await this.keys.findOne({ _id: subjectId });
      // No key: nothing to destroy, unless a concurrent destroy has just deleted it.
      if (!key) return this.destroyed(subjectId);
      try {
        await this.tombstones.insertOne({ _id: subjectId, keyId: key.keyId, destroyedAt });
        tombstone = { keyId: key.keyId, destroyedAt };
      } catch (error) {
        if (errorCode(error) !== DUPLICATE_KEY) throw error;
        // A concurrent destroy won; its tombstone is the first one.
        tombstone = await this.destroyed(subjectId);
        if (!tombstone) throw error;
      }
    }
    // Always, even when the tombstone was already there: finishes an interrupted destroy.
    await this.keys.deleteOne({ _id: subjectId });
    return tombstone;
  }

  async destroyed(subjectId: string): Promise<KeyTombstone | null> {
    validateSubjectId(subjectId);
    const row = await this.tombstones.findOne({ _id: subjectId });
    return row ? { keyId: row.keyId, destroyedAt: row.destroyedAt } : null;
  }

  async destroyedAmong(subjectIds: readonly string[]): Promise<Set<string>> {
    subjectIds.forEach((id) => validateSubjectId(id));
    const found = new Set<string>();
    for (let i = 0; i < subjectIds.length; i += 1000) {
      const chunk = subjectIds.slice(i, i + 1000);
      const rows = await this.tombstones
        .find({ _id: { $in: chunk } }, { projection: { _id: 1 } })
        .toArray();
      for (const row of rows) found.add(row._id);
    }
    return found;
  }

  async erasuresAppliedThrough(): Promise<string | null> {
    return (await this.settings.findOne({ _id: ERASURES_APPLIED }))?.value ?? null;
  }

  async setErasuresAppliedThrough(position: string | null): Promise<void> {
    const value = validatePosition(position);
    if (value === null) await this.settings.deleteOne({ _id: ERASURES_APPLIED });
    else await this.settings.replaceOne({ _id: ERASURES_APPLIED }, { value }, { upsert: true });
  }

  async listKeys(after: string | null, limit: number): Promise<WrappedKeyRecord[]> {
    validatePage(after, limit);
    const rows = await this.keys
      .find(after === null ? {} : { _id: { $gt: after } })
      .sort({ _id: 1 })
      .limit(limit)
      .toArray();
    return rows.map((row) => ({
      subjectId: row._id,
      keyId: row.keyId,
      wrappedKey: row.wrappedKey,
      createdAt: row.createdAt,
    }));
  }

  async countKeys(): Promise<number> {
    return this.keys.countDocuments({});
  }

  async replaceWrapped(changes: readonly WrappingChange[]): Promise<boolean[]> {
    const valid = validateChanges(changes);
    // One round trip per change: the driver's bulk result does not say which ones matched.
    return Promise.all(
      valid.map(
        async (c) =>
          (
            await this.keys.updateOne(
              { _id: c.subjectId, wrappedKey: c.expected },
              { $set: { wrappedKey: c.next } },
            )
          ).modifiedCount > 0,
      ),
    );
  }

  async getSetting(name: string): Promise<string | null> {
    return (await this.settings.findOne({ _id: validateSettingName(name) }))?.value ?? null;
  }

  async setSetting(name: string, value: string | null): Promise<void> {
    validateSettingName(name);
    const checked = validateSettingValue(value);
    if (checked === null) await this.settings.deleteOne({ _id: name });
    else await this.settings.replaceOne({ _id: name }, { value: checked }, { upsert: true });
  }

  async ping(): Promise<void> {
    // The driver would silently reconnect a closed client, so say it is closed, as SQLite does.
    if (this.closed) throw new Error('key store is closed');
    await this.db.command({ ping: 1 });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsClient) await this.client.close();
  }

  private async refuseIfDestroyed(subjectId: string): Promise<void> {
    if (!(await this.tombstones.findOne({ _id: subjectId }))) return;
    await this.keys.deleteOne({ _id: subjectId });
    throw new KeyDestroyedError(subjectId);
  }
}

function errorCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
