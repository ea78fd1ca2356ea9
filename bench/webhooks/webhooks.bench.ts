/**
 * Webhook delivery end to end: the built API (`dist/apps/api/src/main.js`) on 127.0.0.1 with the
 * embedded stores and webhook delivery in process, 3 connectors subscribed to consent changes,
 * and a loopback receiver in this process that answers 204 at once.
 *
 *   npm run bench:webhooks                       # 3 runs x 10,000 consent changes, 3 connectors
 *   npm run bench:webhooks -- --quick            # smoke run: 1 run x 1,000 changes
 *   npm run bench:webhooks -- --runs=5 --changes=20000 --connectors=3 --concurrency=32
 *
 * Each change is a grant or a revocation over HTTP (`concurrency` at a time; each customer's
 * grant before its revocation). Latency of a delivery: from the 201 of the change (its event is
 * in the log) to its arrival at the receiver. Throughput: deliveries per second from the first
 * change sent to the last delivery received. Options also from BENCH_RUNS, BENCH_CHANGES,
 * BENCH_CONNECTORS, BENCH_CONCURRENCY, BENCH_QUICK=1.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectorBody, consentBody, noticeBody, purposeBody } from '../../test/support/fixtures';
import {
  buildApi,
  registerTempDir,
  removeTempDir,
  startApi,
  type ApiServer,
} from '../support/api-server';
import { BenchFailure, call, expectStatus } from '../support/http';
import { cpuSample, cpuUsage } from '../support/machine';
import { readOptions } from '../support/options';
import { competedNote, printHeader, runBench } from '../support/report';
import { activatePurpose, newApiKey, registerPurpose, writeActorsFile } from '../support/setup';
import { formatInt, formatMs, median, percentile } from '../support/stats';

const USAGE =
  'npm run bench:webhooks -- [--quick] [--runs=N] [--changes=N] [--connectors=N] [--concurrency=N] [--no-log]';

interface Params {
  quick: boolean;
  runs: number;
  changes: number;
  connectors: number;
  concurrency: number;
}

function parseParams(argv: readonly string[]): Params {
  const o = readOptions(argv, ['quick', 'runs', 'changes', 'connectors', 'concurrency']);
  return {
    quick: o.quick,
    runs: o.int('runs', 3, 1, 1),
    changes: o.int('changes', 10_000, 1_000, 2),
    connectors: o.int('connectors', 3, 3, 1),
    concurrency: o.int('concurrency', 32, 16, 1),
  };
}

interface RunResult {
  deliveries: number;
  p50: number;
  p99: number;
  max: number;
  perSecond: number;
  changesPerSecond: number;
  cpuNote: string;
}

/** The receiver: records when each (connector, event) first arrived. */
async function startReceiver(): Promise<{
  server: Server;
  url: (connectorId: string) => string;
  arrivals: Map<string, number>;
  duplicates: () => number;
}> {
  const arrivals = new Map<string, number>();
  let duplicates = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        type: string;
        data: { subjectId: string };
      };
      const key = `${req.url}|${body.data.subjectId}|${body.type}`;
      if (arrivals.has(key)) duplicates++;
      else arrivals.set(key, at);
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    url: (connectorId) => `http://127.0.0.1:${port}/hooks/${connectorId}`,
    arrivals,
    duplicates: () => duplicates,
  };
}

