/**
 * Throughput of the embedded SQLite event store (`SqliteEventStore`) against a raw
 * better-sqlite3 baseline on the same schema, pragmas and payloads.
 *
 *   npm run bench:event-store                      # full run
 *   npm run bench:event-store -- --quick           # smoke run: small N, 2 runs
 *   npm run bench:event-store -- --runs=7 --single=40000 --batch=200000 --read=200000
 *   npm run bench:event-store -- --only=batch,read --dir=/dev/shm
 *
 * Every option can also come from the environment: BENCH_QUICK=1, BENCH_RUNS, BENCH_SINGLE,
 * BENCH_BATCH, BENCH_READ, BENCH_CONCURRENCY, BENCH_ONLY, BENCH_DIR (parent of the temp
 * directory; default the OS temp dir).
 * See bench/README.md for what each workload measures.
 */
import { SqliteEventStore } from '@custodian/event-store';
import type { NewEvent, RecordedEvent } from '@custodian/event-store';
import { SQLITE_EVENT_STORE_SCHEMA } from '../../libs/event-store/src/sqlite/sqlite-event-store.schema';
import Database from 'better-sqlite3';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { NO_LOG_OPTION } from '../support/options';
import { cpuSample, cpuUsage } from '../support/machine';
import { printCpuDuring, runBench } from '../support/report';

// ---------------------------------------------------------------------------------------------
// Parameters

interface Params {
  quick: boolean;
  runs: number;
  singleEvents: number;
  concurrency: number;
  batchEvents: number;
  batchSize: number;
  readEvents: number;
  pageSize: number;
  dir: string;
  only: Set<Workload>;
}

const WORKLOADS = ['single', 'batch', 'read'] as const;
type Workload = (typeof WORKLOADS)[number];

function parseParams(argv: string[]): Params {
  const args = new Map<string, string>();
  for (const arg of argv) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new Error(`unknown argument "${arg}" (expected --name or --name=value)`);
    args.set(match[1], match[2] ?? 'true');
  }
  const known = ['quick', 'runs', 'single', 'concurrency', 'batch', 'read', 'dir', 'only'];
  for (const name of args.keys()) {
    if (!known.includes(name) && name !== NO_LOG_OPTION)
      throw new Error(`unknown option --${name}`);
  }
  const raw = (name: string): string | undefined =>
    args.get(name) ?? process.env[`BENCH_${name.toUpperCase()}`];
  const quickValue = raw('quick');
  const quick = quickValue !== undefined && quickValue !== '0' && quickValue !== 'false';
  const int = (name: string, fallback: number, quickFallback: number): number => {
    const value = raw(name);
    if (value === undefined) return quick ? quickFallback : fallback;
    const n = Number(value.replace(/_/g, ''));
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
    return n;
  };
  return {
    quick,
    runs: int('runs', 5, 2),
    singleEvents: int('single', 20_000, 2_000),
    concurrency: int('concurrency', 64, 64),
    batchEvents: int('batch', 100_000, 5_000),
    batchSize: 100,
    readEvents: int('read', 100_000, 10_000),
    pageSize: 1000,
    dir: raw('dir') ?? os.tmpdir(),
    only: parseOnly(raw('only')),
  };
}

function parseOnly(value: string | undefined): Set<Workload> {
  if (value === undefined) return new Set(WORKLOADS);
  const names = value.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!(WORKLOADS as readonly string[]).includes(name)) {
      throw new Error(`--only takes a comma-separated list of ${WORKLOADS.join(', ')}`);
    }
  }
  return new Set(names as Workload[]);
}

// ---------------------------------------------------------------------------------------------
// Payload: a consent grant as the consent ledger would record it.

const PURPOSES = ['marketing.email', 'marketing.sms', 'analytics.product', 'profiling.ads'];

function makeEvent(seq: number): NewEvent {
  const eventId = randomUUID();
  const subjectId = randomUUID();
  const occurredAt = new Date(Date.UTC(2024, 5, 1) + seq * 1000).toISOString();
  return {
    id: eventId,
    type: 'ConsentGranted',
    data: {
      consentId: randomUUID(),
      subjectId,
      purpose: PURPOSES[seq % PURPOSES.length],
      lawfulBasis: 'consent',
      policyVersion: '2024-05-12',
      evidence: {
        source: 'web-form',
        formId: 'newsletter-footer-v3',
        ipHash: createHash('sha256')
          .update(`198.51.100.${seq % 256}`)
          .digest('hex')
          .slice(0, 32),
        capturedAt: occurredAt,
      },
    },
    metadata: {
      eventId,
      occurredAt,
      actor: `subject:${subjectId}`,
      correlationId: randomUUID(),
      causationId: randomUUID(),
      schemaVersion: 1,
    },
  };
}

