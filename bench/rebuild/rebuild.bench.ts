/**
 * Rebuilding read models against a raw sequential scan of the same log (issue 22).
 *
 *   npm run bench:rebuild                            # 1,000,000 events, 100,000 customers
 *   npm run bench:rebuild -- --events=100000         # smaller (customers default to events/10)
 *   npm run bench:rebuild -- --runs=5 --dir=/dev/shm --profile
 *
 * 1. The log: built once THROUGH THE DOMAIN by `build-log.ts` in a child process (the real API
 *    application in-process, commands on its CommandBus: registrations, then consent grants and
 *    withdrawals), with its projections live; kept in `<dir>/custodian-rebuild-<events>/` so a
 *    rerun skips building (delete the folder to build again).
 * 2. `--runs` times each, interleaved, in this process (which never loaded the app):
 *    - scan: better-sqlite3 `iterate` over every row with JSON.parse of data and metadata;
 *    - full: every projection built from nothing into a fresh read-store file by the
 *      ProjectionRunner, until all are live;
 *    - single: `customer_views` rebuilt into a new collection of that store and swapped in (what
 *      a role-policy change does), until live.
 *    RSS is sampled every 20 ms during the rebuilds; the peak is reported.
 * 3. Every rebuilt read model is compared with the live one, document for document.
 * Prints events/s, the ratios (full >= 0.3x scan, single >= 0.5x), the RSS peak (< 300 MB), and
 * MET / NOT MET; exits 1 when a target is not met or a read model differs.
 */
import type { JsonObject } from '@custodian/domain';
import { SqliteEventStore, type EventStore } from '@custodian/event-store';
import { anomalyRuleHistory, currentPolicy, projectionDefinitions } from '@custodian/platform';
import {
  activeCollection,
  ProjectionRunner,
  type ProjectionDefinition,
} from '@custodian/projections';
import { SqliteReadStore, type ReadStore } from '@custodian/read-store';
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { buildApi, REPO_ROOT } from '../support/api-server';
import { readOptions } from '../support/options';
import { runBench } from '../support/report';
import { median } from '../support/stats';

const FULL_TARGET = 0.3;
const SINGLE_TARGET = 0.5;
const RSS_LIMIT_MB = 300;
const SINGLE = 'customer_views';

