import { EVENT_STORE, type EventStore } from '@custodian/event-store';
import { DEFAULT_ROLE_POLICY } from '@custodian/policy';
import { customerViewsVersion, ProjectionRunner } from '@custodian/projections';
import { READ_STORE, type ReadStore } from '@custodian/read-store';
import {
  consentBody,
  purposeBody,
  Scenario,
  startTestApp,
  waitFor,
  type ApiClient,
  type TestApp,
} from '@test/support';

const ROLES = ['admin', 'dpo', 'service', 'sales', 'marketing', 'support', 'analyst', 'dashboard'];
const PROFILE = {
  name: 'Ivan Petrov',
  email: 'ivan@example.com',
  phone: '+7 912 345-45-67',
  birthDate: '1990-04-01',
  address: 'Lenina 1, Moscow',
};

describe('purpose-bound, audited reads of customers (HTTP, embedded stores)', () => {
  let t: TestApp;
  let scenario: Scenario;
  const as: Record<string, ApiClient> = {};
  let subjectId: string;

  beforeAll(async () => {
    t = await startTestApp(
      {},
      ROLES.map((role) => ({ id: `${role}-1`, roles: [role] })),
    );
    scenario = new Scenario(t);
    for (const role of ROLES) as[role] = scenario.client(`${role}-1`);
    const allFields = { ...purposeBody('x').assessment, minimumFields: Object.keys(PROFILE) };
    await scenario.activePurpose(as.admin, as.dpo, 'crm-care', {
      legalBasis: 'contract',
      allowedRoles: ['sales', 'support', 'analyst', 'marketing', 'service'],
      flags: { marketing: false, profiling: false, saleOrShare: false, aiProcessing: false },
      assessment: allFields,
    });
    await scenario.activePurpose(as.admin, as.dpo, 'newsletter', {
      allowedRoles: ['marketing', 'service'],
      assessment: allFields,
    });
    subjectId = (await as.service.post('/v1/subjects', { profile: PROFILE, source: 'shop' })).body
      .subjectId;
  });
  afterAll(async () => t.close());

  const view = (role: string, purpose = 'crm-care', id = subjectId) =>
    as[role].get(`/v1/subjects/${id}/view?purpose=${purpose}`);
  const log = async (id = subjectId) =>
    (await as.dpo.get(`/v1/subjects/${id}/access-log`)).body.entries;

  it('shows the same customer differently to sales, marketing, support and analyst', async () => {
    const seen = Object.fromEntries(
      await Promise.all(
        ['sales', 'marketing', 'support', 'analyst', 'service'].map(async (role) => [
          role,
          (await view(role)).body,
        ]),
      ),
    );
    expect(seen.sales.fields).toEqual({
      name: 'Ivan P.',
      email: 'i***@example.com',
      phone: '+7 912 345-45-67',
    });
    expect(seen.marketing.fields).toEqual({ name: 'Ivan P.', birthDate: '1990' });
    expect(seen.support.fields).toEqual({
      name: 'Ivan Petrov',
      email: 'i***@example.com',
      phone: '+7 *** ***-45-67',
      address: 'Lenina 1, Moscow',
    });
    expect(seen.analyst.fields).toEqual({ birthDate: '1990' });
    expect(seen.service.fields).toEqual(PROFILE);
    expect(seen.sales.masks).toEqual({
      name: 'partial',
      email: 'partial',
      phone: 'full',
      birthDate: 'hidden',
      address: 'hidden',
    });
    expect(seen.sales.consents).toEqual(
      expect.arrayContaining([{ purposeId: 'newsletter', status: 'never' }]),
    );
  });

  it('shows a marketer the email only while the customer has a marketing consent', async () => {
    expect((await view('marketing')).body.fields.email).toBeUndefined();
    await as.service.post(`/v1/subjects/${subjectId}/consents`, consentBody('newsletter'));
    expect((await view('marketing')).body.fields.email).toBe('ivan@example.com');
    expect((await view('marketing', 'newsletter')).status).toBe(200);
    await as.service.post(
      `/v1/subjects/${subjectId}/consents`,
      consentBody('newsletter', { action: 'revoke', noticeVersion: undefined }),
    );
    expect((await view('marketing')).body.fields.email).toBeUndefined();
    const refused = await view('marketing', 'newsletter');
    expect(refused.status).toBe(403);
    expect(refused.body.message).toMatch(/no_consent_for_purpose/);
    expect(JSON.stringify(refused.body)).not.toContain('ivan@example.com');
  });

  it('records every read and every refused read in the access log, with fields and masks', async () => {
    const before = (await log()).length;
    await view('sales');
    await view('analyst', 'newsletter'); // analyst may not declare newsletter
    const entries = (await log()).slice(before);
    expect(entries).toEqual([
      expect.objectContaining({
        outcome: 'read',
        actorId: 'sales-1',
        role: 'sales',
        purposeId: 'crm-care',
        via: 'view',
        fields: expect.arrayContaining([
          { name: 'phone', mask: 'full' },
          { name: 'birthDate', mask: 'hidden' },
        ]),
      }),
      expect.objectContaining({
        outcome: 'refused',
        actorId: 'analyst-1',
        role: 'analyst',
        purposeId: 'newsletter',
        reason: 'role_may_not_declare_purpose',
      }),
    ]);
    const stored = JSON.stringify(
      (await t.app.get<EventStore>(EVENT_STORE).readStream(`access-${subjectId}`)).map((e) => [
        e.data,
        e.metadata,
      ]),
    );
    expect(stored).not.toMatch(/Ivan|Petrov|ivan@example|345-45/);
  });

  it('refuses bad input with a clear 4xx, auditing what concerns a customer', async () => {
    const before = (await log()).length;
    const missing = await as.sales.get(`/v1/subjects/${subjectId}/view`);
    expect(missing.status).toBe(400);
    const unknown = await view('sales', 'no-such-purpose');
    expect(unknown.status).toBe(400);
    const notAllowed = await view('sales', 'newsletter');
    expect(notAllowed.status).toBe(403);
    expect((await as.sales.get('/v1/subjects/not-a-uuid/view?purpose=crm-care')).status).toBe(400);
    expect((await view('dashboard')).status).toBe(403);
    const reasons = (await log()).slice(before).map((e: { reason?: string }) => e.reason);
    expect(reasons).toEqual([
      'no_purpose_declared',
      'unknown_purpose',
      'role_may_not_declare_purpose',
    ]);
  });

  it('answers 404 for an unknown customer and 410 for an erased one', async () => {
    expect((await view('sales', 'crm-care', '00000000-0000-4000-8000-000000000000')).status).toBe(
      404,
    );
    const other = (
      await as.service.post('/v1/subjects', { profile: { name: 'Gone Soon' }, source: 'shop' })
    ).body.subjectId;
    await as.service.post(`/v1/subjects/${other}/erasure`, {
      reason: 'data_subject_request',
      requestedVia: 'web',
    });
    expect((await view('sales', 'crm-care', other)).status).toBe(410);
  });

  it('returns no data when the audit record cannot be written', async () => {
    const events = t.app.get<EventStore>(EVENT_STORE);
    const original = events.append.bind(events);
    const spy = jest.spyOn(events, 'append').mockImplementation(async (stream, batch, options) => {
      if (stream.startsWith('access-')) throw new Error('disk full');
      return original(stream, batch, options);
    });
    try {
      const response = await view('support');
      expect(response.status).toBe(503);
      expect(JSON.stringify(response.body)).not.toMatch(/Ivan|Lenina/);
    } finally {
      spy.mockRestore();
    }
  });

  it('audits a lookup: one record per customer found, and the access request bundle lists the log', async () => {
    const found = await as.support.get('/v1/subjects?email=ivan@example.com&purpose=crm-care');
    expect(found.body.subjects).toEqual([{ subjectId }]);
    expect((await log()).at(-1)).toMatchObject({
      outcome: 'read',
      via: 'lookup',
      actorId: 'support-1',
      purposeId: 'crm-care',
    });
    const dsar = await as.dpo.get(`/v1/subjects/${subjectId}/dsar`);
    expect(dsar.body.accessLog.length).toBeGreaterThan(5);
  });

  it('versions the role policy as events: a DPO publishes, reads follow it, the past stays known', async () => {
    const initial = await as.dpo.get('/v1/policy/roles');
    expect(initial.body.version).toBe(0);
    const beforePublish = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 10));
    const roles = structuredClone(DEFAULT_ROLE_POLICY.roles) as Record<
      string,
      { fields: Record<string, string> }
    >;
    roles.sales.fields.phone = 'partial';
    expect((await as.admin.post('/v1/policy/roles', { roles })).status).toBe(403);
    const published = await as.dpo.post('/v1/policy/roles', { roles });
    expect(published.status).toBe(201);
    expect(published.body.version).toBe(1);
    const sales = await view('sales');
    expect(sales.body.fields.phone).toBe('+7 *** ***-45-67');
    expect(sales.body.policyVersion).toBe(1);
    // The customer views are rebuilt for the new version and swapped in.
    const runner = t.app.get(ProjectionRunner);
    await waitFor(
      async () =>
        runner
          .status()
          .some(
            (s) =>
              s.name === 'customer_views' &&
              s.activeVersion === customerViewsVersion(1) &&
              s.state === 'live',
          ),
      10_000,
    );
    const card = await t.app
      .get<ReadStore>(READ_STORE)
      .get(runner.collectionFor('customer_views'), subjectId);
    expect(card).toMatchObject({
      policyVersion: 1,
      roles: { sales: { phone: 'partial' }, service: { phone: 'full' } },
    });
    expect(JSON.stringify(card)).not.toMatch(/Ivan|Petrov|ivan@example/);
    expect((await view('sales')).body.fields.phone).toBe('+7 *** ***-45-67');
    expect(
      (await as.dpo.get(`/v1/policy/roles?asOf=${encodeURIComponent(beforePublish)}`)).body.version,
    ).toBe(0);
    const { dashboard: _dashboard, ...incomplete } = roles;
    const bad = await as.dpo.post('/v1/policy/roles', { roles: incomplete });
    expect(bad.status).toBe(400);
    expect(bad.body.details).toEqual([{ field: 'roles.dashboard', problem: expect.any(String) }]);
    roles.sales.fields.phone = 'blurry';
    expect((await as.dpo.post('/v1/policy/roles', { roles })).body.details).toEqual([
      { field: 'roles.sales.fields.phone', problem: expect.any(String) },
    ]);
  });
});
