/**
 * bench/exports: an export of 100,000 customers. The real API (the build in `dist/`, Nest +
 * Fastify, embedded SQLite stores, projector in-process) is booted inside this process on a
 * fresh temp data dir and 127.0.0.1, so the bench can watch the memory of the very process that
 * generates the file. The customers are registered once through the API's own
 * `RegisterSubjectCommand` (encrypted profiles with name, email, phone, birth date and address,
 * exactly as `POST /v1/subjects` stores them), then each run times:
 *
 *   a. `POST /v1/exports` by support-1 (name, email, phone) -> 202 awaiting_approval, approved by
 *      dpo-1, polled until `completed`: time from approval to completed, rows/s, and the peak
 *      RSS / heapUsed of the process while the file is generated;
 *   b. the NDJSON download by support-1: time, size, SHA-256 checked against `x-content-sha256`
 *      and the size against Content-Length;
 *   c. a sandbox export (mode "sandbox", by service-1, no approval needed).
 *
 *   npm run bench:exports                          # 100,000 customers, 3 runs (~8 minutes)
 *   npm run bench:exports -- --quick               # 2,000 customers, 1 run
 *   npm run bench:exports -- --customers=20000 --runs=5
 *   npm run bench:exports -- --runs=1 --profile    # also CPU-profile run 1's generation
 *
 * Options can also come from the environment (BENCH_CUSTOMERS, BENCH_RUNS, ...). Only
 * 127.0.0.1 is used; the bench is bounded (customers, timeouts) and stops by itself; its temp
 * dir is removed at the end, also on failure or Ctrl-C. See bench/exports/README.md.
 */
import type { EventStore } from '@custodian/event-store';
import type { CustodianConfig } from '@custodian/platform';
import type { ProjectionRunner } from '@custodian/projections';
import { CommandBus } from '@nestjs/cqrs';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import type { RegisterSubjectCommand } from '../../apps/api/src/subjects/register-subject.command';
import { buildApi, registerTempDir, removeTempDir, REPO_ROOT } from '../support/api-server';
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
import { BenchFailure } from '../support/http';
import { cpuSample, cpuUsage, type CpuUsage } from '../support/machine';
import { readOptions, UsageError } from '../support/options';
import {
  competedNote,
  OTHERS_WARNING,
  printHeader,
  printSummary,
  runBench,
  type Row,
} from '../support/report';
import { newApiKey, writeActorsFile, type Actor } from '../support/setup';
import { formatInt, formatMs, median } from '../support/stats';

// ---------------------------------------------------------------------------------------------
// Parameters

interface Params {
  quick: boolean;
  runs: number;
  customers: number;
  /** Registrations in flight at once while seeding. */
  seedConcurrency: number;
  /** How often the export's status is polled, and the memory sampled. */
  pollMs: number;
  sampleMs: number;
  /** Longest wait for one export to complete, in seconds. */
  timeout: number;
  dir: string;
  build: boolean;
  /** CPU-profile the first run's generation (approval to completed). */
  profile: boolean;
}

const PURPOSE_ID = 'crm-care';
const PROFILE_FIELDS = ['name', 'email', 'phone', 'birthDate', 'address'];
const EXPORT_FIELDS = ['name', 'email', 'phone'];
const JUSTIFICATION = 'quarterly service quality review of the support queue';

function parseParams(argv: string[]): Params {
  const { quick, raw, flag, int } = readOptions(argv, [
    'quick',
    'runs',
    'customers',
    'seed-concurrency',
    'poll-ms',
    'sample-ms',
    'timeout',
    'dir',
    'no-build',
    'profile',
  ]);
  const params: Params = {
    quick,
    runs: int('runs', 3, 1, 1),
    customers: int('customers', 100_000, 2_000, 1),
    seedConcurrency: int('seed-concurrency', 128, 128, 1),
    pollMs: int('poll-ms', 50, 50, 5),
    sampleMs: int('sample-ms', 50, 50, 5),
    timeout: int('timeout', 1800, 300, 10),
    dir: raw('dir') ?? os.tmpdir(),
    build: !flag('no-build'),
    profile: flag('profile'),
  };
  if (params.customers > 1_000_000) throw new UsageError('--customers is at most 1,000,000');
  if (params.runs > 20) throw new UsageError('--runs is at most 20');
  if (params.timeout > 7200) throw new UsageError('--timeout is at most 7,200 s');
  if (params.seedConcurrency > 4096) throw new UsageError('--seed-concurrency is at most 4,096');
  return params;
}

