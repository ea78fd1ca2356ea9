import {
  ApiClient,
  connectorBody,
  waitFor,
  consentBody,
  ManualClock,
  purposeBody,
  Scenario,
  startTestApp,
  type TestApp,
} from '@test/support';
import { downstreamObligationsProjection, ProjectionRunner } from '@custodian/projections';
import { randomUUID } from 'node:crypto';

const ACTORS = [
  { id: 'dpo-1', roles: ['dpo'] },
  { id: 'admin-1', roles: ['admin'] },
  { id: 'crm', roles: ['service'] },
  { id: 'board', roles: ['dashboard'] },
];
const DAY = 86_400_000;

interface Obligation {
  connectorId: string;
  status: string;
  dueAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
}

/**
 * Erasure and withdrawal tracked downstream (152-FZ Art. 21 p.5): each connector that holds the
 * customer's data acknowledges; the receipt, the DPO's view and the dashboard show who has not,
 * against a 30-day clock the test moves by hand.
 */
describe('downstream acknowledgements of erasures and withdrawals (HTTP, embedded stores)', () => {
  const clock = new ManualClock('2030-03-01T10:00:00.000Z');
  let t: TestApp;
  let scenario: Scenario;
  let dpo: ApiClient;
  let admin: ApiClient;
  let crm: ApiClient;
  let board: ApiClient;
  const keys: Record<string, ApiClient> = {};

  beforeAll(async () => {
    t = await startTestApp({}, ACTORS, { clock });
    scenario = new Scenario(t);
    dpo = scenario.client('dpo-1');
    admin = scenario.client('admin-1');
    crm = scenario.client('crm');
    board = scenario.client('board');
    const assessment = { ...purposeBody('x').assessment, minimumFields: ['name', 'email'] };
    await scenario.activePurpose(admin, dpo, 'ds-news', { assessment });
    await scenario.activePurpose(admin, dpo, 'ds-ads', { assessment });
    await scenario.activePurpose(admin, dpo, 'ds-billing', {
      legalBasis: 'contract',
      assessment,
      flags: { marketing: false, profiling: false, saleOrShare: false, aiProcessing: false },
    });
    for (const [id, purposes, fields] of [
      ['mailer-co', ['ds-news'], ['email']],
      ['warehouse-co', ['ds-news'], ['email', 'name']],
      ['ads-co', ['ds-ads'], ['email']],
      ['billing-co', ['ds-billing'], ['name']],
    ] as const) {
      const registered = await admin.post(
        '/v1/connectors',
        connectorBody(id, { purposes, fields, kind: 'other' }),
      );
      expect({ status: registered.status, body: registered.body }).toMatchObject({ status: 201 });
      keys[id] = new ApiClient(t.baseUrl, registered.body.apiKey);
    }
  });
  afterAll(async () => t.close());

  const register = async (profile: Record<string, string>) => {
    const response = await crm.post('/v1/subjects', { profile, source: 'shop' });
    if (response.status !== 201) throw new Error(JSON.stringify(response.body));
    return response.body.subjectId as string;
  };
  const grant = async (subjectId: string, purposeId: string) =>
    expect(
      (await crm.post(`/v1/subjects/${subjectId}/consents`, consentBody(purposeId))).status,
    ).toBe(201);
  const erase = async (subjectId: string) =>
    expect(
      (
        await crm.post(`/v1/subjects/${subjectId}/erasure`, {
          reason: 'data_subject_request',
          requestedVia: 'email',
        })
      ).status,
    ).toBe(202);
  const receipt = async (subjectId: string) => {
    const response = await dpo.get(`/v1/subjects/${subjectId}/erasure`);
    expect(response.status).toBe(200);
    return response.body as {
      eventId: string;
      erasedAt: string;
      downstream: { complete: boolean; deadlineDays: number; connectors: Obligation[] };
    };
  };
  const byConnector = (connectors: Obligation[]) =>
    Object.fromEntries(connectors.map((c) => [c.connectorId, c]));

  it('shows on the erasure receipt two connectors, one acknowledged and one overdue once the clock passes the deadline', async () => {
    const subjectId = await register({ name: 'Olga Smirnova', email: 'olga@example.com' });
    await grant(subjectId, 'ds-news');
    await erase(subjectId);

    const before = await receipt(subjectId);
    expect(before.downstream.complete).toBe(true);
    expect(before.downstream.deadlineDays).toBe(30);
    // ads-co serves a purpose Olga never consented to: not asked. billing-co serves a purpose
    // resting on a contract (no consent to look at) and receives a field she held: asked.
    const dueAt = new Date(Date.parse(before.erasedAt) + 30 * DAY).toISOString();
    expect(byConnector(before.downstream.connectors)).toEqual({
      'mailer-co': expect.objectContaining({ status: 'pending', dueAt, acknowledgedAt: null }),
      'warehouse-co': expect.objectContaining({ status: 'pending', dueAt }),
      'billing-co': expect.objectContaining({ status: 'pending', dueAt }),
    });

    // The mailer acknowledges with its own key, a day later.
    clock.advance(DAY);
    const ack = await keys['mailer-co'].post('/v1/connectors/mailer-co/acknowledgements', {
      eventId: before.eventId,
    });
    expect({ status: ack.status, body: ack.body }).toMatchObject({
      status: 201,
      body: {
        connectorId: 'mailer-co',
        eventId: before.eventId,
        subjectId,
        cause: 'erasure',
        status: 'acknowledged',
        acknowledgedBy: 'connector:mailer-co',
        acknowledgedAt: clock.now().toISOString(),
        late: false,
      },
    });
    // A retry (at least once) is answered with the first acknowledgement, and writes nothing.
    clock.advance(1000);
    const head = await scenario.head();
    const again = await keys['mailer-co'].post('/v1/connectors/mailer-co/acknowledgements', {
      eventId: before.eventId,
    });
    expect(again.status).toBe(200);
    expect(again.body.acknowledgedAt).toBe(ack.body.acknowledgedAt);
    expect(await scenario.head()).toBe(head);
    // billing-co says so by email; the DPO records it for them.
    expect(
      (
        await dpo.post('/v1/connectors/billing-co/acknowledgements', {
          eventId: before.eventId,
        })
      ).status,
    ).toBe(201);

    // Day 29 after the erasure: the warehouse is still within the deadline.
    clock.set(new Date(Date.parse(before.erasedAt) + 29 * DAY));
    expect(
      byConnector((await receipt(subjectId)).downstream.connectors)['warehouse-co'].status,
    ).toBe('pending');
    // Past the deadline: overdue.
    clock.set(new Date(Date.parse(before.erasedAt) + 31 * DAY));
    const after = byConnector((await receipt(subjectId)).downstream.connectors);
    expect(after['mailer-co']).toMatchObject({
      status: 'acknowledged',
      acknowledgedAt: ack.body.acknowledgedAt,
    });
    expect(after['warehouse-co']).toMatchObject({ status: 'overdue', acknowledgedAt: null, dueAt });
    expect(after['billing-co']).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'dpo-1' });

    // The DPO's view, by status and by customer.
    const overdue = await dpo.get(
      `/v1/connectors/acknowledgements?status=overdue&subjectId=${subjectId}`,
    );
    expect(overdue.status).toBe(200);
    expect(overdue.body.items).toEqual([
      expect.objectContaining({
        connectorId: 'warehouse-co',
        connectorName: 'Connector warehouse-co',
        subjectId,
        eventId: before.eventId,
        cause: 'erasure',
        status: 'overdue',
      }),
    ]);
    const acknowledged = await dpo.get(
      `/v1/connectors/acknowledgements?status=acknowledged&subjectId=${subjectId}`,
    );
    expect(acknowledged.body.items.map((i: Obligation) => i.connectorId).sort()).toEqual([
      'billing-co',
      'mailer-co',
    ]);
    const pending = await dpo.get(
      `/v1/connectors/acknowledgements?status=pending&subjectId=${subjectId}`,
    );
    expect(pending.body.items).toEqual([]);

    // The dashboard: counts per connector, no ids of anyone.
    const dashboard = await board.get('/v1/dashboard/downstream');
    expect(dashboard.status).toBe(200);
    const rows = Object.fromEntries(
      (dashboard.body.connectors as Array<{ connectorId: string }>).map((r) => [r.connectorId, r]),
    );
    expect(rows['warehouse-co']).toMatchObject({ overdue: 1 });
    expect(rows['mailer-co']).toMatchObject({ acknowledged: 1, overdue: 0 });
    expect(rows['ads-co']).toEqual({
      connectorId: 'ads-co',
      name: 'Connector ads-co',
      pending: 0,
      acknowledged: 0,
      overdue: 0,
    });
    expect(JSON.stringify(dashboard.body)).not.toContain(subjectId);
    expect(JSON.stringify(dashboard.body)).not.toContain(before.eventId);

    // Once the warehouse acknowledges, late, it is acknowledged (and said to be late).
    const late = await keys['warehouse-co'].post('/v1/connectors/warehouse-co/acknowledgements', {
      eventId: before.eventId,
    });
    expect(late.status).toBe(201);
    expect(late.body).toMatchObject({ status: 'acknowledged', late: true });
  });

  it('asks for a withdrawal only the connectors serving the purpose, and counts it on its own clock', async () => {
    const subjectId = await register({ name: 'Pavel Orlov', email: 'pavel@example.com' });
    await grant(subjectId, 'ds-news');
    await grant(subjectId, 'ds-ads');
    const revoked = await crm.post(
      `/v1/subjects/${subjectId}/consents`,
      consentBody('ds-ads', { action: 'revoke', noticeVersion: undefined }),
    );
    expect(revoked.status).toBe(201);
    const history = await dpo.get(`/v1/subjects/${subjectId}/consents/history`);
    const withdrawal = (history.body.events as Array<{ type: string; eventId: string }>).find(
      (e) => e.type === 'ConsentRevoked',
    )!;
    const listed = await dpo.get(`/v1/connectors/acknowledgements?subjectId=${subjectId}`);
    expect(listed.body.items).toEqual([
      expect.objectContaining({
        connectorId: 'ads-co',
        eventId: withdrawal.eventId,
        cause: 'withdrawal',
        purposeId: 'ds-ads',
        status: 'pending',
      }),
    ]);
    // The mailer serves the newsletter, not the ads: the withdrawal is none of its business.
    const body = await scenario.expectNothingWritten(
      () =>
        keys['mailer-co'].post('/v1/connectors/mailer-co/acknowledgements', {
          eventId: withdrawal.eventId,
        }),
      409,
    );
    expect(body.details).toEqual([{ field: 'eventId', problem: expect.any(String) }]);
    const ack = await keys['ads-co'].post('/v1/connectors/ads-co/acknowledgements', {
      eventId: withdrawal.eventId,
    });
    expect(ack.status).toBe(201);
    expect(ack.body).toMatchObject({ cause: 'withdrawal', purposeId: 'ds-ads' });
  });

  it('refuses what is not an owed act, a foreign connector and bad input, writing nothing', async () => {
    const subjectId = await register({ name: 'Anna Lebedeva', email: 'anna@example.com' });
    await grant(subjectId, 'ds-news');
    const history = await dpo.get(`/v1/subjects/${subjectId}/consents/history`);
    const grantEvent = history.body.events[0].eventId as string;
    await erase(subjectId);
    const { eventId } = await receipt(subjectId);
    const refused = async (
      client: ApiClient,
      connectorId: string,
      body: unknown,
      status: number,
      field: string,
    ) => {
      const answer = await scenario.expectNothingWritten(
        () => client.post(`/v1/connectors/${connectorId}/acknowledgements`, body),
        status,
      );
      if (field) expect(answer.details).toEqual([{ field, problem: expect.any(String) }]);
    };
    // Another connector's key may not acknowledge for the mailer.
    await refused(keys['warehouse-co'], 'mailer-co', { eventId }, 403, 'connectorId');
    // ads-co serves a purpose Anna never consented to: it holds nothing of hers.
    await refused(keys['ads-co'], 'ads-co', { eventId }, 409, 'eventId');
    // A grant is no erasure or withdrawal; an unknown id is nothing.
    await refused(admin, 'mailer-co', { eventId: grantEvent }, 404, 'eventId');
    await refused(admin, 'mailer-co', { eventId: randomUUID() }, 404, 'eventId');
    await refused(admin, 'no-such-co', { eventId }, 404, 'connectorId');
    await refused(admin, 'mailer-co', { eventId: 'yesterday' }, 400, 'eventId');
    await refused(admin, 'mailer-co', {}, 400, 'eventId');
    await refused(admin, 'Mailer_Co', { eventId }, 400, 'connectorId');
    // Staff other than a DPO or admin may not; a connector's key may not read the DPO's view.
    await refused(crm, 'mailer-co', { eventId }, 403, '');
    expect((await keys['mailer-co'].get('/v1/connectors/acknowledgements')).status).toBe(403);
    expect((await dpo.get('/v1/connectors/acknowledgements?status=late')).body.details).toEqual([
      { field: 'status', problem: expect.any(String) },
    ]);
    expect((await dpo.get('/v1/connectors/acknowledgements?subjectId=x')).status).toBe(400);
  });

  describe('the data map in purposes and the subject-access bundle', () => {
    it("lists a purpose's connectors and warns when one receives fields the purpose does not list", async () => {
      const news = await crm.get('/v1/purposes/ds-news');
      expect(news.status).toBe(200);
      expect(news.body.connectors.map((c: { connectorId: string }) => c.connectorId)).toEqual([
        'mailer-co',
        'warehouse-co',
      ]);
      expect(news.body.connectors[1]).toEqual({
        connectorId: 'warehouse-co',
        name: 'Connector warehouse-co',
        kind: 'other',
        role: 'processor',
        country: 'DE',
        fields: ['email', 'name'],
        status: 'active',
      });
      expect(news.body.assessmentWarnings).toEqual([]);

      await scenario.activePurpose(admin, dpo, 'ds-lean', {
        assessment: { ...purposeBody('x').assessment, minimumFields: ['email'] },
      });
      expect(
        (
          await admin.post(
            '/v1/connectors',
            connectorBody('lean-co', { purposes: ['ds-lean'], fields: ['email', 'phone', 'name'] }),
          )
        ).status,
      ).toBe(201);
      const lean = await crm.get('/v1/purposes/ds-lean');
      expect(lean.body.assessmentWarnings).toEqual([
        {
          connectorId: 'lean-co',
          fields: ['phone', 'name'],
          problem: expect.stringContaining('minimumFields'),
        },
      ]);
    });

    it('names, in the DSAR bundle, the systems per purpose the customer consented to', async () => {
      const subjectId = await register({ name: 'Irina Volkova', email: 'irina@example.com' });
      await grant(subjectId, 'ds-news');
      await grant(subjectId, 'ds-ads');
      const bundle = await dpo.get(`/v1/subjects/${subjectId}/dsar`);
      expect(bundle.status).toBe(200);
      expect(
        (bundle.body.recipients as Array<{ purposeId: string; connectors: Obligation[] }>).map(
          (r) => [r.purposeId, r.connectors.map((c) => c.connectorId)],
        ),
      ).toEqual([
        ['ds-ads', ['ads-co']],
        ['ds-news', ['mailer-co', 'warehouse-co']],
      ]);
    });
  });

  it('answers the same after the obligations projection is rebuilt from the log', async () => {
    const all = async () => (await dpo.get('/v1/connectors/acknowledgements?limit=1000')).body;
    const before = await all();
    expect(before.items.length).toBeGreaterThan(5);
    const runner = t.app.get(ProjectionRunner);
    const rebuilt = { ...downstreamObligationsProjection, version: 2 };
    await runner.replace(rebuilt as never);
    await waitFor(
      async () =>
        runner
          .status()
          .some((s) => s.name === rebuilt.name && s.activeVersion === 2 && s.state === 'live'),
      10_000,
    );
    expect(await all()).toEqual(before);
  });
});

