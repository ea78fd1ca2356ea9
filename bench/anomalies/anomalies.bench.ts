/**
 * bench/anomalies: throughput of the anomaly counters projection, in events per second, from the
 * library code (no HTTP, no Nest). An embedded SQLite event store in a temp dir gets N audit
 * records (`FieldsAccessed`, some `AccessDenied`) on `access-<subjectId>` streams: ~50 actors,
 * ~20,000 customers, a few hours of `at` timestamps. Then a `ProjectionRunner` builds
 * `anomalyCountersProjection` from scratch into a fresh SQLite read store until it has caught up
 * with the last event; the baseline is the same runner with a trivial projection that counts
 * events per type (one document per type).
 *
 *   npm run bench:anomalies                         # 200,000 events, 3 runs per side
 *   npm run bench:anomalies -- --quick              # 20,000 events, 1 run
 *   npm run bench:anomalies -- --events=500000 --runs=5 --dir=/dev/shm
 *
 * Options can also come from the environment (BENCH_EVENTS, BENCH_RUNS, ...). It touches no
 * network, is bounded and stops by itself; its temp dir is removed at the end, also on failure
 * or Ctrl-C. See bench/anomalies/README.md.
 */
import {
  NO_CONSENT_REASON,
  type AccessDenied,
  type FieldsAccessed,
  type JsonObject,
} from '@custodian/domain';
import { SqliteEventStore, type NewEvent, type RecordedEvent } from '@custodian/event-store';
import { DEFAULT_ANOMALY_RULES, DEFAULT_ROLE_POLICY, outsideWorkingHours } from '@custodian/policy';
import {
  anomalyCountersProjection,
  counterDocumentIds,
  countEvent,
  ProjectionRunner,
  RuleHistory,
  type AnomalyCountersDocument,
  type ProjectionDefinition,
} from '@custodian/projections';
import { SqliteReadStore } from '@custodian/read-store';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { registerTempDir, removeTempDir, REPO_ROOT } from '../support/api-server';
import { BenchFailure } from '../support/http';
import { cpuSample, cpuUsage, fsyncLatency, machineInfo, sourceVersion } from '../support/machine';
import { readOptions, UsageError } from '../support/options';
import { printCpuDuring, runBench } from '../support/report';
import { formatInt, formatMs, median, padEnd, padStart } from '../support/stats';

// ---------------------------------------------------------------------------------------------
// Parameters

interface Params {
  quick: boolean;
  runs: number;
  events: number;
  actors: number;
  customers: number;
  hours: number;
  /** Share of the audit records that are refusals (`AccessDenied`). */
  denied: number;
  /** Events per projection batch (one read-store commit each), as the product's default. */
  batchSize: number;
  /** Events per append transaction while writing the log. */
  appendBatch: number;
  timeout: number;
  dir: string;
}

function parseParams(argv: string[]): Params {
  const { quick, raw, num, int } = readOptions(argv, [
    'quick',
    'runs',
    'events',
    'actors',
    'customers',
    'hours',
    'denied',
    'batch-size',
    'append-batch',
    'timeout',
    'dir',
  ]);
  const params: Params = {
    quick,
    runs: int('runs', 3, 1, 1),
    events: int('events', 200_000, 20_000, 1_000),
    actors: int('actors', 50, 50, 1),
    customers: int('customers', 20_000, 20_000, 1),
    hours: num('hours', 6, 6, 0.1),
    denied: num('denied', 0.03, 0.03, 0),
    batchSize: int('batch-size', 500, 500, 1),
    appendBatch: int('append-batch', 1000, 1000, 1),
    timeout: int('timeout', 1800, 600, 10),
    dir: raw('dir') ?? os.tmpdir(),
  };
  if (params.events > 5_000_000) throw new UsageError('--events is at most 5,000,000');
  if (params.runs > 20) throw new UsageError('--runs is at most 20');
  if (params.denied > 1) throw new UsageError('--denied is a share, at most 1');
  if (params.hours > 24 * 30) throw new UsageError('--hours is at most 720');
  if (params.timeout > 7200) throw new UsageError('--timeout is at most 7,200 s');
  if (params.batchSize > 10_000) throw new UsageError('--batch-size is at most 10,000');
  return params;
}

// ---------------------------------------------------------------------------------------------
// The log: audit records as the access service writes them