async function oneRun(params: Params): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'custodian-bench-webhooks-'));
  registerTempDir(dir);
  const admin = newApiKey();
  const crm = newApiKey();
  const actorsFile = writeActorsFile(dir, [
    { id: 'bench-admin', roles: ['admin', 'dpo'], apiKey: admin },
    { id: 'bench-crm', roles: ['service'], apiKey: crm },
  ]);
  const receiver = await startReceiver();
  let server: ApiServer | undefined;
  try {
    server = await startApi({
      dataDir: join(dir, 'data'),
      actorsFile,
      env: {
        CUSTODIAN_RETENTION_SWEEP_MS: '0',
        CUSTODIAN_WEBHOOKS_ALLOW_HTTP_LOOPBACK: 'true',
        CUSTODIAN_WEBHOOKS_POLL_MS: '100',
      },
    });
    const api = server;
    await registerPurpose(api, admin, purposeBody('newsletter'));
    await expectStatus(
      'POST notice',
      201,
      call(api, 'POST', '/v1/purposes/newsletter/notices', admin, noticeBody('v1')),
    );
    await activatePurpose(api, admin, 'newsletter');
    const connectorIds = Array.from({ length: params.connectors }, (_, i) => `hook-${i + 1}`);
    for (const connectorId of connectorIds)
      await expectStatus(
        'POST /v1/connectors',
        201,
        call(
          api,
          'POST',
          '/v1/connectors',
          admin,
          connectorBody(connectorId, {
            webhook: {
              url: receiver.url(connectorId),
              events: ['consent.granted', 'consent.revoked'],
            },
          }),
        ),
      );

    // Each customer: a grant, then (once it answered) a revocation.
    const customers = Array.from({ length: Math.ceil(params.changes / 2) }, () => randomUUID());
    const committed = new Map<string, number>();
    let changes = 0;
    const cpuBefore = cpuSample([api.pid, process.pid]);
    const started = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < customers.length) {
        const subjectId = customers[next++];
        for (const action of ['grant', 'revoke'] as const) {
          if (changes >= params.changes) return;
          changes++;
          const answer = await call(
            api,
            'POST',
            `/v1/subjects/${subjectId}/consents`,
            crm,
            consentBody('newsletter', { action }),
          );
          if (answer.status !== 201)
            throw new BenchFailure(`consent ${action} answered ${answer.status}`);
          committed.set(
            `${subjectId}|consent.${action === 'grant' ? 'granted' : 'revoked'}`,
            performance.now(),
          );
        }
      }
    };
    await Promise.all(Array.from({ length: params.concurrency }, worker));
    const sentAt = performance.now();
    const expected = committed.size * connectorIds.length;
    const deadline = Date.now() + 300_000;
    while (receiver.arrivals.size < expected) {
      if (Date.now() > deadline)
        throw new BenchFailure(
          `only ${receiver.arrivals.size} of ${expected} deliveries arrived within 5 minutes`,
        );
      await new Promise((r) => setTimeout(r, 20));
    }
    const done = performance.now();
    const cpu = cpuUsage(cpuBefore, cpuSample([api.pid, process.pid]));
    const latencies: number[] = [];
    let last = 0;
    for (const [key, at] of receiver.arrivals) {
      const [path, subjectId, type] = key.split('|');
      if (!path.startsWith('/hooks/')) continue;
      const from = committed.get(`${subjectId}|${type}`);
      if (from === undefined) throw new BenchFailure(`a delivery for a change never made: ${key}`);
      latencies.push(Math.max(0, at - from));
      last = Math.max(last, at);
    }
    return {
      deliveries: latencies.length,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: Math.max(...latencies),
      perSecond: (latencies.length / (done - started)) * 1000,
      changesPerSecond: (committed.size / (sentAt - started)) * 1000,
      cpuNote:
        `CPU (cores): API ${(cpu.processes.get(api.pid) ?? NaN).toFixed(2)}, ` +
        `bench ${(cpu.processes.get(process.pid) ?? NaN).toFixed(2)}, other processes ` +
        `${cpu.others.toFixed(2)}${competedNote(cpu)}; duplicates ${receiver.duplicates()}`,
    };
  } finally {
    await server?.stop();
    await new Promise<void>((resolve) => receiver.server.close(() => resolve()));
    removeTempDir(dir);
  }
}

async function main(): Promise<number> {
  const params = parseParams(process.argv.slice(2));
  buildApi();
  printHeader(
    'Custodian webhooks bench: consent changes delivered to connectors over loopback HTTP',
    tmpdir(),
    `  ${params.runs} run(s)${params.quick ? ' (quick)' : ''}; each: fresh data dir, ` +
      `${formatInt(params.changes)} consent changes (${params.concurrency} at a time) delivered ` +
      `to ${params.connectors} connector(s), receiver answering 204 at once`,
  );
  const results: RunResult[] = [];
  for (let run = 1; run <= params.runs; run++) {
    const r = await oneRun(params);
    results.push(r);
    console.log(
      `  run ${run}: ${formatInt(r.deliveries)} deliveries, ${formatInt(r.perSecond)}/s end to end ` +
        `(changes ${formatInt(r.changesPerSecond)}/s); latency p50 ${formatMs(r.p50)}, ` +
        `p99 ${formatMs(r.p99)}, max ${formatMs(r.max)}`,
    );
    console.log(`         ${r.cpuNote}`);
  }
  console.log('');
  console.log('| measure | median |');
  console.log('|---|---:|');
  console.log(
    `| deliveries/s (end to end) | ${formatInt(median(results.map((r) => r.perSecond)))} |`,
  );
  console.log(
    `| consent changes/s accepted | ${formatInt(median(results.map((r) => r.changesPerSecond)))} |`,
  );
  console.log(`| delivery latency p50 | ${formatMs(median(results.map((r) => r.p50)))} |`);
  console.log(`| delivery latency p99 | ${formatMs(median(results.map((r) => r.p99)))} |`);
  return 0;
}

runBench('webhooks', main, USAGE);
