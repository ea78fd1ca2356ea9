import { DEFAULT_ANOMALY_RULES } from '@custodian/policy';
import {
  ManualClock,
  purposeBody,
  Scenario,
  startTestApp,
  waitFor,
  type ApiClient,
  type TestApp,
} from '@test/support';

const ROLES = ['admin', 'dpo', 'service', 'sales'];
const PROFILE_FIELDS = ['name', 'email', 'phone', 'birthDate', 'address'];
const HOUR = 3_600_000;

/**
 * Incidents that hold up to review: detection time from the anomaly, the customers' notice
 * where the risk is high, no closing with an obligation unmet and unexplained, bursts across a
 * window boundary caught, and a DPO's lookup under the built-in subject-access purpose.
 */
describe('incidents that hold up to review (HTTP, embedded stores)', () => {
  let t: TestApp;
  let scenario: Scenario;
  const clock = new ManualClock('2026-03-02T10:08:00.000Z');
  const as: Record<string, ApiClient> = {};
  const subjects: string[] = [];
  let anomaly: Record<string, string | number>;

  beforeAll(async () => {
    t = await startTestApp(
      {},
      ROLES.map((role) => ({ id: `${role}-1`, roles: [role] })),
      { clock },
    );
    scenario = new Scenario(t);
    for (const role of ROLES) as[role] = scenario.client(`${role}-1`);
    await scenario.activePurpose(as.admin, as.dpo, 'crm-care', {
      legalBasis: 'contract',
      allowedRoles: ['sales', 'service'],
      flags: { marketing: false, profiling: false, saleOrShare: false, aiProcessing: false },
      assessment: { ...purposeBody('x').assessment, minimumFields: PROFILE_FIELDS },
    });
    for (let i = 0; i < 4; i++) {
      const response = await as.service.post('/v1/subjects', {
        profile: { name: `Customer ${i}`, email: `review${i}@example.com` },
        source: 'shop',
      });
      expect(response.status).toBe(201);
      subjects.push(response.body.subjectId);
    }
  });
  afterAll(async () => t.close());

  const view = (subjectId: string) =>
    as.sales.get(`/v1/subjects/${subjectId}/view?purpose=crm-care`);

  it('catches a burst split across a ten-minute boundary (two reads at 10:08, two at 10:11)', async () => {
    const ruleSet = {
      rules: [
        {
          ruleId: 'bulk-reads',
          description: 'a person reads many different customers in ten minutes',
          measure: 'distinctCustomers',
          window: 'PT10M',
          threshold: 4,
          action: 'alert',
          roles: ['sales'],
        },
      ],
      workingHours: DEFAULT_ANOMALY_RULES.workingHours,
    };
    const published = await as.dpo.post('/v1/anomaly-rules', ruleSet);
    expect(published.status).toBe(201);
    for (const subjectId of subjects.slice(0, 2)) expect((await view(subjectId)).status).toBe(200);
    clock.set('2026-03-02T10:11:00.000Z');
    for (const subjectId of subjects.slice(2)) expect((await view(subjectId)).status).toBe(200);
    // Aligned windows hold two reads each (10:00-10:10, 10:10-10:20); the shifted one holds four.
    let anomalies: Array<Record<string, string | number>> = [];
    await waitFor(async () => {
      anomalies = (await as.dpo.get('/v1/anomalies?actorId=sales-1')).body.anomalies;
      return anomalies.length > 0;
    });
    expect(anomalies).toEqual([
      expect.objectContaining({
        ruleId: 'bulk-reads',
        value: 4,
        window: 'PT10M',
        windowStart: '2026-03-02T10:05:00.000Z',
        windowEnd: '2026-03-02T10:15:00.000Z',
        detectedAt: '2026-03-02T10:11:00.000Z',
      }),
    ]);
    anomaly = anomalies[0];
    // The what-if evaluation of the same rule over that hour finds the same one anomaly.
    const evaluated = await as.dpo.post('/v1/anomaly-rules/evaluate', {
      ...ruleSet,
      from: '2026-03-02T10:00:00.000Z',
      to: '2026-03-02T11:00:00.000Z',
    });
    expect(evaluated.status).toBe(200);
    expect(evaluated.body).toMatchObject({
      wouldHaveFired: 1,
      anomalies: [
        expect.objectContaining({
          anomalyId: anomaly.anomalyId,
          windowStart: '2026-03-02T10:05:00.000Z',
          alreadyDetected: true,
        }),
      ],
    });
  });

  it('opens an incident from the anomaly with the anomaly detection time: the deadlines run from it', async () => {
    // The DPO gets to it 26 hours later: the 24-hour first notice is already overdue.
    clock.set(new Date(Date.parse('2026-03-02T10:11:00.000Z') + 26 * HOUR));
    await scenario.expectNothingWritten(async () => {
      const refused = await as.dpo.post('/v1/incidents', {
        title: 'Bulk reads across a boundary',
        anomalyId: anomaly.anomalyId,
        detectedAt: clock.now().toISOString(),
      });
      expect(refused.body.details).toEqual([expect.objectContaining({ field: 'detectedAt' })]);
      return refused;
    }, 400);
    const opened = await as.dpo.post('/v1/incidents', {
      title: 'Bulk reads across a boundary',
      anomalyId: anomaly.anomalyId,
    });
    expect(opened.status).toBe(201);
    expect(opened.body).toMatchObject({
      detectedAt: '2026-03-02T10:11:00.000Z',
      openedAt: clock.now().toISOString(),
      risk: 'low',
      window: { from: '2026-03-02T10:05:00.000Z', to: '2026-03-02T10:15:00.000Z' },
    });
    expect(opened.body.affected.subjectIds).toEqual([...subjects].sort());
    expect(opened.body.deadlines).toEqual([
      expect.objectContaining({
        obligation: '152-fz-initial-notice',
        due: '2026-03-03T10:11:00.000Z',
        overdue: true,
      }),
      expect.objectContaining({
        obligation: '152-fz-investigation-results',
        due: '2026-03-05T10:11:00.000Z',
        overdue: false,
      }),
      expect.objectContaining({
        obligation: 'gdpr-supervisory-authority',
        due: '2026-03-05T10:11:00.000Z',
        overdue: false,
      }),
    ]);
    const listed = (await as.dpo.get('/v1/incidents?status=open')).body.incidents;
    expect(listed).toEqual([
      expect.objectContaining({
        incidentId: opened.body.incidentId,
        detectedAt: '2026-03-02T10:11:00.000Z',
        overdue: ['152-fz-initial-notice'],
      }),
    ]);
    // A low-risk incident owes the customers no notice.
    await scenario.expectNothingWritten(async () => {
      const refused = await as.dpo.post(`/v1/incidents/${opened.body.incidentId}/notifications`, {
        obligation: 'gdpr-data-subjects',
        reference: 'MAIL-1',
      });
      expect(refused.body.details).toEqual([expect.objectContaining({ field: 'obligation' })]);
      return refused;
    }, 400);
    // The investigation finds the risk high: the customers' notice becomes an obligation.
    const id = opened.body.incidentId;
    for (const [body, field] of [
      [{ risk: 'severe', rationale: 'the reads included passport data' }, 'risk'],
      [{ risk: 'high', rationale: 'ivan@example.com complained' }, 'rationale'],
    ] as const) {
      const refused = await scenario.expectNothingWritten(
        () => as.dpo.post(`/v1/incidents/${id}/risk`, body),
        400,
      );
      expect(refused.details).toEqual([expect.objectContaining({ field })]);
    }
    const assessed = await as.dpo.post(`/v1/incidents/${id}/risk`, {
      risk: 'high',
      rationale: 'the reads included passport data',
    });
    expect(assessed.status).toBe(200);
    expect(assessed.body.risk).toBe('high');
    expect(assessed.body.deadlines.at(-1)).toMatchObject({
      obligation: 'gdpr-data-subjects',
      due: '2026-03-05T10:11:00.000Z',
    });
    expect(assessed.body.timeline.map((e: { what: string }) => e.what)).toContain('risk_assessed');
    await scenario.expectNothingWritten(
      () =>
        as.dpo.post(`/v1/incidents/${id}/risk`, {
          risk: 'high',
          rationale: 'the reads included passport data',
        }),
      409,
    );
    expect(
      (
        await as.dpo.post(`/v1/incidents/${id}/notifications`, {
          obligation: 'gdpr-data-subjects',
          reference: 'MAIL-1',
        })
      ).status,
    ).toBe(201);
  });

  it('adds the notice to the affected customers where the risk is high, and refuses to close with an obligation unmet and unexplained', async () => {
    await scenario.expectNothingWritten(async () => {
      const refused = await as.dpo.post('/v1/incidents', {
        title: 'Laptop lost',
        from: new Date(clock.now().getTime() - HOUR).toISOString(),
        risk: 'severe',
      });
      expect(refused.body.details).toEqual([expect.objectContaining({ field: 'risk' })]);
      return refused;
    }, 400);
    const opened = await as.dpo.post('/v1/incidents', {
      title: 'Laptop lost',
      from: new Date(clock.now().getTime() - HOUR).toISOString(),
      risk: 'high',
    });
    expect(opened.status).toBe(201);
    const id = opened.body.incidentId;
    expect(opened.body.risk).toBe('high');
    expect(opened.body.deadlines.map((d: { obligation: string }) => d.obligation)).toEqual([
      '152-fz-initial-notice',
      '152-fz-investigation-results',
      'gdpr-supervisory-authority',
      'gdpr-data-subjects',
    ]);
    for (const obligation of ['152-fz-initial-notice', 'gdpr-supervisory-authority'])
      expect(
        (await as.dpo.post(`/v1/incidents/${id}/notifications`, { obligation, reference: 'R-1' }))
          .status,
      ).toBe(201);

    const remediation = 'disk was encrypted; keys rotated';
    const why = 'the disk was encrypted and the key never left the office';
    // Two obligations are unmet: closing without a reason for each is refused, naming them.
    const bare = await scenario.expectNothingWritten(
      () => as.dpo.post(`/v1/incidents/${id}/close`, { remediation }),
      409,
    );
    expect(bare.details).toEqual([
      {
        field: 'unmet',
        problem: expect.stringMatching(/152-fz-investigation-results, gdpr-data-subjects/),
      },
    ]);
    const partial = await scenario.expectNothingWritten(
      () =>
        as.dpo.post(`/v1/incidents/${id}/close`, {
          remediation,
          unmet: [{ obligation: 'gdpr-data-subjects', reason: why }],
        }),
      409,
    );
    expect(partial.details[0].problem).toMatch(/152-fz-investigation-results/);
    expect(partial.details[0].problem).not.toMatch(/gdpr-data-subjects/);
    // A reason for a notified obligation, a reason with an email in it, an unknown obligation.
    for (const [unmet, field] of [
      [[{ obligation: 'gdpr-supervisory-authority', reason: why }], 'unmet'],
      [
        [{ obligation: 'gdpr-data-subjects', reason: 'told ivan@example.com by phone' }],
        'unmet.0.reason',
      ],
      [[{ obligation: 'gdpr-everything', reason: why }], 'unmet.0.obligation'],
    ] as const) {
      const refused = await scenario.expectNothingWritten(
        () => as.dpo.post(`/v1/incidents/${id}/close`, { remediation, unmet }),
        400,
      );
      expect(refused.details).toEqual([expect.objectContaining({ field })]);
    }

    const closed = await as.dpo.post(`/v1/incidents/${id}/close`, {
      remediation,
      unmet: [
        { obligation: '152-fz-investigation-results', reason: why },
        { obligation: 'gdpr-data-subjects', reason: why },
      ],
    });
    expect(closed.status).toBe(200);
    expect(closed.body.status).toBe('closed');
    expect(
      closed.body.deadlines.map((d: { obligation: string; unmetReason: string | null }) => [
        d.obligation,
        d.unmetReason,
      ]),
    ).toEqual([
      ['152-fz-initial-notice', null],
      ['152-fz-investigation-results', why],
      ['gdpr-supervisory-authority', null],
      ['gdpr-data-subjects', why],
    ]);
    expect((await as.dpo.get(`/v1/incidents/${id}`)).body.closed).toMatchObject({
      unmet: [
        { obligation: '152-fz-investigation-results', reason: why },
        { obligation: 'gdpr-data-subjects', reason: why },
      ],
    });
  });

  it('lets a DPO find a customer by email under the built-in subject-access purpose, audited as a lookup with it', async () => {
    const found = await as.dpo.get('/v1/subjects?email=review2@example.com&purpose=subject-access');
    expect(found.status).toBe(200);
    expect(found.body).toEqual({
      purposeId: 'subject-access',
      subjects: [{ subjectId: subjects[2] }],
    });
    const log = (await as.dpo.get(`/v1/subjects/${subjects[2]}/access-log`)).body.entries;
    expect(log[log.length - 1]).toMatchObject({
      outcome: 'read',
      actorId: 'dpo-1',
      role: 'dpo',
      purposeId: 'subject-access',
      via: 'lookup',
      fields: [],
    });
    // It is built in: nobody can register a purpose under its name.
    const reserved = await scenario.expectNothingWritten(
      () => as.admin.post('/v1/purposes', purposeBody('subject-access')),
      400,
    );
    expect(reserved.details).toEqual([expect.objectContaining({ field: 'purposeId' })]);
    // A salesperson may not declare it: refused before anyone is found, nothing recorded.
    const refused = await scenario.expectNothingWritten(
      () => as.sales.get('/v1/subjects?email=review2@example.com&purpose=subject-access'),
      403,
    );
    expect(refused.details).toEqual([
      { field: 'purpose', problem: 'role_may_not_declare_purpose' },
    ]);
  });
});
