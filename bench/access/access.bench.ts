/**
 * bench/access: audited reads per second over HTTP. The built API (`dist/apps/api/src/main.js`)
 * runs on 127.0.0.1 with the embedded SQLite stores and a fresh data dir for each run. The bench
 * registers N customers, then reads `GET /v1/subjects/{id}/view?purpose=crm-care` as a sales
 * actor from 64 connections, each request for a random one of the N customers. The server
 * appends a `FieldsAccessed` event before it answers each read, so this measures the audited
 * read path.
 *
 *   npm run bench:access                         # 3 runs: 2,000 customers, 2 s warm-up + 10 s
 *   npm run bench:access -- --quick              # 1 short run with 300 customers
 *   npm run bench:access -- --runs=5 --duration=20 --customers=10000
 *   npm run bench:access -- --profile            # also CPU-profile the server (slower figures)
 *   npm run bench:access -- --ceiling-seconds=0  # skip the two ceilings (issue 18)
 *
 * Options can also come from the environment (BENCH_QUICK=1, BENCH_RUNS, BENCH_DURATION, ...).
 * Only 127.0.0.1 is used. The bench is bounded in time and stops by itself. Its temp dirs and
 * the API child are removed when it ends, also on failure or Ctrl-C. See bench/access/README.md.
 */
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { consentBody } from '../../test/support/fixtures';
import {
  buildApi,
  registerTempDir,
  removeTempDir,
  startApi,
  startProjector,
  type ApiServer,
  type CustodianChild,
} from '../support/api-server';
import {
  bucketize,
  formatBuckets,
  formatProfileSummary,
  inFile,
  inFunction,
  inProjections,
  readProfile,
  summarizeProfile,
  type Bucket,
} from '../support/cpu-profile';
import {
  catchUpRows,
  describeCatchUp,
  projectionCatchUp,
  windowEnd,
  type CatchUp,
} from '../support/catch-up';
import { BenchFailure, call, expectStatus } from '../support/http';
import { checkLoad, runLoad, type LoadResult } from '../support/load';
import {
  describeCeilings,
  measureCeilings,
  printGoals,
  rateGoalRows,
  type Ceilings,
} from '../support/ceilings';
import { cpuSample, cpuUsage, type CpuUsage } from '../support/machine';
import { readOptions, UsageError } from '../support/options';
import {
  competedNote,
  non2xxRow,
  OTHERS_WARNING,
  printHeader,
  printProfileFiles,
  printSummary,
  runBench,
  type Row,
} from '../support/report';
import {
  activatePurpose,
  alertOnlyAnomalyRules,
  newApiKey,
  registerPurpose,
  settleProjections,
  writeActorsFile,
} from '../support/setup';
import { formatInt, formatMs, median } from '../support/stats';

// ---------------------------------------------------------------------------------------------
// Parameters

interface Params {
  quick: boolean;
  runs: number;
  /** Seconds of measured reads per run. */
  duration: number;
  /** Seconds of reads first that are not counted (JIT, page cache, connection set-up). */
  warmup: number;
  connections: number;
  customers: number;
  /** Registrations in flight at once while setting up. */
  registerConcurrency: number;
  dir: string;
  profile: boolean;
  build: boolean;
  strict: boolean;
  /**
   * `launcher` (the default, as `npm start`: apps/projector forked by the API's launcher),
   * `in-process` (CUSTODIAN_PROJECTOR=in-process), or `separate` (the API with
   * CUSTODIAN_PROJECTOR=off beside an `apps/projector` the bench starts).
   */
  projector: 'launcher' | 'in-process' | 'separate';
  /** Seconds of load on each of the two ceilings (ceilings.ts) before the runs; 0: none. */
  ceilingSeconds: number;
}

/** Issue 18's goals for audited views and registrations (ratios to the durable ceiling). */
const GOALS = { viewsRatio: 0.3, viewP99Ms: 25, registrationsRatio: 0.15 };