/** Monday 2025-03-03 12:00 UTC = 15:00 in Moscow: the log runs past the end of working hours. */
const START = Date.parse('2025-03-03T12:00:00.000Z');
const ROLES = ['support', 'sales', 'marketing', 'service', 'analyst'] as const;
const REFUSALS = [
  NO_CONSENT_REASON,
  'role_may_not_declare_purpose',
  'purpose_inactive',
  'unknown_purpose',
];

/** A small deterministic PRNG, so every run of the bench writes the same log shape. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface LogShape {
  accessed: number;
  denied: number;
  /** Refusals for want of consent. */
  withoutConsent: number;
  lastPosition: string;
  appendSeconds: number;
  bytes: number;
}

/**
 * Writes `events` audit records in time order. A few actors read ten times as much as the
 * rest (so `bulk-reads` fires for them); `denied` of the records are refusals.
 */
async function writeLog(file: string, params: Params): Promise<LogShape> {
  const random = mulberry32(20250303);
  const customers = Array.from({ length: params.customers }, () => randomUUID());
  const actors = Array.from({ length: params.actors }, (_, i) => ({
    id: `actor-${String(i + 1).padStart(3, '0')}`,
    role: ROLES[i % ROLES.length],
    weight: i < Math.max(1, Math.round(params.actors / 25)) ? 10 : 1,
  }));
  const weights = actors.reduce((sum, a) => sum + a.weight, 0);
  const pickActor = () => {
    let r = random() * weights;
    for (const actor of actors) if ((r -= actor.weight) < 0) return actor;
    return actors[actors.length - 1];
  };
  const masks = Object.fromEntries(
    ROLES.map((role) => {
      const rules = DEFAULT_ROLE_POLICY.roles[role];
      return [
        role,
        ['name', 'email', 'phone', 'birthDate', 'address'].map((name) => ({
          name,
          mask: rules.fields[name] ?? rules.otherFields,
        })),
      ];
    }),
  );
  const spanMs = params.hours * 3_600_000;
  const shape = { accessed: 0, denied: 0, withoutConsent: 0 };

  const store = new SqliteEventStore({ file });
  const started = performance.now();
  let lastPosition = '';
  try {
    for (let written = 0; written < params.events;) {
      const count = Math.min(params.appendBatch, params.events - written);
      const byStream = new Map<string, NewEvent[]>();
      for (let i = 0; i < count; i++) {
        const n = written + i;
        const at = new Date(START + Math.floor((n / params.events) * spanMs)).toISOString();
        const actor = pickActor();
        const subjectId = customers[Math.floor(random() * customers.length)];
        const requestId = randomUUID();
        let event: FieldsAccessed | AccessDenied;
        if (random() < params.denied) {
          const reason = REFUSALS[Math.floor(random() * REFUSALS.length)];
          event = {
            type: 'AccessDenied',
            data: {
              subjectId,
              actorId: actor.id,
              role: actor.role,
              purposeId: 'crm-care',
              reason,
              requestId,
              at,
            },
          };
          shape.denied++;
          if (reason === NO_CONSENT_REASON) shape.withoutConsent++;
        } else {
          event = {
            type: 'FieldsAccessed',
            data: {
              subjectId,
              actorId: actor.id,
              role: actor.role,
              purposeId: 'crm-care',
              via: 'view',
              fields: masks[actor.role],
              policyVersion: 1,
              requestId,
              at,
            },
          };
          shape.accessed++;
        }
        const id = randomUUID();
        const stream = `access-${subjectId}`;
        const list = byStream.get(stream) ?? [];
        list.push({
          id,
          type: event.type,
          data: event.data as unknown as JsonObject,
          metadata: {
            eventId: id,
            occurredAt: at,
            actor: { id: actor.id, role: actor.role },
            correlationId: requestId,
            causationId: requestId,
            schemaVersion: 1,
          },
        });
        byStream.set(stream, list);
      }
      // One append per stream, all issued in one turn: the store commits them together.
      const results = await Promise.all(
        [...byStream].map(([stream, events]) => store.append(stream, events)),
      );
      for (const r of results)
        if (!lastPosition || store.comparePositions(r.position, lastPosition) > 0)
          lastPosition = r.position;
      written += count;
    }
  } finally {
    await store.close();
  }
  return {
    ...shape,
    lastPosition,
    appendSeconds: (performance.now() - started) / 1000,
    bytes: statSync(file).size,
  };
}

// ---------------------------------------------------------------------------------------------
// The two projections

