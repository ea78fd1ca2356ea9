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
import { call as request } from '../support/http';
import { runLoad } from '../support/load';
import { machineInfo } from '../support/machine';
import {
  activatePurpose,
  newApiKey,
  registerPurpose,
  settleProjections,
  writeActorsFile,
} from '../support/setup';
import { formatInt, formatMs, median } from '../support/stats';

const args = new Map(
  process.argv.slice(2).map((arg) => {
    const [name, value] = arg.replace(/^--/, '').split('=');
    return [name, value ?? 'true'] as const;
  }),
);
const quick = args.has('quick');
const RUNS = Number(args.get('runs') ?? (quick ? 1 : 3));
const SECONDS = Number(args.get('seconds') ?? (quick ? 3 : 10));
const CONNECTIONS = Number(args.get('connections') ?? 64);
const SMALL = 10;
const BIG = Number(args.get('big') ?? (quick ? 10_000 : 100_000));
const ERASURES = Number(args.get('erasures') ?? (quick ? 1 : 3));
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
}

async function registrations(server: ApiServer): Promise<RegistrationRun> {
  let n = 0;
  let failures = 0;
  const load = await runLoad(server, {
    seconds: SECONDS,
    connections: CONNECTIONS,
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
  return {
    perSecond: load.perSecond,
    p50: load.p50,
    p99: load.p99,
    failures: failures + load.errors + load.timeouts,
  };
}

/** Registers a customer over HTTP, then gives them `events` events in all (profile updates). */
async function customerWithHistory(
  server: ApiServer,
  dataDir: string,
  events: number,
): Promise<string> {
  const { subjectId } = (await call(server, 'POST', '/v1/subjects', crm, {
    profile: profile(0),
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
): Promise<number[]> {
  const timings: number[] = [];
  for (let i = 0; i < ERASURES; i++) {
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

async function main(): Promise<void> {
  console.log('# vault bench: registrations over HTTP, erasure latency by history size');
  const machine = machineInfo(tmpdir());
  console.log(
    `node ${machine.node}, ${machine.cpuCount} x ${machine.cpuModel}, ${machine.memoryGiB.toFixed(1)} GiB, data on ${machine.storage}`,
  );
  console.log(
    `params: runs=${RUNS}, ${SECONDS} s x ${CONNECTIONS} connections; erasures: ${ERASURES} each with ${SMALL} and ${formatInt(BIG)} events`,
  );
  buildApi();
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
      const rate = await registrations(server);
      if (rate.failures > 0) throw new Error(`${rate.failures} registrations failed`);
      rates.push(rate);
      console.log(
        `  run ${run}: ${formatInt(rate.perSecond)} registrations/s, p50 ${formatMs(rate.p50)}, p99 ${formatMs(rate.p99)}`,
      );
      await settleProjections(server);
      small.push(...(await erasureLatency(server, dataDir, SMALL)));
      big.push(...(await erasureLatency(server, dataDir, BIG)));
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
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
