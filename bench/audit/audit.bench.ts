/**
 * The audit query "what did this actor read in this month" over N access records (default
 * 1,000,000): the records are built straight through the audit index's projection
 * (`auditReadsProjection`: its documentIds, consults and apply) into an embedded SQLite read
 * store with the projection's indexes, then the query the API makes
 * (`GET /v1/audit/reads?actorId&from&to`, the same `where` from apps/api/src/audit/audit-where.ts)
 * is timed for several actor/month pairs: the first page (100 entries) and the whole result
 * paged through. Aim: the first page in < 100 ms (median of the runs).
 *
 *   npm run bench:audit                          # 1,000,000 records
 *   npm run bench:audit -- --records=200000      # smaller
 *   npm run bench:audit -- --runs=15 --actors=200 --dir=/dev/shm
 *
 * Options may also come from the environment: BENCH_RECORDS, BENCH_RUNS, BENCH_ACTORS, BENCH_DIR.
 */
import type { JsonObject } from '@custodian/domain';
import {
  auditReadsProjection,
  type AuditIndexDocument,
  type DocumentLookup,
} from '@custodian/projections';
import { SqliteReadStore, type DocumentWrite } from '@custodian/read-store';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { auditReadsWhere } from '../../apps/api/src/audit/audit-where';
import { cpuSample, cpuUsage } from '../support/machine';
import { readOptions } from '../support/options';
import { printCpuDuring, printHeader, runBench } from '../support/report';
import { formatInt, formatMs, median } from '../support/stats';

const AIM_MS = 100;
const BATCH = 5000;
const ROLES = ['sales', 'support', 'marketing', 'analyst', 'service'];
const PURPOSES = ['crm-care', 'newsletter', 'billing', 'support-desk'];
const YEAR_START = Date.parse('2026-01-01T00:00:00Z');
const YEAR_MS = 365 * 86_400_000;

type Ev = Parameters<typeof auditReadsProjection.apply>[1];

