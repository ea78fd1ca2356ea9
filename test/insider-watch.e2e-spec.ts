import { randomUUID } from 'node:crypto';
import { actorDecider, actorStream } from '@custodian/domain';
import { CommandExecutor } from '@custodian/platform';
import { DEFAULT_ANOMALY_RULES } from '@custodian/policy';
import {
  openEventStream,
  purposeBody,
  Scenario,
  startTestApp,
  waitFor,
  type ApiClient,
  type TestApp,
} from '@test/support';

/**
 * Issue 12, items 4-6: erasures are watched (counted, a default rule, four eyes past an hourly
 * limit), counters are per actor across roles with a synchronous stop at a suspend rule's
 * threshold, and a suspended actor's open event streams end.
 */

const PROFILE_FIELDS = ['name', 'email', 'phone', 'birthDate', 'address'];
const APPROVAL_ABOVE = 3;

const bulkReads = (threshold: number, roles: string[]) => ({
  ruleId: 'bulk-reads',
  description: 'a person reads many different customers in ten minutes',
  measure: 'distinctCustomers',
  window: 'PT10M',
  threshold,
  action: 'suspend',
  roles,
});
const bulkErasure = (threshold: number) => ({
  ruleId: 'bulk-erasure',
  description: 'a person erases many customers in ten minutes',
  measure: 'erasures',
  window: 'PT10M',
  threshold,
  action: 'alert',
  roles: [],
});
const ruleSet = (list: unknown[]) => ({
  rules: list,
  workingHours: DEFAULT_ANOMALY_RULES.workingHours,
});

