import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  validateAppend,
  validateMaxCount,
  validateStreamName,
  ValidatedAppend,
} from '../append-validation';
import {
  DuplicateEventIdError,
  EventStoreUnavailableError,
  InvalidEventStoreInputError,
  WrongExpectedRevisionError,
} from '../event-store.errors';
import type {
  AppendOptions,
  AppendResult,
  EventStore,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeAllOptions,
} from '../event-store.port';
import { GroupCommit, type Outcome } from './group-commit';
import { LiveWaiters } from './live-waiters';
import { RecentEvents, type JustWritten } from './recent-events';
import { migrateEventStoreSchema } from './sqlite-event-store.schema';

export interface SqliteEventStoreOptions {
  /** Path of the database file; its directory is created if missing. */
  file: string;
  /** How often an idle subscription looks for events written by other processes. */
  pollIntervalMs?: number;
  /** How long a writer waits for another process's write lock before failing. */
  busyTimeoutMs?: number;
}

/**
 * An event exactly as the SQLite file holds it: `data` and `metadata` are the stored JSON text,
 * not parsed. Integrity checkpoints hash these bytes.
 */
export interface StoredEventRow {
  position: number;
  stream: string;
  revision: number;
  event_id: string;
  type: string;
  data: string;
  metadata: string;
  recorded_at: number;
}

interface EventRow {
  position: number;
  stream: string;
  revision: number;
  event_id: string;
  type: string;
  data: string;
  metadata: string;
  recorded_at: number;
}

const PAGE_SIZE = 512;
const RECENT_MAX = 8192;

/**
 * The embedded event store: one SQLite file in WAL mode with synchronous=FULL, so each commit
 * fsyncs the log before its appends are acknowledged. Appends that arrive in the same turn of the event
 * loop are group-committed in one transaction (one fsync), each inside its own savepoint so
 * that one failing its revision check fails alone.
 */
export class SqliteEventStore implements EventStore {
  private readonly db: Database.Database;
  private readonly appends: GroupCommit<ValidatedAppend, AppendResult>;
  private readonly live: LiveWaiters;
  private readonly recent = new RecentEvents(RECENT_MAX);
  private closed = false;
  private readonly counters = { transactions: 0, appends: 0 };
  private readonly commitListeners: Array<(group: { appends: number }) => void> = [];
  /** Events the current write transaction inserted, kept only if it commits. */
  private justWritten: JustWritten[] = [];

  private readonly stmt: {
    streamHead: Database.Statement<[string], { revision: number }>;
    byEventId: Database.Statement<[string], { stream: string; revision: number; position: number }>;
    insert: Database.Statement<[string, number, string, string, string, string, number]>;
    streamForwards: Database.Statement<[string, number, number], EventRow>;
    streamBackwards: Database.Statement<[string, number, number], EventRow>;
    allAfter: Database.Statement<[number, number], EventRow>;
    last: Database.Statement<[], EventRow>;
    headPosition: Database.Statement<[], { position: number | null }>;
    countAfter: Database.Statement<[number, number], { n: number }>;
    storedRange: Database.Statement<[number, number, number], StoredEventRow>;
  };
  private readonly commitBatch: Database.Transaction<
    (batch: ValidatedAppend[]) => Outcome<AppendResult>[]
  >;
  private readonly appendOne: Database.Transaction<(append: ValidatedAppend) => AppendResult>;

