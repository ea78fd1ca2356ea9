import { Scenario, startTestApp, type TestApp, type ApiClient } from '@test/support';

/** Issue 12, item 8: suspensions never leave no DPO able to reinstate anyone. */
describe('containment cannot lock itself out (HTTP, embedded stores)', () => {
  let t: TestApp;
  let scenario: Scenario;
  const as: Record<string, ApiClient> = {};

  beforeAll(async () => {
    t = await startTestApp({}, [
      { id: 'admin-1', roles: ['admin'] },
      { id: 'dpo-1', roles: ['dpo'] },
      { id: 'dpo-2', roles: ['dpo'] },
      { id: 'sales-1', roles: ['sales'] },
    ]);
    scenario = new Scenario(t);
    for (const id of ['admin-1', 'dpo-1', 'dpo-2', 'sales-1']) as[id] = scenario.client(id);
  });
  afterAll(async () => t.close());

  const suspend = (by: string, actorId: string) =>
    as[by].post(`/v1/actors/${actorId}/suspend`, { reason: 'containment drill after an alert' });
  const reinstate = (by: string, actorId: string) =>
    as[by].post(`/v1/actors/${actorId}/reinstate`, { note: 'cleared after review' });

  it('refuses to suspend the last DPO who is not suspended (409), and lets the others act', async () => {
    expect((await suspend('admin-1', 'sales-1')).status).toBe(200);
    expect((await suspend('admin-1', 'dpo-1')).status).toBe(200);
    expect((await as['dpo-1'].get('/v1/purposes')).status).toBe(403);

    const refused = await scenario.expectNothingWritten(() => suspend('admin-1', 'dpo-2'), 409);
    expect(refused.message).toMatch(/"dpo-2" is the last DPO who is not suspended/);
    expect(refused.details).toEqual([{ field: 'actorId', problem: expect.any(String) }]);
    expect((await as['admin-1'].get('/v1/actors/dpo-2')).body.suspended).toBe(false);

    // The remaining DPO can still reinstate; then the other one may be suspended.
    expect((await reinstate('dpo-2', 'dpo-1')).status).toBe(200);
    expect((await as['dpo-1'].get('/v1/purposes')).status).toBe(200);
    expect((await suspend('admin-1', 'dpo-2')).status).toBe(200);
    expect((await suspend('admin-1', 'dpo-1')).status).toBe(409);
    expect((await reinstate('dpo-1', 'dpo-2')).status).toBe(200);
    expect((await reinstate('dpo-1', 'sales-1')).status).toBe(200);
  });

  it('refuses the second of two concurrent suspensions of the two DPOs', async () => {
    const outcomes = await Promise.all([suspend('admin-1', 'dpo-1'), suspend('admin-1', 'dpo-2')]);
    expect(outcomes.map((r) => r.status).sort()).toEqual([200, 409]);
    const standing = await Promise.all(
      ['dpo-1', 'dpo-2'].map(async (id) => (await as['admin-1'].get(`/v1/actors/${id}`)).body),
    );
    expect(standing.filter((s) => s.suspended)).toHaveLength(1);
  });
});
