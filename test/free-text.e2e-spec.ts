import { EVENT_STORE, type EventStore } from '@custodian/event-store';
import {
  ApiClient,
  consentBody,
  purposeBody,
  Scenario,
  startTestApp,
  waitFor,
  type TestApp,
} from '@test/support';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('free text cannot carry personal data: closed formats, request ids, request logs (HTTP, embedded stores, log file)', () => {
  let t: TestApp;
  let scenario: Scenario;
  let events: EventStore;
  let admin: ApiClient;
  let dpo: ApiClient;
  let crm: ApiClient;
  let marketing: ApiClient;
  let subjectId: string;

  const logFile = () => join(t.dataDir, 'logs', 'custodian.log');
  const logText = () => (existsSync(logFile()) ? readFileSync(logFile(), 'utf8') : '');
  const logLines = () =>
    logText()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  /** The request log line of the request with this id (written once the response finished). */
  const requestLine = async (id: string) => {
    const find = () =>
      logLines().find(
        (line) => (line.req as { id?: string } | undefined)?.id === id && line.res !== undefined,
      );
    await waitFor(async () => find() !== undefined);
    return find()!;
  };
  const evidence = (collectionPoint: string) => ({
    ...consentBody('newsletter').evidence,
    collectionPoint,
  });
  const exportBody = (overrides: Record<string, unknown> = {}) => ({
    purposeId: 'newsletter',
    justification: 'monthly newsletter send through the mail provider',
    fields: ['name', 'email'],
    ...overrides,
  });
  /** A refusal: 400, the one field at fault named, the value not repeated, nothing appended. */
  const refused = async (
    action: () => Promise<{ status: number; body: unknown; headers: Headers }>,
    field: string,
    value: string,
  ) => {
    const body = await scenario.expectNothingWritten(action, 400);
    expect(body.details).toEqual([expect.objectContaining({ field })]);
    expect(JSON.stringify(body)).not.toContain(value);
  };

  beforeAll(async () => {
    t = await startTestApp(
      (dataDir) => ({
        LOG_LEVEL: 'info',
        CUSTODIAN_LOG_FILE: join(dataDir, 'logs', 'custodian.log'),
      }),
      [
        { id: 'admin-1', roles: ['admin', 'dpo'] },
        { id: 'crm', roles: ['service'] },
        { id: 'marketing-1', roles: ['marketing'] },
      ],
    );
    scenario = new Scenario(t);
    events = t.app.get<EventStore>(EVENT_STORE);
    admin = scenario.client('admin-1');
    dpo = admin.as('dpo');
    crm = scenario.client('crm');
    marketing = scenario.client('marketing-1');
    await scenario.activePurpose(admin, dpo, 'newsletter', {
      allowedRoles: ['marketing', 'service'],
      assessment: { ...purposeBody('x').assessment, minimumFields: ['name', 'email'] },
    });
    const registered = await crm.post('/v1/subjects', {
      profile: { name: 'Anna Sokolova', email: 'anna.sokolova@mail.example' },
      source: 'shop',
    });
    expect(registered.status).toBe(201);
    subjectId = registered.body.subjectId;
    expect(
      (await crm.post(`/v1/subjects/${subjectId}/consents`, consentBody('newsletter'))).status,
    ).toBe(201);
  });
  afterAll(async () => t.close());

  it('takes a consent collection point only as a slug or a plain https URL', async () => {
    for (const bad of [
      'form?email=ivan@example.com&tel=79161234567',
      'form-79161234567',
      'signup form',
      'Signup-Form',
      'ivan＠example',
      'https://shop.example.com/form?email=x',
      'https://shop.example.com/form#ivan',
      'https://ivan@shop.example.com/form',
      'https://shop.example.com/ivan%40example.com',
      'https://shop.example.com/u/+7_916_123_45_67',
      'http://shop.example.com/form',
      'tel:+79161234567',
    ])
      await refused(
        () =>
          crm.post(
            `/v1/subjects/${subjectId}/consents`,
            consentBody('newsletter', { evidence: evidence(bad) }),
          ),
        'evidence.collectionPoint',
        bad,
      );

    for (const good of ['shop/checkout-v2', 'https://shop.example.com/signup/step-2']) {
      const response = await crm.post(
        `/v1/subjects/${subjectId}/consents`,
        consentBody('newsletter', { evidence: evidence(good) }),
      );
      expect(response.status).toBe(201);
      const last = (await events.readStream(`consent-${subjectId}`)).at(-1)!;
      expect(last.data).toMatchObject({ evidence: { collectionPoint: good } });
    }
  });

  it('takes a registration source and an export filter source only as a slug the screen passes', async () => {
    for (const bad of ['79161234567', 'web-916-123-45-67', 'ivan@example', 'Shop', 'shop/web'])
      await refused(
        () => crm.post('/v1/subjects', { profile: { name: 'Oleg Orlov' }, source: bad }),
        'source',
        bad,
      );

    for (const bad of [
      'ivan@example.com',
      'tel:+79161234567',
      'shop?email=x',
      '916 123 45 67',
      'https://shop.example.com/form',
    ]) {
      await refused(
        () => marketing.post('/v1/exports', exportBody({ filter: { source: bad } })),
        'filter.source',
        bad,
      );
      await refused(
        () => marketing.post('/v1/exports/preview', exportBody({ filter: { source: bad } })),
        'filter.source',
        bad,
      );
    }
    const preview = await marketing.post(
      '/v1/exports/preview',
      exportBody({ filter: { source: 'shop' } }),
    );
    expect(preview.status).toBe(200);
    expect(preview.body.count).toBe(1);
  });

  it('takes an export destination only as a name or an https/sftp URI without userinfo, query, fragment or %-escapes', async () => {
    for (const bad of [
      'mailto:ivan@example.com',
      'mailto:ivan%40example.com',
      'tel:+79161234567',
      'tel:+7_916_123_45_67',
      'sftp://ivan:secret@partner.example/inbox',
      'sftp://partner.example/inbox?to=ivan',
      'https://partner.example/inbox#ivan',
      'https://partner.example/ivan%40example.com',
      'sftp://partner.example/+7-916-123-45-67',
      'ftp://files.partner.example/inbox',
      'crm/sandbox',
    ])
      await refused(
        () => marketing.post('/v1/exports', exportBody({ destination: bad })),
        'destination',
        bad,
      );

    for (const good of ['crm-sandbox', 'sftp://partner.example/inbox', 'download']) {
      const response = await marketing.post('/v1/exports', exportBody({ destination: good }));
      expect(response.status).toBe(202);
      const [requested] = await events.readStream(`export-${response.body.exportId}`);
      expect(requested.data).toMatchObject({ destination: good });
    }
  });

  it('keeps a safe X-Request-Id, replaces any other, and echoes and stores the one used', async () => {
    const grant = (requestId?: string) =>
      crm.post(
        `/v1/subjects/${subjectId}/consents`,
        consentBody('newsletter'),
        requestId === undefined ? {} : { 'x-request-id': requestId },
      );
    const storedCorrelation = async () =>
      (await events.readStream(`consent-${subjectId}`)).at(-1)!.metadata.correlationId;

    for (const kept of ['checkout-run-42', '3f0c1a2e-9b8d-4c7e-a6f5-1234567890ab']) {
      const response = await grant(kept);
      expect(response.status).toBe(201);
      expect(response.headers.get('x-request-id')).toBe(kept);
      expect(await storedCorrelation()).toBe(kept);
      expect((await requestLine(kept)).req).toMatchObject({ id: kept });
    }

    const replaced = [
      'ivan@example.com',
      'ivan%40example',
      '79161234567',
      'req_916_123_45_67',
      'ivan.petrov',
      'x'.repeat(65),
    ];
    for (const bad of replaced) {
      const response = await grant(bad);
      expect(response.status).toBe(201);
      const used = response.headers.get('x-request-id')!;
      expect(used).toMatch(UUID);
      expect(await storedCorrelation()).toBe(used);
      expect((await requestLine(used)).req).toMatchObject({ id: used });
    }
    // A refused request and one without the header get an id too, echoed back.
    const anonymous = await new ApiClient(t.baseUrl, null).get('/v1/purposes', {
      'x-request-id': 'ivan@example.com',
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('x-request-id')).toMatch(UUID);
    expect((await grant()).headers.get('x-request-id')).toMatch(UUID);

    const log = logText();
    for (const bad of replaced) expect(log).not.toContain(bad);
    const stored = JSON.stringify(
      (await events.readStream(`consent-${subjectId}`)).map((e) => e.metadata),
    );
    for (const bad of replaced) expect(stored).not.toContain(bad);
  });

  it('logs the route pattern, never the path asked for, also for unknown routes', async () => {
    const email = 'ivan.petrov@example.com';
    // Chosen ids (safe tokens, kept by old and new code alike) find each request's log line.
    const read = await admin.get(`/v1/subjects/${email}/view?purpose=newsletter`, {
      'x-request-id': 'route-log-read',
    });
    expect(read.status).toBe(400);
    expect(read.body.details).toEqual([expect.objectContaining({ field: 'subjectId' })]);
    const readLine = await requestLine('route-log-read');
    expect(readLine.req).toEqual({
      id: 'route-log-read',
      method: 'GET',
      route: '/v1/subjects/:subjectId/view',
    });
    expect(readLine.res).toEqual({ statusCode: 400 });

    const view = await admin.get(`/v1/subjects/${subjectId}/view?purpose=newsletter`, {
      'x-request-id': 'route-log-view',
    });
    expect(view.status).toBe(200);
    expect((await requestLine('route-log-view')).req).toMatchObject({
      route: '/v1/subjects/:subjectId/view',
    });

    const unknown = await admin.get(`/v1/customers/${email}/phone/79161234567`, {
      'x-request-id': 'route-log-unknown',
    });
    expect(unknown.status).toBe(404);
    // Nor does the answer repeat the path (Nest's default is "Cannot GET <path>").
    expect(JSON.stringify(unknown.body)).not.toContain('ivan');
    expect(unknown.body.message).toBe('no route matches this GET request');
    const unknownLine = await requestLine('route-log-unknown');
    expect(unknownLine.req).toEqual({
      id: 'route-log-unknown',
      method: 'GET',
      route: '(no route)',
    });
    expect(unknownLine.res).toEqual({ statusCode: 404 });

    const log = logText();
    for (const secret of [email, 'ivan.petrov', '79161234567', subjectId])
      expect(log).not.toContain(secret);
  });

  it('refuses operational text holding a disguised address or a separated phone number, and lets dates and ids through', async () => {
    for (const bad of [
      'send the file to ivan＠example.com today',
      'send the file to ivan﹫example.com today',
      'ask ivan@example about the list',
      'ask ivan%40example.com about the list',
      'call back on +7_916_123_45_67 first',
      'call back on 916 / 123 / 45 / 67 first',
      'call back on 916.123.45.67 first',
    ])
      await refused(
        () => marketing.post('/v1/exports', exportBody({ justification: bad })),
        'justification',
        bad,
      );

    const ordinary =
      'campaign run 2024-05-01 10:20 to 2024-05-02 11:00, ticket 3f0c1a2e-9b8d-4c7e-a6f5-1234567890ab, lodash@4.17.21';
    const response = await marketing.post('/v1/exports', exportBody({ justification: ordinary }));
    expect(response.status).toBe(202);
    const [requested] = await events.readStream(`export-${response.body.exportId}`);
    expect(requested.data).toMatchObject({ justification: ordinary });
  });
});
