import type { JsonObject } from '@custodian/domain';
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { UnknownCollectionError } from '../read-store.errors';
import type {
  Checkpoint,
  CollectionSpec,
  FindPage,
  FindQuery,
  Lease,
  LeaseRequest,
  ReadStore,
  Scalar,
  WhereValue,
  WriteBatch,
} from '../read-store.port';
import {
  encodeCursor,
  isRange,
  normalizeQuery,
  rangeBounds,
  validateBatch,
  validateCollectionName,
  validateId,
  validateIds,
  validateLeaseHolder,
  validateLeaseName,
  validateLeaseRequest,
  validateSpec,
} from '../read-store.validation';
import type { NormalizedQuery, RangeOp } from '../read-store.validation';

export interface SqliteReadStoreOptions {
  file: string;
  busyTimeoutMs?: number;
}

interface PendingCommit {
  batch: WriteBatch;
  resolve(): void;
  reject(error: unknown): void;
}

const CHUNK = 500;
/** How long to wait before trying a checkpoint again that another connection held up. */
const SCRUB_RETRY_MS = 1000;

interface CollectionInfo {
  getChunk?: Database.Statement;
  table: string;
  indexes: string[];
  upsert: Database.Statement<[string, string]>;
  remove: Database.Statement<[string]>;
  get: Database.Statement<[string], { doc: string }>;
  upsertGuarded(field: string): Database.Statement<[string, string, number]>;
  removeGuarded(field: string): Database.Statement<[string, number]>;
}

/**
 * Read models in one SQLite file: a table per collection holding each document as JSON, with an
 * expression index per declared field. Batches and their checkpoint commit in one transaction.
 * Read models can always be rebuilt from the log, so synchronous=NORMAL is enough here: a
 * power cut may lose the newest batches, but loses their checkpoint with them.
 *
 * The file also holds the blind index, whose entries must leave no trace once a customer is
 * erased (the same HMAC would otherwise link her to a later registration with that address):
 * - `secure_delete = ON` zeroes a deleted row's bytes, its index entries and freed pages
 *   instead of just unlinking them;
 * - in WAL mode the frames written when the entry was stored still hold it, and the main file
 *   keeps the old page until a checkpoint copies the zeroed one over it. A batch marked `scrub`
 *   (an erasure) is therefore followed by `wal_checkpoint(TRUNCATE)`, which copies every frame
 *   into the main file and truncates the WAL to zero bytes. Ordinary projection batches do not
 *   checkpoint; SQLite's own automatic (passive) checkpoints go on as before.
 * The `-shm` file only indexes page numbers, never row content.
 */
export class SqliteReadStore implements ReadStore {
  private readonly db: Database.Database;
  private readonly collections = new Map<string, CollectionInfo>();
  /** Collections filled from nothing whose indexes are built at their first query. */
  private readonly deferred = new Map<string, { indexes: string[]; compoundIndexes: string[][] }>();
  private readonly commitTx: Database.Transaction<(batch: WriteBatch) => void>;
  private readonly commitGroup: Database.Transaction<
    (group: PendingCommit[]) => Array<Error | null>
  >;
  /** Commits made in the same event-loop turn (every projection's batch for one append) share one transaction. */
  private pending: PendingCommit[] = [];
  private readonly checkpointGet: Database.Statement<
    [string],
    { position: string; sequence: number }
  >;
  private readonly checkpointPut: Database.Statement<[string, string, number, number]>;
  private closed = false;
  /** A scrub's checkpoint could not finish (another connection was reading): retried on a timer. */
  private scrubPending = false;
  private scrubRetry: NodeJS.Timeout | undefined;