async function main(): Promise<number> {
  const options = readOptions(process.argv.slice(2), [
    'events',
    'customers',
    'runs',
    'dir',
    'no-build',
    'batch',
    'page',
  ]);
  const target = options.int('events', 1_000_000, 20_000, 1000);
  const customers = options.int('customers', Math.round(target / 10), Math.round(target / 10), 1);
  const runs = options.int('runs', 3, 2, 1);
  const batchSize = options.int('batch', 0, 0, 0) || undefined;
  const pageSize = options.int('page', 0, 0, 0) || undefined;
  const base = options.raw('dir') ?? os.tmpdir();
  const cache = join(base, `custodian-rebuild-${target}-${customers}`);
  const dataDir = join(cache, 'data');
  const built = join(cache, 'built.json');
  console.log(
    `rebuild bench: ${target.toLocaleString('en')} events, ${customers.toLocaleString('en')} customers, ${runs} runs, node ${process.version}, ${os.cpus().length} CPU(s) ${os.cpus()[0]?.model ?? ''}`,
  );
  if (!existsSync(built)) {
    if (!options.flag('no-build')) buildApi();
    rmSync(cache, { recursive: true, force: true });
    mkdirSync(cache, { recursive: true });
    console.log(`building the log through the domain into ${dataDir} (cached for reruns) ...`);
    const child = spawnSync(
      process.execPath,
      [
        join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
        join(__dirname, 'build-log.ts'),
        dataDir,
        String(target),
        String(customers),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', cwd: REPO_ROOT },
    );
    if (child.status !== 0) throw new Error(`building the log failed (exit ${child.status})`);
    const summary = child.stdout.trim().split('\n').pop()!;
    writeFileSync(built, summary);
  }
  const summary = JSON.parse(readFileSync(built, 'utf8')) as {
    events: number;
    seconds: number;
  };
  console.log(
    `log: ${summary.events.toLocaleString('en')} events in ${dataDir} (built in ${summary.seconds.toFixed(0)} s through the command bus)`,
  );

  const eventsFile = join(dataDir, 'events.sqlite');
  // What is in the log now (its processors may have appended a few after the builder counted).
  summary.events = countRows(eventsFile);
  const scans: number[] = [];
  const fulls: number[] = [];
  const singles: number[] = [];
  // CPU seconds (user + system) of this process per rebuild: steadier than wall time on a
  // machine shared with other work, which delays the rebuild without it doing more.
  const fullCpus: number[] = [];
  const singleCpus: number[] = [];
  let rssPeak = 0;
  let mismatches: string[] = [];
  for (let run = 1; run <= runs; run++) {
    const scanMs = rawScan(eventsFile, summary.events);
    scans.push(scanMs);
    const store = join(cache, `rebuilt-${run}.sqlite`);
    removeStore(store);
    const events = new SqliteEventStore({ file: eventsFile });
    const reads = new SqliteReadStore({ file: store });
    const sampler = rssSampler();
    try {
      const definitions = projectionDefinitions(
        await currentPolicy(events, { now: () => new Date() }),
        await anomalyRuleHistory(events),
      );
      let cpu = process.cpuUsage();
      const fullMs = await rebuild(events, reads, definitions, batchSize, pageSize);
      fulls.push(fullMs);
      const fullCpu = cpuMs(process.cpuUsage(cpu));
      fullCpus.push(fullCpu);
      const single = definitions.find((d) => d.name === SINGLE)!;
      cpu = process.cpuUsage();
      const singleMs = await rebuild(events, reads, [single], batchSize, pageSize, single);
      singles.push(singleMs);
      const singleCpu = cpuMs(process.cpuUsage(cpu));
      singleCpus.push(singleCpu);
      const peak = sampler.stop();
      rssPeak = Math.max(rssPeak, peak);
      console.log(
        `run ${run}: scan ${rate(summary.events, scanMs)} | full rebuild (${definitions.length} projections) ${rate(summary.events, fullMs)} = ${(scanMs / fullMs).toFixed(2)}x scan | single (${SINGLE}) ${rate(summary.events, singleMs)} = ${(scanMs / singleMs).toFixed(2)}x scan | CPU full ${seconds(fullCpu)}, single ${seconds(singleCpu)} | RSS peak ${mb(peak)}`,
      );
      if (run === runs) mismatches = await compareWithLive(dataDir, reads, definitions);
    } finally {
      sampler.stop();
      await reads.close();
      await events.close();
      if (run < runs) removeStore(store);
    }
  }
  const scan = median(scans);
  const full = median(fulls);
  const single = median(singles);
  const fullRatio = scan / full;
  const singleRatio = scan / single;
  const verdict = (ok: boolean) => (ok ? 'MET' : 'NOT MET');
  console.log('');
  console.log(`medians of ${runs} runs, ${summary.events.toLocaleString('en')} events:`);
  console.log(`  raw scan (JSON.parse of every row)  ${rate(summary.events, scan)}`);
  console.log(
    `  full rebuild, every projection      ${rate(summary.events, full)}  ${fullRatio.toFixed(2)}x scan (target >= ${FULL_TARGET}) ${verdict(fullRatio >= FULL_TARGET)}`,
  );
  console.log(
    `  single rebuild, ${SINGLE}      ${rate(summary.events, single)}  ${singleRatio.toFixed(2)}x scan (target >= ${SINGLE_TARGET}) ${verdict(singleRatio >= SINGLE_TARGET)}`,
  );
  console.log(
    `  CPU time (user + system)            full ${seconds(median(fullCpus))}, single ${seconds(median(singleCpus))}${pageSize ? ` (catch-up page ${pageSize})` : ''}`,
  );
  console.log(
    `  RSS peak during rebuilds            ${mb(rssPeak)} (target < ${RSS_LIMIT_MB} MB) ${verdict(rssPeak < RSS_LIMIT_MB * 1024 * 1024)}`,
  );
  console.log(
    mismatches.length === 0
      ? '  rebuilt read models equal the live ones, document for document: MET'
      : `  rebuilt read models DIFFER from the live ones: NOT MET\n    ${mismatches.slice(0, 10).join('\n    ')}`,
  );
  const ok =
    fullRatio >= FULL_TARGET &&
    singleRatio >= SINGLE_TARGET &&
    rssPeak < RSS_LIMIT_MB * 1024 * 1024 &&
    mismatches.length === 0;
  return ok ? 0 : 1;
}

/** The least any reader of the log does: every row read, its data and metadata parsed. */
function rawScan(file: string, expected: number): number {
  const db = new Database(file, { readonly: true });
  try {
    const started = performance.now();
    let n = 0;
    for (const row of db
      .prepare('SELECT position, stream, type, data, metadata FROM events ORDER BY position')
      .iterate() as IterableIterator<{ data: string; metadata: string }>) {
      JSON.parse(row.data);
      JSON.parse(row.metadata);
      n++;
    }
    const ms = performance.now() - started;
    if (n !== expected) throw new Error(`scanned ${n} events, expected ${expected}`);
    return ms;
  } finally {
    db.close();
  }
}

/**
 * Runs the projections until every one is live; with `replace`, that one is rebuilt into a new
 * collection of the same store and swapped in (the CLI's `projections rebuild`).
 */
async function rebuild(
  events: EventStore,
  reads: ReadStore,
  definitions: readonly ProjectionDefinition<JsonObject>[],
  batchSize: number | undefined,
  catchUpBatchSize: number | undefined,
  replace?: ProjectionDefinition<JsonObject>,
): Promise<number> {
  const runner = new ProjectionRunner(events, reads, definitions, {
    ...(batchSize ? { batchSize } : {}),
    ...(catchUpBatchSize ? { catchUpBatchSize } : {}),
    retiredGraceMs: 0,
  });
  const started = performance.now();
  if (replace) await runner.replace(replace, { rebuild: true });
  await runner.start();
  try {
    for (;;) {
      const status = runner.status();
      const failed = status.find((s) => s.state === 'failed');
      if (failed) throw new Error(`projection ${failed.name} failed: ${failed.error}`);
      if (status.every((s) => s.state === 'live' && s.activeVersion === s.version)) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return performance.now() - started;
  } finally {
    await runner.stop();
  }
}

/** Every document of every projection, rebuilt against live (the builder's read store). */
async function compareWithLive(
  dataDir: string,
  rebuilt: ReadStore,
  definitions: readonly ProjectionDefinition<JsonObject>[],
): Promise<string[]> {
  const live = new SqliteReadStore({ file: join(dataDir, 'read.sqlite') });
  const problems: string[] = [];
  let documents = 0;
  try {
    for (const { name } of definitions) {
      const a = await activeCollection(live, name);
      const b = await activeCollection(rebuilt, name);
      if (!a || !b) {
        problems.push(`${name}: no active collection (live ${a}, rebuilt ${b})`);
        continue;
      }
      let cursorA: string | undefined;
      let cursorB: string | undefined;
      do {
        const [pageA, pageB] = await Promise.all([
          live.find(a, { limit: 1000, cursor: cursorA }),
          rebuilt.find(b, { limit: 1000, cursor: cursorB }),
        ]);
        const n = Math.max(pageA.items.length, pageB.items.length);
        for (let i = 0; i < n; i++) {
          const x = pageA.items[i];
          const y = pageB.items[i];
          documents++;
          if (!x || !y || x.id !== y.id || JSON.stringify(x.doc) !== JSON.stringify(y.doc)) {
            problems.push(
              `${name}: live ${inspect(x, { depth: 3 })} != rebuilt ${inspect(y, { depth: 3 })}`,
            );
            break;
          }
        }
        cursorA = pageA.nextCursor ?? undefined;
        cursorB = pageB.nextCursor ?? undefined;
        if (!cursorA !== !cursorB) problems.push(`${name}: document counts differ`);
      } while (cursorA && cursorB && problems.length === 0);
    }
  } finally {
    await live.close();
  }
  console.log(`compared ${documents.toLocaleString('en')} documents with the live read models`);
  return problems;
}

function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

function rssSampler(): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss());
    },
  };
}

function countRows(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

function removeStore(file: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
}

function rate(events: number, ms: number): string {
  return `${(ms / 1000).toFixed(2)} s (${Math.round(events / (ms / 1000)).toLocaleString('en')} events/s)`;
}

function mb(bytes: number): string {
  return `${Math.round(bytes / 1024 / 1024)} MB`;
}

runBench(
  'rebuild',
  main,
  'npm run bench:rebuild -- [--events=N] [--customers=N] [--runs=N] [--dir=DIR] [--batch=N] [--page=N] [--no-build]',
);