/** The aim from the issue. */
const AIM = { readsPerSecond: 3000, p99Ms: 30 };
const PURPOSE_ID = 'crm-care';
const FIELDS = ['name', 'email', 'phone', 'birthDate', 'address'];

function parseParams(argv: string[]): Params {
  const { quick, raw, flag, num, int } = readOptions(
    argv,
    [
      'quick',
      'runs',
      'duration',
      'warmup',
      'connections',
      'customers',
      'register-concurrency',
      'dir',
      'profile',
      'no-build',
      'strict',
      'projector',
      'ceiling-seconds',
    ],
    { seconds: 'duration' },
  );
  const projector = raw('projector') ?? 'launcher';
  if (projector !== 'launcher' && projector !== 'in-process' && projector !== 'separate')
    throw new UsageError('--projector must be "launcher", "in-process" or "separate"');
  const params: Params = {
    quick,
    runs: int('runs', 3, 1, 1),
    duration: num('duration', 10, 3, 1),
    warmup: num('warmup', 2, 1, 0),
    connections: int('connections', 64, 64, 1),
    customers: int('customers', 2000, 300, 1),
    registerConcurrency: int('register-concurrency', 32, 32, 1),
    dir: raw('dir') ?? os.tmpdir(),
    profile: flag('profile'),
    build: !flag('no-build'),
    strict: flag('strict'),
    projector,
    ceilingSeconds: num('ceiling-seconds', 5, 2, 0),
  };
  // Bounded in time: an accidental --duration=36000 would keep two cores busy for hours.
  if (params.duration > 600 || params.warmup > 60)
    throw new UsageError('--duration is at most 600 s and --warmup at most 60 s');
  if (params.customers > 200_000) throw new UsageError('--customers is at most 200,000');
  if (params.connections > 1024) throw new UsageError('--connections is at most 1,024');
  return params;
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers

interface Keys {
  admin: string;
  sales: string;
}

/** Registers `crm-care` (contract; sales and service may declare it) and activates it as dpo. */
async function setUpPurpose(server: ApiServer, keys: Keys): Promise<void> {
  await registerPurpose(server, keys.admin, {
    purposeId: PURPOSE_ID,
    title: 'Customer care',
    description: 'Serving customers under their contract: calls, orders, deliveries',
    legalBasis: 'contract',
    dataCategories: ['contact', 'identity', 'location'],
    retention: 'P2Y',
    recipients: [],
    allowedRoles: ['sales', 'service'],
    flags: { marketing: false, profiling: false, saleOrShare: false, aiProcessing: false },
    assessment: {
      necessity: 'To serve the customer under their contract',
      minimumFields: FIELDS,
      retentionJustification: 'Two years after the relationship ends',
      access: 'Sales and service staff',
      thirdParties: 'none',
      withdrawal: 'Ending the contract',
      mainRisk: 'Exposure of contact details; encrypted per customer',
    },
  });
  await activatePurpose(server, keys.admin, PURPOSE_ID);
  // One salesperson reading thousands of customers a second would be suspended by the default
  // rules; they stay in force as alerts, so the anomaly counters cost what they cost.
  await alertOnlyAnomalyRules(server, keys.admin);
}

function profile(n: number): Record<string, string> {
  const day = 1 + (n % 28);
  const month = 1 + (n % 12);
  return {
    name: `Customer Number${n}`,
    email: `customer${n}.${randomBytes(3).toString('hex')}@example.com`,
    phone: `+49 151 ${String(10_000_000 + n).slice(-8)}`,
    birthDate: `${1950 + (n % 50)}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`,
    address: `${1 + (n % 200)} Bench Street, ${10_000 + (n % 80_000)} Teststadt, Germany`,
  };
}

/** Registers the customers with at most `concurrency` requests in flight; returns their ids. */
async function registerCustomers(
  server: ApiServer,
  keys: Keys,
  count: number,
  concurrency: number,
): Promise<{ ids: string[]; phones: string[]; seconds: number }> {
  const ids: string[] = new Array<string>(count);
  const phones: string[] = new Array<string>(count);
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    for (let n = next++; n < count; n = next++) {
      const p = profile(n);
      const body = (await expectStatus(
        'POST /v1/subjects',
        201,
        call(server, 'POST', '/v1/subjects', keys.admin, { profile: p, source: 'bench' }),
      )) as { subjectId: string };
      ids[n] = body.subjectId;
      phones[n] = p.phone;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { ids, phones, seconds: (performance.now() - started) / 1000 };
}

const viewPath = (subjectId: string) => `/v1/subjects/${subjectId}/view?purpose=${PURPOSE_ID}`;

/** One read checked by content: sales sees the phone in full, birth date and address hidden. */
async function checkOneRead(
  server: ApiServer,
  keys: Keys,
  subjectId: string,
  phone: string,
): Promise<void> {
  const body = (await expectStatus(
    `GET ${viewPath(subjectId)} as sales`,
    200,
    call(server, 'GET', viewPath(subjectId), keys.sales),
  )) as {
    subjectId?: string;
    purposeId?: string;
    role?: string;
    fields?: Record<string, string>;
    masks?: Record<string, string>;
  };
  const problems: string[] = [];
  if (body.subjectId !== subjectId) problems.push('subjectId differs');
  if (body.purposeId !== PURPOSE_ID) problems.push('purposeId differs');
  if (body.role !== 'sales') problems.push(`role is ${String(body.role)}`);
  if (body.fields?.phone !== phone) problems.push('phone is not shown in full');
  if (body.masks?.birthDate !== 'hidden' || body.fields?.birthDate !== undefined)
    problems.push('birthDate is not hidden');
  if (body.masks?.address !== 'hidden' || body.fields?.address !== undefined)
    problems.push('address is not hidden');
  if (Object.keys(body.masks ?? {}).length !== FIELDS.length)
    problems.push(`masks for ${Object.keys(body.masks ?? {}).length} fields, not ${FIELDS.length}`);
  if (problems.length > 0)
    throw new BenchFailure(`the view answered unexpectedly (${problems.join('; ')})`);
}

// ---------------------------------------------------------------------------------------------
// The load: random customers' views, as sales

function readLoad(
  server: ApiServer,
  key: string,
  ids: readonly string[],
  seconds: number,
  connections: number,
): Promise<LoadResult> {
  return runLoad(server, {
    seconds,
    connections,
    method: 'GET',
    headers: { authorization: `Bearer ${key}` },
    next: () => ({ path: viewPath(ids[Math.floor(Math.random() * ids.length)]) }),
    isOk: (status) => status >= 200 && status < 300,
  });
}

/**
 * FieldsAccessed events by the sales actor in the event log, counted on a read-only connection
 * of the bench's own: every 2xx read must have one (the server appends it before answering).
 */
function countAuditEvents(dataDir: string): number {
  const db = new Database(join(dataDir, 'events.sqlite'), { readonly: true, fileMustExist: true });
  try {
    const row = db
      .prepare(
        `SELECT count(*) AS n FROM events
          WHERE type = 'FieldsAccessed' AND stream LIKE 'access-%'
            AND json_extract(data, '$.actorId') = 'bench-sales'
            AND json_extract(data, '$.via') = 'view'`,
      )
      .get() as { n: number };
    return row.n;
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------------------------------------
// One run: fresh data dir, fresh server

interface RunResult {
  registerSeconds: number;
  settleMs: number;
  warmup: LoadResult | null;
  load: LoadResult;
  cpu: CpuUsage;
  /** How far behind the projections were when the measured reads ended, and their catch-up. */
  catchUp: CatchUp;
  serverPid: number;
  /** The apps/projector process, with --projector=separate or launcher. */
  projectorPid: number | null;
  /** FieldsAccessed events found afterwards, and the 2xx reads they should cover. */
  audited: number;
  reads2xx: number;
  profile: string | null;
}

async function runOnce(index: number, params: Params, profileDir: string | null) {
  const tmp = mkdtempSync(join(params.dir, 'custodian-bench-access-'));
  registerTempDir(tmp);
  let server: ApiServer | null = null;
  let projector: CustodianChild | null = null;
  try {
    const keys: Keys = { admin: newApiKey(), sales: newApiKey() };
    const actorsFile = writeActorsFile(tmp, [
      { id: 'bench-admin', roles: ['admin', 'dpo'], apiKey: keys.admin },
      { id: 'bench-sales', roles: ['sales'], apiKey: keys.sales },
    ]);
    const dataDir = join(tmp, 'data');
    const separate = params.projector === 'separate';
    if (separate)
      projector = await startProjector({
        dataDir,
        actorsFile,
        env: { CUSTODIAN_RETENTION_SWEEP_MS: '0' },
      });
    server = await startApi({
      dataDir,
      actorsFile,
      profiling: profileDir !== null,
      launcher: params.projector === 'launcher',
      env: {
        CUSTODIAN_RETENTION_SWEEP_MS: '0',
        ...(separate ? { CUSTODIAN_PROJECTOR: 'off' } : {}),
      },
    });
    await setUpPurpose(server, keys);
    const customers = await registerCustomers(
      server,
      keys,
      params.customers,
      params.registerConcurrency,
    );
    const settleMs = await settleProjections(server);
    await checkOneRead(server, keys, customers.ids[0], customers.phones[0]);
    let reads2xx = 1;

    let warmup: LoadResult | null = null;
    if (params.warmup > 0) {
      warmup = await readLoad(server, keys.sales, customers.ids, params.warmup, params.connections);
      checkLoad('warm-up reads', warmup, 'reads answered 2xx');
      reads2xx += warmup.ok;
    }

    const projectorPid = projector?.pid ?? server.projectorPid;
    const pids = [server.pid, process.pid, ...(projectorPid !== null ? [projectorPid] : [])];
    if (profileDir) await server.startCpuProfile();
    const before = cpuSample(pids);
    const load = await readLoad(
      server,
      keys.sales,
      customers.ids,
      params.duration,
      params.connections,
    );
    const cpu = cpuUsage(before, cpuSample(pids));
    const end = windowEnd(dataDir);
    const profile = profileDir
      ? await server.stopCpuProfile(join(profileDir, `run${index}-reads.cpuprofile`))
      : null;
    checkLoad('audited reads', load, 'reads answered 2xx');
    reads2xx += load.ok;
    const catchUp = await projectionCatchUp(server, dataDir, end);

    const audited = countAuditEvents(dataDir);
    if (audited < reads2xx) {
      throw new BenchFailure(
        `only ${formatInt(audited)} FieldsAccessed events for ${formatInt(reads2xx)} reads answered 2xx`,
      );
    }
    const result: RunResult = {
      registerSeconds: customers.seconds,
      settleMs,
      warmup,
      load,
      cpu,
      catchUp,
      serverPid: server.pid,
      projectorPid,
      audited,
      reads2xx,
      profile,
    };
    return result;
  } catch (error) {
    if (server && error instanceof BenchFailure) {
      const output = server.output();
      if (output) error.message += `\nAPI output (last lines):\n${output}`;
    }
    throw error;
  } finally {
    await server?.stop();
    await projector?.stop();
    removeTempDir(tmp);
  }
}

// ---------------------------------------------------------------------------------------------
// Report

/** CPU ms the API process spent per read answered. */
const cpuPerRead = (r: RunResult) =>
  ((r.cpu.processes.get(r.serverPid) ?? NaN) * r.cpu.seconds * 1000) / r.load.ok;

/** CPU ms the API and the projector process (when separate) spent together per read answered. */
const serverCpuPerRead = (r: RunResult) =>
  (((r.cpu.processes.get(r.serverPid) ?? NaN) +
    (r.projectorPid === null ? 0 : (r.cpu.processes.get(r.projectorPid) ?? NaN))) *
    r.cpu.seconds *
    1000) /
  r.load.ok;

/** KiB and write calls (SQLite WAL, sockets, logs) by the API per read. */
function writesPerRead(r: RunResult): { kib: number; calls: number } {
  const w = r.cpu.written.get(r.serverPid) ?? { bytes: NaN, calls: NaN };
  return { kib: w.bytes / 1024 / r.load.ok, calls: w.calls / r.load.ok };
}

function describeRun(i: number, r: RunResult, params: Params): string {
  const { load, cpu } = r;
  const server = cpu.processes.get(r.serverPid) ?? NaN;
  const bench = cpu.processes.get(process.pid) ?? NaN;
  const writes = writesPerRead(r);
  return [
    `run ${i}: ${formatInt(load.perSecond)} reads/s over ${load.seconds.toFixed(1)} s ` +
      `(${formatInt(load.ok)} ok, ${load.non2xx} non-2xx, ${load.errors} errors), ` +
      `latency p50 ${formatMs(load.p50)} p99 ${formatMs(load.p99)} max ${formatMs(load.max)}`,
    `       set-up: ${formatInt(params.customers)} customers registered in ` +
      `${r.registerSeconds.toFixed(1)} s (${formatInt(params.customers / r.registerSeconds)}/s), ` +
      `projections settled ${formatMs(r.settleMs, 0)} later; warm-up ` +
      (r.warmup ? `${formatInt(r.warmup.perSecond)} reads/s` : 'none'),
    `       CPU (cores): API ${server.toFixed(2)}` +
      (r.projectorPid === null
        ? ''
        : `, projector ${(cpu.processes.get(r.projectorPid) ?? NaN).toFixed(2)}`) +
      `, load generator ${bench.toFixed(2)}, ` +
      `other processes ${cpu.others.toFixed(2)}${competedNote(cpu)}`,
    `       API CPU per read ${formatMs(cpuPerRead(r), 3)}` +
      (r.projectorPid === null
        ? ''
        : `, server CPU per read (API + projector) ${formatMs(serverCpuPerRead(r), 3)}`) +
      `; API writes per read ` +
      `${writes.kib.toFixed(2)} KiB in ${writes.calls.toFixed(2)} calls; audit events ` +
      `${formatInt(r.audited)} for ${formatInt(r.reads2xx)} reads answered 2xx`,
    `       ${describeCatchUp(r.catchUp)}`,
  ].join('\n');
}

function summaryRows(results: RunResult[]): Row[] {
  const m = (pick: (r: RunResult) => number) => median(results.map(pick));
  const perSecond = m((r) => r.load.perSecond);
  const p99 = m((r) => r.load.p99);
  return [
    {
      label: 'audited reads per second',
      value: `${formatInt(perSecond)}/s`,
      aim: `>= ${formatInt(AIM.readsPerSecond)}/s`,
      pass: perSecond >= AIM.readsPerSecond,
    },
    { label: 'read latency p50', value: formatMs(m((r) => r.load.p50)), aim: '', pass: null },
    {
      label: 'read latency p99',
      value: formatMs(p99),
      aim: `< ${AIM.p99Ms} ms`,
      pass: p99 < AIM.p99Ms,
    },
    non2xxRow(results.map((r) => r.load)),
    {
      label: 'API process CPU during the reads',
      value: `${m((r) => r.cpu.processes.get(r.serverPid) ?? NaN).toFixed(2)} cores`,
      aim: '',
      pass: null,
    },
    {
      label: 'load generator CPU during the reads',
      value: `${m((r) => r.cpu.processes.get(process.pid) ?? NaN).toFixed(2)} cores`,
      aim: '',
      pass: null,
    },
    { label: 'API CPU per read', value: formatMs(m(cpuPerRead), 3), aim: '', pass: null },
    {
      label: 'server CPU per read (API + projector)',
      value: formatMs(m(serverCpuPerRead), 3),
      aim: '',
      pass: null,
    },
    {
      label: 'API writes per read (files + sockets)',
      value: `${m((r) => writesPerRead(r).kib).toFixed(2)} KiB`,
      aim: '',
      pass: null,
    },
    ...catchUpRows(results.map((r) => r.catchUp)),
  ];
}

// ---------------------------------------------------------------------------------------------
// Where the server's time goes, by part of the read path (innermost matching frame wins).

const READ_BUCKETS: Bucket[] = [
  { label: '(idle)', match: (f) => f.functionName === '(idle)' },
  { label: '(garbage collector)', match: (f) => f.functionName === '(garbage collector)' },
  {
    label: 'async_hooks / AsyncLocalStorage (promise hooks)',
    match: inFile('node:internal/async_hooks', 'node:async_hooks', 'async_local_storage'),
  },
  {
    label: 'audit append: group commit (flush: inserts, COMMIT + fsync)',
    match: (f) =>
      inFunction('flush', 'sqlite-event-store')(f) || inFunction('flush', 'group-commit')(f),
  },
  { label: 'audit append: validation (JSON checks)', match: inFile('append-validation') },
  {
    label: 'event store: readStream (SQLite query + JSON.parse of rows)',
    match: inFunction('readStream', 'sqlite-event-store'),
  },
  {
    label: 'read store: get (the customer_views card, SQLite + JSON.parse)',
    match: inFunction('get', 'sqlite-read-store'),
  },
  {
    label: 'projections: log subscriptions + read-store commits',
    match: inProjections,
  },
  {
    label: 'decrypt: field vault, data key store, AES-GCM',
    match: inFile('/vault/', '/crypto/src/', 'node:internal/crypto'),
  },
  {
    label: 'access service: folds, purposes, policy, masks',
    match: inFile('access.service', 'purposes.service', '/domain/src/', '/policy/src/'),
  },
  { label: 'auth guard (SHA-256 of the API key, policy)', match: inFile('actor.guard', '/auth/') },
  { label: 'logging (pino, pino-http, nestjs-pino)', match: inFile('/pino') },
  {
    label: 'response: serialisation + socket write',
    match: inFile('fastify/lib/reply', 'fast-json-stringify', 'node:_http_outgoing', 'node:net'),
  },
];

function printProfiles(results: RunResult[]): void {
  printProfileFiles(results.flatMap((r) => (r.profile ? [r.profile] : [])));
  const first = results[0];
  if (!first.profile) return;
  const profile = readProfile(first.profile);
  console.log('');
  console.log(
    formatBuckets(
      bucketize(profile, READ_BUCKETS, 'HTTP, Fastify, Nest routing, other'),
      `API time by part of the read path (run 1, ${formatInt(first.load.ok)} reads):`,
      { count: first.load.ok, unit: 'read' },
    ),
  );
  console.log('');
  console.log(formatProfileSummary(summarizeProfile(profile, 20), 'API, audited reads (run 1)'));
}

/** Issue 18's goals: views against the durable ceiling measured in this run, audit, non-2xx. */
function printIssue18Goals(results: RunResult[], ceilings: Ceilings, params: Params): void {
  const m = (pick: (r: RunResult) => number) => median(results.map(pick));
  const registrations = m((r) => params.customers / r.registerSeconds);
  printGoals('Issue 18 goals (medians of the runs; ceilings from this run):', [
    ...rateGoalRows(ceilings, [
      {
        label: 'audited views',
        perSecond: m((r) => r.load.perSecond),
        p99: m((r) => r.load.p99),
        ratio: GOALS.viewsRatio,
        p99Ms: GOALS.viewP99Ms,
      },
    ]),
    {
      // Reads still in flight when the load generator stops are audited but not counted as
      // answered, so there may be a few more records than counted answers, never fewer.
      label: 'an audit record for every read answered (all runs)',
      value: `${formatInt(results.reduce((n, r) => n + r.audited, 0))}`,
      aim: `>= ${formatInt(results.reduce((n, r) => n + r.reads2xx, 0))} reads answered 2xx`,
      pass: results.every((r) => r.audited >= r.reads2xx),
    },
    non2xxRow(results.map((r) => r.load)),
    {
      // Set-up registrations run with --register-concurrency in flight, not the load's
      // connections: a figure, not a verdict.
      label: `registrations (set-up, ${params.registerConcurrency} in flight): rate / durable`,
      value: `${(registrations / ceilings.durable.load.perSecond).toFixed(2)}x`,
      aim: `goal >= ${GOALS.registrationsRatio.toFixed(2)}x at ${params.connections} connections (${formatInt(registrations)}/s)`,
      pass: null,
    },
  ]);
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const params = parseParams(process.argv.slice(2));
  mkdirSync(params.dir, { recursive: true });
  if (params.build) buildApi();

  printHeader(
    'Custodian access bench: audited reads over HTTP (embedded SQLite stores)',
    params.dir,
    `  ${params.runs} run(s)${params.quick ? ' (quick)' : ''}; each: fresh data dir, ` +
      `${formatInt(params.customers)} customers registered (${params.registerConcurrency} in flight), ` +
      `then GET /v1/subjects/{random id}/view?purpose=${PURPOSE_ID} as sales on ` +
      `${params.connections} connections: ${params.warmup} s warm-up + ${params.duration} s measured` +
      (params.projector === 'separate'
        ? '; projections in a separate apps/projector process (API: CUSTODIAN_PROJECTOR=off)'
        : params.projector === 'launcher'
          ? '; started as `npm start` does: API + apps/projector forked beside it'
          : '; projections in the API process (CUSTODIAN_PROJECTOR=in-process)') +
      (params.profile ? '; CPU profiling ON (figures are slower than unprofiled)' : ''),
  );

  let ceilings: Ceilings | null = null;
  if (params.ceilingSeconds > 0) {
    ceilings = await measureCeilings({
      seconds: params.ceilingSeconds,
      warmup: Math.min(1, params.warmup),
      connections: params.connections,
      body: JSON.stringify(consentBody(PURPOSE_ID)),
      dir: params.dir,
    });
    console.log(describeCeilings(ceilings));
    console.log('');
  }

  const profileDir = params.profile
    ? mkdtempSync(join(os.tmpdir(), 'custodian-bench-access-profiles-'))
    : null;
  const results: RunResult[] = [];
  for (let i = 1; i <= params.runs; i++) {
    const result = await runOnce(i, params, profileDir);
    results.push(result);
    console.log(describeRun(i, result, params));
  }

  const disturbed = results.filter((r) => r.cpu.others > OTHERS_WARNING).length;
  const missed = printSummary(summaryRows(results), results.length, disturbed, 10);
  console.log('');
  console.log(
    missed.length === 0
      ? `Aim met: >= ${formatInt(AIM.readsPerSecond)} reads/s with p99 < ${AIM.p99Ms} ms.`
      : `AIM NOT MET: ${missed.join('; ')}`,
  );
  if (ceilings) printIssue18Goals(results, ceilings, params);

  if (profileDir) printProfiles(results);
  return missed.length > 0 && params.strict ? 1 : 0;
}

runBench(
  'access',
  main,
  'npm run bench:access -- [--quick] [--runs=N] [--duration=S] [--customers=N] ...; ' +
    'see bench/access/README.md',
);