  constructor(options: SqliteReadStoreOptions) {
    mkdirSync(dirname(options.file), { recursive: true });
    this.db = new Database(options.file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    // Deleted rows are zeroed, not left in free space: some documents hold values derived from
    // personal data (the blind index's keyed hashes), and erasure deletes them.
    this.db.pragma('secure_delete = ON');
    this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS _collections (name TEXT PRIMARY KEY, indexes TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS _checkpoints (
        name TEXT PRIMARY KEY, position TEXT NOT NULL, sequence INTEGER NOT NULL, updated_at INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS _leases (
        name TEXT PRIMARY KEY, holder TEXT NOT NULL, acquired_at INTEGER NOT NULL, expires_at INTEGER NOT NULL
      );
    `);
    // A crash between an erasure's commit and its checkpoint leaves the old frames in the WAL.
    this.scrubPending = true;
    this.scrub();
    this.checkpointGet = this.db.prepare(
      'SELECT position, sequence FROM _checkpoints WHERE name = ?',
    );
    this.checkpointPut = this.db.prepare(
      `INSERT INTO _checkpoints (name, position, sequence, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET position = excluded.position, sequence = excluded.sequence,
       updated_at = excluded.updated_at`,
    );
    this.commitGroup = this.db.transaction((group: PendingCommit[]) =>
      group.map((pending) => this.commitOne(pending, false)),
    );
    this.commitTx = this.db.transaction((batch: WriteBatch) => {
      for (const write of batch.writes) {
        const info = this.collection(write.collection);
        if (write.guard) {
          // One statement inside the write transaction: the check and the write cannot be split.
          const { field, below } = write.guard;
          if (write.doc === null) info.removeGuarded(field).run(write.id, below);
          else info.upsertGuarded(field).run(write.id, JSON.stringify(write.doc), below);
        } else if (write.doc === null) info.remove.run(write.id);
        else info.upsert.run(write.id, JSON.stringify(write.doc));
      }
      const checkpoint = batch.checkpoint;
      if (checkpoint) {
        this.checkpointPut.run(
          checkpoint.name,
          checkpoint.position,
          checkpoint.sequence,
          Date.now(),
        );
      }
    });
  }

  async ensureCollection(spec: CollectionSpec): Promise<void> {
    const { name, indexes, compoundIndexes, deferIndexes } = validateSpec(spec);
    const table = tableName(name);
    if (deferIndexes) this.deferred.set(name, { indexes, compoundIndexes });
    else this.deferred.delete(name);
    this.db
      .transaction(() => {
        this.db.exec(
          `CREATE TABLE IF NOT EXISTS ${table} (id TEXT PRIMARY KEY, doc TEXT NOT NULL)`,
        );
        if (!deferIndexes) this.createIndexes(table, indexes, compoundIndexes);
        const known = this.db
          .prepare('SELECT indexes FROM _collections WHERE name = ?')
          .get(name) as { indexes: string } | undefined;
        const merged = [
          ...new Set([...(known ? (JSON.parse(known.indexes) as string[]) : []), ...indexes]),
        ];
        this.db
          .prepare('INSERT OR REPLACE INTO _collections (name, indexes) VALUES (?, ?)')
          .run(name, JSON.stringify(merged));
      })
      .immediate();
    this.collections.delete(name);
  }

  /**
   * Every index is an expression index over the JSON document, so each write parses the
   * document once per index; a collection filled from nothing builds them once at the end.
   */
  private createIndexes(table: string, indexes: string[], compoundIndexes: string[][]): void {
    for (const field of indexes) {
      this.db.exec(
        `CREATE INDEX IF NOT EXISTS ${table}__${field} ON ${table} (${fieldExpr(field)}, id)`,
      );
    }
    for (const fields of compoundIndexes) {
      this.db.exec(
        `CREATE INDEX IF NOT EXISTS ${table}__${fields.join('__')} ON ${table} (${fields.map(fieldExpr).join(', ')}, id)`,
      );
    }
  }

  /** Builds the indexes a collection deferred, before it is first queried. */
  private undefer(name: string): void {
    const spec = this.deferred.get(name);
    if (!spec) return;
    this.deferred.delete(name);
    const table = tableName(name);
    this.db
      .transaction(() => this.createIndexes(table, spec.indexes, spec.compoundIndexes))
      .immediate();
  }

  async dropCollection(name: string): Promise<void> {
    validateCollectionName(name);
    this.db
      .transaction(() => {
        this.deferred.delete(name);
        this.db.exec(`DROP TABLE IF EXISTS ${tableName(name)}`);
        this.db.prepare('DELETE FROM _collections WHERE name = ?').run(name);
      })
      .immediate();
    this.collections.delete(name);
  }

  async get(collection: string, id: string): Promise<JsonObject | null> {
    validateId(id);
    const row = this.collection(collection).get.get(id);
    return row ? (JSON.parse(row.doc) as JsonObject) : null;
  }

  async getMany(collection: string, ids: readonly string[]): Promise<Map<string, JsonObject>> {
    validateIds(ids);
    const info = this.collection(collection);
    const found = new Map<string, JsonObject>();
    // Fixed-size chunks reuse one prepared statement; the last is padded with an id that
    // matches nothing (ids are never empty). Chunks stay well under SQLite's parameter limit.
    info.getChunk ??= this.db.prepare(
      `SELECT id, doc FROM ${info.table} WHERE id IN (${new Array(CHUNK).fill('?').join(',')})`,
    );
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      while (chunk.length < CHUNK) chunk.push('');
      const rows = info.getChunk.all(...chunk) as Array<{ id: string; doc: string }>;
      for (const row of rows) found.set(row.id, JSON.parse(row.doc) as JsonObject);
    }
    return found;
  }

  async find(collection: string, query: FindQuery = {}): Promise<FindPage> {
    const info = this.collection(collection);
    this.undefer(collection);
    const q = normalizeQuery(query, info.indexes);
    const sortExpr = q.sortField === 'id' ? 'id' : fieldExpr(q.sortField);
    const [conditions, params] = whereConditions(q.where);
    if (q.after) {
      const [condition, args] = keysetCondition(
        sortExpr,
        q.descending,
        q.after.value,
        q.after.id,
        q.sortField === 'id',
      );
      conditions.push(condition);
      params.push(...args);
    }
    const dir = q.descending ? 'DESC' : 'ASC';
    // SQLite puts NULL first ascending and last descending, as MongoDB does.
    const order = q.sortField === 'id' ? `id ${dir}` : `${sortExpr} ${dir}, id ${dir}`;
    const sql = `SELECT id, doc, ${sortExpr} AS sort_value FROM ${info.table}
      ${whereSql(conditions)} ORDER BY ${order} LIMIT ?`;
    const rows = this.db.prepare(sql).all(...params, q.limit + 1) as Array<{
      id: string;
      doc: string;
      sort_value: Scalar;
    }>;
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      items: page.map((row) => ({ id: row.id, doc: JSON.parse(row.doc) as JsonObject })),
      nextCursor: rows.length > q.limit && last ? encodeCursor(last.sort_value, last.id) : null,
    };
  }

  async count(collection: string, where: Record<string, WhereValue> = {}): Promise<number> {
    const info = this.collection(collection);
    this.undefer(collection);
    const q = normalizeQuery({ where }, info.indexes);
    const [conditions, params] = whereConditions(q.where);
    const row = this.db
      .prepare(`SELECT COUNT(*) AS n FROM ${info.table} ${whereSql(conditions)}`)
      .get(...params) as { n: number };
    return row.n;
  }

  async commit(batch: WriteBatch): Promise<void> {
    validateBatch(batch);
    for (const write of batch.writes) this.collection(write.collection);
    await new Promise<void>((resolve, reject) => {
      this.pending.push({ batch, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const group = this.pending;
    this.pending = [];
    if (group.length === 0 || this.closed) {
      for (const p of group) p.reject(new Error('read store is closed'));
      return;
    }
    try {
      const outcomes =
        group.length === 1 ? [this.commitOne(group[0], true)] : this.commitGroup.immediate(group);
      // Before anyone is told the erasure's batch committed, its old copies are gone (or a
      // retry is scheduled when another connection holds the WAL).
      if (group.some((p, i) => p.batch.scrub === true && outcomes[i] === null)) {
        this.scrubPending = true;
        this.scrub();
      }
      outcomes.forEach((error, i) => (error ? group[i].reject(error) : group[i].resolve()));
    } catch (error) {
      for (const p of group) p.reject(error);
    }
  }

  /** One batch; inside a group it is a savepoint, so a failing batch rolls back alone. */
  private commitOne(pending: PendingCommit, alone: boolean): Error | null {
    try {
      if (alone) this.commitTx.immediate(pending.batch);
      else this.commitTx(pending.batch);
      return null;
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  }

  async getCheckpoint(name: string): Promise<Checkpoint | null> {
    const row = this.checkpointGet.get(name);
    return row ? { position: row.position, sequence: row.sequence } : null;
  }

  async acquireLease(request: LeaseRequest): Promise<Lease> {
    const { name, holder, ttlMs, now, takeOverFrom } = validateLeaseRequest(request);
    // One statement: SQLite's write lock makes the check and the take one step across
    // processes. In DO UPDATE, `_leases.*` are the stored values, `excluded.*` the new ones.
    this.db
      .prepare(
        `INSERT INTO _leases (name, holder, acquired_at, expires_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET
           acquired_at = CASE WHEN _leases.holder = excluded.holder THEN _leases.acquired_at
                              ELSE excluded.acquired_at END,
           holder = excluded.holder,
           expires_at = excluded.expires_at
         WHERE _leases.holder = excluded.holder OR _leases.expires_at <= excluded.acquired_at
            OR _leases.holder = ?`,
      )
      .run(name, holder, now, now + ttlMs, takeOverFrom);
    return (await this.getLease(name))!;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    validateLeaseName(name);
    validateLeaseHolder(holder);
    this.db.prepare('DELETE FROM _leases WHERE name = ? AND holder = ?').run(name, holder);
  }

  async getLease(name: string): Promise<Lease | null> {
    validateLeaseName(name);
    const row = this.db
      .prepare('SELECT holder, acquired_at, expires_at FROM _leases WHERE name = ?')
      .get(name) as { holder: string; acquired_at: number; expires_at: number } | undefined;
    return row
      ? { name, holder: row.holder, acquiredAt: row.acquired_at, expiresAt: row.expires_at }
      : null;
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('read store is closed');
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.pending.length > 0) this.flush();
    this.closed = true;
    if (this.scrubRetry) clearTimeout(this.scrubRetry);
    this.scrub();
    this.db.close();
  }

  /** True while an erasure's deleted entries may still linger in the WAL; for tests and health. */
  get hasPendingScrub(): boolean {
    return this.scrubPending;
  }

  /**
   * Moves every WAL frame into the main file (whose deleted bytes secure_delete has zeroed) and
   * truncates the WAL. It cannot finish while another connection (the projector in another
   * process) reads a snapshot that still needs those frames; it waits up to busy_timeout, then
   * stays pending and is tried again a second later, and on close.
   */
  private scrub(): void {
    if (!this.scrubPending) return;
    try {
      const [result] = this.db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
      this.scrubPending = !result || result.busy !== 0;
    } catch {
      this.scrubPending = true;
    }
    if (this.scrubPending && !this.closed && !this.scrubRetry) {
      this.scrubRetry = setTimeout(() => {
        this.scrubRetry = undefined;
        if (!this.closed) this.scrub();
      }, SCRUB_RETRY_MS);
      this.scrubRetry.unref();
    }
  }

  private collection(name: string): CollectionInfo {
    const cached = this.collections.get(name);
    if (cached) return cached;
    validateCollectionName(name);
    const row = this.db.prepare('SELECT indexes FROM _collections WHERE name = ?').get(name) as
      { indexes: string } | undefined;
    if (!row) throw new UnknownCollectionError(name);
    const table = tableName(name);
    const guarded = new Map<string, Database.Statement>();
    const statement = (key: string, sql: () => string) => {
      let found = guarded.get(key);
      if (!found) guarded.set(key, (found = this.db.prepare(sql())));
      return found;
    };
    // The stored document stays when its field is a number at or above the bound (json_type is
    // NULL for a missing field, hence ifnull).
    const stale = (field: string, doc: string) =>
      `(ifnull(json_type(${doc}, '$.${field}'), 'missing') NOT IN ('integer', 'real') OR json_extract(${doc}, '$.${field}') < ?)`;
    const info: CollectionInfo = {
      table,
      upsertGuarded: (field) =>
        statement(
          `upsert:${field}`,
          () =>
            `INSERT INTO ${table} (id, doc) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc
             WHERE ${stale(field, `${table}.doc`)}`,
        ) as Database.Statement<[string, string, number]>,
      removeGuarded: (field) =>
        statement(
          `remove:${field}`,
          () => `DELETE FROM ${table} WHERE id = ? AND ${stale(field, 'doc')}`,
        ) as Database.Statement<[string, number]>,
      indexes: JSON.parse(row.indexes) as string[],
      upsert: this.db.prepare(
        `INSERT INTO ${table} (id, doc) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`,
      ),
      remove: this.db.prepare(`DELETE FROM ${table} WHERE id = ?`),
      get: this.db.prepare(`SELECT doc FROM ${table} WHERE id = ?`),
    };
    this.collections.set(name, info);
    return info;
  }
}

/** Names are validated to [a-z0-9_], so they are safe as identifiers. */
function tableName(collection: string): string {
  return `c_${collection}`;
}

function fieldExpr(field: string): string {
  return `json_extract(doc, '$.${field}')`;
}

const SQL_OPS: Record<RangeOp, string> = { gt: '>', gte: '>=', lt: '<', lte: '<=' };

/**
 * The where conditions shared by `find` and `count`, all to be ANDed. A NULL json_extract (field
 * null or missing) fails every comparison, so ranges need no null check. They do need a type
 * check: SQLite orders every number before every string and reads JSON booleans as 1 and 0,
 * whereas MongoDB only compares within a type bracket. The comparison on json_extract keeps the
 * expression index usable; json_type then drops values of the other type.
 */
function whereConditions(where: NormalizedQuery['where']): [string[], unknown[]] {
  const conditions: string[] = [];
  const params: unknown[] = [];
  for (const [field, value] of where) {
    const expr = field === 'id' ? 'id' : fieldExpr(field);
    if (isRange(value)) {
      const bounds = rangeBounds(value);
      for (const [op, bound] of bounds) {
        conditions.push(`${expr} ${SQL_OPS[op]} ?`);
        params.push(bound);
      }
      // typeof names TEXT, INTEGER and REAL as json_type does. Ids are always TEXT, so a number
      // range on id matches nothing (unchecked, id's TEXT affinity would compare 5 as '5').
      const type = field === 'id' ? 'typeof(id)' : `json_type(doc, '$.${field}')`;
      const isString = typeof bounds[0]?.[1] === 'string';
      conditions.push(`${type} IN (${isString ? "'text'" : "'integer', 'real'"})`);
    } else if (value === null) {
      conditions.push(`${expr} IS NULL`);
    } else {
      conditions.push(`${expr} = ?`);
      params.push(toSql(value));
    }
  }
  return [conditions, params];
}

function whereSql(conditions: readonly string[]): string {
  return conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
}

function toSql(value: Exclude<Scalar, null>): string | number {
  return typeof value === 'boolean' ? (value ? 1 : 0) : value;
}

/** Rows strictly after (value, id) in the page order; NULLs sort first ascending. */
function keysetCondition(
  expr: string,
  descending: boolean,
  value: Scalar,
  id: string,
  byIdOnly: boolean,
): [string, unknown[]] {
  const cmp = descending ? '<' : '>';
  if (byIdOnly) return [`id ${cmp} ?`, [id]];
  if (value === null) {
    return descending
      ? [`(${expr} IS NULL AND id < ?)`, [id]]
      : [`((${expr} IS NULL AND id > ?) OR ${expr} IS NOT NULL)`, [id]];
  }
  const v = toSql(value);
  return descending
    ? [`(${expr} < ? OR (${expr} = ? AND id < ?) OR ${expr} IS NULL)`, [v, v, id]]
    : [`(${expr} > ? OR (${expr} = ? AND id > ?))`, [v, v, id]];
}