interface TypeCount extends JsonObject {
  type: string;
  count: number;
  firstRecordedAt: string;
  lastRecordedAt: string;
}

/**
 * The baseline: `event_counts` without its exception for `access-*` streams, so it reads and
 * writes for every event; one document per event type.
 */
const typeCountsProjection: ProjectionDefinition<TypeCount> = {
  name: 'bench_type_counts',
  version: 1,
  eventTypes: 'all',
  documentIds: (event) => [event.type],
  apply: (doc, event) => {
    const at = event.recordedAt.toISOString();
    return {
      type: event.type,
      count: (doc?.count ?? 0) + 1,
      firstRecordedAt: doc?.firstRecordedAt ?? at,
      lastRecordedAt: at,
    };
  },
};

type Side = 'anomaly' | 'baseline';

function definition(side: Side, store: SqliteEventStore): ProjectionDefinition<JsonObject> {
  return (side === 'anomaly'
    ? anomalyCountersProjection(new RuleHistory((a, b) => store.comparePositions(a, b)))
    : typeCountsProjection) as unknown as ProjectionDefinition<JsonObject>;
}

interface Build {
  ms: number;
  cpuMs: number;
  documents: number;
  readStoreBytes: number;
  firings: number;
}

/**
 * Builds one projection from scratch into a fresh read store, until it has applied the event
 * at `until`; the timer covers `start()` (collections, catalog) to the last commit.
 */
