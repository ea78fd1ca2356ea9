import { SqliteEventStore } from '@custodian/event-store';
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

/**
 * The embedded stores, in the order a backup copies them (each a consistent snapshot of its own
 * file, taken with `VACUUM INTO` while the app runs):
 * 1. `read.sqlite` first, so no projection checkpoint in the copy is ahead of the log copy;
 * 2. `events.sqlite`;
 * 3. `keys.sqlite` last, so every key an event in the log copy was encrypted under is in the
 *    key copy (a key is created before the event that uses it is appended), and every erasure
 *    in the log copy is either destroyed in the key copy already or re-applied at start-up.
 */
export const BACKED_UP_STORES = ['read.sqlite', 'events.sqlite', 'keys.sqlite'] as const;
export type StoreFile = (typeof BACKED_UP_STORES)[number];

export interface BackupManifest {
  format: 1;
  createdAt: string;
  files: Array<{ name: StoreFile; bytes: number; sha256: string }>;
  /** The last event in the log copy: a restore re-applies erasures recorded after it. */
  eventLogHead: { position: string; eventId: string } | null;
}

export interface RestoreReport {
  restored: StoreFile[];
  /** `SubjectErased` events of the current log that the restored log lacked, appended to it. */
  erasuresCarriedOver: number;
  /** False when there was no current log to carry erasures from (a fresh data directory). */
  currentLogFound: boolean;
}

export class DataDirInUseError extends Error {
  constructor(readonly file: string) {
    super(`${file} is open in another process: stop the API and the projector first`);
  }
}

export class BackupError extends Error {}

const MANIFEST = 'manifest.json';