/** A deterministic pseudo-random sequence (xorshift32), so two runs build the same records. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

async function main(): Promise<number> {
  const options = readOptions(process.argv.slice(2), ['records', 'runs', 'actors', 'dir']);
  const records = options.int('records', 1_000_000, 1_000_000, 1000);
  const runs = options.int('runs', 9, 9, 1);
  const actors = options.int('actors', 200, 200, 1);
  const parent = options.raw('dir') ?? os.tmpdir();
  const dir = mkdtempSync(join(parent, 'custodian-audit-bench-'));
  printHeader(
    'Audit index: actor + month query',
    dir,
    `  ${formatInt(records)} access records (reads, lookups, exports, refusals) by ${actors} actors over ` +
      `12 months, built through auditReadsProjection into SQLite; ${runs} runs of the query.`,
  );
  const reads = new SqliteReadStore({ file: join(dir, 'read-models.db') });
  try {
    const collection = 'audit_reads_bench';
    await reads.ensureCollection({
      name: collection,
      indexes: [...(auditReadsProjection.indexes ?? [])],
      compoundIndexes: (auditReadsProjection.compoundIndexes ?? []).map((f) => [...f]),
    });

    // --- build ---------------------------------------------------------------------------
    const random = rng(42);
    const subjects = Array.from({ length: 50_000 }, () => randomUUID());
    const state = new Map<string, JsonObject | null>();
    const apply = (event: Ev): DocumentWrite[] => {
      const consulted = new Map(
        (auditReadsProjection.consults?.(event) ?? []).map((id) => [id, state.get(id) ?? null]),
      );
      const lookup: DocumentLookup<AuditIndexDocument> = (id) =>
        (consulted.get(id) as AuditIndexDocument | null | undefined) ?? null;
      return auditReadsProjection.documentIds(event, lookup).map((id) => {
        const doc = auditReadsProjection.apply(
          (state.get(id) as AuditIndexDocument | null | undefined) ?? null,
          event,
          id,
          lookup,
        );
        if (id.startsWith('s:')) state.set(id, doc);
        return { collection, id, doc };
      });
    };
    const purposeEvents = PURPOSES.map(
      (purposeId, i): Ev =>
        ({
          id: randomUUID(),
          stream: `purpose-${purposeId}`,
          revision: 0n,
          position: String(i + 1),
          type: 'PurposeRegistered',
          data: { purposeId, legalBasis: purposeId === 'newsletter' ? 'consent' : 'contract' },
          metadata: {},
          recordedAt: new Date(YEAR_START),
        }) as unknown as Ev,
    );
    await reads.commit({ writes: purposeEvents.flatMap(apply) });
    const started = performance.now();
    const cpuBefore = cpuSample([process.pid]);
    let position = PURPOSES.length;
    for (let i = 0; i < records; i += BATCH) {
      const writes: DocumentWrite[] = [];
      for (let k = i; k < Math.min(records, i + BATCH); k++) {
        position++;
        const actorId = `clerk-${Math.floor(random() * actors)}`;
        const subjectId = subjects[Math.floor(random() * subjects.length)];
        const purposeId = PURPOSES[Math.floor(random() * PURPOSES.length)];
        const role = ROLES[Math.floor(random() * ROLES.length)];
        // In log order, as the clock runs: about a year of reads.
        const at = new Date(YEAR_START + Math.floor((k / records) * YEAR_MS)).toISOString();
        const kind = Math.floor(random() * 20);
        const data =
          kind === 0
            ? {
                subjectId,
                actorId,
                role,
                purposeId,
                reason: 'no_consent_for_purpose',
                requestId: `r${k}`,
                at,
              }
            : kind === 1
              ? {
                  subjectId,
                  exportId: `e${k >> 8}`,
                  actorId,
                  role,
                  purposeId,
                  fields: [{ name: 'email', mask: 'partial' }],
                  destination: 'mail-provider',
                  at,
                }
              : {
                  subjectId,
                  actorId,
                  role,
                  purposeId,
                  via: kind < 15 ? 'view' : 'lookup',
                  fields: [
                    { name: 'name', mask: 'partial' },
                    { name: 'phone', mask: 'full' },
                  ],
                  policyVersion: 0,
                  requestId: `r${k}`,
                  at,
                };
        const event = {
          id: randomUUID(),
          stream: `access-${subjectId}`,
          revision: 0n,
          position: String(position),
          type: kind === 0 ? 'AccessDenied' : kind === 1 ? 'SubjectExported' : 'FieldsAccessed',
          data,
          metadata: {},
          recordedAt: new Date(at),
        } as unknown as Ev;
        writes.push(...apply(event));
      }
      await reads.commit({ writes });
      if ((i / BATCH) % 40 === 39)
        console.log(
          `  built ${formatInt(i + BATCH)} records (${formatMs(performance.now() - started, 0)})`,
        );
    }
    const buildMs = performance.now() - started;
    printCpuDuring('the build', cpuUsage(cpuBefore, cpuSample([process.pid])));
    const size = statSync(join(dir, 'read-models.db')).size;
    console.log(
      `built ${formatInt(records)} records in ${formatMs(buildMs, 0)} ` +
        `(${formatInt(Math.round(records / (buildMs / 1000)))}/s), file ${(size / 2 ** 20).toFixed(0)} MiB\n`,
    );

    // --- query ---------------------------------------------------------------------------
    const firstPage: number[] = [];
    const whole: number[] = [];
    const pick = rng(7);
    const cpuQuery = cpuSample([process.pid]);
    for (let run = 0; run < runs; run++) {
      const actorId = `clerk-${Math.floor(pick() * actors)}`;
      const month = 1 + Math.floor(pick() * 12);
      const from = `2026-${String(month).padStart(2, '0')}-01T00:00:00Z`;
      const to =
        month === 12
          ? '2027-01-01T00:00:00Z'
          : `2026-${String(month + 1).padStart(2, '0')}-01T00:00:00Z`;
      const where = auditReadsWhere({ actorId, from, to });
      const t0 = performance.now();
      let page = await reads.find(collection, { where, limit: 100 });
      const first = performance.now() - t0;
      let count = page.items.length;
      while (page.nextCursor) {
        page = await reads.find(collection, { where, limit: 100, cursor: page.nextCursor });
        count += page.items.length;
      }
      const all = performance.now() - t0;
      firstPage.push(first);
      whole.push(all);
      console.log(
        `run ${run + 1}: ${actorId}, ${from.slice(0, 7)}: first page ${formatMs(first, 2)}, ` +
          `all ${formatInt(count)} entries in ${Math.ceil(count / 100)} pages ${formatMs(all, 2)}`,
      );
    }
    printCpuDuring('the queries', cpuUsage(cpuQuery, cpuSample([process.pid])));
    const med = median(firstPage);
    console.log('');
    console.log(`records                          ${formatInt(records)}`);
    console.log(`first page (100), median         ${formatMs(med, 2)}   aim < ${AIM_MS} ms`);
    console.log(`whole month paged, median        ${formatMs(median(whole), 2)}`);
    console.log(
      `${med < AIM_MS ? 'MET' : 'NOT MET'}: actor + month query answers in < ${AIM_MS} ms`,
    );
    return med < AIM_MS ? 0 : 1;
  } finally {
    await reads.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench(
  'audit',
  main,
  'npm run bench:audit -- [--records=N] [--runs=N] [--actors=N] [--dir=PATH]',
);