// ---------------------------------------------------------------------------------------------
// The API, in this process. The build is used, not the sources: Nest resolves constructor
// injections from `emitDecoratorMetadata`, which tsx (esbuild) does not emit.

interface Built {
  createApi: typeof import('../../apps/api/src/create-api').createApi;
  loadConfig: typeof import('@custodian/platform').loadConfig;
  RegisterSubjectCommand: typeof import('../../apps/api/src/subjects/register-subject.command').RegisterSubjectCommand;
  ProjectionRunner: typeof import('@custodian/projections').ProjectionRunner;
  EVENT_STORE: symbol;
}

function loadBuilt(): Built {
  const load = createRequire(__filename);
  const dist = (path: string): Record<string, unknown> => {
    const file = join(REPO_ROOT, 'dist', path);
    if (!existsSync(file)) throw new UsageError(`${file} is missing: build first (npm run build)`);
    return load(file) as Record<string, unknown>;
  };
  return {
    createApi: dist('apps/api/src/create-api.js').createApi as Built['createApi'],
    loadConfig: dist('libs/platform/src/index.js').loadConfig as Built['loadConfig'],
    RegisterSubjectCommand: dist('apps/api/src/subjects/register-subject.command.js')
      .RegisterSubjectCommand as Built['RegisterSubjectCommand'],
    ProjectionRunner: dist('libs/projections/src/index.js')
      .ProjectionRunner as Built['ProjectionRunner'],
    EVENT_STORE: dist('libs/event-store/src/index.js').EVENT_STORE as symbol,
  };
}

interface Api {
  app: NestFastifyApplication;
  config: CustodianConfig;
  baseUrl: string;
  keys: Record<string, string>;
  logFile: string;
  /** `POST /v1/subjects` past auth and body validation: the command it dispatches. */
  register: (...args: ConstructorParameters<typeof RegisterSubjectCommand>) => Promise<{
    subjectId: string;
  }>;
  runner: ProjectionRunner;
  events: EventStore;
}

async function bootApi(built: Built, tmp: string): Promise<Api> {
  const actors: Actor[] = [
    { id: 'service-1', roles: ['service'], apiKey: newApiKey() },
    { id: 'support-1', roles: ['support'], apiKey: newApiKey() },
    { id: 'dpo-1', roles: ['dpo'], apiKey: newApiKey() },
    { id: 'dpo-2', roles: ['dpo'], apiKey: newApiKey() },
  ];
  const actorsFile = writeActorsFile(tmp, actors);
  const logFile = join(tmp, 'api.log');
  const config = built.loadConfig({
    CUSTODIAN_DATA_DIR: join(tmp, 'data'),
    CUSTODIAN_ACTORS_FILE: actorsFile,
    CUSTODIAN_LOG_FILE: logFile,
    CUSTODIAN_RETENTION_SWEEP_MS: '0',
    LOG_LEVEL: 'warn',
    PORT: '0',
    HOST: '127.0.0.1',
  });
  const app = await built.createApi(config);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    app,
    config,
    baseUrl: `http://127.0.0.1:${port}`,
    keys: Object.fromEntries(actors.map((a) => [a.id, a.apiKey])),
    logFile,
    register: (...args) => app.get(CommandBus).execute(new built.RegisterSubjectCommand(...args)),
    runner: app.get(built.ProjectionRunner),
    events: app.get<EventStore>(built.EVENT_STORE),
  };
}

/** The last lines the API logged (warnings and errors), for failure reports. */
function apiLog(api: Api): string {
  if (!existsSync(api.logFile)) return '';
  return readFileSync(api.logFile, 'utf8').trim().split('\n').slice(-20).join('\n');
}

