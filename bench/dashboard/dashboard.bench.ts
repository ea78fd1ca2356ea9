/**
 * Each dashboard over N access records (default 1,000,000): the records are built straight
 * through the dashboards' projections (`accessHoursProjection` and `trendHoursProjection`:
 * their consults, documentIds and apply) into an embedded SQLite read store, then each
 * dashboard is answered with the very functions the API and the console call
 * (`apps/api/src/access-dashboard/*.queries.ts`) for a 30-day range in a time zone, several
 * runs each. Aim: every dashboard's median < 50 ms.
 *
 *   npm run bench:dashboard                          # 1,000,000 access records
 *   npm run bench:dashboard -- --records=200000      # smaller
 *   npm run bench:dashboard -- --runs=15 --dir=/dev/shm
 *   npm run bench:dashboard -- --keep=/var/tmp/dash-1m   # build once, keep, reuse next time
 *
 * With `--keep=PATH` the store is built into PATH and kept; a later run with the same PATH, the
 * same --records and the same projection versions skips the build and only runs the queries.
 * Options may also come from the environment: BENCH_RECORDS, BENCH_RUNS, BENCH_DIR, BENCH_KEEP.
 */
import type { JsonObject } from '@custodian/domain';
import {
  accessHoursProjection,
  trendHoursProjection,
  type ProjectionDefinition,
  type StoredEvent,
} from '@custodian/projections';
import { SqliteReadStore, type DocumentWrite, type ReadStore } from '@custodian/read-store';
import { randomUUID } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import {
  accessByDay,
  actorVolumes,
  exportRowsByDay,
  loadActorDocs,
  loadHours,
} from '../../apps/api/src/access-dashboard/access-dashboard.queries';
import {
  acknowledgementTrend,
  consentTrend,
  loadTrendHours,
  privacyRequestTrend,
} from '../../apps/api/src/access-dashboard/trends.queries';
import { zonedRange } from '../../apps/api/src/access-dashboard/zoned-days';
import { cpuSample, cpuUsage } from '../support/machine';
import { readOptions } from '../support/options';
import { printCpuDuring, printHeader, runBench } from '../support/report';
import { formatInt, formatMs, median } from '../support/stats';

const AIM_MS = 50;
const BATCH = 5000;
const ROLES = ['sales', 'support', 'marketing', 'analyst', 'service'];
const PURPOSES = ['crm-care', 'newsletter', 'billing', 'support-desk'];
const KINDS = ['access', 'rectification', 'erasure', 'restriction'];
const CONNECTORS = ['mailer-co', 'ads-co', 'warehouse-co'];
const YEAR_START = Date.parse('2026-01-01T00:00:00Z');
const YEAR_MS = 365 * 86_400_000;
const ZONES = ['UTC', 'Europe/Moscow', 'America/New_York'];

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

/** Applies events through a projection definition as the runner does, one batch a commit. */
class Builder {
  private readonly state = new Map<string, JsonObject | null>();
  private touched = new Set<string>();
  private position = 0;

  constructor(
    private readonly definition: ProjectionDefinition<JsonObject, StoredEvent>,
    private readonly collection: string,
  ) {}

  apply(type: string, data: Record<string, unknown>, at: string): string {
    const event = {
      id: randomUUID(),
      stream: 'bench',
      revision: 0n,
      position: String(++this.position),
      type,
      data,
      metadata: {},
      recordedAt: new Date(at),
    } as unknown as StoredEvent;
    const consulted = new Map(
      (this.definition.consults?.(event) ?? []).map((id) => [id, this.state.get(id) ?? null]),
    );
    const lookup = (id: string) => consulted.get(id) ?? null;
    for (const id of this.definition.documentIds(event, lookup)) {
      this.state.set(id, this.definition.apply(this.state.get(id) ?? null, event, id, lookup));
      this.touched.add(id);
    }
    return event.id;
  }

  async flush(reads: ReadStore): Promise<void> {
    const writes: DocumentWrite[] = [...this.touched].map((id) => ({
      collection: this.collection,
      id,
      doc: this.state.get(id) ?? null,
    }));
    this.touched = new Set();
    if (writes.length) await reads.commit({ writes });
  }
}