function makeEvents(count: number): NewEvent[] {
  return Array.from({ length: count }, (_, i) => makeEvent(i));
}

// ---------------------------------------------------------------------------------------------
// Databases

let seq = 0;

function freshFile(dir: string): string {
  return join(dir, `events-${++seq}.sqlite`);
}

function removeDb(file: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(file + suffix, { force: true });
}

/** The raw baseline's connection: the adapter's pragmas and schema, nothing else. */
function openRaw(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.exec(SQLITE_EVENT_STORE_SCHEMA);
  return db;
}

const HEAD_SQL = 'SELECT revision FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1';
const INSERT_SQL =
  'INSERT INTO events (stream, revision, event_id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)';
const COLUMNS = 'position, stream, revision, event_id, type, data, metadata, recorded_at';

interface Row {
  position: number;
  stream: string;
  revision: number;
  event_id: string;
  type: string;
  data: string;
  metadata: string;
  recorded_at: number;
}

/** One raw append: the head lookup, the expected-revision check, the inserts. */
interface RawAppend {
  stream: string;
  /** -1 for "no stream". */
  expected: number;
  events: NewEvent[];
}

function rawAppender(db: Database.Database): (appends: RawAppend[]) => void {
  const head = db.prepare<[string], { revision: number }>(HEAD_SQL);
  const insert = db.prepare(INSERT_SQL);
  const tx = db.transaction((appends: RawAppend[]) => {
    const now = Date.now();
    for (const { stream, expected, events } of appends) {
      const row = head.get(stream);
      const current = row ? row.revision : -1;
      if (current !== expected) throw new Error(`${stream}: expected ${expected}, at ${current}`);
      for (let i = 0; i < events.length; i++) {
        const e = events[i];
        insert.run(
          stream,
          current + 1 + i,
          e.id,
          e.type,
          JSON.stringify(e.data),
          JSON.stringify(e.metadata ?? {}),
          now,
        );
      }
    }
  });
  return (appends) => tx.immediate(appends);
}

