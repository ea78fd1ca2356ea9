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