  constructor(options: SqliteEventStoreOptions) {
    mkdirSync(dirname(options.file), { recursive: true });
    this.db = new Database(options.file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    // Savepoint undo copies stay in memory (bounded by the pages one append touches) instead of
    // a temp file: large appends were spending half their overhead there.
    this.db.pragma('temp_store = MEMORY');
    migrateEventStoreSchema(this.db);

    const columns = 'position, stream, revision, event_id, type, data, metadata, recorded_at';
    this.stmt = {
      streamHead: this.db.prepare(
        'SELECT revision FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1',
      ),
      byEventId: this.db.prepare(
        'SELECT stream, revision, position FROM events WHERE event_id = ?',
      ),
      insert: this.db.prepare(
        'INSERT INTO events (stream, revision, event_id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      streamForwards: this.db.prepare(
        `SELECT ${columns} FROM events WHERE stream = ? AND revision >= ? ORDER BY revision ASC LIMIT ?`,
      ),
      streamBackwards: this.db.prepare(
        `SELECT ${columns} FROM events WHERE stream = ? AND revision <= ? ORDER BY revision DESC LIMIT ?`,
      ),
      allAfter: this.db.prepare(
        `SELECT ${columns} FROM events WHERE position > ? ORDER BY position ASC LIMIT ?`,
      ),
      last: this.db.prepare(`SELECT ${columns} FROM events ORDER BY position DESC LIMIT 1`),
      headPosition: this.db.prepare('SELECT MAX(position) AS position FROM events'),
      countAfter: this.db.prepare(
        'SELECT COUNT(*) AS n FROM (SELECT 1 FROM events WHERE position > ? LIMIT ?)',
      ),
      storedRange: this.db.prepare(
        `SELECT ${columns} FROM events WHERE position > ? AND position <= ? ORDER BY position ASC LIMIT ?`,
      ),
    };
    this.appendOne = this.db.transaction((append: ValidatedAppend) =>
      this.appendInTransaction(append),
    );
    // A nested transaction is a savepoint: a failed check rolls back that append only.
    this.commitBatch = this.db.transaction((batch: ValidatedAppend[]) =>
      batch.map((append) => this.settle(() => this.appendOne(append))),
    );
    this.appends = new GroupCommit(
      (batch) => this.commitGroup(batch),
      (error) =>
        new EventStoreUnavailableError('append failed; nothing in this batch was written', {
          cause: error,
        }),
      () => this.live.wake(),
    );
    this.live = new LiveWaiters(
      options.pollIntervalMs ?? 100,
      () => this.stmt.headPosition.get()?.position ?? 0,
    );
  }

  append(stream: string, events: NewEvent[], options?: AppendOptions): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new EventStoreUnavailableError('event store is closed'));
    let append: ValidatedAppend;
    try {
      append = validateAppend(stream, events, options);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.appends.add(append);
  }

  /** Write transactions committed and appends they carried: their ratio is the group-commit factor. */
  get stats(): { transactions: number; appends: number } {
    return { ...this.counters };
  }

  /** Tells `listener` the size of each committed group (appends in one transaction), for metrics. */
  observeCommits(listener: (group: { appends: number }) => void): void {
    this.commitListeners.push(listener);
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    validateStreamName(stream);
    const maxCount = validateMaxCount(options.maxCount, Number.MAX_SAFE_INTEGER);
    const from = options.fromRevision;
    if (from !== undefined && (typeof from !== 'bigint' || from < 0n)) {
      throw new InvalidEventStoreInputError('fromRevision', 'must be a non-negative bigint');
    }
    const rows =
      options.direction === 'backwards'
        ? this.stmt.streamBackwards.all(
            stream,
            toSafeNumber(from ?? BigInt(Number.MAX_SAFE_INTEGER)),
            maxCount,
          )
        : this.stmt.streamForwards.all(stream, toSafeNumber(from ?? 0n), maxCount);
    return rows.map(toRecordedEvent);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const maxCount = validateMaxCount(options.maxCount, Number.MAX_SAFE_INTEGER);
    return this.stmt.allAfter.all(parsePosition(options.after), maxCount).map(toRecordedEvent);
  }

  async *subscribeAll(options: SubscribeAllOptions = {}): AsyncGenerator<RecordedEvent> {
    let after = parsePosition(options.after);
    const signal = options.signal;
    while (!this.closed && !signal?.aborted) {
      const page =
        this.recent.after(after, PAGE_SIZE) ??
        this.stmt.allAfter.all(after, PAGE_SIZE).map(toRecordedEvent);
      for (const event of page) {
        if (signal?.aborted) return;
        after = Number(event.position);
        yield event;
      }
      if (page.length < PAGE_SIZE) await this.live.wait(after, signal);
    }
  }

  /**
   * The connection's durability settings as SQLite reports them. WAL with synchronous=FULL (2)
   * fsyncs the log on every commit, so an acknowledged append survives a power cut on storage
   * that honours fsync; a killed process alone loses nothing even with less.
   */
  durability(): { journalMode: string; synchronous: number } {
    return {
      journalMode: this.db.pragma('journal_mode', { simple: true }) as string,
      synchronous: this.db.pragma('synchronous', { simple: true }) as number,
    };
  }

  /**
   * Events after `after` up to and including `upTo` (default: the end), at most `maxCount`, as
   * stored: the bytes an integrity checkpoint seals, without parsing them.
   */
  readStoredRows(
    after: string | undefined,
    upTo: string | undefined,
    maxCount: number,
  ): StoredEventRow[] {
    if (this.closed) throw new EventStoreUnavailableError('event store is closed');
    const limit = upTo === undefined ? Number.MAX_SAFE_INTEGER : parsePosition(upTo);
    return this.stmt.storedRange.all(parsePosition(after), limit, validateMaxCount(maxCount, 1));
  }

  async readLastEvent(): Promise<RecordedEvent | null> {
    const row = this.stmt.last.get();
    return row ? toRecordedEvent(row) : null;
  }

  async countEventsAfter(after: string | undefined, cap: number): Promise<number> {
    return this.stmt.countAfter.get(parsePosition(after), validateMaxCount(cap, 1))!.n;
  }