/** One JSON call as an actor; the body is parsed when it is JSON. */
async function call(
  api: Api,
  actorId: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${api.baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${api.keys[actorId]}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(600_000),
  });
  const text = await response.text();
  let parsed: unknown = { text };
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    // not JSON: keep the text for the error message
  }
  return { status: response.status, body: parsed as Record<string, unknown> };
}

async function expect(
  what: string,
  status: number,
  pending: Promise<{ status: number; body: Record<string, unknown> }>,
): Promise<Record<string, unknown>> {
  const answer = await pending;
  if (answer.status !== status)
    throw new BenchFailure(
      `${what}: expected ${status}, got ${answer.status}: ${JSON.stringify(answer.body).slice(0, 500)}`,
    );
  return answer.body;
}

/** `crm-care`: contract basis, support and service may declare it, the five profile fields. */
async function setUpPurpose(api: Api): Promise<void> {
  await expect(
    'POST /v1/purposes',
    201,
    call(api, 'dpo-1', 'POST', '/v1/purposes', {
      purposeId: PURPOSE_ID,
      title: 'Customer care',
      description: 'Serving customers under their contract: calls, orders, deliveries',
      legalBasis: 'contract',
      dataCategories: ['contact', 'identity', 'location'],
      retention: 'P2Y',
      recipients: [],
      allowedRoles: ['sales', 'support', 'service'],
      flags: { marketing: false, profiling: false, saleOrShare: false, aiProcessing: false },
      assessment: {
        necessity: 'To serve the customer under their contract',
        minimumFields: PROFILE_FIELDS,
        retentionJustification: 'Two years after the relationship ends',
        access: 'Sales, support and service staff',
        thirdParties: 'none',
        withdrawal: 'Ending the contract',
        mainRisk: 'Exposure of contact details; encrypted per customer',
      },
    }),
  );
  await expect(
    'POST /v1/purposes/:id/activate',
    200,
    call(api, 'dpo-1', 'POST', `/v1/purposes/${PURPOSE_ID}/activate`),
  );
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

/**
 * Registers the customers through `RegisterSubjectCommand`, the command `POST /v1/subjects`
 * runs after auth and body validation (profile checks, data key, encryption, the durable
 * `SubjectRegistered`, blind-index entries), `concurrency` at a time.
 */
async function seed(api: Api, params: Params): Promise<{ ids: string[]; seconds: number }> {
  const ids = new Array<string>(params.customers);
  const started = performance.now();
  let next = 0;
  let lastReport = started;
  const worker = async () => {
    for (let n = next++; n < params.customers; n = next++) {
      const { subjectId } = await api.register(profile(n), 'bench', {
        actor: { id: 'service-1', role: 'service' },
        requestId: randomUUID(),
        causationId: randomUUID(),
        now: new Date(),
      });
      ids[n] = subjectId;
      const now = performance.now();
      if (now - lastReport > 15_000) {
        lastReport = now;
        process.stdout.write(
          `  seeding: ${formatInt(n + 1)} / ${formatInt(params.customers)} ` +
            `(${formatInt((n + 1) / ((now - started) / 1000))}/s)\n`,
        );
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(params.seedConcurrency, params.customers) }, worker),
  );
  return { ids, seconds: (performance.now() - started) / 1000 };
}

/** Waits until every projection has applied the newest event; returns the ms waited. */
async function settle(api: Api): Promise<number> {
  const started = performance.now();
  const head = await api.events.readLastEvent();
  if (head) await api.runner.waitFor(head.position, { timeoutMs: 1_200_000 });
  return performance.now() - started;
}

/** One customer read back over HTTP: the seeded profile is real, encrypted and readable. */
async function checkOneCustomer(api: Api, subjectId: string, n: number): Promise<void> {
  const view = await expect(
    'GET /v1/subjects/:id/view as support',
    200,
    call(api, 'support-1', 'GET', `/v1/subjects/${subjectId}/view?purpose=${PURPOSE_ID}`),
  );
  const fields = view.fields as Record<string, string> | undefined;
  if (fields?.name !== profile(n).name || fields?.address !== profile(n).address)
    throw new BenchFailure(`the seeded customer reads back wrong: ${JSON.stringify(view)}`);
  // At rest the values are ciphertext.
  const db = readFileSync(join(api.config.dataDir, 'events.sqlite'));
  if (db.includes(Buffer.from(profile(n).address)))
    throw new BenchFailure('a seeded address is in clear in events.sqlite');
}

// ---------------------------------------------------------------------------------------------
// Memory: process.memoryUsage() every `sampleMs`, and the kernel's peak RSS (VmHWM), reset
// before the export where the kernel allows it (/proc/self/clear_refs).

interface MemorySample {
  rss: number;
  heapUsed: number;
}

interface MemoryWatch {
  before: MemorySample;
  peak: MemorySample;
  samples: number;
  /** The longest gap between two samples: the event loop was busy that long. */
  maxGapMs: number;
  /** Peak RSS by the kernel since the reset, or NaN when it could not be reset. */
  kernelPeakRss: number;
}

function vmHwm(): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

function resetVmHwm(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

async function baselineMemory(ms: number, every: number): Promise<MemorySample> {
  const samples: MemorySample[] = [];
  for (let waited = 0; waited < ms; waited += every) {
    const { rss, heapUsed } = process.memoryUsage();
    samples.push({ rss, heapUsed });
    await new Promise((resolve) => setTimeout(resolve, every));
  }
  return {
    rss: median(samples.map((s) => s.rss)),
    heapUsed: median(samples.map((s) => s.heapUsed)),
  };
}

function watchMemory(before: MemorySample, every: number): () => MemoryWatch {
  const reset = resetVmHwm();
  const peak = { ...before };
  let samples = 0;
  let last = performance.now();
  let maxGapMs = 0;
  const sample = () => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last);
    last = now;
    const { rss, heapUsed } = process.memoryUsage();
    peak.rss = Math.max(peak.rss, rss);
    peak.heapUsed = Math.max(peak.heapUsed, heapUsed);
    samples++;
  };
  sample();
  const timer = setInterval(sample, every);
  return () => {
    clearInterval(timer);
    sample();
    return { before, peak, samples, maxGapMs, kernelPeakRss: reset ? vmHwm() : NaN };
  };
}

