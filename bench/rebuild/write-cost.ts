/**
 * What the read store's writes cost during a rebuild, by SQLite setting (issue 22).
 *
 *   npx tsx bench/rebuild/write-cost.ts [read.sqlite] [--rounds=N]
 *
 * Loads every document of a read-store file (by default the live read models of the cached
 * `bench:rebuild` log at 20,000 events), then writes them all into a fresh file the way the
 * SQLite read store commits a catch-up page — one JSON.stringify and one statement per document,
 * 5,000 documents a transaction, WAL, synchronous=NORMAL — once per variant, `--rounds` times,
 * and prints CPU and wall milliseconds of each. Variants: today's upsert; a plain INSERT;
 * tables WITHOUT ROWID; secure_delete off; a 32 MB page cache. It answers whether a change to
 * the write path is worth making before making it (see docs/rebuild.md, "What is left").
 */
import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { readOptions } from '../support/options';

interface Variant {
  label: string;
  withoutRowid?: boolean;
  secureDeleteOff?: boolean;
  plainInsert?: boolean;
  cacheKiB?: number;
}

const VARIANTS: Variant[] = [
  { label: 'upsert (the read store today)' },
  { label: 'plain INSERT', plainInsert: true },
  { label: 'tables WITHOUT ROWID', withoutRowid: true },
  { label: 'secure_delete OFF', secureDeleteOff: true },
  { label: 'cache_size 32 MB', cacheKiB: 32_000 },
];
const PER_TRANSACTION = 5000;

type Doc = [table: string, id: string, doc: unknown];

function main(): void {
  const argv = process.argv.slice(2);
  const files = argv.filter((a) => !a.startsWith('--'));
  const options = readOptions(
    argv.filter((a) => a.startsWith('--')),
    ['rounds'],
  );
  const rounds = options.int('rounds', 2, 2, 1);
  const source =
    files[0] ?? join(os.tmpdir(), 'custodian-rebuild-20000-2000', 'data', 'read.sqlite');
  const { tables, docs } = load(source);
  const bytes = docs.reduce((n, [, , doc]) => n + JSON.stringify(doc).length, 0);
  console.log(
    `${docs.length.toLocaleString('en')} documents in ${tables.length} tables (${(bytes / 1e6).toFixed(1)} MB of JSON) from ${source}`,
  );
  const target = join(os.tmpdir(), `custodian-write-cost-${process.pid}.sqlite`);
  for (let round = 1; round <= rounds; round++) {
    for (const variant of VARIANTS) {
      const { cpuMs, wallMs } = write(target, tables, docs, variant);
      console.log(
        `round ${round}: ${variant.label.padEnd(30)} ${cpuMs.toFixed(0).padStart(6)} ms CPU ${wallMs.toFixed(0).padStart(6)} ms wall`,
      );
    }
  }
}

function load(file: string): { tables: string[]; docs: Doc[] } {
  const db = new Database(file, { readonly: true });
  try {
    const tables = (
      db
        .prepare(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'c\\_%' ESCAPE '\\'",
        )
        .all() as Array<{ name: string }>
    ).map((row) => row.name);
    const docs: Doc[] = [];
    for (const table of tables) {
      for (const row of db.prepare(`SELECT id, doc FROM ${table}`).iterate() as IterableIterator<{
        id: string;
        doc: string;
      }>) {
        docs.push([table, row.id, JSON.parse(row.doc)]);
      }
    }
    return { tables, docs };
  } finally {
    db.close();
  }
}

function write(
  file: string,
  tables: readonly string[],
  docs: readonly Doc[],
  variant: Variant,
): { cpuMs: number; wallMs: number } {
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`secure_delete = ${variant.secureDeleteOff ? 'OFF' : 'ON'}`);
    if (variant.cacheKiB) db.pragma(`cache_size = -${variant.cacheKiB}`);
    const statements = new Map<string, Database.Statement<[string, string]>>();
    for (const table of tables) {
      db.exec(
        `CREATE TABLE ${table} (id TEXT PRIMARY KEY, doc TEXT NOT NULL)${variant.withoutRowid ? ' WITHOUT ROWID' : ''}`,
      );
      statements.set(
        table,
        db.prepare(
          variant.plainInsert
            ? `INSERT INTO ${table} (id, doc) VALUES (?, ?)`
            : `INSERT INTO ${table} (id, doc) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`,
        ),
      );
    }
    const commit = db.transaction((chunk: readonly Doc[]) => {
      for (const [table, id, doc] of chunk) statements.get(table)!.run(id, JSON.stringify(doc));
    });
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < docs.length; i += PER_TRANSACTION) {
      commit(docs.slice(i, i + PER_TRANSACTION));
    }
    const used = process.cpuUsage(cpu);
    return { cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - started };
  } finally {
    db.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  }
}

main();
