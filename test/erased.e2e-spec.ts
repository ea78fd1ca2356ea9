import { consentStream, subjectStream } from '@custodian/domain';
import { EVENT_STORE, schemaVersionOf, type EventStore } from '@custodian/event-store';
import {
  consentDailyProjection,
  consentStateProjection,
  ProjectionRunner,
  type CustomerViewsDocument,
} from '@custodian/projections';
import { READ_STORE, type ReadStore } from '@custodian/read-store';
import { randomUUID } from 'node:crypto';
import {
  ApiClient,
  consentBody,
  ManualClock,
  Scenario,
  startTestApp,
  waitFor,
  type TestApp,
} from '@test/support';

const ACTORS = [
  { id: 'dpo-1', roles: ['dpo'] },
  { id: 'admin-1', roles: ['admin'] },
  { id: 'crm', roles: ['service'] },
  { id: 'board', roles: ['dashboard'] },
];

type Counts = Record<string, number>;

/**
 * Erased means erased everywhere: the consent state, the dashboards, the gate and the read
 * models show an erased customer as erased, never as granted, live and after a rebuild, and
 * also when only the log knows (the erasure recorded, the key not destroyed yet).
 */
describe('erased customers (HTTP, embedded stores)', () => {
  const clock = new ManualClock('2031-03-10T09:00:00.000Z');
  const today = '2031-03-10';
  let t: TestApp;
  let dpo: ApiClient;
  let admin: ApiClient;
  let crm: ApiClient;
  let board: ApiClient;
  let events: EventStore;
  let reads: ReadStore;
  let runner: ProjectionRunner;

  beforeAll(async () => {
    t = await startTestApp({}, ACTORS, { clock });
    const client = (id: string) => new ApiClient(t.baseUrl, t.keys[id]);
    dpo = client('dpo-1');
    admin = client('admin-1');
    crm = client('crm');
    board = client('board');
    events = t.app.get<EventStore>(EVENT_STORE);
    reads = t.app.get<ReadStore>(READ_STORE);
    runner = t.app.get(ProjectionRunner);
    const scenario = new Scenario(t);
    await scenario.activePurpose(admin, dpo, 'erase-news');
    await scenario.activePurpose(admin, dpo, 'erase-offers');
    await scenario.activePurpose(admin, dpo, 'erase-billing', { legalBasis: 'contract' });
  });
  afterAll(async () => t.close());

  const register = async (email: string) => {
    const response = await crm.post('/v1/subjects', { profile: { email }, source: 'web-signup' });
    expect(response.status).toBe(201);
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
  const statuses = async (subjectId: string) => {
    const response = await crm.get(`/v1/subjects/${subjectId}/consents`);
    expect(response.status).toBe(200);
    return Object.fromEntries(
      (response.body.purposes as Array<{ purposeId: string; status: string }>)
        .filter((p) => p.purposeId.startsWith('erase-'))
        .map((p) => [p.purposeId, p.status]),
    );
  };
  const dashboard = async (): Promise<Record<string, Counts>> => {
    const response = await board.get('/v1/dashboard/consents');
    expect(response.status).toBe(200);
    return Object.fromEntries(
      (response.body.purposes as Array<{ purposeId: string; counts: Counts }>)
        .filter((p) => p.purposeId.startsWith('erase-'))
        .map((p) => [p.purposeId, p.counts]),
    );
  };
  const daily = async () => {
    const response = await board.get(`/v1/dashboard/consents/daily?from=${today}&to=${today}`);
    expect(response.status).toBe(200);
    return (response.body.days as Array<{ purposeId: string; grants: number }>)
      .filter((d) => d.purposeId.startsWith('erase-'))
      .map((d) => `${d.purposeId}:${d.grants}`)
      .sort();
  };
  const gate = async (purposeId: string, subjectIds: string[]) => {
    const response = await crm.post('/v1/consent-gate', { purposeId, subjectIds });
    expect(response.status).toBe(200);
    return { allowed: response.body.allowed as string[], denied: response.body.denied as unknown };
  };
  const counts = (granted: number, erased: number) => ({
    granted,
    revoked: 0,
    expired: 0,
    stale: 0,
    erased,
  });
  const allApplied = async () => {
    const head = (await events.readLastEvent())!.position;
    for (const name of ['consent_state', 'consent_daily', 'customer_views'])
      await runner.waitFor(head, { name, timeoutMs: 10_000 });
  };

  let kept: string;
  let erased: string;
  /** Erased in the log only: its data key is still there (as when destroying it failed). */
  let logOnly: string;

  it('shows every consent of an erased customer as erased, and a kept one as granted', async () => {
    kept = await register('kept@example.com');
    erased = await register('gone@example.com');
    logOnly = await register('log-only@example.com');
    for (const subjectId of [kept, erased, logOnly]) await grant(subjectId, 'erase-news');
    await grant(erased, 'erase-offers');
    await grant(logOnly, 'erase-offers');
    await allApplied();
    expect(await dashboard()).toMatchObject({
      'erase-news': { granted: 3 },
      'erase-offers': { granted: 2 },
    });
    expect(await daily()).toEqual(['erase-news:3', 'erase-offers:2']);

    clock.advance(60_000);
    await erase(erased);
    expect(await statuses(erased)).toEqual({
      'erase-news': 'erased',
      'erase-offers': 'erased',
      'erase-billing': 'erased',
    });
    const state = await crm.get(`/v1/subjects/${erased}/consents`);
    expect(state.body.erasedAt).toBe(clock.now().toISOString());
    expect((await dpo.get(`/v1/subjects/${erased}/consents/history`)).body).toMatchObject({
      erasedAt: clock.now().toISOString(),
      events: [{ type: 'ConsentGranted' }, { type: 'ConsentGranted' }],
    });
    // Before the erasure, the history answers what was true then.
    const before = await crm.get(
      `/v1/subjects/${erased}/consents?asOf=${encodeURIComponent('2031-03-10T09:00:30.000Z')}`,
    );
    expect(
      before.body.purposes.find((p: { purposeId: string }) => p.purposeId === 'erase-news'),
    ).toMatchObject({ status: 'granted' });
    expect(await statuses(kept)).toMatchObject({
      'erase-news': 'granted',
      'erase-offers': 'never',
    });
  });

  it('takes the erased customer out of every dashboard count', async () => {
    await allApplied();
    expect(await dashboard()).toMatchObject({
      'erase-news': counts(2, 1),
      'erase-offers': counts(1, 1),
    });
    expect(await daily()).toEqual(['erase-news:2', 'erase-offers:1']);
  });

  it('denies the erased customer at the gate with reason erased, whatever the legal basis', async () => {
    expect(await gate('erase-news', [kept, erased])).toEqual({
      allowed: [kept],
      denied: [{ subjectId: erased, reason: 'erased' }],
    });
    expect(await gate('erase-billing', [kept, erased])).toEqual({
      allowed: [kept],
      denied: [{ subjectId: erased, reason: 'erased' }],
    });
  });

  it('marks the erased customer and their consents erased in the customer views', async () => {
    await allApplied();
    const card = (await reads.get(
      runner.collectionFor('customer_views'),
      erased,
    )) as CustomerViewsDocument;
    expect(card).toMatchObject({ erased: true, fields: {}, roles: {} });
    expect(Object.values(card.consents).map((c) => c.decision)).toEqual(['erased', 'erased']);
    const keptCard = (await reads.get(
      runner.collectionFor('customer_views'),
      kept,
    )) as CustomerViewsDocument;
    expect(keptCard.consents['erase-news'].decision).toBe('granted');
  });

  it('holds from the log alone: an erasure whose key is not destroyed, and a consent recorded after it', async () => {
    // The erasure as the log has it, with the key left in place; then a grant that raced it.
    const [registered] = await events.readStream(subjectStream(logOnly));
    const metadata = (type: string) => ({
      schemaVersion: schemaVersionOf(type),
      actor: { id: 'crm', role: 'service' },
    });
    await events.append(subjectStream(logOnly), [
      {
        type: 'SubjectErased',
        data: {
          subjectId: logOnly,
          keyId: String(registered.data.keyId),
          reason: 'data_subject_request',
          requestedVia: 'email',
          erasedAt: clock.now().toISOString(),
        },
        metadata: metadata('SubjectErased'),
      },
    ]);
    const late = consentBody('erase-billing');
    await events.append(consentStream(logOnly), [
      {
        type: 'ConsentGranted',
        data: {
          subjectId: logOnly,
          purposeId: 'erase-billing',
          receiptId: randomUUID(),
          noticeVersion: 'v1',
          legalBasis: 'contract',
          evidence: late.evidence,
          expiresAt: null,
          grantedAt: clock.now().toISOString(),
        },
        metadata: metadata('ConsentGranted'),
      },
    ]);
    await allApplied();
    // The gate asks the log's read model, not only the key store, which knows nothing here.
    for (const purposeId of ['erase-news', 'erase-billing'])
      expect(await gate(purposeId, [logOnly])).toEqual({
        allowed: [],
        denied: [{ subjectId: logOnly, reason: 'erased' }],
      });
    expect(await dashboard()).toMatchObject({
      'erase-news': counts(1, 2),
      'erase-offers': counts(0, 2),
      'erase-billing': counts(0, 1),
    });
    expect(await statuses(logOnly)).toEqual({
      'erase-news': 'erased',
      'erase-offers': 'erased',
      'erase-billing': 'erased',
    });
    expect(await daily()).toEqual(['erase-news:1']);
  });

  it('answers the same after the projections are rebuilt from the log', async () => {
    const before = { dashboard: await dashboard(), daily: await daily() };
    const rebuilt = [consentStateProjection, consentDailyProjection].map((definition) => ({
      ...definition,
      version: definition.version + 1,
    }));
    for (const definition of rebuilt) await runner.replace(definition as never);
    await waitFor(
      async () =>
        rebuilt.every((definition) =>
          runner
            .status()
            .some(
              (s) =>
                s.name === definition.name &&
                s.activeVersion === definition.version &&
                s.state === 'live',
            ),
        ),
      10_000,
    );
    expect({ dashboard: await dashboard(), daily: await daily() }).toEqual(before);
    expect(before.dashboard['erase-news']).toEqual(counts(1, 2));
    expect(await gate('erase-news', [kept, erased, logOnly])).toEqual({
      allowed: [kept],
      denied: [
        { subjectId: erased, reason: 'erased' },
        { subjectId: logOnly, reason: 'erased' },
      ],
    });
  });
});