// ---------------------------------------------------------------------------------------------
// CPU profile of this process (the API runs in it) around the generation only.

async function startProfiler(): Promise<{ stop(file: string): Promise<void> }> {
  const session = new Session();
  session.connect();
  const post = <T>(method: string, params: object = {}) =>
    new Promise<T>((resolve, reject) =>
      session.post(method, params, (error, result) =>
        error ? reject(error) : resolve(result as T),
      ),
    );
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 1000 });
  await post('Profiler.start');
  return {
    stop: async (file) => {
      const { profile } = await post<{ profile: object }>('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

const GENERATION_BUCKETS: Bucket[] = [
  { label: '(idle)', match: (f) => f.functionName === '(idle)' },
  { label: '(garbage collector)', match: (f) => f.functionName === '(garbage collector)' },
  {
    label: 'async_hooks / AsyncLocalStorage (promise hooks)',
    match: inFile('node:internal/async_hooks', 'node:async_hooks', 'async_local_storage'),
  },
  {
    label: 'audit appends (SubjectExported): group commit flush, COMMIT + fsync',
    match: inFunction('flush', 'sqlite-event-store'),
  },
  { label: 'audit appends: validation (JSON checks)', match: inFile('append-validation') },
  {
    label: 'selection: customer_views pages (read store find + JSON.parse)',
    match: inFunction('find', 'sqlite-read-store'),
  },
  { label: 'projections in-process (applying the audit records)', match: inProjections },
  {
    label: 'sealed NDJSON/CSV files: AES-GCM chunks, SHA-256, file writes',
    match: inFile('sealed-file'),
  },
  {
    label: 'decrypt: data key lookup (key store), unwrap, AES-GCM of the fields',
    match: inFile('/vault/', '/crypto/src/', 'sqlite-key-store'),
  },
  { label: 'rows: ndjsonLine / csvLine', match: inFile('export-formats') },
  {
    label: 'masks and lawful basis: customerView, effectiveStatus',
    match: inFile('/policy/src/', '/domain/src/'),
  },
  {
    label: 'export generation and selection loop',
    match: inFile('exports/export-selection', 'exports/export-generation'),
  },
  { label: 'logging (pino)', match: inFile('/pino') },
];

function printProfile(file: string, run: RunResult): void {
  const profile = readProfile(file);
  console.log('');
  console.log(`CPU profile of run 1's generation: ${file}`);
  console.log(
    formatBuckets(
      bucketize(profile, GENERATION_BUCKETS, 'HTTP (status polls), Nest, other'),
      `Where the process's time went from approval to completed (${formatInt(run.count)} rows):`,
      { count: run.count / 1000, unit: '1k rows' },
    ),
  );
  console.log('');
  console.log(formatProfileSummary(summarizeProfile(profile, 20), 'export generation (run 1)'));
}

// ---------------------------------------------------------------------------------------------
// One run

interface ExportStatus {
  status: string;
  approval?: { at: string };
  requestedAt: string;
  result?: {
    count: number;
    completedAt: string;
    files: Record<string, { sha256: string; bytes: number }>;
  };
  failure?: { reason: string };
}

/** Polls `GET /v1/exports/{id}` until completed (or failed: BenchFailure). */
async function untilCompleted(
  api: Api,
  actorId: string,
  exportId: string,
  params: Params,
): Promise<ExportStatus> {
  const deadline = performance.now() + params.timeout * 1000;
  for (;;) {
    const body = (await expect(
      'GET /v1/exports/:id',
      200,
      call(api, actorId, 'GET', `/v1/exports/${exportId}`),
    )) as unknown as ExportStatus;
    if (body.status === 'completed') return body;
    if (body.status === 'failed')
      throw new BenchFailure(`export ${exportId} failed: ${body.failure?.reason ?? '?'}`);
    if (performance.now() > deadline)
      throw new BenchFailure(`export ${exportId} not completed within ${params.timeout} s`);
    await new Promise((resolve) => setTimeout(resolve, params.pollMs));
  }
}

interface Download {
  ms: number;
  bytes: number;
  rows: number;
  sha256: string;
  header: string | null;
  /** Content-Length as answered (the download's size is computed before the body is sent). */
  length: string | null;
  firstRow: Record<string, unknown>;
}

/** Streams the NDJSON: SHA-256, bytes and lines counted as it arrives, nothing kept. */
async function download(api: Api, actorId: string, exportId: string): Promise<Download> {
  const started = performance.now();
  const response = await fetch(`${api.baseUrl}/v1/exports/${exportId}/download`, {
    headers: { authorization: `Bearer ${api.keys[actorId]}` },
    signal: AbortSignal.timeout(600_000),
  });
  if (response.status !== 200 || !response.body)
    throw new BenchFailure(
      `GET /v1/exports/:id/download: expected 200, got ${response.status}: ${(await response.text()).slice(0, 300)}`,
    );
  const hash = createHash('sha256');
  let bytes = 0;
  let rows = 0;
  let head = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    bytes += chunk.length;
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) rows++;
    if (head.length < 2000) head += Buffer.from(chunk.subarray(0, 2000)).toString('utf8');
  }
  const ms = performance.now() - started;
  return {
    ms,
    bytes,
    rows,
    sha256: hash.digest('hex'),
    header: response.headers.get('x-content-sha256'),
    length: response.headers.get('content-length'),
    firstRow: JSON.parse(head.slice(0, head.indexOf('\n'))) as Record<string, unknown>,
  };
}

interface RunResult {
  settleMs: number;
  /** POST /v1/exports: plans and counts the customers (the preview), writes the request. */
  requestMs: number;
  /** From sending the approval to seeing `completed` in a poll. */
  generationMs: number;
  /** The same on the server's clock: the approval's `at` to the result's `completedAt`. */
  serverGenerationMs: number;
  count: number;
  memory: MemoryWatch;
  cpu: CpuUsage;
  download: Download;
  /** The download right after `completed`, while the projections still catch up. */
  earlyDownload: Download;
  /** From the first download's end until every projection had applied the audit records. */
  catchUpMs: number;
  /** The projection furthest behind when `completed` was seen, and by how many events. */
  behindAtCompletion: { name: string; eventsBehind: number };
  sandboxMs: number;
  sandboxServerMs: number;
  sandboxCount: number;
}

async function runOnce(api: Api, params: Params, profileFile: string | null): Promise<RunResult> {
  const settleMs = await settle(api);
  const body = { purposeId: PURPOSE_ID, justification: JUSTIFICATION, fields: EXPORT_FIELDS };

  // a. the real export: request, approval by another person, generation
  const requestStarted = performance.now();
  const requested = (await expect(
    'POST /v1/exports as support',
    202,
    call(api, 'support-1', 'POST', '/v1/exports', body),
  )) as { exportId: string; status: string; requestedCount: number };
  const requestMs = performance.now() - requestStarted;
  if (requested.requestedCount !== params.customers)
    throw new BenchFailure(
      `the request counted ${requested.requestedCount} customers, not ${params.customers}`,
    );
  const needsApproval = params.customers > 1000;
  if (requested.status !== (needsApproval ? 'awaiting_approval' : 'generating'))
    throw new BenchFailure(`the export request is ${requested.status}`);

  const before = await baselineMemory(500, params.sampleMs);
  const profiler = profileFile ? await startProfiler() : null;
  const stopWatch = watchMemory(before, params.sampleMs);
  const cpuBefore = cpuSample([process.pid]);
  const started = performance.now();
  if (needsApproval)
    await expect(
      'POST /v1/exports/:id/approve as dpo-1',
      202,
      call(api, 'dpo-1', 'POST', `/v1/exports/${requested.exportId}/approve`, {}),
    );
  const done = await untilCompleted(api, 'support-1', requested.exportId, params);
  const generationMs = performance.now() - started;
  const lag = await api.runner.lag();
  const behind = lag.reduce((most, l) => (l.eventsBehind > most.eventsBehind ? l : most), lag[0]);
  const cpu = cpuUsage(cpuBefore, cpuSample([process.pid]));
  const memory = stopWatch();
  if (profiler && profileFile) await profiler.stop(profileFile);
  const result = done.result!;
  if (result.count !== params.customers)
    throw new BenchFailure(`the export holds ${result.count} rows, not ${params.customers}`);
  const approvedAt = Date.parse(done.approval?.at ?? done.requestedAt);
  const serverGenerationMs = Date.parse(result.completedAt) - approvedAt;

  // b. the download, checked: right after `completed` (the in-process projections are still
  // applying the export's audit records), then again once they have caught up.
  const check = (file: Download) => {
    const problems: string[] = [];
    if (file.rows !== params.customers) problems.push(`${file.rows} lines`);
    if (file.sha256 !== file.header) problems.push('SHA-256 differs from x-content-sha256');
    if (String(file.bytes) !== file.length) problems.push('size differs from Content-Length');
    // The result's digest is of the file as stored (rows sealed under each customer's key).
    if (file.sha256 === result.files.ndjson.sha256)
      problems.push("the result's SHA-256 is the plaintext's (it should be of the sealed rows)");
    const keys = Object.keys(file.firstRow).sort().join(',');
    if (keys !== ['subjectId', ...EXPORT_FIELDS].sort().join(','))
      problems.push(`first row has ${keys}`);
    if (typeof file.firstRow.email !== 'string' || !file.firstRow.email.includes('*'))
      problems.push('the email is not masked for support');
    if (problems.length > 0)
      throw new BenchFailure(`the download is wrong: ${problems.join('; ')}`);
    return file;
  };
  const early = check(await download(api, 'support-1', requested.exportId));
  const catchUpMs = await settle(api);
  const file = check(await download(api, 'support-1', requested.exportId));

  // c. a sandbox set of the same shape (no approval)
  await settle(api);
  const sandboxStarted = performance.now();
  const sandbox = (await expect(
    'POST /v1/exports (sandbox) as service',
    202,
    call(api, 'service-1', 'POST', '/v1/exports', { ...body, mode: 'sandbox' }),
  )) as { exportId: string; status: string };
  if (sandbox.status !== 'generating')
    throw new BenchFailure(`the sandbox export is ${sandbox.status}`);
  const sandboxDone = await untilCompleted(api, 'service-1', sandbox.exportId, params);
  const sandboxMs = performance.now() - sandboxStarted;
  const sandboxServerMs =
    Date.parse(sandboxDone.result!.completedAt) - Date.parse(sandboxDone.requestedAt);
  if (sandboxDone.result!.count !== params.customers)
    throw new BenchFailure(`the sandbox export holds ${sandboxDone.result!.count} rows`);

  return {
    settleMs,
    requestMs,
    generationMs,
    serverGenerationMs,
    count: result.count,
    memory,
    cpu,
    download: file,
    earlyDownload: early,
    catchUpMs,
    behindAtCompletion: { name: behind.name, eventsBehind: behind.eventsBehind },
    sandboxMs,
    sandboxServerMs,
    sandboxCount: sandboxDone.result!.count,
  };
}

// ---------------------------------------------------------------------------------------------
// Report

const MIB = 1024 * 1024;
const mib = (bytes: number) => `${(bytes / MIB).toFixed(1)} MiB`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const rowsPerSecond = (rows: number, ms: number) => rows / (ms / 1000);

function describeRun(i: number, r: RunResult): string {
  const m = r.memory;
  return [
    `run ${i}: approval -> completed ${seconds(r.generationMs)} ` +
      `(${formatInt(rowsPerSecond(r.count, r.generationMs))} rows/s; server clock ${seconds(r.serverGenerationMs)}), ` +
      `request (counts the customers) ${formatMs(r.requestMs, 0)}`,
    `       memory during generation: RSS ${mib(m.before.rss)} -> peak ${mib(m.peak.rss)} ` +
      `(+${mib(m.peak.rss - m.before.rss)}; kernel peak ${mib(m.kernelPeakRss)}), ` +
      `heapUsed ${mib(m.before.heapUsed)} -> peak ${mib(m.peak.heapUsed)} ` +
      `(+${mib(m.peak.heapUsed - m.before.heapUsed)}); ${m.samples} samples, longest gap ${formatMs(m.maxGapMs, 0)}`,
    `       download ${seconds(r.download.ms)} once the projections caught up ` +
      `(${seconds(r.earlyDownload.ms)} right after completed, when ${r.behindAtCompletion.name} was ` +
      `${formatInt(r.behindAtCompletion.eventsBehind)} events behind; catch-up took ${seconds(r.catchUpMs)} more): ` +
      `${mib(r.download.bytes)}, ${formatInt(r.download.rows)} rows, SHA-256 = x-content-sha256 ok`,
    `       sandbox export ${seconds(r.sandboxMs)} (${formatInt(rowsPerSecond(r.sandboxCount, r.sandboxMs))} rows/s)`,
    `       CPU during generation (cores): this process ${(r.cpu.processes.get(process.pid) ?? NaN).toFixed(2)}, ` +
      `other processes ${r.cpu.others.toFixed(2)}${competedNote(r.cpu)}; projections settled ${formatMs(r.settleMs, 0)} before`,
  ].join('\n');
}

function summaryRows(results: RunResult[]): Row[] {
  const m = (pick: (r: RunResult) => number) => median(results.map(pick));
  const row = (label: string, value: string): Row => ({ label, value, aim: '', pass: null });
  return [
    row('approval -> completed', seconds(m((r) => r.generationMs))),
    row('rows per second', `${formatInt(m((r) => rowsPerSecond(r.count, r.generationMs)))}/s`),
    row('approval -> completed (server clock)', seconds(m((r) => r.serverGenerationMs))),
    row(
      'POST /v1/exports (counts, 202)',
      formatMs(
        m((r) => r.requestMs),
        0,
      ),
    ),
    row('peak RSS increase', mib(m((r) => r.memory.peak.rss - r.memory.before.rss))),
    row('peak heapUsed increase', mib(m((r) => r.memory.peak.heapUsed - r.memory.before.heapUsed))),
    row(
      'RSS before -> peak',
      `${mib(m((r) => r.memory.before.rss))} -> ${mib(m((r) => r.memory.peak.rss))}`,
    ),
    row('download NDJSON (projections caught up)', seconds(m((r) => r.download.ms))),
    row('download NDJSON right after completed', seconds(m((r) => r.earlyDownload.ms))),
    row(
      'projection furthest behind at completed',
      `${formatInt(m((r) => r.behindAtCompletion.eventsBehind))} events`,
    ),
    row('NDJSON size', mib(m((r) => r.download.bytes))),
    row(
      'download throughput',
      `${m((r) => r.download.bytes / MIB / (r.download.ms / 1000)).toFixed(1)} MiB/s`,
    ),
    row('sandbox export, request -> completed', seconds(m((r) => r.sandboxMs))),
    row(
      'sandbox rows per second',
      `${formatInt(m((r) => rowsPerSecond(r.sandboxCount, r.sandboxMs)))}/s`,
    ),
    row(
      'process CPU during generation',
      `${m((r) => r.cpu.processes.get(process.pid) ?? NaN).toFixed(2)} cores`,
    ),
  ];
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const params = parseParams(process.argv.slice(2));
  mkdirSync(params.dir, { recursive: true });
  if (params.build) buildApi();
  const built = loadBuilt();

  printHeader(
    'Custodian exports bench: an export of N customers (API in-process, embedded SQLite stores)',
    params.dir,
    `  ${formatInt(params.customers)} customers seeded once (${params.seedConcurrency} registrations in flight), ` +
      `then ${params.runs} run(s)${params.quick ? ' (quick)' : ''}: export of ` +
      `[${EXPORT_FIELDS.join(', ')}] by support-1, approved by dpo-1, polled every ${params.pollMs} ms; ` +
      `NDJSON download; sandbox export by service-1; memory sampled every ${params.sampleMs} ms`,
  );

  const tmp = mkdtempSync(join(params.dir, 'custodian-bench-exports-'));
  const profileDir = params.profile
    ? mkdtempSync(join(os.tmpdir(), 'custodian-bench-exports-profiles-'))
    : null;
  registerTempDir(tmp);
  let api: Api | null = null;
  try {
    api = await bootApi(built, tmp);
    await setUpPurpose(api);
    const seeded = await seed(api, params);
    const settleMs = await settle(api);
    console.log(
      `seeded ${formatInt(params.customers)} customers in ${seconds(seeded.seconds * 1000)} ` +
        `(${formatInt(params.customers / seeded.seconds)}/s), projections caught up ${formatMs(settleMs, 0)} later`,
    );
    await checkOneCustomer(api, seeded.ids[0], 0);

    const results: RunResult[] = [];
    for (let i = 1; i <= params.runs; i++) {
      const result = await runOnce(
        api,
        params,
        profileDir && i === 1 ? join(profileDir, 'run1-generation.cpuprofile') : null,
      );
      results.push(result);
      console.log(describeRun(i, result));
    }
    const disturbed = results.filter((r) => r.cpu.others > OTHERS_WARNING).length;
    printSummary(summaryRows(results), results.length, disturbed, 0);
    if (profileDir) printProfile(join(profileDir, 'run1-generation.cpuprofile'), results[0]);
    return 0;
  } catch (error) {
    if (api && error instanceof BenchFailure) {
      const log = apiLog(api);
      if (log) error.message += `\nAPI log (last lines):\n${log}`;
    }
    throw error;
  } finally {
    await api?.app.close();
    removeTempDir(tmp);
  }
}

runBench(
  'exports',
  main,
  'npm run bench:exports -- [--quick] [--runs=N] [--customers=N] [--seed-concurrency=N] ...; ' +
    'see bench/exports/README.md',
);
