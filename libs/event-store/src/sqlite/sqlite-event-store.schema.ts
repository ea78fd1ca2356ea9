import type Database from 'better-sqlite3';

export const SQLITE_EVENT_STORE_SCHEMA_VERSION = 1;

/**
 * `position` is the rowid: assigned in commit order under SQLite's single writer, and never
 * reused because events are never deleted, so a reader that has seen position N has seen
 * every event before it.
 */
export const SQLITE_EVENT_STORE_SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  position    INTEGER PRIMARY KEY,
  stream      TEXT    NOT NULL,
  revision    INTEGER NOT NULL,
  event_id    TEXT    NOT NULL UNIQUE,
  type        TEXT    NOT NULL,
  data        TEXT    NOT NULL,
  metadata    TEXT    NOT NULL,
  recorded_at INTEGER NOT NULL,
  UNIQUE (stream, revision)
);
`;

/** Creates or upgrades the schema; refuses a file written by a newer build. */
export function migrateEventStoreSchema(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SQLITE_EVENT_STORE_SCHEMA_VERSION) {
    throw new Error(
      `event store schema version ${version} is newer than this build understands (${SQLITE_EVENT_STORE_SCHEMA_VERSION})`,
    );
  }
  if (version < SQLITE_EVENT_STORE_SCHEMA_VERSION) {
    db.transaction(() => {
      db.exec(SQLITE_EVENT_STORE_SCHEMA);
      db.pragma(`user_version = ${SQLITE_EVENT_STORE_SCHEMA_VERSION}`);
    }).immediate();
  }
}
