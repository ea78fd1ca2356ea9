import { EVENT_STORE, type EventStore } from '@custodian/event-store';
import { ApiClient, connectorBody, Scenario, startTestApp, type TestApp } from '@test/support';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The connector registry (issue 15, item 1): event-sourced, checked, queryable by purpose and field. */

describe('connector registry (HTTP, embedded stores)', () => {
  let t: TestApp;
  let scenario: Scenario;
  let admin: ApiClient;
  let dpo: ApiClient;
  let service: ApiClient;

  beforeAll(async () => {
    t = await startTestApp({ CUSTODIAN_WEBHOOKS_ALLOW_HTTP_LOOPBACK: 'true' }, [
      { id: 'admin-1', roles: ['admin'] },
      { id: 'dpo-1', roles: ['dpo'] },
      { id: 'service-1', roles: ['service'] },
    ]);
    scenario = new Scenario(t);
    admin = scenario.client('admin-1');
    dpo = scenario.client('dpo-1');
    service = scenario.client('service-1');
    await scenario.activePurpose(admin, dpo, 'newsletter');
    await scenario.activePurpose(admin, dpo, 'analytics');
  });
  afterAll(async () => t.close());

  it('registers a connector: its key and webhook secret shown once, never stored in clear', async () => {
    const response = await admin.post(
      '/v1/connectors',
      connectorBody('mailer-one', {
        webhook: { url: 'http://127.0.0.1:9/hooks', events: ['consent.granted'] },
      }),
    );
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      connectorId: 'mailer-one',
      kind: 'mailer',
      owner: 'crm-team',
      purposes: ['newsletter'],
      fields: ['email'],
      country: 'DE',
      role: 'processor',
      status: 'active',
      webhook: { url: 'http://127.0.0.1:9/hooks', events: ['consent.granted'] },
      apiKey: expect.stringMatching(/^ck_/),
      webhookSecret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
    });
    const { apiKey, webhookSecret } = response.body as { apiKey: string; webhookSecret: string };

    const read = await dpo.get('/v1/connectors/mailer-one');
    expect(read.status).toBe(200);
    expect(read.body.apiKey).toBeUndefined();
    expect(read.body.webhookSecret).toBeUndefined();
    expect(read.body.apiKeySha256).toBeUndefined();
    expect(read.body.secrets).toEqual([
      { secretId: expect.any(String), issuedAt: expect.any(String), validUntil: null },
    ]);
    expect(JSON.stringify(read.body)).not.toContain('sealed');

    // Neither the key nor the secret (nor its base64 body) is anywhere in the data files.
    const events = t.app.get<EventStore>(EVENT_STORE);
    const log = JSON.stringify((await events.readAll()).map((e) => e.data));
    const secretBody = webhookSecret.slice('whsec_'.length);
    for (const file of ['events.sqlite', 'events.sqlite-wal', 'read.sqlite', 'read.sqlite-wal']) {
      if (!existsSync(join(t.dataDir, file))) continue;
      const bytes = readFileSync(join(t.dataDir, file)).toString('latin1');
      expect(bytes.includes(secretBody)).toBe(false);
      expect(bytes.includes(apiKey)).toBe(false);
    }
    expect(log).not.toContain(secretBody);
    expect(log).toContain('ws1.');
  });

  it('refuses unknown purposes, undeclared fields, bad kinds and bad destinations, naming the field', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ purposes: ['newsletter', 'no-such-purpose'] }, 'purposes'],
      [{ fields: ['email', 'shoeSize'] }, 'fields'],
      [{ kind: 'crystal-ball' }, 'kind'],
      [{ role: 'friend' }, 'role'],
      [{ country: 'Germany' }, 'country'],
      [
        { webhook: { url: 'http://example.com/hooks', events: ['consent.granted'] } },
        'webhook.url',
      ],
      [{ webhook: { url: 'https://10.0.0.7/hooks', events: ['consent.granted'] } }, 'webhook.url'],
      [
        { webhook: { url: 'https://169.254.169.254/x', events: ['consent.granted'] } },
        'webhook.url',
      ],
      [{ webhook: { url: 'https://hooks.example.com', events: ['everything'] } }, 'webhook.events'],
      [{ owner: 'ops, call +49 30 1234567' }, 'owner'],
    ];
    for (const [overrides, field] of cases) {
      const body = await scenario.expectNothingWritten(
        () => admin.post('/v1/connectors', connectorBody('bad-one', overrides)),
        400,
      );
      expect({ overrides, fields: body.details.map((d: { field: string }) => d.field) }).toEqual({
        overrides,
        fields: expect.arrayContaining([expect.stringContaining(field)]),
      });
    }
  });

  it('refuses a second registration under the same id (409) and other roles (403)', async () => {
    await scenario.expectNothingWritten(
      () => admin.post('/v1/connectors', connectorBody('mailer-one')),
      409,
    );
    await scenario.expectNothingWritten(
      () => service.post('/v1/connectors', connectorBody('svc-one')),
      403,
    );
    expect((await service.get('/v1/connectors')).status).toBe(403);
  });

  it('answers which connectors serve a purpose and which receive a field', async () => {
    expect(
      (
        await admin.post(
          '/v1/connectors',
          connectorBody('warehouse', {
            kind: 'warehouse',
            purposes: ['analytics'],
            fields: ['birthDate', 'address'],
            role: 'third_party',
            country: 'US',
          }),
        )
      ).status,
    ).toBe(201);
    const ids = async (query: string) =>
      ((await dpo.get(`/v1/connectors?${query}`)).body.items as Array<{ connectorId: string }>)
        .map((c) => c.connectorId)
        .sort();
    expect(await ids('purposeId=newsletter')).toEqual(['mailer-one']);
    expect(await ids('purposeId=analytics')).toEqual(['warehouse']);
    expect(await ids('field=address')).toEqual(['warehouse']);
    expect(await ids('field=email')).toEqual(['mailer-one']);
    expect(await ids('field=phone')).toEqual([]);
    expect(await ids('limit=10')).toEqual(['mailer-one', 'warehouse']);
    expect((await dpo.get('/v1/connectors?purposeId=Not_A_Slug')).status).toBe(400);
    expect((await dpo.get('/v1/connectors/no-such-connector')).status).toBe(404);
  });

  it('suspends and reinstates with a reason; rotation keeps the previous secret valid for the grace period', async () => {
    await scenario.expectNothingWritten(
      () => dpo.post('/v1/connectors/warehouse/suspend', { reason: 'short' }),
      400,
    );
    const suspended = await dpo.post('/v1/connectors/warehouse/suspend', {
      reason: 'exports far more than it needs',
    });
    expect(suspended.status).toBe(200);
    expect(suspended.body).toMatchObject({
      status: 'suspended',
      suspension: { by: 'dpo-1', reason: 'exports far more than it needs' },
    });
    await scenario.expectNothingWritten(
      () =>
        dpo.post('/v1/connectors/warehouse/suspend', { reason: 'exports far more than it needs' }),
      409,
    );
    const byPurpose = await dpo.get('/v1/connectors?purposeId=analytics&status=suspended');
    expect(byPurpose.body.items.map((c: { connectorId: string }) => c.connectorId)).toEqual([
      'warehouse',
    ]);
    const reinstated = await admin.post('/v1/connectors/warehouse/reinstate', {
      reason: 'the export job was fixed and reviewed',
    });
    expect(reinstated.body).toMatchObject({ status: 'active', suspension: null });

    await scenario.expectNothingWritten(() => admin.post('/v1/connectors/warehouse/secrets'), 409);
    const rotated = await admin.post('/v1/connectors/mailer-one/secrets');
    expect(rotated.status).toBe(201);
    expect(rotated.body.webhookSecret).toMatch(/^whsec_/);
    expect(rotated.body.secrets).toEqual([
      { secretId: expect.any(String), issuedAt: expect.any(String), validUntil: null },
      {
        secretId: expect.any(String),
        issuedAt: expect.any(String),
        validUntil: expect.any(String),
      },
    ]);
    const graceMs =
      Date.parse(rotated.body.secrets[1].validUntil) - Date.parse(rotated.body.secrets[0].issuedAt);
    expect(graceMs).toBe(86_400_000);
  });
});