/** Copies the embedded stores of `dataDir` into the new directory `target` while the app may run. */
export function backupDataDir(dataDir: string, target: string): BackupManifest {
  if (existsSync(target) && readdirSync(target).length > 0)
    throw new BackupError(`${target} is not empty: back up into a new directory`);
  if (!existsSync(join(dataDir, 'events.sqlite')))
    throw new BackupError(`${dataDir} holds no events.sqlite: nothing to back up`);
  mkdirSync(target, { recursive: true, mode: 0o700 });
  const files: BackupManifest['files'] = [];
  for (const name of BACKED_UP_STORES) {
    const source = join(dataDir, name);
    if (!existsSync(source)) continue;
    const copy = join(target, name);
    const db = new Database(source, { readonly: true, fileMustExist: true, timeout: 5000 });
    try {
      // One read transaction: a consistent snapshot, taken beside the app's writers (WAL).
      db.prepare('VACUUM INTO ?').run(copy);
    } finally {
      db.close();
    }
    chmodSync(copy, 0o600);
    files.push({ name, ...digest(copy) });
  }
  const manifest: BackupManifest = {
    format: 1,
    createdAt: new Date().toISOString(),
    files,
    eventLogHead: lastEvent(join(target, 'events.sqlite')),
  };
  // Written last: a directory without it is an unfinished backup, and restore refuses it.
  writeFileSync(join(target, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, {
    mode: 0o600,
  });
  return manifest;
}

/**
 * Writes a backup's stores into `dataDir` (all of them, or only the key store). Refuses while
 * any process has a store open. A full restore first reads the current log's erasures and
 * appends those the restored log lacks, so the start-up reconciliation destroys their keys.
 */
export async function restoreDataDir(
  source: string,
  dataDir: string,
  options: { only?: 'keys' } = {},
): Promise<RestoreReport> {
  const manifest = readManifest(source);
  const wanted: StoreFile[] = options.only === 'keys' ? ['keys.sqlite'] : [...BACKED_UP_STORES];
  const available = new Set(manifest.files.map((f) => f.name));
  for (const name of wanted) {
    if (!available.has(name)) throw new BackupError(`the backup holds no ${name}`);
  }
  for (const file of manifest.files) {
    if (!wanted.includes(file.name)) continue;
    const { sha256 } = digest(join(source, file.name));
    if (sha256 !== file.sha256)
      throw new BackupError(`${file.name} does not match the manifest's SHA-256: not restoring`);
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  for (const name of BACKED_UP_STORES) refuseIfOpen(join(dataDir, name));

  const currentLog = join(dataDir, 'events.sqlite');
  const currentLogFound = existsSync(currentLog);
  const erasures =
    wanted.includes('events.sqlite') && currentLogFound ? readErasures(currentLog) : [];

  let carried = 0;
  for (const name of wanted) {
    const staged = join(dataDir, `${name}.restoring`);
    rmSync(staged, { force: true });
    writeFileSync(staged, readFileSync(join(source, name)), { mode: 0o600 });
    if (name === 'events.sqlite') carried = await appendMissing(staged, erasures);
    fsyncFile(staged);
    const target = join(dataDir, name);
    // The old file's write-ahead log belongs to it, not to the restored file.
    rmSync(`${target}-wal`, { force: true });
    rmSync(`${target}-shm`, { force: true });
    renameSync(staged, target);
  }
  fsyncFile(dataDir);
  return { restored: wanted, erasuresCarriedOver: carried, currentLogFound };
}

export function readManifest(source: string): BackupManifest {
  const file = join(source, MANIFEST);
  if (!existsSync(file))
    throw new BackupError(`${source} has no ${MANIFEST}: not a finished backup`);
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as BackupManifest;
  if (manifest.format !== 1 || !Array.isArray(manifest.files))
    throw new BackupError(`${file} is not a backup manifest this build understands`);
  return manifest;
}

/** Throws DataDirInUseError while any process (the API, the projector) has an embedded store open. */
export function assertDataDirNotInUse(dataDir: string): void {
  for (const name of BACKED_UP_STORES) refuseIfOpen(join(dataDir, name));
}

/**
 * A process that has the database open (the API, the projector) holds a lock SQLite can see: an
 * exclusive lock cannot be taken. The OS drops it when the process dies, so a crash leaves none.
 */
function refuseIfOpen(file: string): void {
  if (!existsSync(file)) return;
  const db = new Database(file, { fileMustExist: true, timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('COMMIT');
  } catch (error) {
    if ((error as { code?: string }).code === 'SQLITE_BUSY') throw new DataDirInUseError(file);
    throw error;
  } finally {
    db.close();
  }
}

interface StoredErasure {
  eventId: string;
  stream: string;
  data: string;
  metadata: string;
}

function readErasures(file: string): StoredErasure[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare<[], StoredErasure>(
        `SELECT event_id AS eventId, stream, data, metadata FROM events
         WHERE type = 'SubjectErased' ORDER BY position`,
      )
      .all();
  } finally {
    db.close();
  }
}

/** Appends, with their own ids, the erasures `file` does not hold yet. */
async function appendMissing(file: string, erasures: StoredErasure[]): Promise<number> {
  if (erasures.length === 0) return 0;
  const present = new Database(file, { readonly: true, fileMustExist: true });
  let missing: StoredErasure[];
  try {
    const has = present.prepare<[string], { one: number }>(
      'SELECT 1 AS one FROM events WHERE event_id = ?',
    );
    missing = erasures.filter((e) => !has.get(e.eventId));
  } finally {
    present.close();
  }
  if (missing.length === 0) return 0;
  const events = new SqliteEventStore({ file });
  try {
    for (const erasure of missing) {
      await events.append(
        erasure.stream,
        [
          {
            id: erasure.eventId,
            type: 'SubjectErased',
            data: JSON.parse(erasure.data),
            metadata: JSON.parse(erasure.metadata),
          },
        ],
        { expectedRevision: 'any' },
      );
    }
  } finally {
    await events.close();
  }
  // Everything into the file itself, so no write-ahead log is left beside the staged name.
  const db = new Database(file, { fileMustExist: true });
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.pragma('journal_mode = DELETE');
  } finally {
    db.close();
  }
  return missing.length;
}

function lastEvent(file: string): BackupManifest['eventLogHead'] {
  if (!existsSync(file)) return null;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const row = db
      .prepare<[], { position: number; eventId: string }>(
        'SELECT position, event_id AS eventId FROM events ORDER BY position DESC LIMIT 1',
      )
      .get();
    return row ? { position: String(row.position), eventId: row.eventId } : null;
  } finally {
    db.close();
  }
}

function digest(file: string): { bytes: number; sha256: string } {
  const content = readFileSync(file);
  return { bytes: content.length, sha256: createHash('sha256').update(content).digest('hex') };
}

function fsyncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