async function build(
  side: Side,
  store: SqliteEventStore,
  dir: string,
  until: string,
  params: Params,
  check: ((reads: SqliteReadStore, collection: string) => Promise<void>) | null,
): Promise<Build> {
  const file = join(dir, `read-${side}-${randomUUID()}.sqlite`);
  const reads = new SqliteReadStore({ file });
  const runner = new ProjectionRunner(store, reads, [definition(side, store)], {
    batchSize: params.batchSize,
  });
  try {
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await runner.start();
    await runner.waitFor(until, { timeoutMs: params.timeout * 1000 });
    const ms = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    await runner.stop();
    const collection = runner.collectionFor(
      side === 'anomaly' ? 'anomaly_counters' : 'bench_type_counts',
    );
    let documents = 0;
    let firings = 0;
    let cursor: string | undefined;
    do {
      const page = await reads.find(collection, { limit: 1000, cursor });
      documents += page.items.length;
      for (const { doc } of page.items)
        firings += (doc as AnomalyCountersDocument).firings?.length ?? 0;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    if (check) await check(reads, collection);
    return {
      ms,
      cpuMs: (cpu.user + cpu.system) / 1000,
      documents,
      readStoreBytes: sizeOf(file),
      firings,
    };
  } finally {
    await runner.stop();
    await reads.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  }
}

function sizeOf(file: string): number {
  let bytes = 0;
  for (const suffix of ['', '-wal'])
    try {
      bytes += statSync(`${file}${suffix}`).size;
    } catch {
      // no such file
    }
  return bytes;
}

/** The counters must add up to the log: per window, reads and refusals summed over actors. */
function anomalyCheck(shape: LogShape) {
  return async (reads: SqliteReadStore, collection: string) => {
    for (const window of ['PT1M', 'P1D']) {
      let accessed = 0;
      let refused = 0;
      let withoutConsent = 0;
      let cursor: string | undefined;
      do {
        const page = await reads.find(collection, { where: { window }, limit: 1000, cursor });
        for (const { doc } of page.items) {
          const d = doc as AnomalyCountersDocument;
          accessed += d.reads;
          refused += d.refused;
          withoutConsent += d.withoutConsent;
        }
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      if (
        accessed !== shape.accessed ||
        refused !== shape.denied ||
        withoutConsent !== shape.withoutConsent
      )
        throw new BenchFailure(
          `anomaly counters (${window}) hold ${accessed} reads, ${refused} refusals, ` +
            `${withoutConsent} without consent; the log has ${shape.accessed}, ${shape.denied}, ${shape.withoutConsent}`,
        );
    }
  };
}

function baselineCheck(shape: LogShape) {
  return async (reads: SqliteReadStore, collection: string) => {
    const got = await reads.getMany(collection, ['FieldsAccessed', 'AccessDenied']);
    const accessed = (got.get('FieldsAccessed') as TypeCount | undefined)?.count ?? 0;
    const denied = (got.get('AccessDenied') as TypeCount | undefined)?.count ?? 0;
    if (accessed !== shape.accessed || denied !== shape.denied)
      throw new BenchFailure(
        `type counts hold ${accessed} FieldsAccessed and ${denied} AccessDenied; ` +
          `the log has ${shape.accessed} and ${shape.denied}`,
      );
  };
}

/**
 * The projection's own work without a store: every event read into memory first, then
 * `counterDocumentIds` + `countEvent` against a Map (what `apply` costs, without JSON, SQLite
 * or the runner).
 */
async function inMemory(store: SqliteEventStore): Promise<InMemory> {
  const events: RecordedEvent[] = [];
  for (let after: string | undefined; ;) {
    const page = await store.readAll({ after, maxCount: 10_000 });
    events.push(...page);
    if (page.length < 10_000) break;
    after = page[page.length - 1].position;
  }
  const docs = new Map<string, AnomalyCountersDocument>();
  const started = performance.now();
  for (const event of events) {
    for (const id of counterDocumentIds(event))
      docs.set(id, countEvent(docs.get(id) ?? null, event, id, DEFAULT_ANOMALY_RULES));
  }
  const ms = performance.now() - started;
  // The working-hours test alone, once per FieldsAccessed (countEvent makes it once per event).
  const reads = events.filter((e) => e.type === 'FieldsAccessed');
  const hoursStarted = performance.now();
  let outside = 0;
  for (const event of reads)
    if (outsideWorkingHours(new Date(event.data.at as string), DEFAULT_ANOMALY_RULES.workingHours))
      outside++;
  const hoursMs = performance.now() - hoursStarted;
  return {
    ms,
    events: events.length,
    workingHoursUs: (hoursMs * 1000) / Math.max(1, reads.length),
    workingHoursCallsPerEvent: reads.length / events.length,
    outside,
  };
}

interface InMemory {
  ms: number;
  events: number;
  /** µs per `outsideWorkingHours` call. */
  workingHoursUs: number;
  /** Calls per event in `countEvent` (one per FieldsAccessed). */
  workingHoursCallsPerEvent: number;
  outside: number;
}

// ---------------------------------------------------------------------------------------------
// Report

const rate = (events: number, ms: number) => events / (ms / 1000);

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? padEnd(c, widths[i]) : padStart(c, widths[i]))).join(' | ')} |`;
  return [
    line(head),
    `| ${widths.map((w, i) => (i === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`,
    ...rows.map(line),
  ].join('\n');
}

async function main(): Promise<number> {
  const params = parseParams(process.argv.slice(2));
  mkdirSync(params.dir, { recursive: true });
  const machine = machineInfo(params.dir);
  const fsync = fsyncLatency(params.dir);
  console.log('Custodian anomalies bench: anomaly counters projection, events per second');
  console.log(`  source: ${sourceVersion(REPO_ROOT)}`);
  console.log(
    `  node ${machine.node} (V8 ${machine.v8}) on ${machine.platform}\n` +
      `  CPU: ${machine.cpuModel} x ${machine.cpuCount}, ${machine.memoryGiB.toFixed(0)} GiB RAM\n` +
      `  data under ${params.dir}: ${machine.storage}; 4 KiB write+fdatasync p50 ${formatMs(fsync.p50, 2)}`,
  );
  console.log(
    `  log: ${formatInt(params.events)} audit records (${(params.denied * 100).toFixed(0)}% AccessDenied) ` +
      `by ${params.actors} actors on ${formatInt(params.customers)} customers over ${params.hours} h; ` +
      `${params.runs} run(s) per side, fresh read store each, batch ${params.batchSize}; load average ${os.loadavg()[0].toFixed(2)}`,
  );
  console.log('');

  const tmp = mkdtempSync(join(params.dir, 'custodian-bench-anomalies-'));
  registerTempDir(tmp);
  try {
    const file = join(tmp, 'events.sqlite');
    const shape = await writeLog(file, params);
    console.log(
      `log written: ${formatInt(params.events)} events in ${shape.appendSeconds.toFixed(1)} s ` +
        `(${formatInt(params.events / shape.appendSeconds)}/s), ${(shape.bytes / 2 ** 20).toFixed(0)} MiB; ` +
        `${formatInt(shape.accessed)} FieldsAccessed, ${formatInt(shape.denied)} AccessDenied`,
    );
    // Reopened: the store's memory of its newest events is empty, so every run reads the file.
    const store = new SqliteEventStore({ file });
    try {
      // Warm-up (JIT, page cache): both sides over the first tenth of the log, not timed.
      const head = await store.readAll({ maxCount: Math.max(1, Math.floor(params.events / 10)) });
      const warmUntil = head[head.length - 1].position;
      for (const side of ['anomaly', 'baseline'] as const)
        await build(side, store, tmp, warmUntil, params, null);

      const runs: Record<Side, Build[]> = { anomaly: [], baseline: [] };
      const cpuBefore = cpuSample([process.pid]);
      for (let i = 1; i <= params.runs; i++) {
        // Alternate which side goes first, so drift hits both alike.
        const order: Side[] = i % 2 === 1 ? ['anomaly', 'baseline'] : ['baseline', 'anomaly'];
        const line: string[] = [];
        for (const side of order) {
          const result = await build(
            side,
            store,
            tmp,
            shape.lastPosition,
            params,
            side === 'anomaly' ? anomalyCheck(shape) : baselineCheck(shape),
          );
          runs[side].push(result);
          line.push(
            `${side} ${formatInt(rate(params.events, result.ms))} ev/s ` +
              `(${(result.ms / 1000).toFixed(2)} s, CPU ${(result.cpuMs / 1000).toFixed(2)} s, ` +
              `${formatInt(result.documents)} docs, ${(result.readStoreBytes / 2 ** 20).toFixed(0)} MiB` +
              (side === 'anomaly' ? `, ${result.firings} firings)` : ')'),
          );
        }
        console.log(`run ${i}: ${line.join('; ')}`);
      }
      printCpuDuring('the timed builds', cpuUsage(cpuBefore, cpuSample([process.pid])));
      const memory = await inMemory(store);

      const summary = (side: Side) => {
        const rates = runs[side].map((r) => rate(params.events, r.ms));
        return {
          median: median(rates),
          min: Math.min(...rates),
          max: Math.max(...rates),
          cpuUs: median(runs[side].map((r) => (r.cpuMs * 1000) / params.events)),
          wallUs: median(runs[side].map((r) => (r.ms * 1000) / params.events)),
          documents: median(runs[side].map((r) => r.documents)),
          mib: median(runs[side].map((r) => r.readStoreBytes / 2 ** 20)),
        };
      };
      const a = summary('anomaly');
      const b = summary('baseline');
      console.log('');
      console.log(`Median of ${params.runs} run(s), ${formatInt(params.events)} events:`);
      console.log(
        table(
          [
            'projection',
            'ev/s (median)',
            'min..max',
            'wall µs/ev',
            'CPU µs/ev',
            'documents',
            'read store',
          ],
          [
            ['anomaly_counters', a, 'anomaly'] as const,
            ['baseline (count per type)', b, 'baseline'] as const,
          ].map(([name, s]) => [
            name,
            formatInt(s.median),
            `${formatInt(s.min)}..${formatInt(s.max)}`,
            s.wallUs.toFixed(1),
            s.cpuUs.toFixed(1),
            formatInt(s.documents),
            `${s.mib.toFixed(0)} MiB`,
          ]),
        ),
      );
      console.log('');
      console.log(`anomaly / baseline: ${(a.median / b.median).toFixed(2)}`);
      const hoursPerEvent = memory.workingHoursUs * memory.workingHoursCallsPerEvent;
      console.log(
        `countEvent in memory (no store, no runner): ${formatInt(rate(memory.events, memory.ms))} ev/s ` +
          `(${((memory.ms * 1000) / memory.events).toFixed(1)} µs/ev)`,
      );
      console.log(
        `  of which outsideWorkingHours (Intl.DateTimeFormat.formatToParts): ${memory.workingHoursUs.toFixed(2)} µs ` +
          `per call x ${memory.workingHoursCallsPerEvent.toFixed(2)} calls per event = ${hoursPerEvent.toFixed(1)} µs/ev ` +
          `(${((hoursPerEvent / a.wallUs) * 100).toFixed(0)}% of the projection's wall time per event)`,
      );
    } finally {
      await store.close();
    }
    return 0;
  } finally {
    removeTempDir(tmp);
  }
}

runBench(
  'anomalies',
  main,
  'npm run bench:anomalies -- [--quick] [--runs=N] [--events=N] [--actors=N] [--customers=N] ...; ' +
    'see bench/anomalies/README.md',
);
