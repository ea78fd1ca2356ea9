import {
  ManualClock,
  purposeBody,
  request,
  Scenario,
  startTestApp,
  type ApiClient,
  type TestApp,
} from '@test/support';

const ROLES = ['admin', 'dpo', 'service', 'support', 'dashboard'];
const DAY_MS = 86_400_000;

describe('privacy requests: cases on the legal clocks (HTTP, embedded stores, ManualClock)', () => {
  // Tuesday 3 November 2026, 12:00 in Moscow: the day before National Unity Day (4 November).
  const clock = new ManualClock('2026-11-03T09:00:00Z');
  let t: TestApp;
  let scenario: Scenario;
  const as: Record<string, ApiClient> = {};
  let subjectId: string;

  beforeAll(async () => {
    t = await startTestApp(
      { CUSTODIAN_RETENTION_SWEEP_MS: '0' },
      ROLES.map((role) => ({ id: `${role}-1`, roles: [role] })),
      { clock },
    );
    scenario = new Scenario(t);
    for (const role of ROLES) as[role] = scenario.client(`${role}-1`);
    await scenario.activePurpose(
      as.admin,
      as.dpo,
      'orders',
      purposeBody('orders', {
        legalBasis: 'contract',
        assessment: { ...purposeBody('orders').assessment, minimumFields: ['name', 'email'] },
      }),
    );
    const registered = await as.admin.post('/v1/subjects', {
      profile: { name: 'Anna Petrova', email: 'anna@example.com' },
      source: 'web-signup',
    });
    expect(registered.status).toBe(201);
    subjectId = registered.body.subjectId;
  });
  afterAll(async () => t.close());

  const open = (client: ApiClient, overrides: Record<string, unknown> = {}) =>
    client.post('/v1/privacy-requests', {
      subjectId,
      kind: 'access',
      jurisdiction: 'ru',
      receivedVia: 'email',
      ...overrides,
    });

  it('counts 10 Russian working days past the 4 November holiday, and extends once by 5 with a reason', async () => {
    clock.set('2026-11-03T09:00:00Z');
    const opened = await open(as.dpo);
    expect(opened.status).toBe(201);
    // 4 Nov is a holiday: 5, 6, 9-13, 16, 17, 18 November are working days 1-10.
    expect(opened.body).toMatchObject({
      subjectId,
      kind: 'access',
      jurisdiction: 'ru',
      receivedVia: 'email',
      status: 'received',
      overdue: false,
      openedBy: 'dpo-1',
      deadline: {
        dueDay: '2026-11-18',
        dueAt: '2026-11-18T20:59:59.999Z',
        extended: false,
        provisionalCalendar: false,
      },
    });
    const id = opened.body.requestId;

    // An extension needs its reasoned notice.
    await scenario.expectNothingWritten(
      () => as.dpo.post(`/v1/privacy-requests/${id}/extend`, {}),
      400,
    );
    clock.set('2026-11-10T09:00:00Z');
    expect((await as.dpo.post(`/v1/privacy-requests/${id}/verify`, {})).body.status).toBe(
      'in_progress',
    );
    const extended = await as.dpo.post(`/v1/privacy-requests/${id}/extend`, {
      reason: 'Records are held in the archive and must be retrieved',
    });
    expect(extended.status).toBe(200);
    // Five more working days after 18 November: 19, 20, 23, 24, 25.
    expect(extended.body).toMatchObject({
      status: 'extended',
      deadline: { dueDay: '2026-11-25', dueAt: '2026-11-25T20:59:59.999Z', extended: true },
      extension: {
        reason: 'Records are held in the archive and must be retrieved',
        previousDueAt: '2026-11-18T20:59:59.999Z',
        by: 'dpo-1',
        at: '2026-11-10T09:00:00.000Z',
      },
    });
    // Only once.
    await scenario.expectNothingWritten(
      () =>
        as.dpo.post(`/v1/privacy-requests/${id}/extend`, {
          reason: 'Still waiting for the archive to answer',
        }),
      409,
    );
    const completed = await as.dpo.post(`/v1/privacy-requests/${id}/complete`, {
      outcome: 'Access bundle sent by registered post',
    });
    expect(completed.body).toMatchObject({
      status: 'completed',
      completed: { outcome: 'Access bundle sent by registered post', late: false, by: 'dpo-1' },
    });
    expect(completed.body.timeline.map((e: { what: string }) => e.what)).toEqual([
      'received',
      'identity_verified',
      'extended',
      'completed',
    ]);
    // Closed: nothing more happens to it.
    await scenario.expectNothingWritten(
      () => as.dpo.post(`/v1/privacy-requests/${id}/refuse`, { reason: 'Changed our mind later' }),
      409,
    );
  });

  it('GDPR: one month, clamped to the end of a 30-day month', async () => {
    clock.set('2026-11-10T09:00:00Z');
    const opened = await open(as.dpo, {
      jurisdiction: 'eu',
      kind: 'rectification',
      receivedAt: '2026-10-31T10:00:00Z',
    });
    expect(opened.status).toBe(201);
    expect(opened.body.deadline).toMatchObject({ dueDay: '2026-11-30' });
  });

  it('is overdue once the clock passes the deadline: in the list and on the dashboard (counts only)', async () => {
    clock.set('2026-11-20T09:00:00Z');
    const late = await open(as.service, { kind: 'erasure', receivedVia: 'crm' });
    expect(late.status).toBe(201);
    expect(late.body.openedBy).toBe('service-1');
    const id = late.body.requestId;
    // Received Friday 20 Nov: 23-27 Nov, 30 Nov, 1-4 Dec → due 4 December.
    expect(late.body.deadline.dueDay).toBe('2026-12-04');

    let overdue = await as.dpo.get('/v1/privacy-requests?status=overdue');
    expect(overdue.status).toBe(200);
    expect(
      overdue.body.privacyRequests.map((r: { requestId: string }) => r.requestId),
    ).not.toContain(id);
    const before = await as.dashboard.get('/v1/dashboard/privacy-requests');
    expect(before.status).toBe(200);
    const erasureBefore = before.body.byKind.find((k: { kind: string }) => k.kind === 'erasure');
    expect(erasureBefore).toEqual({ kind: 'erasure', open: 1, overdue: 0 });

    clock.set('2026-12-04T21:00:00Z'); // one millisecond-and-a-bit past midnight in Moscow
    overdue = await as.dpo.get('/v1/privacy-requests?status=overdue&kind=erasure');
    expect(overdue.body.privacyRequests).toEqual([
      expect.objectContaining({
        requestId: id,
        kind: 'erasure',
        status: 'received',
        overdue: true,
      }),
    ]);
    expect((await as.dpo.get(`/v1/privacy-requests/${id}`)).body.overdue).toBe(true);
    const after = await as.dashboard.get('/v1/dashboard/privacy-requests');
    expect(after.body.byKind.find((k: { kind: string }) => k.kind === 'erasure')).toEqual({
      kind: 'erasure',
      open: 1,
      overdue: 1,
    });
    expect(JSON.stringify(after.body)).not.toContain(subjectId);
    expect(JSON.stringify(after.body)).not.toContain(id);

    // An extension after the deadline is refused: it must be notified before it passes.
    await scenario.expectNothingWritten(
      () =>
        as.dpo.post(`/v1/privacy-requests/${id}/extend`, {
          reason: 'Too late to extend this one now',
        }),
      409,
    );
    // An erasure request is completed only once the customer is erased.
    await as.dpo.post(`/v1/privacy-requests/${id}/verify`, {});
    await scenario.expectNothingWritten(
      () => as.dpo.post(`/v1/privacy-requests/${id}/complete`, {}),
      409,
    );
    const erased = await as.dpo.post(`/v1/subjects/${subjectId}/erasure`, {
      reason: 'data_subject_request',
      requestedVia: 'email',
    });
    expect(erased.status).toBe(202);
    const done = await as.dpo.post(`/v1/privacy-requests/${id}/complete`, {
      receiptId: erased.body.eventId,
      outcome: 'Erased by crypto-shredding',
    });
    expect(done.status).toBe(200);
    expect(done.body.completed).toMatchObject({ receiptId: erased.body.eventId, late: true });
    expect(
      (await as.dpo.get('/v1/privacy-requests?status=overdue&kind=erasure')).body.privacyRequests,
    ).toEqual([]);

    // The open gauge on /metrics.
    const metrics = await request(`${t.baseUrl}/metrics`, {
      headers: { authorization: `Bearer ${t.keys['admin-1']}` },
    });
    expect(metrics.body).toMatch(/custodian_privacy_requests_open\{kind="erasure"\} 0/);
    expect(metrics.body).toMatch(/custodian_privacy_requests_open\{kind="rectification"\} 1/);
  });

  it('a refused request keeps its reason, who refused it and when', async () => {
    clock.set('2026-12-07T09:00:00Z');
    const opened = await open(as.dpo, { kind: 'restriction' });
    const id = opened.body.requestId;
    await scenario.expectNothingWritten(
      () => as.dpo.post(`/v1/privacy-requests/${id}/refuse`, { reason: 'no' }),
      400,
    );
    const refused = await as.dpo.post(`/v1/privacy-requests/${id}/refuse`, {
      reason: 'The identity of the requester could not be verified after two attempts',
    });
    expect(refused.status).toBe(200);
    const read = await as.admin.get(`/v1/privacy-requests/${id}`);
    expect(read.body).toMatchObject({
      status: 'refused',
      refused: {
        reason: 'The identity of the requester could not be verified after two attempts',
        by: 'dpo-1',
        at: '2026-12-07T09:00:00.000Z',
        late: false,
      },
    });
    const listed = await as.dpo.get('/v1/privacy-requests?status=refused');
    expect(listed.body.privacyRequests.map((r: { requestId: string }) => r.requestId)).toEqual([
      id,
    ]);
  });

  it('refuses bad input with 400 naming the field, unknown ids with 404, other roles with 403', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ kind: 'deletion' }, 'kind'],
      [{ jurisdiction: 'us' }, 'jurisdiction'],
      [{ receivedVia: 'pigeon' }, 'receivedVia'],
      [{ subjectId: 'someone' }, 'subjectId'],
      [{ receivedAt: '2026-13-01T00:00:00Z' }, 'receivedAt'],
      [{ receivedAt: new Date(clock.now().getTime() + DAY_MS).toISOString() }, 'receivedAt'],
    ];
    for (const [overrides, field] of cases) {
      const body = await scenario.expectNothingWritten(() => open(as.dpo, overrides), 400);
      expect(body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    }
    await scenario.expectNothingWritten(
      () => open(as.dpo, { subjectId: '00000000-0000-4000-8000-000000000000' }),
      404,
    );
    expect((await as.dpo.get('/v1/privacy-requests?status=late')).status).toBe(400);
    expect((await as.dpo.get('/v1/privacy-requests/not-a-uuid')).status).toBe(400);
    expect(
      (await as.dpo.get('/v1/privacy-requests/00000000-0000-4000-8000-000000000000')).status,
    ).toBe(404);
    expect((await open(as.support)).status).toBe(403);
    expect((await as.service.get('/v1/privacy-requests')).status).toBe(403);
    expect(
      (await as.admin.post('/v1/privacy-requests/00000000-0000-4000-8000-000000000000/verify', {}))
        .status,
    ).toBe(403);
  });
});
