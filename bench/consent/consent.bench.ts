/**
 * Consent ledger over real HTTP: the built API (`dist/apps/api/src/main.js`) on 127.0.0.1, with
 * the embedded SQLite event and read stores, each run on a fresh data dir.
 *
 *   npm run bench:consent                          # 3 runs x 10 s of grants, 30 gate calls each
 *   npm run bench:consent -- --quick               # smoke run: 1 run x 3 s
 *   npm run bench:consent -- --runs=5 --duration=20 --connections=64
 *   npm run bench:consent -- --profile             # also CPU-profile the server (slower figures)
 *   npm run bench:consent -- --ceiling-seconds=0   # skip the two ceilings (issue 18)
 *
 * Every option can also come from the environment: BENCH_QUICK=1, BENCH_RUNS, BENCH_DURATION,
 * BENCH_WARMUP, BENCH_CONNECTIONS, BENCH_GATE_IDS, BENCH_GATE_GRANTED, BENCH_GATE_REQUESTS,
 * BENCH_GATE_WARMUP, BENCH_DIR, BENCH_PROFILE=1. See bench/consent/README.md.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { consentBody, noticeBody, purposeBody } from '../../test/support/fixtures';
import {
  buildApi,
  registerTempDir,
  removeTempDir,
  startApi,
  startProjector,
  type CustodianChild,
  type ApiServer,
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
import { BenchFailure, call, expectStatus } from '../support/http';
import { checkLoad, runLoad, type LoadResult } from '../support/load';
import {
  catchUpRows,
  describeCatchUp,
  projectionCatchUp,
  windowEnd,
  type CatchUp,
} from '../support/catch-up';
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
import { activatePurpose, newApiKey, registerPurpose, writeActorsFile } from '../support/setup';
import { formatInt, formatMs, median, percentile } from '../support/stats';

// ---------------------------------------------------------------------------------------------
// Parameters

interface Params {
  quick: boolean;
  runs: number;
  /** Seconds of measured grant load per run. */
  duration: number;
  /** Seconds of unmeasured grant load first (JIT, SQLite page cache, connection set-up). */
  warmup: number;
  connections: number;
  gateIds: number;
  /** At most this many of the gate's ids are subjects granted during the run. */
  gateGranted: number;
  gateRequests: number;
  gateWarmup: number;
  dir: string;
  profile: boolean;
  /**
   * Where projections run: `launcher` (the default, as `npm start`: apps/projector forked by the
   * API's launcher), `in-process` (the API's event loop, CUSTODIAN_PROJECTOR=in-process), or
   * `separate` (apps/projector started by the bench, API CUSTODIAN_PROJECTOR=off).
   */
  projector: 'launcher' | 'in-process' | 'separate';
  build: boolean;
  strict: boolean;
  /** Seconds of load on each of the two ceilings (ceilings.ts) before the runs; 0: none. */
  ceilingSeconds: number;
}

/** Issue 18's goals for the consent ledger. */
const GOALS = { grantsRatio: 0.3, grantP99Ms: 25, gateMs: 20 };

const TARGETS = { grantsPerSecond: 3000, grantP99Ms: 30, gateMs: 50 };
const PURPOSE_ID = 'bench-newsletter';

