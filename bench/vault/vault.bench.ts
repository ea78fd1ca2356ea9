/**
 * bench/vault: customer registrations per second over HTTP (64 connections, embedded stores),
 * and erasure latency for a customer with 10 and with 100,000 events.
 *
 *   npm run bench:vault                      # 3 runs of 10 s; 3 erasures per history size
 *   npm run bench:vault -- --quick           # 1 short run, smaller histories
 *   npm run bench:vault -- --runs=5 --seconds=15 --big=100000
 *
 * Everything runs against 127.0.0.1 only, is bounded in time and count, and stops by itself.
 */
import { SqliteEventStore } from '@custodian/event-store';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildApi,
  registerTempDir,
  removeTempDir,
  startApi,
  type ApiServer,
} from '../support/api-server';
import {
  catchUpRows,
  describeCatchUp,
  projectionCatchUp,
  windowEnd,
  type CatchUp,
} from '../support/catch-up';
import { call as request } from '../support/http';
import { runLoad } from '../support/load';
import { cpuSample, cpuUsage, type CpuUsage } from '../support/machine';
import { readOptions, UsageError } from '../support/options';
import { competedNote, formatRows, OTHERS_WARNING, printHeader, runBench } from '../support/report';
import {
  activatePurpose,
  newApiKey,
  registerPurpose,
  settleProjections,
  writeActorsFile,
} from '../support/setup';
import { formatInt, formatMs, median } from '../support/stats';

interface Params {
  quick: boolean;
  runs: number;
  /** Seconds of timed registrations per run. */
  seconds: number;
  connections: number;
  /** Events in the big customer's history. */
  big: number;
  /** Erasures timed per history size and run. */
  erasures: number;
}

function parseParams(argv: string[]): Params {
  const { quick, int, num } = readOptions(
    argv,
    ['quick', 'runs', 'seconds', 'connections', 'big', 'erasures'],
    { duration: 'seconds' },
  );
  const params = {
    quick,
    runs: int('runs', 3, 1, 1),
    seconds: num('seconds', 10, 3, 1),
    connections: int('connections', 64, 64, 1),
    big: int('big', 100_000, 10_000, 1),
    erasures: int('erasures', 3, 1, 1),
  };
  // Bounded: an accidental --seconds=36000 would keep two cores busy for hours.
  if (params.seconds > 600) throw new UsageError('--seconds is at most 600');
  if (params.big > 1_000_000) throw new UsageError('--big is at most 1,000,000');
  return params;
}

const SMALL = 10;
const PURPOSE = 'crm-profile';

const admin = newApiKey();
const crm = newApiKey();

/** A call that must succeed (2xx); returns the parsed body. */
async function call(server: ApiServer, method: string, path: string, key: string, body?: unknown) {
  const response = await request(server, method, path, key, body);
  if (response.status >= 300)
    throw new Error(
      `${method} ${path} answered ${response.status}: ${JSON.stringify(response.body).slice(0, 300)}`,
    );
  return (response.body ?? {}) as Record<string, unknown>;
}

async function setUp(server: ApiServer): Promise<void> {
  const assessment = {
    necessity: 'To serve the customer',
    minimumFields: ['name', 'email', 'phone'],
    retentionJustification: 'Two years after the relationship ends',
    access: 'Support and sales',
    thirdParties: 'none',
    withdrawal: 'Account settings',
    mainRisk: 'Exposure of contact details; encrypted per customer',
  };
  await registerPurpose(server, admin, {
    purposeId: PURPOSE,
    title: 'Customer profile',
    description: 'Keeping in touch with customers',
    legalBasis: 'contract',
    dataCategories: ['contact', 'identity'],
    retention: 'P2Y',
    recipients: [],
    allowedRoles: ['service'],
    flags: { marketing: false, profiling: false, saleOrShare: false, aiProcessing: false },
    assessment,
  });
  await activatePurpose(server, admin, PURPOSE);
}