async function main(): Promise<number> {
  const options = readOptions(process.argv.slice(2), ['records', 'runs', 'dir', 'keep']);
  const records = options.int('records', 1_000_000, 1_000_000, 1000);
  const runs = options.int('runs', 9, 9, 1);
  const parent = options.raw('dir') ?? os.tmpdir();
  const keep = options.raw('keep');
  // What a kept store was built for: reused only when all of it matches.
  const builtFor = JSON.stringify({
    records,
    access: accessHoursProjection.version,
    trends: trendHoursProjection.version,
  });
  const marker = keep && join(keep, 'built.json');
  const reuse = !!marker && existsSync(marker) && readFileSync(marker, 'utf8') === builtFor;
  if (keep && !reuse) {
    rmSync(keep, { recursive: true, force: true });
    mkdirSync(keep, { recursive: true });
  }
  const dir = keep ?? mkdtempSync(join(parent, 'custodian-dashboard-bench-'));
  printHeader(
    'Dashboards: access, actors, export rows and trends over a 30-day range',
    dir,
    `  ${formatInt(records)} access records (reads, lookups, refusals, exports) by 200 actors over ` +
      `12 months, plus ${formatInt(Math.round(records / 10))} consent decisions, privacy requests and ` +
      `acknowledgements, built through the dashboards' projections into SQLite; ${runs} runs each.`,
  );
  const reads = new SqliteReadStore({ file: join(dir, 'read-models.db') });
  try {
    const accessCollection = 'access_hours_bench';
    const trendCollection = 'trend_hours_bench';
    for (const [name, def] of [
      [accessCollection, accessHoursProjection],
      [trendCollection, trendHoursProjection],
    ] as const)
      await reads.ensureCollection({ name, indexes: [...(def.indexes ?? [])] });
    const access = new Builder(
      accessHoursProjection as unknown as ProjectionDefinition<JsonObject, StoredEvent>,
      accessCollection,
    );
    const trends = new Builder(
      trendHoursProjection as unknown as ProjectionDefinition<JsonObject, StoredEvent>,
      trendCollection,
    );

    // --- build ---------------------------------------------------------------------------
    if (reuse) console.log(`reusing the store built for ${builtFor} in ${dir}\n`);
    else await build();
    async function build() {
      const random = rng(42);
      const subjects = Array.from({ length: 50_000 }, () => randomUUID());
      const open: Array<{ requestId: string }> = [];
      const revocations: string[] = [];
      const started = performance.now();
      const cpuBefore = cpuSample([process.pid]);
      for (let i = 0; i < records; i += BATCH) {
        for (let k = i; k < Math.min(records, i + BATCH); k++) {
          const actorId = `clerk-${Math.floor(random() ** 2 * 200)}`;
          const subjectId = subjects[Math.floor(random() * subjects.length)];
          const purposeId = PURPOSES[Math.floor(random() * PURPOSES.length)];
          const role = ROLES[Math.floor(random() * ROLES.length)];
          const at = new Date(YEAR_START + Math.floor((k / records) * YEAR_MS)).toISOString();
          const kind = Math.floor(random() * 20);
          if (kind === 0)
            access.apply(
              'AccessDenied',
              {
                subjectId,
                actorId,
                role,
                purposeId,
                reason: 'no_consent_for_purpose',
                requestId: `r${k}`,
                at,
              },
              at,
            );
          else if (kind === 1)
            access.apply(
              'SubjectExported',
              {
                subjectId,
                exportId: `e${k >> 8}`,
                actorId,
                role,
                purposeId,
                fields: [],
                destination: 'mail-provider',
                at,
                ...(k % 7 === 0 ? { mode: 'sandbox' } : {}),
              },
              at,
            );
          else
            access.apply(
              'FieldsAccessed',
              {
                subjectId,
                actorId,
                role,
                purposeId,
                via: kind < 15 ? 'view' : 'lookup',
                fields: [],
                policyVersion: 0,
                requestId: `r${k}`,
                at,
                ...(kind === 19 ? { withoutConsent: true } : {}),
              },
              at,
            );
          // One trend event for ten access records.
          if (k % 10 !== 0) continue;
          const pick = Math.floor(random() * 10);
          if (pick < 6) trends.apply('ConsentGranted', { subjectId, purposeId, grantedAt: at }, at);
          else if (pick < 8)
            revocations.push(
              trends.apply(
                'ConsentRevoked',
                { subjectId, purposeId, trigger: pick === 7 ? 'gpc' : 'request', revokedAt: at },
                at,
              ),
            );
          else if (pick === 8) {
            const requestId = randomUUID();
            open.push({ requestId });
            trends.apply(
              'PrivacyRequestReceived',
              { requestId, subjectId, kind: KINDS[k % KINDS.length], receivedAt: at, at },
              at,
            );
          } else {
            const answered = open.shift();
            if (answered)
              trends.apply(
                random() < 0.8 ? 'PrivacyRequestCompleted' : 'PrivacyRequestRefused',
                { requestId: answered.requestId, at },
                at,
              );
            const cause = revocations.shift();
            if (cause)
              trends.apply(
                'DownstreamAcknowledged',
                {
                  connectorId: CONNECTORS[k % CONNECTORS.length],
                  eventId: cause,
                  acknowledgedAt: at,
                },
                at,
              );
          }
        }
        await access.flush(reads);
        await trends.flush(reads);
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
      if (marker) writeFileSync(marker, builtFor);
    }

    // --- queries -------------------------------------------------------------------------
    const dashboards: Array<[string, (range: ReturnType<typeof zonedRange>) => Promise<unknown>]> =
      [
        ['access', async (r) => accessByDay(r, await loadHours(reads, accessCollection, r))],
        [
          'access/actors',
          async (r) => actorVolumes(r, await loadActorDocs(reads, accessCollection, r), 10),
        ],
        [
          'exports/rows',
          async (r) => exportRowsByDay(r, await loadHours(reads, accessCollection, r)),
        ],
        [
          'trends/consents',
          async (r) => consentTrend(r, await loadTrendHours(reads, trendCollection, r)),
        ],
        [
          'trends/privacy-requests',
          async (r) => privacyRequestTrend(r, await loadTrendHours(reads, trendCollection, r)),
        ],
        [
          'trends/acknowledgements',
          async (r) => acknowledgementTrend(r, await loadTrendHours(reads, trendCollection, r)),
        ],
      ];
    const pick = rng(7);
    const medians: Array<[string, number]> = [];
    const cpuQuery = cpuSample([process.pid]);
    for (const [name, answer] of dashboards) {
      const times: number[] = [];
      for (let run = 0; run < runs; run++) {
        const month = 1 + Math.floor(pick() * 11);
        const from = `2026-${String(month).padStart(2, '0')}-03`;
        const to = new Date(Date.parse(from) + 29 * 86_400_000).toISOString().slice(0, 10);
        const tz = ZONES[run % ZONES.length];
        const t0 = performance.now();
        await answer(zonedRange({ from, to, tz }, new Date()));
        times.push(performance.now() - t0);
      }
      const med = median(times);
      medians.push([name, med]);
      console.log(
        `${name.padEnd(26)} median ${formatMs(med, 2)}  (runs: ${times.map((t) => t.toFixed(1)).join(', ')} ms)`,
      );
    }
    printCpuDuring('the queries', cpuUsage(cpuQuery, cpuSample([process.pid])));
    console.log('');
    console.log(`records                          ${formatInt(records)}`);
    const worst = Math.max(...medians.map(([, m]) => m));
    for (const [name, med] of medians)
      console.log(`${(name + ', median').padEnd(33)}${formatMs(med, 2)}   aim < ${AIM_MS} ms`);
    console.log(
      `${worst < AIM_MS ? 'MET' : 'NOT MET'}: every dashboard answers a 30-day range in < ${AIM_MS} ms`,
    );
    return worst < AIM_MS ? 0 : 1;
  } finally {
    await reads.close();
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

runBench(
  'dashboard',
  main,
  'npm run bench:dashboard -- [--records=N] [--runs=N] [--dir=PATH] [--keep=PATH]',
);
