import { DEFAULT_ROLE_POLICY } from '@custodian/policy';
import {
  purposeBody,
  Scenario,
  startTestApp,
  waitFor,
  type ApiClient,
  type TestApp,
} from '@test/support';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Issue 12, item 2: an approved export takes exactly the customers the approver saw. */
describe('exports take the selection pinned at request time (HTTP, embedded stores)', () => {
  let t: TestApp;
  let scenario: Scenario;
  const as: Record<string, ApiClient> = {};
  let n = 0;

  const register = async () => {
    n++;
    const response = await as.service.post('/v1/subjects', {
      profile: { name: `Irina Petrova${n}`, email: `irina.petrova${n}@mail.example` },
      source: 'shop',
    });
    expect(response.status).toBe(201);
    return response.body.subjectId as string;
  };
  const request = () =>
    as.support.post('/v1/exports', {
      purposeId: 'crm-care',
      justification: 'call list for the customer care team this week',
      fields: ['name'],
    });
  const settled = async (exportId: string) => {
    let view: Record<string, unknown> = {};
    await waitFor(async () => {
      view = (await as.dpo.get(`/v1/exports/${exportId}`)).body;
      return view.status === 'completed' || view.status === 'failed';
    }, 10_000);
    return view as { status: string; result?: { count: number }; failure?: unknown };
  };
  const pinnedFile = (exportId: string) => join(t.dataDir, 'exports', 'pinned', `${exportId}.json`);

  beforeAll(async () => {
    t = await startTestApp({}, [
      { id: 'admin-1', roles: ['admin'] },
      { id: 'dpo-1', roles: ['dpo'] },
      { id: 'service-1', roles: ['service'] },
      { id: 'support-1', roles: ['support'] },
    ]);
    scenario = new Scenario(t);
    as.admin = scenario.client('admin-1');
    as.dpo = scenario.client('dpo-1');
    as.service = scenario.client('service-1');
    as.support = scenario.client('support-1');
    await scenario.activePurpose(as.admin, as.dpo, 'crm-care', {
      legalBasis: 'contract',
      allowedRoles: ['support', 'service'],
      flags: { marketing: false, profiling: false, saleOrShare: false, aiProcessing: false },
      assessment: { ...purposeBody('x').assessment, minimumFields: ['name', 'email'] },
    });
    // Every support export needs a DPO's approval.
    const roles = structuredClone(DEFAULT_ROLE_POLICY.roles);
    roles.support.exportApprovalAbove = 0;
    expect((await as.dpo.post('/v1/policy/roles', { roles })).status).toBe(201);
  });
  afterAll(async () => t.close());

  it('generates only the customer counted at request time, not the five who matched since', async () => {
    const first = await register();
    const requested = await request();
    expect(requested.status).toBe(202);
    expect(requested.body).toMatchObject({ status: 'awaiting_approval', requestedCount: 1 });
    const exportId = requested.body.exportId as string;
    expect(existsSync(pinnedFile(exportId))).toBe(true);

    for (let i = 0; i < 5; i++) await register();
    expect(
      (await as.dpo.post(`/v1/exports/${exportId}/approve`, { note: 'one customer, ok' })).status,
    ).toBe(202);

    const done = await settled(exportId);
    expect(done.status).toBe('completed');
    expect(done.result?.count).toBe(1);
    const file = await fetch(`${t.baseUrl}/v1/exports/${exportId}/download`, {
      headers: { authorization: `Bearer ${t.keys['support-1']}` },
    });
    expect(file.status).toBe(200);
    const rows = (await file.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { subjectId: string });
    expect(rows.map((r) => r.subjectId)).toEqual([first]);
    // Once generated, the pinned selection is no longer kept.
    expect(existsSync(pinnedFile(exportId))).toBe(false);
  });

  it('fails the export, saying why, when its pinned selection is gone', async () => {
    const requested = await request();
    expect(requested.body).toMatchObject({ status: 'awaiting_approval', requestedCount: 6 });
    const exportId = requested.body.exportId as string;
    rmSync(pinnedFile(exportId));
    await register();
    expect((await as.dpo.post(`/v1/exports/${exportId}/approve`, { note: 'six, ok' })).status).toBe(
      202,
    );
    const done = await settled(exportId);
    expect(done.status).toBe('failed');
    expect(JSON.stringify(done)).toMatch(
      /selection pinned when export .* was requested is missing/,
    );
  });

  it('drops the pinned selection of a rejected export', async () => {
    const requested = await request();
    const exportId = requested.body.exportId as string;
    expect(existsSync(pinnedFile(exportId))).toBe(true);
    expect(
      (await as.dpo.post(`/v1/exports/${exportId}/reject`, { reason: 'not needed this week' }))
        .status,
    ).toBe(200);
    expect(existsSync(pinnedFile(exportId))).toBe(false);
  });
});
