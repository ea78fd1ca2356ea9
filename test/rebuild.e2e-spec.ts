import type { JsonObject } from '@custodian/domain';
import { EVENT_STORE, type EventStore } from '@custodian/event-store';
import { anomalyRuleHistory, currentPolicy, projectionDefinitions } from '@custodian/platform';
import {
  activeCollection,
  ProjectionRunner,
  type ProjectionDefinition,
} from '@custodian/projections';
import { READ_STORE, SqliteReadStore, type ReadStore } from '@custodian/read-store';
import { join } from 'node:path';
import {
  ApiClient,
  consentBody,
  purposeBody,
  request,
  Scenario,
  startTestApp,
  waitFor,
  type TestApp,
} from '@test/support';

const ACTORS = [
  { id: 'dpo-1', roles: ['dpo'] },
  { id: 'admin-1', roles: ['admin'] },
  { id: 'crm', roles: ['service'] },
  { id: 'sales-1', roles: ['sales'] },
];
/** Small pages, so a log of a few hundred events takes many pages of the shared catch-up. */
const PAGE = 20;

type Snapshot = Record<string, Array<{ id: string; doc: JsonObject }>>;

/**
 * Rebuilt read models equal the live ones, document for document: activity through HTTP, the
 * live read models snapshot, then every projection rebuilt from the log by the runner into a
 * fresh read-store file (through the shared catch-up, in small pages) — and again after a crash
 * in the middle of a rebuild. Readiness reports lag from positions, without counting the log.
 */
