import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
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

export interface SqliteKeyStoreOptions {
  /** e.g. `data/keys.sqlite`; its own file, so it can be kept out of event-log backups. */
  file: string;
  busyTimeoutMs?: number;
}

interface KeyRow {
  key_id: string;
  wrapped_key: string;
  created_at: string;
}

interface TombstoneRow {
  key_id: string;
  destroyed_at: string;
}

/**
 * Wrapped data keys in one SQLite file. Shredding must leave no copy of the wrapped key on disk,
 * which SQLite does not do by default:
 * - `secure_delete = ON` overwrites a deleted row's bytes (and freed pages) with zeros instead
 *   of just unlinking them;
 * - in WAL mode a write goes to the `-wal` file first, so the frame written when the key was
 *   stored still holds it, and the main file keeps the old page until a checkpoint copies the
 *   zeroed page over it. `destroy` therefore runs `wal_checkpoint(TRUNCATE)` after it commits,
 *   which copies every frame into the main file and truncates the WAL to zero bytes.
 * The `-shm` file is only an index of page numbers, never row content.
 * synchronous=FULL: a key acknowledged as stored may already encrypt data, so it must survive a
 * power cut (losing it would shred the subject by accident).
 */
export class SqliteKeyStore implements KeyStore {
  private readonly db: Database.Database;
  private readonly keyGet: Database.Statement<[string], KeyRow>;
  private readonly tombstoneGet: Database.Statement<[string], TombstoneRow>;
  private readonly putTx: Database.Transaction<
    (records: WrappedKeyRecord[]) => Array<KeyRow | KeyDestroyedError>
  >;
  /** Keys created in the same event-loop turn share one durable commit (one fsync). */
  private queue: Array<{
    record: WrappedKeyRecord;
    resolve(row: KeyRow): void;
    reject(error: unknown): void;
  }> = [];
  private readonly destroyTx: Database.Transaction<
    (subjectId: string, at: string) => { tombstone: TombstoneRow; deleted: boolean } | null
  >;
  /** A checkpoint could not finish (another connection was reading): retried on the next write. */
  private scrubPending = false;
  private tombstoneChunk: Database.Statement | undefined;
  private closed = false;

