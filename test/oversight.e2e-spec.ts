import { EVENT_STORE, type EventStore } from '@custodian/event-store';
import {
  AnomalyDetector,
  CommandExecutor,
  SuspensionRegistry,
  WriteTracker,
} from '@custodian/platform';
import { DEFAULT_ANOMALY_RULES } from '@custodian/policy';
import {
  anomalyCountersProjection,
  ProjectionRunner,
  RuleHistory,
  type AnomalyCountersDocument,
} from '@custodian/projections';
import { READ_STORE, type ReadStore } from '@custodian/read-store';
import {
  openEventStream,
  purposeBody,
  Scenario,
  startTestApp,
  waitFor,
  type ApiClient,
  type TestApp,
} from '@test/support';

const ROLES = ['admin', 'dpo', 'service', 'sales', 'support', 'dashboard'];
const PROFILE_FIELDS = ['name', 'email', 'phone', 'birthDate', 'address'];

const rule = (overrides: Record<string, unknown> = {}) => ({
  ruleId: 'bulk-reads',
  description: 'a person reads many different customers in ten minutes',
  measure: 'distinctCustomers',
  window: 'PT10M',
  threshold: 5,
  action: 'suspend',
  roles: ['sales'],
  ...overrides,
});
const rules = (list: unknown[]) => ({
  rules: list,
  workingHours: DEFAULT_ANOMALY_RULES.workingHours,
});