describe('rebuilding read models (HTTP activity, embedded stores)', () => {
  let t: TestApp;
  let events: EventStore;
  let live: ReadStore;
  let definitions: readonly ProjectionDefinition<JsonObject>[];
  let liveSnapshot: Snapshot;

  beforeAll(async () => {
    t = await startTestApp({}, ACTORS);
    const scenario = new Scenario(t);
    const client = (id: string) => new ApiClient(t.baseUrl, t.keys[id]);
    const [admin, dpo, crm, sales] = ['admin-1', 'dpo-1', 'crm', 'sales-1'].map(client);
    const fields = { ...purposeBody('x').assessment, minimumFields: ['email', 'name'] };
    await scenario.activePurpose(admin, dpo, 'news', { assessment: fields });
    await scenario.activePurpose(admin, dpo, 'care', {
      legalBasis: 'contract',
      allowedRoles: ['sales', 'service'],
      flags: { marketing: false, profiling: false, saleOrShare: false, aiProcessing: false },
      assessment: fields,
    });
    const subjects: string[] = [];
    for (let i = 0; i < 24; i++) {
      const created = await crm.post('/v1/subjects', {
        profile: { email: `rebuild-${i}@example.com`, name: `Customer ${i}` },
        source: 'shop',
      });
      expect(created.status).toBe(201);
      subjects.push(created.body.subjectId as string);
    }
    for (const [i, id] of subjects.entries()) {
      for (let round = 0; round < 4; round++) {
        const body = consentBody('news', round % 2 === 0 ? {} : { action: 'revoke' });
        expect((await crm.post(`/v1/subjects/${id}/consents`, body)).status).toBe(201);
      }
      if (i % 3 === 0)
        expect((await sales.get(`/v1/subjects/${id}/view?purpose=care`)).status).toBe(200);
    }
    // An erasure: projections find the customer's documents by an indexed field (documentsWhere).
    expect(
      (
        await crm.post(`/v1/subjects/${subjects[0]}/erasure`, {
          reason: 'data_subject_request',
          requestedVia: 'email',
        })
      ).status,
    ).toBe(202);
    events = t.app.get<EventStore>(EVENT_STORE);
    live = t.app.get<ReadStore>(READ_STORE);
    const runner = t.app.get(ProjectionRunner);
    const head = (await events.readLastEvent())!.position;
    await runner.waitFor(head, { timeoutMs: 30_000 });
    definitions = projectionDefinitions(
      await currentPolicy(events, { now: () => new Date() }),
      await anomalyRuleHistory(events),
    );
    liveSnapshot = await snapshot(live, definitions);
    expect(await events.countEventsAfter(undefined, 10_000)).toBeGreaterThan(5 * PAGE);
  }, 120_000);
  afterAll(async () => t.close());

  const runToLive = async (runner: ProjectionRunner) => {
    await runner.start();
    await waitFor(async () => {
      const failed = runner.status().find((s) => s.state === 'failed');
      if (failed) throw new Error(`${failed.name} failed: ${failed.error}`);
      return runner.status().every((s) => s.state === 'live');
    }, 30_000);
  };

  it('rebuilds every read model from the log, equal to the live ones document for document, reading each page once for all', async () => {
    const reads = new SqliteReadStore({ file: join(t.dataDir, 'rebuilt-all.sqlite') });
    const readAll = jest.spyOn(events, 'readAll');
    const runner = new ProjectionRunner(events, reads, definitions, { catchUpBatchSize: PAGE });
    try {
      await runToLive(runner);
      // One shared read per page for all projections, not one per projection.
      const pages = readAll.mock.calls.filter(([options]) => options?.maxCount === PAGE).length;
      const total = await events.countEventsAfter(undefined, 10_000);
      // The shared pages, then one short read each as a projection goes on alone to the head;
      // a read of its own per projection would take definitions.length times the pages.
      expect(pages).toBeGreaterThanOrEqual(Math.floor(total / PAGE));
      expect(pages).toBeLessThanOrEqual(Math.ceil(total / PAGE) + 1 + definitions.length);
      await runner.stop();
      expect(await snapshot(reads, definitions)).toEqual(liveSnapshot);
    } finally {
      readAll.mockRestore();
      await runner.stop();
      await reads.close();
    }
  }, 120_000);

  // Rebuilding every projection twice over the same log: minutes on a loaded two-core CI machine.
  it('a rebuild that crashes in the middle resumes from its checkpoints and still equals the live read models', async () => {
    const file = join(t.dataDir, 'rebuilt-crash.sqlite');
    const first = new SqliteReadStore({ file });
    // The process "dies" after 30 batches (of about 150): none after reaches the file.
    let commits = 0;
    const commit = first.commit.bind(first);
    jest.spyOn(first, 'commit').mockImplementation(async (batch) => {
      if (batch.checkpoint && ++commits > 30) throw new Error('killed');
      return commit(batch);
    });
    const crashed = new ProjectionRunner(events, first, definitions, {
      catchUpBatchSize: PAGE,
      retryDelayMs: 60_000,
    });
    await crashed.start();
    await waitFor(async () => crashed.status().some((s) => s.state === 'failed'), 10_000);
    await crashed.stop();
    await first.close();
    const reopened = new SqliteReadStore({ file });
    const resumed = new ProjectionRunner(events, reopened, definitions, { catchUpBatchSize: PAGE });
    try {
      // Some projections had committed pages before the crash: they resume, not restart.
      const sequences = await Promise.all(
        definitions.map(async (d) => {
          const collection = await activeCollection(reopened, d.name);
          return collection
            ? ((await reopened.getCheckpoint(`projection:${collection}`))?.sequence ?? 0)
            : 0;
        }),
      );
      expect(sequences.some((n) => n > 0)).toBe(true);
      await runToLive(resumed);
      await resumed.stop();
      expect(await snapshot(reopened, definitions)).toEqual(liveSnapshot);
    } finally {
      await resumed.stop();
      await reopened.close();
    }
  }, 120_000);

  it('/health/ready reports a large lag from positions, without counting the events behind', async () => {
    const runner = t.app.get(ProjectionRunner);
    await runner.stop();
    // 3000 events no projection has applied (the runner is stopped).
    for (let i = 0; i < 3; i++)
      await events.append(
        `lagtest-${i}`,
        Array.from({ length: 1000 }, () => ({ type: 'LagFiller', data: { n: i } })),
      );
    const total = await events.countEventsAfter(undefined, 100_000);
    const count = jest.spyOn(events, 'countEventsAfter');
    try {
      const { body } = await request(`${t.baseUrl}/health/ready`);
      const lags = body.details.projections.projections as Array<{
        name: string;
        eventsBehind: number;
        secondsBehind: number;
      }>;
      expect(lags.length).toBe(definitions.length);
      for (const lag of lags) {
        // A checkpoint that only moved may be stored a few events short of the head.
        expect(lag.eventsBehind).toBeGreaterThanOrEqual(3000);
        expect(lag.eventsBehind).toBeLessThanOrEqual(total);
        expect(lag.secondsBehind).toBeGreaterThanOrEqual(0);
      }
      // Nothing counted the events behind (before: a count of up to a million per projection).
      expect(count.mock.calls.filter(([, cap]) => cap >= 3000)).toEqual([]);
    } finally {
      count.mockRestore();
    }
  });
});

/** Every document of every projection's active build, by id. */
async function snapshot(
  reads: ReadStore,
  definitions: readonly ProjectionDefinition<JsonObject>[],
): Promise<Snapshot> {
  const out: Snapshot = {};
  for (const { name } of definitions) {
    const collection = await activeCollection(reads, name);
    if (!collection) throw new Error(`no active build of ${name}`);
    const docs: Array<{ id: string; doc: JsonObject }> = [];
    let cursor: string | undefined;
    do {
      const page = await reads.find(collection, { limit: 1000, cursor });
      docs.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    out[name] = docs;
  }
  return out;
}