describe('downstream deadline from CUSTODIAN_DOWNSTREAM_DEADLINE_DAYS', () => {
  const clock = new ManualClock('2031-06-01T08:00:00.000Z');
  let t: TestApp;
  afterAll(async () => t?.close());

  it('counts a connector overdue after the configured days', async () => {
    t = await startTestApp({ CUSTODIAN_DOWNSTREAM_DEADLINE_DAYS: '10' }, ACTORS, { clock });
    const scenario = new Scenario(t);
    const admin = scenario.client('admin-1');
    const crm = scenario.client('crm');
    const board = scenario.client('board');
    await scenario.activePurpose(admin, scenario.client('dpo-1'), 'newsletter', {
      assessment: { ...purposeBody('x').assessment, minimumFields: ['name', 'email'] },
    });
    expect((await admin.post('/v1/connectors', connectorBody('mailer-co'))).status).toBe(201);
    const subjectId = (
      await crm.post('/v1/subjects', {
        profile: { name: 'Lev Tolstoy', email: 'lev@example.com' },
        source: 'shop',
      })
    ).body.subjectId as string;
    await crm.post(`/v1/subjects/${subjectId}/consents`, consentBody('newsletter'));
    await crm.post(`/v1/subjects/${subjectId}/consents`, {
      ...consentBody('newsletter', { action: 'revoke', noticeVersion: undefined }),
    });
    const counts = async () =>
      (await board.get('/v1/dashboard/downstream')).body as {
        deadlineDays: number;
        connectors: Array<Record<string, unknown>>;
      };
    expect(await counts()).toMatchObject({
      deadlineDays: 10,
      connectors: [{ connectorId: 'mailer-co', pending: 1, acknowledged: 0, overdue: 0 }],
    });
    clock.advance(10 * DAY - 1);
    expect((await counts()).connectors[0]).toMatchObject({ pending: 1, overdue: 0 });
    clock.advance(2);
    expect((await counts()).connectors[0]).toMatchObject({ pending: 0, overdue: 1 });
  });
});