function parseParams(argv: string[]): Params {
  const { quick, raw, flag, num, int } = readOptions(argv, [
    'quick',
    'runs',
    'duration',
    'warmup',
    'connections',
    'gate-ids',
    'gate-granted',
    'gate-requests',
    'gate-warmup',
    'dir',
    'profile',
    'projector',
    'no-build',
    'strict',
    'ceiling-seconds',
  ]);
  const projector = raw('projector') ?? 'launcher';
  if (projector !== 'launcher' && projector !== 'in-process' && projector !== 'separate')
    throw new UsageError('--projector must be "launcher", "in-process" or "separate"');
  const gateIds = int('gate-ids', 10_000, 10_000, 1);
  if (gateIds > 10_000)
    throw new UsageError('--gate-ids: the API takes at most 10,000 ids per call');
  return {
    quick,
    runs: int('runs', 3, 1, 1),
    duration: num('duration', 10, 3, 1),
    warmup: num('warmup', 2, 1, 0),
    connections: int('connections', 64, 64, 1),
    gateIds,
    gateGranted: int('gate-granted', Math.floor(gateIds / 2), Math.floor(gateIds / 2), 0),
    gateRequests: int('gate-requests', 30, 10, 1),
    gateWarmup: int('gate-warmup', 5, 2, 0),
    dir: raw('dir') ?? os.tmpdir(),
    profile: flag('profile'),
    projector,
    build: !flag('no-build'),
    strict: flag('strict'),
    ceilingSeconds: num('ceiling-seconds', 5, 2, 0),
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers

interface Keys {
  admin: string;
  crm: string;
}

/** Registers the purpose, publishes notice v1, activates it (as dpo). */
async function setUpPurpose(server: ApiServer, keys: Keys): Promise<void> {
  await registerPurpose(server, keys.admin, purposeBody(PURPOSE_ID));
  await expectStatus(
    'POST /v1/purposes/:id/notices',
    201,
    call(server, 'POST', `/v1/purposes/${PURPOSE_ID}/notices`, keys.admin, noticeBody('v1')),
  );
  await activatePurpose(server, keys.admin, PURPOSE_ID);
}

// ---------------------------------------------------------------------------------------------
// Step 1: consent grants under load

function grantLoad(
  server: ApiServer,
  key: string,
  seconds: number,
  connections: number,
  granted: string[],
): Promise<LoadResult> {
  return runLoad(server, {
    seconds,
    connections,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(consentBody(PURPOSE_ID)),
    // A fresh subject for every request: every grant starts a new consent stream.
    next: () => ({ path: `/v1/subjects/${randomUUID()}/consents` }),
    isOk: (status, body) => {
      if (status !== 201) return false;
      granted.push((JSON.parse(body) as { subjectId: string }).subjectId);
      return true;
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Step 2: the consent gate

interface TimedResponse {
  status: number;
  ms: number;
  body: Buffer;
}

/** One POST on a kept-alive connection, timed from the first byte sent to the last received. */
function timedPost(
  server: ApiServer,
  agent: Agent,
  path: string,
  key: string,
  payload: Buffer,
): Promise<TimedResponse> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: server.port,
        method: 'POST',
        path,
        agent,
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
          'content-length': payload.length,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            ms: Number(process.hrtime.bigint() - start) / 1e6,
            body: Buffer.concat(chunks),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/**
 * The gate waits for the consent_state projection to apply everything written so far; after a
 * burst of grants it may still be catching up (503 after 2 s). Time until it answers.
 */
async function waitForProjection(
  server: ApiServer,
  agent: Agent,
  key: string,
  anyId: string,
): Promise<{ ms: number; calls: number }> {
  const payload = Buffer.from(JSON.stringify({ purposeId: PURPOSE_ID, subjectIds: [anyId] }));
  const start = Date.now();
  for (let calls = 1; ; calls++) {
    const res = await timedPost(server, agent, '/v1/consent-gate', key, payload);
    if (res.status === 200) return { ms: Date.now() - start, calls };
    if (res.status !== 503 || Date.now() - start > 120_000) {
      throw new BenchFailure(
        `consent gate: ${res.status} while waiting for the projection: ${res.body.toString('utf8').slice(0, 300)}`,
      );
    }
  }
}

interface GateResult {
  /** Every gate call made, warm-up and projection wait included. */
  calls: number;
  ids: number;
  grantedIncluded: number;
  catchUpMs: number;
  timings: number[];
  median: number;
  p99: number;
  max: number;
  requestBytes: number;
  responseBytes: number;
}

async function gateLatency(
  server: ApiServer,
  key: string,
  granted: readonly string[],
  params: Params,
): Promise<GateResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const catchUp = await waitForProjection(server, agent, key, granted[0] ?? randomUUID());
    const included = shuffle([...granted]).slice(0, Math.min(params.gateGranted, params.gateIds));
    const ids = shuffle([
      ...included,
      ...Array.from({ length: params.gateIds - included.length }, () => randomUUID()),
    ]);
    const payload = Buffer.from(JSON.stringify({ purposeId: PURPOSE_ID, subjectIds: ids }));
    const timings: number[] = [];
    let responseBytes = 0;
    for (let i = 0; i < params.gateWarmup + params.gateRequests; i++) {
      const res = await timedPost(server, agent, '/v1/consent-gate', key, payload);
      if (res.status !== 200) {
        throw new BenchFailure(
          `consent gate: ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`,
        );
      }
      if (i === 0) {
        // Correctness once: exactly the granted subjects are allowed.
        const body = JSON.parse(res.body.toString('utf8')) as {
          allowed: string[];
          denied: Array<{ subjectId: string; reason: string }>;
        };
        const expected = new Set(included);
        const wrong = body.allowed.filter((id) => !expected.has(id));
        if (body.allowed.length !== included.length || wrong.length > 0) {
          throw new BenchFailure(
            `consent gate: allowed ${body.allowed.length} subjects, expected the ${included.length} granted ones`,
          );
        }
        if (body.denied.length !== ids.length - included.length) {
          throw new BenchFailure(
            `consent gate: denied ${body.denied.length}, expected ${ids.length - included.length}`,
          );
        }
      }
      responseBytes = res.body.length;
      if (i >= params.gateWarmup) timings.push(res.ms);
    }
    return {
      calls: catchUp.calls + params.gateWarmup + params.gateRequests,
      ids: ids.length,
      grantedIncluded: included.length,
      catchUpMs: catchUp.ms,
      timings,
      median: median(timings),
      p99: percentile(timings, 99),
      max: Math.max(...timings),
      requestBytes: payload.length,
      responseBytes,
    };
  } finally {
    agent.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// One run: fresh data dir, fresh server

interface RunResult {
  warmupGrants: number;
  load: LoadResult;
  gate: GateResult;
  /** How far behind every projection was when the timed grants ended, and catch-up. */
  catchUp: CatchUp;
  /** Server and bench CPU, and other processes', during the measured grants and gate calls. */
  loadCpu: CpuUsage;
  gateCpu: CpuUsage;
  serverPid: number;
  /** The apps/projector process, with --projector=separate or launcher. */
  projectorPid: number | null;
  profiles: string[];
}

async function runOnce(
  index: number,
  params: Params,
  profileDir: string | null,
): Promise<RunResult> {
  const tmp = mkdtempSync(join(params.dir, 'custodian-bench-consent-'));
  registerTempDir(tmp);
  let server: ApiServer | null = null;
  let projector: CustodianChild | null = null;
  try {
    const keys: Keys = { admin: newApiKey(), crm: newApiKey() };
    const actorsFile = writeActorsFile(tmp, [
      { id: 'bench-admin', roles: ['admin', 'dpo'], apiKey: keys.admin },
      { id: 'bench-crm', roles: ['service'], apiKey: keys.crm },
    ]);
    const dataDir = join(tmp, 'data');
    if (params.projector === 'separate') projector = await startProjector({ dataDir, actorsFile });
    server = await startApi({
      dataDir,
      actorsFile,
      profiling: profileDir !== null,
      launcher: params.projector === 'launcher',
      env: params.projector === 'separate' ? { CUSTODIAN_PROJECTOR: 'off' } : {},
    });
    await setUpPurpose(server, keys);

    const granted: string[] = [];
    let warmupGrants = 0;
    if (params.warmup > 0) {
      const warm = await grantLoad(server, keys.crm, params.warmup, params.connections, granted);
      checkLoad('warm-up grants', warm, 'grants recorded');
      warmupGrants = warm.ok;
    }

    const profiles: string[] = [];
    const profileFile = (phase: string) => join(profileDir!, `run${index}-${phase}.cpuprofile`);
    const projectorPid = projector?.pid ?? server.projectorPid;
    const pids = [server.pid, process.pid, ...(projectorPid !== null ? [projectorPid] : [])];
    if (profileDir) await server.startCpuProfile();
    const loadStart = cpuSample(pids);
    const load = await grantLoad(server, keys.crm, params.duration, params.connections, granted);
    const loadCpu = cpuUsage(loadStart, cpuSample(pids));
    const end = windowEnd(dataDir);
    if (profileDir) profiles.push(await server.stopCpuProfile(profileFile('grants')));
    checkLoad('consent grants', load, 'grants recorded');
    const catchUp = await projectionCatchUp(server, dataDir, end);

    if (profileDir) await server.startCpuProfile();
    const gateStart = cpuSample(pids);
    const gate = await gateLatency(server, keys.crm, granted, params);
    const gateCpu = cpuUsage(gateStart, cpuSample(pids));
    if (profileDir) profiles.push(await server.stopCpuProfile(profileFile('gate')));
    return {
      warmupGrants,
      load,
      gate,
      catchUp,
      loadCpu,
      gateCpu,
      serverPid: server.pid,
      projectorPid,
      profiles,
    };
  } catch (error) {
    if (server && error instanceof BenchFailure) {
      const output = server.output();
      if (output) error.message += `\nAPI output (last lines):\n${output}`;
      const projectorOutput = projector?.output();
      if (projectorOutput) error.message += `\nprojector output (last lines):\n${projectorOutput}`;
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

function describeCpu(r: RunResult, usage: CpuUsage): string {
  const server = usage.processes.get(r.serverPid) ?? NaN;
  const projector =
    r.projectorPid === null
      ? ''
      : `, projector ${(usage.processes.get(r.projectorPid) ?? NaN).toFixed(2)}`;
  const bench = usage.processes.get(process.pid) ?? NaN;
  return `CPU (cores): API ${server.toFixed(2)}${projector}, load generator ${bench.toFixed(2)}, other processes ${usage.others.toFixed(2)}${competedNote(usage)}`;
}

/** CPU ms the API (and the projector, if separate) spent per grant recorded. */
function cpuPerGrant(r: RunResult): number {
  const cores =
    (r.loadCpu.processes.get(r.serverPid) ?? NaN) +
    (r.projectorPid === null ? 0 : (r.loadCpu.processes.get(r.projectorPid) ?? NaN));
  return (cores * r.loadCpu.seconds * 1000) / r.load.ok;
}

/** KiB and write calls (SQLite WAL pages, sockets, logs) by the server side per grant. */
function writesPerGrant(r: RunResult): { kib: number; calls: number } {
  const pids = [r.serverPid, ...(r.projectorPid === null ? [] : [r.projectorPid])];
  let bytes = 0;
  let calls = 0;
  for (const pid of pids) {
    const w = r.loadCpu.written.get(pid) ?? { bytes: NaN, calls: NaN };
    bytes += w.bytes;
    calls += w.calls;
  }
  return { kib: bytes / 1024 / r.load.ok, calls: calls / r.load.ok };
}

function describeRun(i: number, r: RunResult): string {
  const { load, gate } = r;
  const writes = writesPerGrant(r);
  return [
    `run ${i}: grants ${formatInt(load.perSecond)}/s over ${load.seconds.toFixed(1)} s ` +
      `(${formatInt(load.ok)} ok, ${load.non2xx} non-2xx, ${load.errors} errors), ` +
      `latency p50 ${formatMs(load.p50)} p99 ${formatMs(load.p99)} max ${formatMs(load.max)}`,
    `       grants ${describeCpu(r, r.loadCpu)}; server CPU per grant${r.projectorPid === null ? '' : ' (API + projector)'} ` +
      `${formatMs(cpuPerGrant(r), 2)}, ` +
      `writes per grant ${writes.kib.toFixed(1)} KiB in ${writes.calls.toFixed(1)} calls`,
    `       gate ${formatInt(gate.ids)} ids (${formatInt(gate.grantedIncluded)} granted, ` +
      `${(gate.requestBytes / 1024).toFixed(0)} KiB in, ${(gate.responseBytes / 1024).toFixed(0)} KiB out): ` +
      `median ${formatMs(gate.median)} p99 ${formatMs(gate.p99)} over ${gate.timings.length} calls; ` +
      `consent gate answered ${formatMs(gate.catchUpMs, 0)} after the projections caught up`,
    `       gate ${describeCpu(r, r.gateCpu)}`,
    `       ${describeCatchUp(r.catchUp)}`,
  ].join('\n');
}

function summaryRows(results: RunResult[]): Row[] {
  const m = (pick: (r: RunResult) => number) => median(results.map(pick));
  const perSecond = m((r) => r.load.perSecond);
  const p50 = m((r) => r.load.p50);
  const p99 = m((r) => r.load.p99);
  const gateMedian = m((r) => r.gate.median);
  const gateP99 = m((r) => r.gate.p99);
  return [
    {
      label: 'consent grants per second',
      value: `${formatInt(perSecond)}/s`,
      aim: `>= ${formatInt(TARGETS.grantsPerSecond)}/s`,
      pass: perSecond >= TARGETS.grantsPerSecond,
    },
    { label: 'grant latency p50', value: formatMs(p50), aim: '', pass: null },
    {
      label: 'grant latency p99',
      value: formatMs(p99),
      aim: `< ${TARGETS.grantP99Ms} ms`,
      pass: p99 < TARGETS.grantP99Ms,
    },
    non2xxRow(results.map((r) => r.load)),
    {
      label: `consent gate, ${formatInt(results[0].gate.ids)} ids: median`,
      value: formatMs(gateMedian),
      aim: `< ${TARGETS.gateMs} ms`,
      pass: gateMedian < TARGETS.gateMs,
    },
    {
      label: `consent gate, ${formatInt(results[0].gate.ids)} ids: p99`,
      value: formatMs(gateP99),
      aim: `< ${TARGETS.gateMs} ms`,
      pass: gateP99 < TARGETS.gateMs,
    },
    {
      label: 'API process CPU during the grants',
      value: `${m((r) => r.loadCpu.processes.get(r.serverPid) ?? NaN).toFixed(2)} cores`,
      aim: '',
      pass: null,
    },
    {
      label: 'server CPU per grant',
      value: formatMs(m(cpuPerGrant), 2),
      aim: '',
      pass: null,
    },
    {
      label: 'server writes per grant (files + sockets)',
      value: `${m((r) => writesPerGrant(r).kib).toFixed(1)} KiB`,
      aim: '',
      pass: null,
    },
    ...catchUpRows(results.map((r) => r.catchUp)),
  ];
}

/** Issue 18's goals: grants against the durable ceiling measured in this run, the gate, non-2xx. */
function printIssue18Goals(results: RunResult[], ceilings: Ceilings): void {
  const m = (pick: (r: RunResult) => number) => median(results.map(pick));
  const gateMedian = m((r) => r.gate.median);
  printGoals('Issue 18 goals (medians of the runs; ceilings from this run):', [
    ...rateGoalRows(ceilings, [
      {
        label: 'consent grants',
        perSecond: m((r) => r.load.perSecond),
        p99: m((r) => r.load.p99),
        ratio: GOALS.grantsRatio,
        p99Ms: GOALS.grantP99Ms,
      },
    ]),
    {
      label: `consent gate, ${formatInt(results[0].gate.ids)} ids: median`,
      value: formatMs(gateMedian),
      aim: `< ${GOALS.gateMs} ms`,
      pass: gateMedian < GOALS.gateMs,
    },
    { ...non2xxRow(results.map((r) => r.load)), label: 'non-2xx responses (all runs)' },
  ]);
}

// ---------------------------------------------------------------------------------------------
// Where the server's time goes, by part of the write path (innermost matching frame wins).

const GRANT_BUCKETS: Bucket[] = [
  { label: '(idle)', match: (f) => f.functionName === '(idle)' },
  { label: '(garbage collector)', match: (f) => f.functionName === '(garbage collector)' },
  {
    label: 'async_hooks / AsyncLocalStorage (promise hooks)',
    match: inFile('node:internal/async_hooks', 'node:async_hooks', 'async_local_storage'),
  },
  {
    label: 'event store: group commit (flush: savepoints, inserts, COMMIT + fsync)',
    match: (f) =>
      inFunction('flush', 'sqlite-event-store')(f) || inFunction('flush', 'group-commit')(f),
  },
  {
    label: 'event store: readStream (SQLite query + JSON.parse of rows)',
    match: inFunction('readStream', 'sqlite-event-store'),
  },
  { label: 'event store: append validation (JSON checks)', match: inFile('append-validation') },
  {
    label: 'projections: one log subscription each + read-store commits',
    match: inProjections,
  },
  {
    label: 'command: executor, decide/evolve, purposes.current fold',
    match: inFile('command-executor', '/domain/src/', 'purposes.service', 'consents.service'),
  },
  {
    label: 'request validation (ValidationPipe, class-transformer, class-validator)',
    match: inFile('class-transformer', 'class-validator', 'validation.pipe'),
  },
  { label: 'auth guard (SHA-256 of the API key, policy)', match: inFile('actor.guard', '/auth/') },
  { label: 'logging (pino, pino-http, nestjs-pino)', match: inFile('/pino') },
];

const GATE_BUCKETS: Bucket[] = [
  { label: '(idle)', match: (f) => f.functionName === '(idle)' },
  { label: '(garbage collector)', match: (f) => f.functionName === '(garbage collector)' },
  {
    label: 'read store getMany (SQLite IN (...) chunks + JSON.parse of docs)',
    match: inFunction('getMany', 'sqlite-read-store'),
  },
  {
    label: 'gate: per-id loop (isUuid, Set, effectiveStatus)',
    match: inFile('consents.service', '/domain/src/', 'params.js'),
  },
  {
    label: 'response: JSON.stringify + socket write',
    match: inFile('fastify/lib/reply', 'fast-json-stringify', 'node:_http_outgoing', 'node:net'),
  },
  {
    label: 'request: body parse (JSON) + validation',
    match: inFile(
      'secure-json-parse',
      'content-type-parser',
      'class-transformer',
      'class-validator',
      'validation.pipe',
    ),
  },
];

function printProfiles(results: RunResult[]): void {
  printProfileFiles(results.flatMap((r) => r.profiles));
  const [grants, gate] = results[0].profiles.map(readProfile);
  const ok = results[0].load.ok;
  console.log('');
  console.log(
    formatBuckets(
      bucketize(grants, GRANT_BUCKETS, 'HTTP, Fastify, Nest routing, other'),
      `server time by part, grants (run 1, ${formatInt(ok)} grants):`,
      { count: ok, unit: 'grant' },
    ),
  );
  console.log('');
  console.log(formatProfileSummary(summarizeProfile(grants, 20), 'server, grants (run 1)'));
  const calls = results[0].gate.calls;
  console.log('');
  console.log(
    formatBuckets(
      bucketize(gate, GATE_BUCKETS, 'HTTP, Fastify, Nest, other'),
      `server time by part, gate (run 1, ${calls} calls incl. warm-up and catch-up wait):`,
      { count: calls, unit: 'call' },
    ),
  );
  console.log('');
  console.log(formatProfileSummary(summarizeProfile(gate, 20), 'server, gate (run 1)'));
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const params = parseParams(process.argv.slice(2));
  mkdirSync(params.dir, { recursive: true });
  if (params.build) buildApi();

  printHeader(
    'Custodian consent bench (HTTP, embedded SQLite stores)',
    params.dir,
    `  ${params.runs} run(s)${params.quick ? ' (quick)' : ''}; each: ${params.warmup} s warm-up + ` +
      `${params.duration} s of grants on ${params.connections} connections, then ` +
      `${params.gateWarmup} + ${params.gateRequests} sequential gate calls with ` +
      `${formatInt(params.gateIds)} ids` +
      (params.projector === 'separate'
        ? '; projections in a separate apps/projector process (API: CUSTODIAN_PROJECTOR=off)'
        : params.projector === 'launcher'
          ? '; started as `npm start` does: API + apps/projector forked beside it (server CPU = both)'
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
    ? mkdtempSync(join(os.tmpdir(), 'custodian-bench-consent-profiles-'))
    : null;
  const results: RunResult[] = [];
  for (let i = 1; i <= params.runs; i++) {
    const result = await runOnce(i, params, profileDir);
    results.push(result);
    console.log(describeRun(i, result));
  }

  const disturbed = results.filter(
    (r) => r.loadCpu.others > OTHERS_WARNING || r.gateCpu.others > OTHERS_WARNING,
  ).length;
  const missed = printSummary(summaryRows(results), results.length, disturbed, 12);
  console.log('');
  console.log(missed.length === 0 ? 'All targets met.' : `TARGETS NOT MET: ${missed.join('; ')}`);
  if (ceilings) printIssue18Goals(results, ceilings);

  if (profileDir) printProfiles(results);
  return missed.length > 0 && params.strict ? 1 : 0;
}

runBench(
  'consent',
  main,
  'npm run bench:consent -- [--quick] [--runs=N] [--duration=S] ...; see bench/consent/README.md',
);