describe('anomaly counters, containment and incidents (HTTP, embedded stores)', () => {
  let t: TestApp;
  let scenario: Scenario;
  const as: Record<string, ApiClient> = {};
  const subjects: string[] = [];

  beforeAll(async () => {
    t = await startTestApp({}, [
      ...ROLES.map((role) => ({ id: `${role}-1`, roles: [role] })),
      { id: 'dpo-2', roles: ['dpo'] },
    ]);
    scenario = new Scenario(t);
    for (const role of ROLES) as[role] = scenario.client(`${role}-1`);
    as.dpo2 = scenario.client('dpo-2');
    await scenario.activePurpose(as.admin, as.dpo, 'crm-care', {
      legalBasis: 'contract',
      allowedRoles: ['sales', 'support', 'service'],
      flags: { marketing: false, profiling: false, saleOrShare: false, aiProcessing: false },
      assessment: { ...purposeBody('x').assessment, minimumFields: PROFILE_FIELDS },
    });
    for (let i = 0; i < 8; i++) {
      const response = await as.service.post('/v1/subjects', {
        profile: { name: `Customer ${i}`, email: `c${i}@example.com` },
        source: 'shop',
      });
      subjects.push(response.body.subjectId);
    }
  });
  afterAll(async () => t.close());

  const view = (role: string, subjectId: string) =>
    as[role].get(`/v1/subjects/${subjectId}/view?purpose=crm-care`);

  it('publishes anomaly rules as versioned events, only by a DPO, refusing bad ones', async () => {
    expect((await as.admin.get('/v1/anomaly-rules')).body.version).toBe(0);
    expect((await as.admin.post('/v1/anomaly-rules', rules([rule()]))).status).toBe(403);
    await scenario.expectNothingWritten(
      () => as.dpo.post('/v1/anomaly-rules', rules([rule({ measure: 'vibes' })])),
      400,
    );
    await scenario.expectNothingWritten(
      () => as.dpo.post('/v1/anomaly-rules', rules([rule(), rule()])),
      400,
    );
    await scenario.expectNothingWritten(
      () =>
        as.dpo.post('/v1/anomaly-rules', {
          ...rules([rule()]),
          workingHours: { ...DEFAULT_ANOMALY_RULES.workingHours, timeZone: 'Mars/Olympus' },
        }),
      400,
    );
    const published = await as.dpo.post('/v1/anomaly-rules', rules([rule()]));
    expect(published.status).toBe(201);
    expect(published.body).toMatchObject({ version: 1, rules: [rule()] });
    expect((await as.dpo.get('/v1/anomaly-rules')).body.version).toBe(1);
  });

  it('suspends a salesperson who reads many customers, refuses them everything, and lists exactly whom they read', async () => {
    const live = await openEventStream(
      `${t.baseUrl}/v1/dashboard/anomalies/stream`,
      as.dashboard.headersFor(),
    );
    expect(live.status).toBe(200);
    const read = subjects.slice(0, 5);
    for (const subjectId of read) expect((await view('sales', subjectId)).status).toBe(200);
    // The support agent reads as many, but the rule watches sales only.
    for (const subjectId of subjects.slice(0, 5))
      expect((await view('support', subjectId)).status).toBe(200);

    let anomalies: Array<Record<string, unknown>> = [];
    await waitFor(async () => {
      anomalies = (await as.dpo.get('/v1/anomalies?actorId=sales-1')).body.anomalies;
      return anomalies.length > 0;
    });
    expect(anomalies).toEqual([
      expect.objectContaining({
        ruleId: 'bulk-reads',
        actorId: 'sales-1',
        role: 'sales',
        measure: 'distinctCustomers',
        value: 5,
        threshold: 5,
        action: 'suspend',
      }),
    ]);
    await waitFor(async () => (await view('sales', subjects[6])).status === 403);
    // Live dashboards heard of it as it happened.
    await waitFor(async () => live.events.length > 0);
    live.close();
    expect(live.events).toEqual([
      {
        event: 'anomaly',
        id: expect.any(String),
        data: expect.objectContaining({ anomalyId: anomalies[0].anomalyId, actorId: 'sales-1' }),
      },
    ]);
    const board = (await as.dashboard.get('/v1/dashboard/anomalies')).body;
    expect(board).toMatchObject({
      total: 1,
      byRule: [{ ruleId: 'bulk-reads', count: 1 }],
      suspendedActors: [expect.objectContaining({ actorId: 'sales-1', by: 'rule:bulk-reads' })],
    });
    const refused = await as.sales.get('/v1/purposes');
    expect(refused.status).toBe(403);
    expect(refused.body.message).toMatch(/suspended/);
    expect((await as.dpo.get('/v1/actors/sales-1')).body).toMatchObject({
      suspended: true,
      suspendedBy: 'rule:bulk-reads',
    });
    expect((await as.support.get('/v1/purposes')).status).toBe(200);
    expect((await as.dpo.get('/v1/anomalies?actorId=support-1')).body.anomalies).toEqual([]);

    const opened = await as.dpo.post('/v1/incidents', {
      title: 'Bulk reads by a salesperson',
      anomalyId: anomalies[0].anomalyId,
    });
    expect(opened.status).toBe(201);
    expect(opened.body.actorIds).toEqual(['sales-1']);
    expect(opened.body.affected).toEqual({ count: 5, subjectIds: [...read].sort() });
    expect(opened.body.deadlines.map((d: { obligation: string }) => d.obligation)).toEqual([
      '152-fz-initial-notice',
      '152-fz-investigation-results',
      'gdpr-supervisory-authority',
    ]);
    expect(opened.body.timeline.map((e: { what: string }) => e.what)).toEqual(
      expect.arrayContaining(['anomaly_detected', 'actor_suspended', 'opened']),
    );

    // A DPO reinstates; an admin may not.
    expect(
      (await as.admin.post('/v1/actors/sales-1/reinstate', { note: 'spoke to them, all fine' }))
        .status,
    ).toBe(403);
    const reinstated = await as.dpo.post('/v1/actors/sales-1/reinstate', {
      note: 'reviewed with their manager; the reads were a mistake',
    });
    expect(reinstated.status).toBe(200);
    expect(reinstated.body.suspended).toBe(false);
    expect((await view('sales', subjects[6])).status).toBe(200);
    await scenario.expectNothingWritten(
      () => as.dpo.post('/v1/actors/sales-1/reinstate', { note: 'once more for good measure' }),
      409,
    );
  });

  it('suspends an integration key by hand and tracks an incident to closure with its deadlines', async () => {
    const suspended = await as.dpo.post('/v1/actors/service-1/suspend', {
      reason: 'campaign sending without a lawful basis',
    });
    expect(suspended.status).toBe(200);
    expect((await as.service.get('/v1/purposes')).status).toBe(403);
    await scenario.expectNothingWritten(
      () => as.dpo.post('/v1/actors/service-1/suspend', { reason: 'twice in a row, refused' }),
      409,
    );

    const detectedAt = new Date(Date.now() - 30 * 3_600_000).toISOString();
    const opened = await as.dpo.post('/v1/incidents', {
      title: 'Campaign without consent',
      actorIds: ['support-1'],
      from: new Date(Date.now() - 3_600_000).toISOString(),
      detectedAt,
      jurisdictions: ['152-fz'],
    });
    expect(opened.status).toBe(201);
    const id = opened.body.incidentId;
    expect(opened.body.affected.subjectIds).toEqual([...subjects.slice(0, 5)].sort());
    // Learnt of 30 hours ago: the 24-hour first notice is overdue, the 72-hour one is not yet.
    expect(opened.body.deadlines).toEqual([
      expect.objectContaining({ obligation: '152-fz-initial-notice', overdue: true, sentAt: null }),
      expect.objectContaining({ obligation: '152-fz-investigation-results', overdue: false }),
    ]);
    expect((await as.dpo.get('/v1/incidents?status=open')).body.incidents).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ incidentId: id, overdue: ['152-fz-initial-notice'] }),
      ]),
    );
    expect(
      (
        await as.dpo.post(`/v1/incidents/${id}/notifications`, {
          obligation: '152-fz-initial-notice',
          reference: 'RKN-2026/00017',
        })
      ).status,
    ).toBe(201);
    await scenario.expectNothingWritten(
      () =>
        as.dpo.post(`/v1/incidents/${id}/notifications`, {
          obligation: 'gdpr-supervisory-authority',
          reference: 'EDPB-1',
        }),
      400,
    );
    await scenario.expectNothingWritten(
      () =>
        as.dpo.post(`/v1/incidents/${id}/notes`, { text: 'customer wrote from ivan@example.com' }),
      400,
    );
    expect(
      (await as.dpo.post(`/v1/incidents/${id}/notes`, { text: 'keys rotated, campaign stopped' }))
        .status,
    ).toBe(201);
    const closed = await as.dpo.post(`/v1/incidents/${id}/close`, {
      remediation: 'campaign stopped, consent checks added to the mailer',
      unmet: [
        {
          obligation: '152-fz-investigation-results',
          reason: 'the investigation found no data left the company',
        },
      ],
    });
    expect(closed.status).toBe(200);
    expect(closed.body.status).toBe('closed');
    expect(closed.body.timeline.map((e: { what: string }) => e.what)).toEqual([
      'opened',
      'authority_notified',
      'note',
      'closed',
    ]);
    const incidents = (await as.dashboard.get('/v1/dashboard/incidents')).body;
    expect(incidents).toMatchObject({ open: 1, closed: 1, overdue: 0 });
    await scenario.expectNothingWritten(
      () => as.dpo.post(`/v1/incidents/${id}/notes`, { text: 'after closing' }),
      409,
    );
    await scenario.expectNothingWritten(
      () => as.dpo.post('/v1/incidents', { title: 'no window given' }),
      400,
    );
    expect(
      (await as.dpo.get(`/v1/incidents/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`)).status,
    ).toBe(404);
    expect(
      (await as.dpo.post('/v1/actors/service-1/reinstate', { note: 'campaign fixed and reviewed' }))
        .status,
    ).toBe(200);
  });

  it('counts customers found without consent for a consent purpose, under a newer rule version', async () => {
    await scenario.activePurpose(as.admin, as.dpo, 'newsletter', {
      allowedRoles: ['support'],
      assessment: { ...purposeBody('x').assessment, minimumFields: PROFILE_FIELDS },
    });
    const noConsent = rule({
      ruleId: 'no-consent',
      measure: 'withoutConsent',
      window: 'PT1H',
      threshold: 2,
      action: 'alert',
      roles: ['support'],
    });
    const published = await as.dpo.post('/v1/anomaly-rules', rules([rule(), noConsent]));
    expect(published.body.version).toBe(2);
    for (const i of [0, 1]) {
      const found = await as.support.get(
        `/v1/subjects?email=c${i}%40example.com&purpose=newsletter`,
      );
      expect(found.status).toBe(200);
    }
    await waitFor(
      async () => (await as.dpo.get('/v1/anomalies?ruleId=no-consent')).body.anomalies.length === 1,
    );
    expect((await as.dpo.get('/v1/anomalies?ruleId=no-consent')).body.anomalies[0]).toMatchObject({
      actorId: 'support-1',
      measure: 'withoutConsent',
      value: 2,
      ruleSetVersion: 2,
      action: 'alert',
    });
    // An alert does not suspend.
    expect((await as.support.get('/v1/purposes')).status).toBe(200);
  });

  it('reports what a candidate rule would have caught in the past, writing nothing', async () => {
    const before = await scenario.head();
    const report = await as.dpo.post(
      '/v1/anomaly-rules/evaluate',
      rules([rule({ ruleId: 'support-bulk', roles: ['support'], threshold: 3, action: 'alert' })]),
    );
    expect(report.status).toBe(200);
    expect(report.body.anomalies).toEqual([
      expect.objectContaining({
        ruleId: 'support-bulk',
        actorId: 'support-1',
        value: 3,
        alreadyDetected: false,
      }),
    ]);
    const again = await as.dpo.post('/v1/anomaly-rules/evaluate', rules([rule()]));
    expect(again.body.anomalies).toEqual([
      expect.objectContaining({ ruleId: 'bulk-reads', actorId: 'sales-1', alreadyDetected: true }),
    ]);
    expect(await scenario.head()).toBe(before);
  });

  it('rebuilds the anomaly counters to the same anomalies, and a re-run detector appends nothing twice', async () => {
    const runner = t.app.get(ProjectionRunner);
    const events = t.app.get<EventStore>(EVENT_STORE);
    const reads = t.app.get<ReadStore>(READ_STORE);
    const firings = async () => {
      const collection = runner.collectionFor('anomaly_counters');
      const page = await reads.find(collection, { limit: 1000 });
      return page.items
        .flatMap(({ doc }) => (doc as AnomalyCountersDocument).firings)
        .map((f) => f.anomalyId)
        .sort();
    };
    const detected = async () =>
      (await events.readAll())
        .filter((e) => e.type === 'AnomalyDetected')
        .map((e) => e.id)
        .sort();
    const live = await firings();
    const before = await detected();
    expect(before.length).toBeGreaterThan(0);
    expect(live).toEqual(before);

    const definition = anomalyCountersProjection(
      new RuleHistory((a, b) => events.comparePositions(a, b)),
    );
    const rebuilt = { ...definition, version: definition.version + 1 };
    await runner.replace(rebuilt);
    await waitFor(
      async () =>
        runner.status().find((s) => s.name === 'anomaly_counters')?.activeVersion ===
        rebuilt.version,
      10_000,
    );
    expect(await firings()).toEqual(live);

    // The re-run detector reads an actor's stream for each firing it sees, before emitting:
    // recorded, so a detector that saw no firing cannot pass for one that appended nothing.
    const checked: string[] = [];
    const watched = new Proxy(events, {
      get(target, key) {
        if (key === 'readStream')
          return (...args: Parameters<EventStore['readStream']>) => {
            if (args[0].startsWith('actor-')) checked.push(args[0]);
            return target.readStream(...args);
          };
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const again = new AnomalyDetector(
      watched,
      reads,
      runner,
      t.app.get(SuspensionRegistry),
      new CommandExecutor(watched, t.app.get(WriteTracker)),
    );
    await again.start('reactor:anomaly-detector-replay');
    const head = (await events.readLastEvent())!.position;
    await waitFor(async () => again.checkpointPosition() === head, 10_000);
    await again.stop();
    const firedFor = (await events.readAll())
      .filter((e) => e.type === 'AnomalyDetected')
      .map((e) => e.stream);
    expect(checked.sort()).toEqual(firedFor.sort());
    expect(await detected()).toEqual(before);
  });
});
