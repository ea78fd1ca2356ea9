import {
  ApiClient,
  connectorBody,
  consentBody,
  purposeBody,
  noticeBody,
  Scenario,
  startTestApp,
  waitFor,
  WebhookReceiver,
  type TestApp,
} from '@test/support';
import { Webhook } from 'standardwebhooks';

/**
 * Outbound webhooks and the change feed (issue 15, items 2, 3, 5), end to end: HTTP into the
 * app, real loopback receivers (http.createServer), signatures checked with the Standard
 * Webhooks reference package.
 */

const PROFILE = {
  name: 'Olga Smirnova',
  email: 'olga.smirnova@example.com',
  phone: '+7 916 555-12-34',
};
const ALL = [
  'consent.granted',
  'consent.revoked',
  'consent.gpc_opt_out',
  'profile.changed',
  'erasure.requested',
  'connector.suspended',
];

describe('webhooks and the change feed (HTTP, embedded stores, loopback receivers)', () => {
  let t: TestApp;
  let scenario: Scenario;
  let admin: ApiClient;
  let dpo: ApiClient;
  let crm: ApiClient;
  const receivers: Record<string, WebhookReceiver> = {};
  const secrets: Record<string, string> = {};
  const keys: Record<string, string> = {};

  const register = async (connectorId: string, overrides: Record<string, unknown>) => {
    const response = await admin.post('/v1/connectors', connectorBody(connectorId, overrides));
    expect(response.status).toBe(201);
    secrets[connectorId] = response.body.webhookSecret;
    keys[connectorId] = response.body.apiKey;
  };
  const newSubject = async (profile = PROFILE) => {
    const response = await crm.post('/v1/subjects', { profile, source: 'shop' });
    if (response.status !== 201) throw new Error(JSON.stringify(response.body));
    return response.body.subjectId as string;
  };
  const consent = async (subjectId: string, purposeId: string, action: string, headers = {}) =>
    expect(
      (
        await crm.post(
          `/v1/subjects/${subjectId}/consents`,
          consentBody(purposeId, { action }),
          headers,
        )
      ).status,
    ).toBe(201);
  const deliveries = async (connectorId: string, status?: string) =>
    (
      await dpo.get(
        `/v1/connectors/${connectorId}/deliveries?limit=1000${status ? `&status=${status}` : ''}`,
      )
    ).body.items as Array<Record<string, unknown>>;

  beforeAll(async () => {
    t = await startTestApp(
      {
        CUSTODIAN_WEBHOOKS_ALLOW_HTTP_LOOPBACK: 'true',
        CUSTODIAN_WEBHOOKS_BACKOFF_BASE_MS: '20',
        CUSTODIAN_WEBHOOKS_BACKOFF_MAX_MS: '200',
        CUSTODIAN_WEBHOOKS_POLL_MS: '50',
        CUSTODIAN_WEBHOOKS_TIMEOUT_MS: '400',
        CUSTODIAN_WEBHOOKS_MAX_RESPONSE_BYTES: '1024',
        CUSTODIAN_WEBHOOKS_RETRY_FOR_MS: '4000',
      },
      [
        { id: 'admin-1', roles: ['admin'] },
        { id: 'dpo-1', roles: ['dpo'] },
        { id: 'crm', roles: ['service'] },
      ],
    );
    scenario = new Scenario(t);
    admin = scenario.client('admin-1');
    dpo = scenario.client('dpo-1');
    crm = scenario.client('crm');
    await scenario.activePurpose(admin, dpo, 'newsletter', {
      assessment: { ...purposeBody('x').assessment, minimumFields: ['name', 'email', 'phone'] },
    });
    expect(
      (
        await admin.post(
          '/v1/purposes',
          purposeBody('ad-partners', {
            flags: { marketing: true, profiling: false, saleOrShare: true, aiProcessing: false },
          }),
        )
      ).status,
    ).toBe(201);
    expect((await admin.post('/v1/purposes/ad-partners/notices', noticeBody('v1'))).status).toBe(
      201,
    );
    expect((await dpo.post('/v1/purposes/ad-partners/activate')).status).toBe(200);
    for (const name of ['mailer', 'flaky', 'redirect', 'elsewhere', 'slow', 'huge', 'dead'])
      receivers[name] = await WebhookReceiver.start();
    await register('mailer', {
      purposes: ['newsletter', 'ad-partners'],
      webhook: { url: receivers.mailer.url, events: ALL },
    });
    // Pulls the same events through the feed: same purposes, same fields, no webhook.
    await register('puller', { purposes: ['newsletter', 'ad-partners'] });
  });
  afterAll(async () => {
    await t.close();
    for (const r of Object.values(receivers)) await r.close();
  });

  it('grant, GPC opt-out, revocation, profile change and erasure reach the receiver, signed, with no personal value', async () => {
    const subjectId = await newSubject();
    await consent(subjectId, 'newsletter', 'grant');
    await consent(subjectId, 'ad-partners', 'grant');
    await consent(subjectId, 'newsletter', 'grant', { 'sec-gpc': '1' });
    await consent(subjectId, 'newsletter', 'revoke');
    expect(
      (
        await crm.request('PATCH', `/v1/subjects/${subjectId}/profile`, {
          profile: { email: 'olga.new@example.com', name: 'Olga S. Smirnova' },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await dpo.post(`/v1/subjects/${subjectId}/erasure`, {
          reason: 'data_subject_request',
          requestedVia: 'email',
        })
      ).status,
    ).toBe(202);

    const mine = () => receivers.mailer.payloads().filter((p) => p.data.subjectId === subjectId);
    await waitFor(async () => mine().some((p) => p.type === 'erasure.requested'), 10_000);
    expect(mine().map((p) => [p.type, p.data.purposeId ?? null])).toEqual([
      ['consent.granted', 'newsletter'],
      ['consent.granted', 'ad-partners'],
      ['consent.granted', 'newsletter'],
      ['consent.gpc_opt_out', 'ad-partners'],
      ['consent.revoked', 'newsletter'],
      ['profile.changed', null],
      ['erasure.requested', null],
    ]);
    // Field names only, and only the fields this connector receives (email, not name).
    expect(mine().find((p) => p.type === 'profile.changed')!.data).toEqual({
      subjectId,
      fields: ['email'],
    });

    const verifier = new Webhook(secrets.mailer);
    for (const r of receivers.mailer.received) {
      expect(verifier.verify(r.body, r.headers)).toEqual(JSON.parse(r.body));
      expect(r.headers['webhook-id']).toBe(JSON.parse(r.body).eventId);
    }
    // A forged body fails the same check.
    const forged = receivers.mailer.received[0];
    expect(() =>
      verifier.verify(forged.body.replace('newsletter', 'other'), forged.headers),
    ).toThrow();

    const everything = JSON.stringify(receivers.mailer.received).toLowerCase();
    for (const value of [
      ...Object.values(PROFILE),
      'olga.new@example.com',
      '9165551234',
      'smirnova',
    ])
      expect(everything.includes(value.toLowerCase())).toBe(false);
  });

  it('the feed gives the same events in the same order to a connector key, long-polls, and refuses staff', async () => {
    const feed = new ApiClient(t.baseUrl, keys.puller);
    const all: Array<{ eventId: string }> = [];
    let after: string | null = null;
    for (;;) {
      const page = await feed.get(`/v1/feed?limit=3${after ? `&after=${after}` : ''}`);
      expect(page.status).toBe(200);
      all.push(...page.body.items);
      if (page.body.items.length === 0) break;
      after = page.body.nextCursor;
    }
    expect(all).toEqual(receivers.mailer.payloads());
    const onlyGpc = await feed.get('/v1/feed?types=consent.gpc_opt_out');
    expect(onlyGpc.body.items.map((p: { type: string }) => p.type)).toEqual([
      'consent.gpc_opt_out',
    ]);

    // Long-poll: nothing new, then a consent while it waits.
    const started = Date.now();
    const waiting = feed.get(`/v1/feed?after=${after}&wait=10`);
    await new Promise((r) => setTimeout(r, 300));
    const subjectId = await newSubject({
      ...PROFILE,
      email: 'another@example.com',
      phone: '+7 916 555-00-01',
    });
    await consent(subjectId, 'newsletter', 'grant');
    const woke = await waiting;
    expect(woke.status).toBe(200);
    expect(woke.body.items).toEqual([expect.objectContaining({ type: 'consent.granted' })]);
    expect(Date.now() - started).toBeLessThan(8000);

    for (const [query, field] of [
      ['after=12', 'after'],
      ['types=consent.granted,everything', 'types'],
      ['wait=600', 'wait'],
      ['limit=0', 'limit'],
    ])
      expect({ query, res: (await feed.get(`/v1/feed?${query}`)).body.details }).toEqual({
        query,
        res: [expect.objectContaining({ field })],
      });
    expect((await admin.get('/v1/feed')).status).toBe(403);
    // A connector key reads its feed only.
    expect((await feed.get('/v1/connectors')).status).toBe(403);
    expect((await feed.get('/v1/purposes')).status).toBe(403);
  });

  it('a receiver answering 500 for a while gets every event once it recovers, in order per customer', async () => {
    let failures = 0;
    receivers.flaky.respond = (_req, res) => {
      if (failures++ < 6) {
        res.statusCode = 500;
        res.end('down');
      } else {
        res.statusCode = 200;
        res.end('ok');
      }
    };
    await register('flaky', {
      webhook: { url: receivers.flaky.url, events: ['consent.granted', 'consent.revoked'] },
    });
    const a = await newSubject({ ...PROFILE, email: 'a@example.com', phone: '+7 916 555-00-02' });
    const b = await newSubject({ ...PROFILE, email: 'b@example.com', phone: '+7 916 555-00-03' });
    for (let i = 0; i < 3; i++) {
      await consent(a, 'newsletter', 'grant');
      await consent(b, 'newsletter', 'grant');
      await consent(a, 'newsletter', 'revoke');
      await consent(b, 'newsletter', 'revoke');
    }
    await waitFor(async () => (await deliveries('flaky', 'delivered')).length === 12, 15_000);
    const ok = receivers.flaky.received.filter((_, i) => i >= 6).map((r) => JSON.parse(r.body));
    for (const subject of [a, b]) {
      const order = ok.filter((p) => p.data.subjectId === subject).map((p) => p.type);
      expect(order).toEqual(Array(3).fill(['consent.granted', 'consent.revoked']).flat());
      const positions = ok.filter((p) => p.data.subjectId === subject).map((p) => p.position);
      expect([...positions].sort()).toEqual(positions);
    }
    const attempts = (await deliveries('flaky')).map((d) => d.attempts as number);
    expect(Math.max(...attempts)).toBeGreaterThan(1);
  });

  it('a redirect, a slow and a huge response are refused, timed out and cut, without holding up other connectors', async () => {
    receivers.redirect.respond = (_req, res) => {
      res.statusCode = 302;
      res.setHeader('location', receivers.elsewhere.url);
      res.end();
    };
    receivers.slow.respond = (_req, res) => {
      setTimeout(() => {
        res.statusCode = 200;
        res.end('late');
      }, 2000).unref();
    };
    receivers.huge.respond = (_req, res) => {
      res.statusCode = 200;
      res.write('x'.repeat(64 * 1024));
      res.end('x'.repeat(4 * 1024 * 1024));
    };
    for (const name of ['redirect', 'slow', 'huge'])
      await register(name, { webhook: { url: receivers[name].url, events: ['consent.granted'] } });
    const before = receivers.mailer.received.length;
    const subjectId = await newSubject({
      ...PROFILE,
      email: 'c@example.com',
      phone: '+7 916 555-00-04',
    });
    const started = Date.now();
    await consent(subjectId, 'newsletter', 'grant');
    await waitFor(async () => receivers.mailer.received.length > before, 5000);
    // The healthy connector is served at once, whatever the others do.
    expect(Date.now() - started).toBeLessThan(2000);

    await waitFor(async () => (await deliveries('redirect'))[0]?.attempts !== 0, 5000);
    await waitFor(async () => (await deliveries('slow'))[0]?.lastError !== null, 5000);
    await waitFor(async () => (await deliveries('huge', 'delivered')).length === 1, 5000);
    expect((await deliveries('redirect'))[0]).toMatchObject({
      status: 'pending',
      lastStatus: 302,
      lastError: expect.stringContaining('redirect refused'),
    });
    expect(receivers.elsewhere.received).toEqual([]);
    expect((await deliveries('slow'))[0]).toMatchObject({
      lastError: expect.stringContaining('timed out after 400 ms'),
    });
    expect((await deliveries('huge'))[0]).toMatchObject({
      status: 'delivered',
      lastError: 'response cut at 1024 bytes',
    });
  });

  it('dead-letters after the retry window with the reason; a DPO redelivers one event or a range', async () => {
    let up = false;
    receivers.dead.respond = (_req, res) => {
      res.statusCode = up ? 200 : 503;
      res.end();
    };
    await register('dead', { webhook: { url: receivers.dead.url, events: ['consent.granted'] } });
    const subjectId = await newSubject({
      ...PROFILE,
      email: 'd@example.com',
      phone: '+7 916 555-00-05',
    });
    await consent(subjectId, 'newsletter', 'grant');
    await consent(subjectId, 'newsletter', 'grant');
    await waitFor(async () => (await deliveries('dead', 'dead')).length === 2, 15_000);
    const [first, second] = await deliveries('dead', 'dead');
    expect(first.deadReason).toMatch(/gave up after \d+ attempt\(s\) over 4000 ms: HTTP 503/);

    up = true;
    await scenario.expectNothingWritten(
      () => dpo.post('/v1/connectors/dead/redeliveries', {}),
      400,
    );
    expect(
      (await crm.post('/v1/connectors/dead/redeliveries', { eventId: first.eventId })).status,
    ).toBe(403);
    const one = await dpo.post('/v1/connectors/dead/redeliveries', { eventId: first.eventId });
    expect(one.status).toBe(202);
    expect(one.body.redelivering).toBe(1);
    await waitFor(async () => (await deliveries('dead', 'delivered')).length === 1, 5000);
    const range = await admin.post('/v1/connectors/dead/redeliveries', {
      fromPosition: first.position,
      toPosition: second.position,
    });
    expect(range.body.redelivering).toBe(2);
    await waitFor(async () => (await deliveries('dead', 'delivered')).length === 2, 5000);
    const ids = receivers.dead.received.filter((r) => r.headers['webhook-id'] === first.eventId);
    // The same message each time: the same webhook-id, the same body.
    expect(new Set(ids.map((r) => r.body)).size).toBe(1);
  });

  it('suspending a connector stops its deliveries and its feed and refuses its key; reinstating resumes', async () => {
    const feed = new ApiClient(t.baseUrl, keys.puller);
    expect(
      (await dpo.post('/v1/connectors/puller/suspend', { reason: 'reads far more than it should' }))
        .status,
    ).toBe(200);
    const refused = await feed.get('/v1/feed');
    expect(refused.status).toBe(403);
    expect(refused.body.details).toEqual([
      { field: 'Authorization', problem: 'connector_suspended' },
    ]);

    expect(
      (await dpo.post('/v1/connectors/mailer/suspend', { reason: 'investigating a leak report' }))
        .status,
    ).toBe(200);
    const subjectId = await newSubject({
      ...PROFILE,
      email: 'e@example.com',
      phone: '+7 916 555-00-06',
    });
    await consent(subjectId, 'newsletter', 'grant');
    await new Promise((r) => setTimeout(r, 800));
    // Nothing about the new customer reaches the suspended connector.
    expect(receivers.mailer.payloads().filter((p) => p.data.subjectId === subjectId)).toEqual([]);
    expect((await deliveries('mailer', 'pending')).length).toBeGreaterThan(0);

    expect(
      (await dpo.post('/v1/connectors/mailer/reinstate', { reason: 'report was a false alarm' }))
        .status,
    ).toBe(200);
    await waitFor(
      async () => receivers.mailer.payloads().some((p) => p.data.subjectId === subjectId),
      5000,
    );
    // The other connector heard of the suspension (it subscribed to connector.suspended).
    expect(
      receivers.mailer
        .payloads()
        .filter((p) => p.type === 'connector.suspended')
        .map((p) => p.data.connectorId),
    ).toEqual(expect.arrayContaining(['puller', 'mailer']));
    expect(
      (await dpo.post('/v1/connectors/puller/reinstate', { reason: 'reviewed with the vendor' }))
        .status,
    ).toBe(200);
    await waitFor(async () => (await feed.get('/v1/feed?limit=1')).status === 200, 3000);
  });
  it('after a rotation each delivery carries two signatures: the old secret and the new one both verify', async () => {
    const rotated = await admin.post('/v1/connectors/mailer/secrets');
    expect(rotated.status).toBe(201);
    const subjectId = await newSubject({
      ...PROFILE,
      email: 'f@example.com',
      phone: '+7 916 555-00-07',
    });
    await consent(subjectId, 'newsletter', 'grant');
    const mine = () =>
      receivers.mailer.received.find((r) => JSON.parse(r.body).data.subjectId === subjectId);
    await waitFor(async () => mine() !== undefined, 10_000);
    const delivered = mine()!;
    expect(delivered.headers['webhook-signature']).toMatch(/^v1,\S+ v1,\S+$/);
    for (const secret of [secrets.mailer, rotated.body.webhookSecret])
      expect(new Webhook(secret).verify(delivered.body, delivered.headers)).toMatchObject({
        type: 'consent.granted',
      });
    // A secret that was never issued verifies nothing.
    expect(() =>
      new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).verify(
        delivered.body,
        delivered.headers,
      ),
    ).toThrow();
  });
});