  constructor(options: SqliteKeyStoreOptions) {
    mkdirSync(dirname(options.file), { recursive: true });
    this.db = new Database(options.file);
    this.db.pragma('secure_delete = ON');
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS keys (
        subject_id TEXT PRIMARY KEY, key_id TEXT NOT NULL, wrapped_key TEXT NOT NULL,
        created_at TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS tombstones (
        subject_id TEXT PRIMARY KEY, key_id TEXT NOT NULL, destroyed_at TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    `);
    // A crash between a destroy's commit and its checkpoint leaves the key in the WAL; scrub it.
    this.scrubPending = true;
    this.scrub();

    this.keyGet = this.db.prepare(
      'SELECT key_id, wrapped_key, created_at FROM keys WHERE subject_id = ?',
    );
    this.tombstoneGet = this.db.prepare(
      'SELECT key_id, destroyed_at FROM tombstones WHERE subject_id = ?',
    );
    const keyInsert = this.db.prepare<[string, string, string, string]>(
      'INSERT OR IGNORE INTO keys (subject_id, key_id, wrapped_key, created_at) VALUES (?, ?, ?, ?)',
    );
    const keyDelete = this.db.prepare<[string]>('DELETE FROM keys WHERE subject_id = ?');
    const tombstoneInsert = this.db.prepare<[string, string, string]>(
      'INSERT INTO tombstones (subject_id, key_id, destroyed_at) VALUES (?, ?, ?)',
    );

    this.putTx = this.db.transaction((records: WrappedKeyRecord[]) =>
      records.map((record) => {
        // Checked before any write for this record, so refusing it needs no rollback.
        if (this.tombstoneGet.get(record.subjectId)) return new KeyDestroyedError(record.subjectId);
        keyInsert.run(record.subjectId, record.keyId, record.wrappedKey, record.createdAt);
        return this.keyGet.get(record.subjectId)!;
      }),
    );
    this.destroyTx = this.db.transaction((subjectId: string, at: string) => {
      const existing = this.tombstoneGet.get(subjectId);
      if (existing) return { tombstone: existing, deleted: false };
      const key = this.keyGet.get(subjectId);
      if (!key) return null;
      tombstoneInsert.run(subjectId, key.key_id, at);
      keyDelete.run(subjectId);
      return { tombstone: { key_id: key.key_id, destroyed_at: at }, deleted: true };
    });
  }

  async putIfAbsent(record: WrappedKeyRecord): Promise<WrappedKeyRecord> {
    const valid = validateRecord(record);
    const row = await new Promise<KeyRow>((resolve, reject) => {
      this.queue.push({ record: valid, resolve, reject });
      if (this.queue.length === 1) setImmediate(() => this.flushPuts());
    });
    return toRecord(valid.subjectId, row);
  }

  private flushPuts(): void {
    const batch = this.queue;
    this.queue = [];
    try {
      this.scrub();
      const rows = this.putTx.immediate(batch.map((p) => p.record));
      rows.forEach((row, i) =>
        row instanceof KeyDestroyedError ? batch[i].reject(row) : batch[i].resolve(row),
      );
    } catch (error) {
      for (const pending of batch) pending.reject(error);
    }
  }

  async get(subjectId: string): Promise<WrappedKeyRecord | null> {
    validateSubjectId(subjectId);
    const row = this.keyGet.get(subjectId);
    return row ? toRecord(subjectId, row) : null;
  }

  async destroy(subjectId: string, at: Date): Promise<KeyTombstone | null> {
    validateSubjectId(subjectId);
    const when = validateDate(at).toISOString();
    const result = this.destroyTx.immediate(subjectId, when);
    if (result?.deleted) this.scrubPending = true;
    this.scrub();
    return result ? toTombstone(result.tombstone) : null;
  }

  async destroyed(subjectId: string): Promise<KeyTombstone | null> {
    validateSubjectId(subjectId);
    const row = this.tombstoneGet.get(subjectId);
    return row ? toTombstone(row) : null;
  }

  async destroyedAmong(subjectIds: readonly string[]): Promise<Set<string>> {
    subjectIds.forEach((id) => validateSubjectId(id));
    const found = new Set<string>();
    // One prepared statement for fixed-size chunks, the last padded with an id matching nothing.
    this.tombstoneChunk ??= this.db.prepare(
      `SELECT subject_id FROM tombstones WHERE subject_id IN (${new Array(500).fill('?').join(',')})`,
    );
    for (let i = 0; i < subjectIds.length; i += 500) {
      const chunk = subjectIds.slice(i, i + 500);
      while (chunk.length < 500) chunk.push('');
      const rows = this.tombstoneChunk.all(...chunk) as Array<{ subject_id: string }>;
      for (const row of rows) found.add(row.subject_id);
    }
    return found;
  }

  async erasuresAppliedThrough(): Promise<string | null> {
    const row = this.db
      .prepare<[string], { value: string }>('SELECT value FROM settings WHERE name = ?')
      .get(ERASURES_APPLIED);
    return row?.value ?? null;
  }

  async setErasuresAppliedThrough(position: string | null): Promise<void> {
    const value = validatePosition(position);
    if (value === null)
      this.db.prepare('DELETE FROM settings WHERE name = ?').run(ERASURES_APPLIED);
    else
      this.db
        .prepare('INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)')
        .run(ERASURES_APPLIED, value);
  }

  async listKeys(after: string | null, limit: number): Promise<WrappedKeyRecord[]> {
    validatePage(after, limit);
    const rows = this.db
      .prepare<[string, number], KeyRow & { subject_id: string }>(
        'SELECT subject_id, key_id, wrapped_key, created_at FROM keys WHERE subject_id > ? ORDER BY subject_id LIMIT ?',
      )
      .all(after ?? '', limit);
    return rows.map((row) => toRecord(row.subject_id, row));
  }

  async countKeys(): Promise<number> {
    return this.db.prepare<[], { n: number }>('SELECT count(*) AS n FROM keys').get()!.n;
  }

  async replaceWrapped(changes: readonly WrappingChange[]): Promise<boolean[]> {
    const valid = validateChanges(changes);
    const update = this.db.prepare<[string, string, string]>(
      'UPDATE keys SET wrapped_key = ? WHERE subject_id = ? AND wrapped_key = ?',
    );
    const done = this.db
      .transaction(() => valid.map((c) => update.run(c.next, c.subjectId, c.expected).changes > 0))
      .immediate();
    // The old wrappings must not linger in the WAL either (secure_delete zeroes the pages).
    if (done.some(Boolean)) this.scrubPending = true;
    return done;
  }

  async getSetting(name: string): Promise<string | null> {
    const row = this.db
      .prepare<[string], { value: string }>('SELECT value FROM settings WHERE name = ?')
      .get(validateSettingName(name));
    return row?.value ?? null;
  }

  async setSetting(name: string, value: string | null): Promise<void> {
    validateSettingName(name);
    const checked = validateSettingValue(value);
    if (checked === null) this.db.prepare('DELETE FROM settings WHERE name = ?').run(name);
    else
      this.db
        .prepare('INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)')
        .run(name, checked);
    this.scrubPending = true;
  }

  /** Copies the WAL into the main file and truncates it now (after a rotation, say). */
  async compact(): Promise<boolean> {
    this.scrubPending = true;
    this.scrub();
    return !this.scrubPending;
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('key store is closed');
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.queue.length > 0) this.flushPuts();
    this.closed = true;
    this.scrub();
    this.db.close();
  }

  /**
   * Moves every WAL frame into the main file and truncates the WAL, so a destroyed key's old
   * page image survives nowhere. It cannot finish while another connection reads a snapshot
   * that still needs those frames (it waits up to busy_timeout first); then it stays pending
   * and is retried on the next write and on close.
   */
  private scrub(): void {
    if (!this.scrubPending) return;
    const [result] = this.db.pragma('wal_checkpoint(TRUNCATE)') as Array<{
      busy: number;
      log: number;
      checkpointed: number;
    }>;
    this.scrubPending = !result || result.busy !== 0;
  }

  /** True while a destroyed key may still linger in the WAL; exposed for tests and health. */
  get hasPendingScrub(): boolean {
    return this.scrubPending;
  }
}

const ERASURES_APPLIED = 'erasures_applied_through';

function toRecord(subjectId: string, row: KeyRow): WrappedKeyRecord {
  return {
    subjectId,
    keyId: row.key_id,
    wrappedKey: row.wrapped_key,
    createdAt: row.created_at,
  };
}

function toTombstone(row: TombstoneRow): KeyTombstone {
  return { keyId: row.key_id, destroyedAt: row.destroyed_at };
}