function countRows(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Workloads. Each returns one timed Sample; opening and closing the database are not timed.

interface Sample {
  /** Wall-clock time: what the events/s figures are computed from. */
  ms: number;
  /** CPU time (user + system) of this process over the same interval. */
  cpuMs: number;
  events: number;
  note?: string;
}

function startTimer(): () => { ms: number; cpuMs: number } {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  return () => {
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const { user, system } = process.cpuUsage(cpu);
    return { ms, cpuMs: (user + system) / 1000 };
  };
}

/** Stream of appender `a` in the concurrent workload; event i goes to appender i % concurrency. */
const appenderStream = (a: number): string => `consent-subject-${a}`;

async function oursConcurrentSingle(p: Params, events: NewEvent[]): Promise<Sample> {
  const file = freshFile(p.dir);
  const store = new SqliteEventStore({ file });
  const timer = startTimer();
  await Promise.all(
    Array.from({ length: Math.min(p.concurrency, events.length) }, async (_, a) => {
      const stream = appenderStream(a);
      let expected: 'no_stream' | bigint = 'no_stream';
      for (let i = a; i < events.length; i += p.concurrency) {
        const result = await store.append(stream, [events[i]], { expectedRevision: expected });
        expected = result.nextExpectedRevision;
      }
    }),
  );
  const { ms, cpuMs } = timer();
  const { transactions, appends } = store.stats;
  await store.close();
  check(countRows(file), events.length);
  removeDb(file);
  return {
    ms,
    cpuMs,
    events: events.length,
    note: `${(appends / transactions).toFixed(1)} appends/tx`,
  };
}

function rawConcurrentSingle(p: Params, events: NewEvent[]): Sample {
  const file = freshFile(p.dir);
  const db = openRaw(file);
  const append = rawAppender(db);
  // Round r holds revision r of every appender's stream: the same rows, in the same order and
  // the same transactions of `concurrency` rows, that the group-committing adapter writes.
  const rounds: RawAppend[][] = [];
  for (let i = 0; i < events.length; i++) {
    const r = Math.floor(i / p.concurrency);
    (rounds[r] ??= []).push({
      stream: appenderStream(i % p.concurrency),
      expected: r - 1,
      events: [events[i]],
    });
  }
  const timer = startTimer();
  for (const round of rounds) append(round);
  const { ms, cpuMs } = timer();
  db.close();
  check(countRows(file), events.length);
  removeDb(file);
  return { ms, cpuMs, events: events.length };
}

const batchStream = (b: number): string => `consent-import-${b}`;

function batches(p: Params, events: NewEvent[]): NewEvent[][] {
  const out: NewEvent[][] = [];
  for (let i = 0; i < events.length; i += p.batchSize) out.push(events.slice(i, i + p.batchSize));
  return out;
}

async function oursBatch(p: Params, events: NewEvent[]): Promise<Sample> {
  const file = freshFile(p.dir);
  const store = new SqliteEventStore({ file });
  const parts = batches(p, events);
  const timer = startTimer();
  for (let b = 0; b < parts.length; b++) {
    await store.append(batchStream(b), parts[b], { expectedRevision: 'no_stream' });
  }
  const { ms, cpuMs } = timer();
  await store.close();
  check(countRows(file), events.length);
  removeDb(file);
  return { ms, cpuMs, events: events.length };
}

function rawBatch(p: Params, events: NewEvent[]): Sample {
  const file = freshFile(p.dir);
  const db = openRaw(file);
  const append = rawAppender(db);
  const parts = batches(p, events);
  const timer = startTimer();
  for (let b = 0; b < parts.length; b++) {
    append([{ stream: batchStream(b), expected: -1, events: parts[b] }]);
  }
  const { ms, cpuMs } = timer();
  db.close();
  check(countRows(file), events.length);
  removeDb(file);
  return { ms, cpuMs, events: events.length };
}

/** Fills a fresh file through the adapter (1000-event appends, 100 streams) and checkpoints it. */
async function populate(p: Params, events: NewEvent[]): Promise<string> {
  const file = freshFile(p.dir);
  const store = new SqliteEventStore({ file });
  const revisions = new Map<string, bigint>();
  for (let i = 0; i < events.length; i += 1000) {
    const stream = `consent-subject-${(i / 1000) % 100}`;
    const previous = revisions.get(stream);
    const result = await store.append(stream, events.slice(i, i + 1000), {
      expectedRevision: previous ?? 'no_stream',
    });
    revisions.set(stream, result.nextExpectedRevision);
  }
  await store.close(); // the last connection to close checkpoints the WAL into the main file
  check(countRows(file), events.length);
  return file;
}

async function oursReadAll(p: Params, store: SqliteEventStore): Promise<Sample> {
  const timer = startTimer();
  let after: string | undefined;
  let count = 0;
  let checksum = 0;
  for (;;) {
    const page: RecordedEvent[] = await store.readAll({ after, maxCount: p.pageSize });
    for (const event of page) checksum += (event.data.purpose as string).length;
    count += page.length;
    if (page.length < p.pageSize) break;
    after = page[page.length - 1].position;
  }
  const { ms, cpuMs } = timer();
  check(count, p.readEvents);
  sink += checksum;
  return { ms, cpuMs, events: count };
}

interface RawEvent {
  position: number;
  stream: string;
  revision: number;
  id: string;
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  recordedAt: number;
}

function rawReadAll(p: Params, db: Database.Database): Sample {
  const page = db.prepare<[number, number], Row>(
    `SELECT ${COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`,
  );
  const timer = startTimer();
  let after = 0;
  let count = 0;
  let checksum = 0;
  for (;;) {
    const rows = page.all(after, p.pageSize);
    const events = rows.map((row): RawEvent => ({
      position: row.position,
      stream: row.stream,
      revision: row.revision,
      id: row.event_id,
      type: row.type,
      data: JSON.parse(row.data),
      metadata: JSON.parse(row.metadata),
      recordedAt: row.recorded_at,
    }));
    for (const event of events) checksum += (event.data.purpose as string).length;
    count += events.length;
    if (events.length < p.pageSize) break;
    after = events[events.length - 1].position;
  }
  const { ms, cpuMs } = timer();
  check(count, p.readEvents);
  sink += checksum;
  return { ms, cpuMs, events: count };
}

/** Keeps the read loops' results observable so no work can be optimised away. */
let sink = 0;

function check(actual: number, expected: number): void {
  if (actual !== expected) throw new Error(`expected ${expected} events, found ${actual}`);
}

// ---------------------------------------------------------------------------------------------
// Reporting

interface Result {
  workload: string;
  ours: Sample[];
  raw: Sample[];
}

const rate = (s: Sample): number => s.events / (s.ms / 1000);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

function table(results: Result[]): string {
  const header = [
    'workload',
    'ours ev/s (median)',
    'raw ev/s (median)',
    'ours/raw',
    'ours min..max',
    'raw min..max',
  ];
  const rows = results.map(({ workload, ours, raw }) => {
    const o = ours.map(rate);
    const r = raw.map(rate);
    return [
      workload,
      fmt(median(o)),
      fmt(median(r)),
      (median(o) / median(r)).toFixed(2),
      `${fmt(Math.min(...o))}..${fmt(Math.max(...o))}`,
      `${fmt(Math.min(...r))}..${fmt(Math.max(...r))}`,
    ];
  });
  return markdown(header, rows);
}

const cpuPerEvent = (s: Sample): number => (s.cpuMs * 1000) / s.events;
const wallPerEvent = (s: Sample): number => (s.ms * 1000) / s.events;

function cpuTable(results: Result[]): string {
  const header = [
    'workload',
    'ours wall us/ev',
    'ours CPU us/ev',
    'raw wall us/ev',
    'raw CPU us/ev',
  ];
  const rows = results.map(({ workload, ours, raw }) => [
    workload,
    median(ours.map(wallPerEvent)).toFixed(1),
    median(ours.map(cpuPerEvent)).toFixed(1),
    median(raw.map(wallPerEvent)).toFixed(1),
    median(raw.map(cpuPerEvent)).toFixed(1),
  ]);
  return markdown(header, rows);
}

function markdown(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]): string =>
    '| ' +
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') +
    ' |';
  const rule =
    '|' +
    widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') +
    '|';
  return [line(header), rule, ...rows.map(line)].join('\n');
}