function profile(n: number) {
  return {
    name: `Customer Number${n}`,
    email: `customer${n}.${randomBytes(3).toString('hex')}@example.com`,
    phone: `+7 912 ${String(1000000 + n).slice(-7)}`,
  };
}

interface RegistrationRun {
  perSecond: number;
  p50: number;
  p99: number;
  failures: number;
  /** API and bench CPU, and other processes', during the timed registrations. */
  cpu: CpuUsage;
  serverPid: number;
  /** How far behind the projections were when the timed registrations ended, and catch-up. */
  catchUp: CatchUp;
}

async function registrations(
  server: ApiServer,
  dataDir: string,
  params: Params,
): Promise<RegistrationRun> {
  let n = 0;
  let failures = 0;
  const pids = [server.pid, process.pid];
  const before = cpuSample(pids);
  const load = await runLoad(server, {
    seconds: params.seconds,
    connections: params.connections,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${crm}` },
    next: () => ({
      path: '/v1/subjects',
      body: JSON.stringify({ profile: profile(n++), source: 'bench' }),
    }),
    isOk: (status) => {
      if (status === 201) return true;
      failures++;
      return false;
    },
  });
  const cpu = cpuUsage(before, cpuSample(pids));
  const end = windowEnd(dataDir);
  const catchUp = await projectionCatchUp(server, dataDir, end);
  return {
    perSecond: load.perSecond,
    p50: load.p50,
    p99: load.p99,
    failures: failures + load.errors + load.timeouts,
    cpu,
    serverPid: server.pid,
    catchUp,
  };
}

/** Customers with a history are numbered far from the registration load's. */
let historyCustomers = 5_000_000;

/** Registers a customer over HTTP, then gives them `events` events in all (profile updates). */
async function customerWithHistory(
  server: ApiServer,
  dataDir: string,
  events: number,
): Promise<string> {
  // A number of its own: no other customer holds its email or phone (a duplicate is a 409).
  const { subjectId } = (await call(server, 'POST', '/v1/subjects', crm, {
    profile: profile(historyCustomers++),
    source: 'bench',
  })) as { subjectId: string };
  // The history is appended straight to the store file (another process may write it too):
  // a hundred thousand HTTP updates would measure the API, not the erasure.
  const store = new SqliteEventStore({ file: join(dataDir, 'events.sqlite') });
  try {
    let revision = 0n;
    for (let written = 1; written < events;) {
      const count = Math.min(1000, events - written);
      const batch = Array.from({ length: count }, (_, i) => ({
        type: 'ProfileUpdated',
        data: {
          subjectId,
          keyId: 'bench',
          changed: {
            name: `enc:v1:bench:${randomBytes(12).toString('base64url')}:${randomBytes(24).toString('base64url')}`,
          },
          updatedAt: new Date(Date.now() + i).toISOString(),
        },
        metadata: { actor: { id: 'bench', role: 'service' }, schemaVersion: 1 },
      }));
      revision = (await store.append(`subject-${subjectId}`, batch, { expectedRevision: revision }))
        .nextExpectedRevision;
      written += count;
    }
  } finally {
    await store.close();
  }
  return subjectId;
}

async function erasureLatency(
  server: ApiServer,
  dataDir: string,
  events: number,
  erasures: number,
): Promise<number[]> {
  const timings: number[] = [];
  for (let i = 0; i < erasures; i++) {
    const subjectId = await customerWithHistory(server, dataDir, events);
    await settleProjections(server);
    const started = performance.now();
    await call(server, 'POST', `/v1/subjects/${subjectId}/erasure`, crm, {
      reason: 'data_subject_request',
      requestedVia: 'web',
    });
    timings.push(performance.now() - started);
  }
  return timings;
}

async function main(): Promise<number> {
  const params = parseParams(process.argv.slice(2));
  const { runs: RUNS, seconds: SECONDS, connections: CONNECTIONS, big: BIG } = params;
  const ERASURES = params.erasures;
  buildApi();
  printHeader(
    'Custodian vault bench: registrations over HTTP, erasure latency by history size',
    tmpdir(),
    `  ${RUNS} run(s)${params.quick ? ' (quick)' : ''}; each: fresh data dir, ${SECONDS} s of ` +
      `POST /v1/subjects on ${CONNECTIONS} connections, then ${ERASURES} erasure(s) each of a ` +
      `customer with ${SMALL} and with ${formatInt(BIG)} events`,
  );
  const rates: RegistrationRun[] = [];
  const small: number[] = [];
  const big: number[] = [];
  for (let run = 1; run <= RUNS; run++) {
    const dir = mkdtempSync(join(tmpdir(), 'custodian-bench-vault-'));
    registerTempDir(dir);
    const actorsFile = writeActorsFile(dir, [
      { id: 'bench-admin', roles: ['admin', 'dpo'], apiKey: admin },
      { id: 'bench-crm', roles: ['service'], apiKey: crm },
    ]);
    const dataDir = join(dir, 'data');
    const server = await startApi({
      dataDir,
      actorsFile,
      env: { CUSTODIAN_RETENTION_SWEEP_MS: '0' },
    });
    try {
      await setUp(server);
      const rate = await registrations(server, dataDir, params);
      if (rate.failures > 0) throw new Error(`${rate.failures} registrations failed`);
      rates.push(rate);
      console.log(
        `  run ${run}: ${formatInt(rate.perSecond)} registrations/s, p50 ${formatMs(rate.p50)}, p99 ${formatMs(rate.p99)}`,
      );
      console.log(
        `         CPU (cores): API ${(rate.cpu.processes.get(rate.serverPid) ?? NaN).toFixed(2)}, ` +
          `load generator ${(rate.cpu.processes.get(process.pid) ?? NaN).toFixed(2)}, ` +
          `other processes ${rate.cpu.others.toFixed(2)}${competedNote(rate.cpu)}`,
      );
      console.log(`         ${describeCatchUp(rate.catchUp)}`);
      await settleProjections(server);
      small.push(...(await erasureLatency(server, dataDir, SMALL, ERASURES)));
      big.push(...(await erasureLatency(server, dataDir, BIG, ERASURES)));
      console.log(
        `  run ${run}: erasure ${SMALL} events ${small
          .slice(-ERASURES)
          .map((t) => formatMs(t))
          .join(', ')}; ${formatInt(BIG)} events ${big
          .slice(-ERASURES)
          .map((t) => formatMs(t))
          .join(', ')}`,
      );
    } finally {
      await server.stop();
      removeTempDir(dir);
    }
  }
  console.log('');
  console.log('| measure | median |');
  console.log('|---|---:|');
  console.log(
    `| registrations/s (${CONNECTIONS} connections) | ${formatInt(median(rates.map((r) => r.perSecond)))} |`,
  );
  console.log(
    `| registration latency p50 / p99 | ${formatMs(median(rates.map((r) => r.p50)))} / ${formatMs(median(rates.map((r) => r.p99)))} |`,
  );
  console.log(`| erasure, customer with ${SMALL} events | ${formatMs(median(small), 2)} |`);
  console.log(`| erasure, customer with ${formatInt(BIG)} events | ${formatMs(median(big), 2)} |`);
  console.log(`| ratio big / small | ${(median(big) / median(small)).toFixed(2)} |`);
  console.log('');
  console.log(`After the timed registrations (median of ${rates.length} run(s)):`);
  console.log(formatRows(catchUpRows(rates.map((r) => r.catchUp)), 0));
  const disturbed = rates.filter((r) => r.cpu.others > OTHERS_WARNING).length;
  if (disturbed > 0)
    console.log(
      `WARNING: in ${disturbed} of ${rates.length} run(s) other processes used more than ` +
        `${OTHERS_WARNING} of a core during the registrations. Rerun on a quiet machine.`,
    );
  return 0;
}

runBench(
  'vault',
  main,
  'npm run bench:vault -- [--quick] [--runs=N] [--seconds=S] [--connections=N] [--big=N] ' +
    '[--erasures=N]; see bench/README.md',
);