/** Whether the promise settles within `ms`. */
async function within(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

const ACTORS = [
  { id: 'admin-1', roles: ['admin'] },
  { id: 'dpo-1', roles: ['dpo'] },
  { id: 'dpo-2', roles: ['dpo'] },
  { id: 'service-1', roles: ['service'] },
  { id: 'support-1', roles: ['support'] },
  { id: 'both-1', roles: ['sales', 'support'] },
  { id: 'burst-1', roles: ['sales'] },
  { id: 'dashboard-1', roles: ['dashboard'] },
  { id: 'dashboard-2', roles: ['dashboard'] },
];

describe('erasures watched, counters per actor with a synchronous stop, streams ended on suspension (HTTP, embedded stores)', () => {
  let t: TestApp;
  let scenario: Scenario;
  const as: Record<string, ApiClient> = {};
  const customers: string[] = [];
  let next = 0;
  const take = (n: number) => {
    const taken = customers.slice(next, next + n);
    next += n;
    if (taken.length < n) throw new Error('not enough customers registered');
    return taken;
  };

  beforeAll(async () => {
    t = await startTestApp({ CUSTODIAN_ERASURE_APPROVAL_ABOVE: String(APPROVAL_ABOVE) }, ACTORS);
    scenario = new Scenario(t);
    for (const { id } of ACTORS) as[id] = scenario.client(id);
    await scenario.activePurpose(as['admin-1'], as['dpo-1'], 'crm-care', {
      legalBasis: 'contract',
      allowedRoles: ['sales', 'support', 'service'],
      flags: { marketing: false, profiling: false, saleOrShare: false, aiProcessing: false },
      assessment: { ...purposeBody('x').assessment, minimumFields: PROFILE_FIELDS },
    });
    for (let i = 0; i < 60; i++) {
      const response = await as['service-1'].post('/v1/subjects', {
        profile: { name: `Customer ${i}`, email: `w${i}@example.com` },
        source: 'shop',
      });
      expect(response.status).toBe(201);
      customers.push(response.body.subjectId);
    }
  }, 60_000);
  afterAll(async () => t.close());

  const view = (client: ApiClient, subjectId: string) =>
    client.get(`/v1/subjects/${subjectId}/view?purpose=crm-care`);
  const erase = (client: ApiClient, subjectId: string) =>
    client.post(`/v1/subjects/${subjectId}/erasure`, {
      reason: 'consent_withdrawn',
      requestedVia: 'email',
    });
  const suspended = async (actorId: string) =>
    (await as['dpo-1'].get(`/v1/actors/${actorId}`)).body.suspended === true;

  it('has a bulk-erasure rule in the default rules (version 0)', async () => {
    const rules = (await as['dpo-1'].get('/v1/anomaly-rules')).body;
    expect(rules.version).toBe(0);
    expect(rules.rules).toContainEqual(
      expect.objectContaining({ ruleId: 'bulk-erasure', measure: 'erasures', window: 'PT10M' }),
    );
  });

  it('counts erasures, and holds those past the hourly limit until another DPO approves', async () => {
    expect((await as['dpo-1'].post('/v1/anomaly-rules', ruleSet([bulkErasure(3)]))).status).toBe(
      201,
    );
    const targets = take(APPROVAL_ABOVE * 2);
    const answers = await Promise.all(targets.map((id) => erase(as['support-1'], id)));
    expect(answers.map((a) => a.status)).toEqual(targets.map(() => 202));
    const done = answers.filter((a) => a.body.erasedAt !== undefined);
    const held = answers.filter((a) => a.body.status === 'awaiting_approval');
    expect(done).toHaveLength(APPROVAL_ABOVE);
    expect(held).toHaveLength(APPROVAL_ABOVE);
    expect(held[0].body).toMatchObject({
      requestedBy: 'support-1',
      threshold: APPROVAL_ABOVE,
      erasuresThisHour: APPROVAL_ABOVE,
    });
    // Held means not erased: no receipt, the customer still readable.
    const heldId: string = held[0].body.subjectId;
    expect((await as['dpo-1'].get(`/v1/subjects/${heldId}/erasure`)).status).toBe(404);
    expect((await view(as['service-1'], heldId)).status).toBe(200);
    // Asking again holds nothing twice.
    const before = await scenario.head();
    const again = await erase(as['support-1'], heldId);
    expect(again.status).toBe(202);
    expect(again.body.status).toBe('awaiting_approval');
    expect(await scenario.head()).toBe(before);

    // The three erasures crossed the bulk-erasure rule.
    await waitFor(
      async () =>
        (await as['dpo-1'].get('/v1/anomalies?ruleId=bulk-erasure')).body.anomalies.length === 1,
    );
    expect(
      (await as['dpo-1'].get('/v1/anomalies?ruleId=bulk-erasure')).body.anomalies[0],
    ).toMatchObject({ actorId: 'support-1', measure: 'erasures', value: 3, role: 'support' });

    // Only a DPO approves; then the customer is erased.
    expect((await as['support-1'].post(`/v1/subjects/${heldId}/erasure/approve`, {})).status).toBe(
      403,
    );
    const approved = await as['dpo-1'].post(`/v1/subjects/${heldId}/erasure/approve`, {
      note: 'confirmed with the customer',
    });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ subjectId: heldId, erasedBy: { id: 'dpo-1' } });
    expect((await view(as['service-1'], heldId)).status).toBe(410);
    await scenario.expectNothingWritten(
      () => as['dpo-2'].post(`/v1/subjects/${heldId}/erasure/approve`, {}),
      409,
    );
    await scenario.expectNothingWritten(
      () => as['dpo-2'].post(`/v1/subjects/${take(1)[0]}/erasure/approve`, {}),
      404,
    );
    await scenario.expectNothingWritten(
      () => as['dpo-2'].post(`/v1/subjects/${held[1].body.subjectId}/erasure/approve`, { note: 7 }),
      400,
    );
  });

  it('never lets the requester approve their own held erasure', async () => {
    const targets = take(APPROVAL_ABOVE + 1);
    for (const id of targets.slice(0, APPROVAL_ABOVE))
      expect((await erase(as['dpo-2'], id)).body.erasedAt).toBeDefined();
    const last = targets[APPROVAL_ABOVE];
    const held = await erase(as['dpo-2'], last);
    expect(held.body).toMatchObject({ status: 'awaiting_approval', requestedBy: 'dpo-2' });
    // Three erasures cross the bulk-erasure rule for a DPO too (the detector writes that).
    await waitFor(
      async () =>
        (await as['dpo-1'].get('/v1/anomalies?actorId=dpo-2')).body.anomalies.length === 1,
    );
    await scenario.expectNothingWritten(
      () => as['dpo-2'].post(`/v1/subjects/${last}/erasure/approve`, {}),
      403,
    );
    const approved = await as['dpo-1'].post(`/v1/subjects/${last}/erasure/approve`, {});
    expect(approved.status).toBe(200);
    expect(approved.body.erasedBy).toMatchObject({ id: 'dpo-1' });
  });

  it("ends a suspended actor's event stream at once, and one suspended by another process within the refresh", async () => {
    const stream = await openEventStream(
      `${t.baseUrl}/v1/dashboard/anomalies/stream`,
      as['dashboard-1'].headersFor(),
    );
    expect(stream.status).toBe(200);
    const suspension = await as['dpo-1'].post('/v1/actors/dashboard-1/suspend', {
      reason: 'dashboard key found in a public repository',
    });
    expect(suspension.status).toBe(200);
    const ended = await within(stream.ended, 1000);
    stream.close();
    expect(ended).toBe(true);
    expect(stream.events.filter((e) => e.event === 'anomaly')).toEqual([]);
    const reopened = await openEventStream(
      `${t.baseUrl}/v1/dashboard/anomalies/stream`,
      as['dashboard-1'].headersFor(),
    );
    expect(reopened.status).toBe(403);

    // Suspended by another process: written to the log without telling this one.
    const other = await openEventStream(
      `${t.baseUrl}/v1/dashboard/anomalies/stream`,
      as['dashboard-2'].headersFor(),
    );
    expect(other.status).toBe(200);
    const now = new Date();
    await t.app
      .get(CommandExecutor)
      .execute(
        actorStream('dashboard-2'),
        actorDecider,
        { type: 'SuspendActor', actorId: 'dashboard-2', by: 'dpo-2', reason: 'elsewhere' },
        () => ({ now }),
        {
          actor: { id: 'dpo-2', role: 'dpo' },
          requestId: 'other-process',
          causationId: randomUUID(),
          now,
        },
      );
    const endedElsewhere = await within(other.ended, 3000);
    other.close();
    expect(endedElsewhere).toBe(true);
  });

  it('counts an actor once across roles: 3 reads as sales and 2 as support cross a threshold of 5', async () => {
    expect(
      (await as['dpo-1'].post('/v1/anomaly-rules', ruleSet([bulkReads(5, ['sales', 'support'])])))
        .status,
    ).toBe(201);
    const read = take(6);
    for (const id of read.slice(0, 3))
      expect((await view(as['both-1'].as('sales'), id)).status).toBe(200);
    for (const id of read.slice(3, 5))
      expect((await view(as['both-1'].as('support'), id)).status).toBe(200);
    await waitFor(() => suspended('both-1'));
    const anomalies = (await as['dpo-1'].get('/v1/anomalies?actorId=both-1')).body.anomalies;
    expect(anomalies).toEqual([
      expect.objectContaining({
        ruleId: 'bulk-reads',
        measure: 'distinctCustomers',
        value: 5,
        role: 'support',
      }),
    ]);
    expect((await view(as['both-1'].as('sales'), read[5])).status).toBe(403);
  });

  it('serves at most the threshold of a suspend rule when reads arrive in parallel, and the actor ends suspended', async () => {
    const N = 10;
    expect(
      (await as['dpo-1'].post('/v1/anomaly-rules', ruleSet([bulkReads(N, ['sales'])]))).status,
    ).toBe(201);
    const answers = await Promise.all(take(2 * N).map((id) => view(as['burst-1'], id)));
    const statuses = answers.map((a) => a.status);
    const served = statuses.filter((s) => s === 200).length;
    expect(served).toBeLessThanOrEqual(N);
    expect(served).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200 || s === 403 || s === 429)).toBe(true);
    const refused = answers.find((a) => a.status !== 200)!;
    expect(refused.body.details).toEqual([expect.objectContaining({ field: 'Authorization' })]);
    await waitFor(() => suspended('burst-1'));
    // What was read is exactly what the access records say, no more.
    const reads = (await as['dpo-1'].get('/v1/anomalies?actorId=burst-1')).body.anomalies;
    expect(reads).toEqual([expect.objectContaining({ value: N, threshold: N })]);
  });
});