const loadAverage = (): string =>
  os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');

const FS_TYPES: Record<number, string> = {
  0xef53: 'ext4',
  0x01021994: 'tmpfs',
  0x58465342: 'xfs',
  0x9123683e: 'btrfs',
  0x794c7630: 'overlayfs',
  0x6969: 'nfs',
};

function machineInfo(p: Params): string[] {
  const cpus = os.cpus();
  const db = new Database(':memory:');
  const sqlite = (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  db.close();
  let fs = 'unknown';
  try {
    const type = statfsSync(p.dir).type;
    fs = FS_TYPES[type] ?? `0x${type.toString(16)}`;
  } catch {
    // statfs is best effort
  }
  return [
    `node ${process.version} (${process.platform}/${process.arch}), SQLite ${sqlite}`,
    `cpus: ${cpus.length} x ${cpus[0]?.model.trim() ?? 'unknown'}`,
    `memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `database dir: ${p.dir} (${fs})`,
    `load average at start: ${loadAverage()}`,
  ];
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  const p = parseParams(process.argv.slice(2));
  console.log('# event-store bench: SqliteEventStore vs raw better-sqlite3');
  for (const line of machineInfo(p)) console.log(line);
  console.log(
    `params: runs=${p.runs}${p.quick ? ' (quick)' : ''}, single=${p.singleEvents} events ` +
      `(${p.concurrency} appenders), batch=${p.batchEvents} events (${p.batchSize}/append), ` +
      `read=${p.readEvents} events (pages of ${p.pageSize}), workloads=${[...p.only].join(',')}`,
  );
  const sample = makeEvent(0);
  console.log(
    `payload: ${sample.type}, data ${JSON.stringify(sample.data).length} B, ` +
      `metadata ${JSON.stringify(sample.metadata).length} B of JSON`,
  );
  console.log('pragmas: journal_mode=WAL, synchronous=FULL; fresh database file per run\n');

  p.dir = mkdtempSync(join(p.dir, 'custodian-bench-'));
  const cpuBefore = cpuSample([process.pid]);
  const results: Result[] = [];
  try {
    // Warm-up: JIT both sides of each selected workload on a small input; not recorded.
    const warm = makeEvents(Math.min(2_000, p.singleEvents, p.batchEvents, p.readEvents));
    const warmParams = { ...p, readEvents: warm.length };

    if (p.only.has('single')) {
      await oursConcurrentSingle(p, warm);
      rawConcurrentSingle(p, warm);
      const events = makeEvents(p.singleEvents);
      results.push(
        await compare(
          'concurrent single-event appends',
          p.runs,
          () => oursConcurrentSingle(p, events),
          () => rawConcurrentSingle(p, events),
        ),
      );
    }

    if (p.only.has('batch')) {
      await oursBatch(p, warm);
      rawBatch(p, warm);
      const events = makeEvents(p.batchEvents);
      results.push(
        await compare(
          `${p.batchSize}-event batch appends`,
          p.runs,
          () => oursBatch(p, events),
          () => rawBatch(p, events),
        ),
      );
    }

    if (p.only.has('read')) {
      const warmFile = await populate(warmParams, warm);
      const warmStore = new SqliteEventStore({ file: warmFile });
      const warmDb = openRaw(warmFile);
      await oursReadAll(warmParams, warmStore);
      rawReadAll(warmParams, warmDb);
      await warmStore.close();
      warmDb.close();
      removeDb(warmFile);

      // One fresh file, written once, scanned by both sides through their own connections.
      const file = await populate(p, makeEvents(p.readEvents));
      const store = new SqliteEventStore({ file });
      const db = openRaw(file);
      try {
        results.push(
          await compare(
            'full read-all scan',
            p.runs,
            () => oursReadAll(p, store),
            () => rawReadAll(p, db),
          ),
        );
      } finally {
        await store.close();
        db.close();
        removeDb(file);
      }
    }
  } finally {
    rmSync(p.dir, { recursive: true, force: true });
  }

  console.log('');
  printCpuDuring('the workloads', cpuUsage(cpuBefore, cpuSample([process.pid])));
  console.log('\n' + table(results));
  console.log(
    '\nours/raw = median ours events/s divided by median raw events/s (1.00 = as fast as raw).',
  );
  console.log('\n' + cpuTable(results));
  console.log(
    '\nCPU = user+system time of this process per event (median); wall minus CPU is mostly fsync.',
  );
  for (const { workload, ours, raw } of results) {
    if (workload.startsWith('concurrent') || workload.startsWith('full')) {
      const ratio = median(ours.map(rate)) / median(raw.map(rate));
      console.log(
        `goal ${workload}: ours/raw >= 0.50 -> ${ratio.toFixed(2)} ${ratio >= 0.5 ? 'MET' : 'NOT MET'}`,
      );
    }
  }
  console.log(`load average at end: ${loadAverage()} (other processes compete for the CPUs)`);
  if (sink < 0) console.log(sink);
}

/** Runs both sides `runs` times, alternating which goes first so drift hits both alike. */
async function compare(
  workload: string,
  runs: number,
  ours: () => Promise<Sample>,
  raw: () => Sample,
): Promise<Result> {
  const result: Result = { workload, ours: [], raw: [] };
  for (let run = 0; run < runs; run++) {
    if (run % 2 === 0) {
      result.ours.push(await ours());
      result.raw.push(raw());
    } else {
      result.raw.push(raw());
      result.ours.push(await ours());
    }
    progress(result, run);
  }
  return result;
}

function progress(result: Result, run: number): void {
  const o = result.ours[run];
  const r = result.raw[run];
  const note = o.note ? ` (${o.note})` : '';
  console.log(
    `  ${result.workload} run ${run + 1}: ours ${fmt(rate(o))} ev/s in ${o.ms.toFixed(0)} ms${note}, ` +
      `raw ${fmt(rate(r))} ev/s in ${r.ms.toFixed(0)} ms`,
  );
}

runBench(
  'event-store',
  async () => {
    await main();
    return 0;
  },
  'npm run bench:event-store -- [--quick] [--runs=N] [--single=N] [--batch=N] [--read=N] ...; ' +
    'see bench/README.md',
);