  /**
   * A position is the rowid: each append takes the next one and events are never deleted (a
   * rolled-back append's rowids are taken again by the next), so positions have no gaps.
   */
  eventsBetween(after: string | undefined, upTo: string): number {
    return Math.max(0, parsePosition(upTo) - parsePosition(after));
  }

  comparePositions(a: string, b: string): number {
    return Math.sign(parsePosition(a) - parsePosition(b));
  }

  async ping(): Promise<void> {
    if (this.closed) throw new EventStoreUnavailableError('event store is closed');
    this.stmt.headPosition.get();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.appends.flush();
    this.closed = true;
    this.live.close();
    this.db.close();
  }

  /** One group's transaction: each append in its own savepoint (none needed for one alone). */
  private commitGroup(batch: ValidatedAppend[]): Outcome<AppendResult>[] {
    this.justWritten = [];
    try {
      const outcomes =
        batch.length === 1
          ? [this.settle(() => this.appendOne.immediate(batch[0]))]
          : this.commitBatch.immediate(batch);
      this.recent.remember(this.justWritten);
      this.counters.transactions++;
      this.counters.appends += batch.length;
      for (const listener of this.commitListeners) listener({ appends: batch.length });
      return outcomes;
    } finally {
      this.justWritten = [];
    }
  }

  /** A revision or duplicate-id failure is this append's own outcome; anything else fails the batch. */
  private settle(run: () => AppendResult): Outcome<AppendResult> {
    try {
      return { result: run() };
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError || error instanceof DuplicateEventIdError) {
        return { error };
      }
      throw error;
    }
  }

  private appendInTransaction(append: ValidatedAppend): AppendResult {
    const { stream, events, expectedRevision } = append;
    const retried = this.findRetriedAppend(append);
    if (retried) return retried;

    const head = this.stmt.streamHead.get(stream);
    const current = head ? head.revision : -1;
    const ok =
      expectedRevision === 'any' ||
      (expectedRevision === 'no_stream' && current === -1) ||
      (expectedRevision === 'stream_exists' && current >= 0) ||
      (typeof expectedRevision === 'bigint' && BigInt(current) === expectedRevision);
    if (!ok) {
      throw new WrongExpectedRevisionError(
        stream,
        String(expectedRevision),
        current === -1 ? 'no_stream' : String(current),
      );
    }
    const now = Date.now();
    let position = 0;
    // Kept only if this append survives: a failure below truncates back to here.
    const mark = this.justWritten.length;
    events.forEach((event, i) => {
      try {
        const info = this.stmt.insert.run(
          stream,
          current + 1 + i,
          event.id,
          event.type,
          event.dataJson,
          event.metadataJson,
          now,
        );
        position = Number(info.lastInsertRowid);
        this.justWritten.push({
          position,
          revision: current + 1 + i,
          stream,
          recordedAt: now,
          event,
        });
      } catch (error) {
        this.justWritten.length = mark;
        if (isUniqueViolation(error, 'events.event_id'))
          throw new DuplicateEventIdError(stream, event.id);
        throw error;
      }
    });
    return { nextExpectedRevision: BigInt(current + events.length), position: String(position) };
  }

  /**
   * The same events with the same ids, already stored as one run in this stream, are a retry:
   * report what the original append reported and write nothing.
   */
  private findRetriedAppend({ stream, events }: ValidatedAppend): AppendResult | null {
    const first = this.stmt.byEventId.get(events[0].id);
    if (!first) return null;
    let last = first;
    for (let i = 0; i < events.length; i++) {
      const found = i === 0 ? first : this.stmt.byEventId.get(events[i].id);
      if (!found || found.stream !== stream || found.revision !== first.revision + i) {
        throw new DuplicateEventIdError(stream, events[i].id);
      }
      last = found;
    }
    return { nextExpectedRevision: BigInt(last.revision), position: String(last.position) };
  }
}

function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    id: row.event_id,
    stream: row.stream,
    revision: BigInt(row.revision),
    position: String(row.position),
    type: row.type,
    data: JSON.parse(row.data),
    metadata: JSON.parse(row.metadata),
    recordedAt: new Date(row.recorded_at),
  };
}

const POSITION = /^\d{1,15}$/;

function parsePosition(position: string | undefined): number {
  if (position === undefined) return 0;
  if (typeof position !== 'string' || !POSITION.test(position)) {
    throw new InvalidEventStoreInputError(
      'position',
      `"${String(position)}" is not a position of this store`,
    );
  }
  return Number(position);
}

function toSafeNumber(value: bigint): number {
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}

/** Duck-typed: under test runners the driver's error class may come from another realm. */
function isUniqueViolation(error: unknown, column: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    code === 'SQLITE_CONSTRAINT_UNIQUE' && typeof message === 'string' && message.includes(column)
  );
}
