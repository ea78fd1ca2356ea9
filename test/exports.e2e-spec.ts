import { KEY_STORE, loadMasterKey, openSealedFile, type KeyStore } from '@custodian/crypto';
import { EVENT_STORE, type EventStore } from '@custodian/event-store';
import { stopApp } from '@custodian/platform';
import { ProjectionRunner } from '@custodian/projections';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ProjectorModule } from '../apps/projector/src/projector.module';
import { DEFAULT_ROLE_POLICY } from '@custodian/policy';
import {
  ApiClient,
  consentBody,
  purposeBody,
  Scenario,
  startTestApp,
  waitFor,
  type TestApp,
} from '@test/support';
import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROLES = ['admin', 'dpo', 'service', 'sales', 'marketing', 'support', 'analyst'];
const FIELDS = ['name', 'email', 'phone', 'birthDate', 'address'];
const profile = (i: number) => ({
  name: `Marina Volkova${i}`,
  email: `marina.volkova${i}@mail.example`,
  phone: `+7 912 555-${String(10 + i).padStart(2, '0')}-${String(30 + i).padStart(2, '0')}`,
  birthDate: `198${i % 10}-0${(i % 9) + 1}-1${i % 10}`,
  address: `Tverskaya ${i}, Moscow`,
});

describe('exports: lawful basis, masking, four-eyes approval, sealed files, sandbox sets (HTTP, embedded stores)', () => {
  let t: TestApp;
  let scenario: Scenario;
  const as: Record<string, ApiClient> = {};
  const ids: string[] = [];
  const consented = new Set<string>();

  beforeAll(async () => {
    t = await startTestApp({}, [
      ...ROLES.map((role) => ({ id: `${role}-1`, roles: [role] })),
      { id: 'dpo-2', roles: ['dpo'] },
    ]);
    scenario = new Scenario(t);
    for (const role of ROLES) as[role] = scenario.client(`${role}-1`);
    as.dpo2 = scenario.client('dpo-2');
    const assessment = { ...purposeBody('x').assessment, minimumFields: FIELDS };
    await scenario.activePurpose(as.admin, as.dpo, 'newsletter', {
      allowedRoles: ['marketing', 'service'],
      assessment,
    });
    await scenario.activePurpose(as.admin, as.dpo, 'crm-care', {
      legalBasis: 'contract',
      allowedRoles: ['sales', 'support', 'service'],
      flags: { marketing: false, profiling: false, saleOrShare: false, aiProcessing: false },
      assessment,
    });
    for (let i = 0; i < 10; i++) {
      const id = (await as.service.post('/v1/subjects', { profile: profile(i), source: 'shop' }))
        .body.subjectId as string;
      ids.push(id);
      if (i < 5)
        expect(
          (await as.service.post(`/v1/subjects/${id}/consents`, consentBody('newsletter'))).status,
        ).toBe(201);
    }
    // One of them changes their mind: no lawful basis for the newsletter any more.
    await as.service.post(
      `/v1/subjects/${ids[4]}/consents`,
      consentBody('newsletter', { action: 'revoke', noticeVersion: undefined }),
    );
    for (const id of ids.slice(0, 4)) consented.add(id);
    // Support and DPOs need approval above 3 customers.
    const roles = structuredClone(DEFAULT_ROLE_POLICY.roles);
    roles.support.exportApprovalAbove = 3;
    roles.dpo.exportApprovalAbove = 3;
    expect((await as.dpo.post('/v1/policy/roles', { roles })).status).toBe(201);
  });
  afterAll(async () => t.close());

  const body = (overrides: Record<string, unknown> = {}) => ({
    purposeId: 'newsletter',
    justification: 'monthly newsletter send through the mail provider',
    fields: ['name', 'email'],
    ...overrides,
  });
  const completed = async (client: ApiClient, exportId: string) => {
    let current: Record<string, unknown> = {};
    await waitFor(async () => {
      current = (await client.get(`/v1/exports/${exportId}`)).body;
      return current.status === 'completed' || current.status === 'failed';
    }, 10_000);
    expect(current.status).toBe('completed');
    return current as { result: { count: number; files: Record<string, { sha256: string }> } };
  };
  /** The file as text (the JSON client would parse it). */
  const download = async (actorId: string, exportId: string, format = 'ndjson') => {
    const response = await fetch(`${t.baseUrl}/v1/exports/${exportId}/download?format=${format}`, {
      headers: { authorization: `Bearer ${t.keys[actorId]}` },
    });
    return { status: response.status, headers: response.headers, text: await response.text() };
  };

  it('exports only customers with a lawful basis, masked for the role, sealed at rest, with its SHA-256 and audit records', async () => {
    const preview = await as.marketing.post('/v1/exports/preview', body());
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ count: 4, approvalRequired: false });

    const requested = await as.marketing.post('/v1/exports', body());
    expect(requested.status).toBe(202);
    const exportId = requested.body.exportId;
    const done = await completed(as.marketing, exportId);
    expect(done.result.count).toBe(4);

    const file = await download('marketing-1', exportId);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toMatch(/application\/x-ndjson/);
    const sha = createHash('sha256').update(file.text).digest('hex');
    expect(file.headers.get('x-content-sha256')).toBe(sha);
    expect(Number(file.headers.get('content-length'))).toBe(Buffer.byteLength(file.text));
    // The stored digest is of the rows as sealed under each customer's key, never of the values.
    expect(done.result.files.ndjson.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(done.result.files.ndjson.sha256).not.toBe(sha);
    const rows = file.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(new Set(rows.map((r) => r.subjectId))).toEqual(consented);
    const i = ids.indexOf(rows[0].subjectId);
    expect(rows[0]).toEqual({
      subjectId: ids[i],
      name: `Marina V.`,
      email: profile(i).email,
    });

    const csv = await download('marketing-1', exportId, 'csv');
    expect(csv.text.split('\r\n')[0]).toBe('subjectId,name,email');
    expect(csv.headers.get('x-content-sha256')).toBe(
      createHash('sha256').update(csv.text).digest('hex'),
    );

    // The files at rest, there in the data directory, hold none of it in clear.
    const dir = join(t.dataDir, 'exports');
    const ours = readdirSync(dir)
      .filter((name) => name.startsWith(`${exportId}.`))
      .sort();
    expect(ours).toEqual([
      expect.stringMatching(new RegExp(`^${exportId}\\.[0-9a-f]{8}\\.csv\\.sealed$`)),
      expect.stringMatching(new RegExp(`^${exportId}\\.[0-9a-f]{8}\\.ndjson\\.sealed$`)),
      expect.stringMatching(new RegExp(`^${exportId}\\.[0-9a-f]{8}\\.subjects\\.json$`)),
    ]);
    expect(new Set(ours.map((name) => name.split('.')[1])).size).toBe(1);
    const sealed = readFileSync(join(dir, ours[1]), 'latin1');
    // As long as the text it seals at least, so it is the whole file, not an empty one.
    expect(sealed.length).toBeGreaterThanOrEqual(Buffer.byteLength(file.text));
    for (const name of ours) {
      const bytes = readFileSync(join(dir, name), 'latin1');
      expect(bytes).not.toContain(profile(i).email);
      expect(bytes).not.toContain('Marina');
    }

    const log = (await as.dpo.get(`/v1/subjects/${ids[i]}/access-log`)).body.entries;
    expect(log).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          outcome: 'read',
          exportId,
          actorId: 'marketing-1',
          via: 'export',
        }),
      ]),
    );
    const outside = (await as.dpo.get(`/v1/subjects/${ids[4]}/access-log`)).body.entries;
    expect(outside.filter((e: { via: string }) => e.via === 'export')).toEqual([]);

    // Only the requester downloads; a DPO sees the record, others are told it does not exist.
    expect((await download('service-1', exportId)).status).toBe(404);
    expect((await as.dpo.get(`/v1/exports/${exportId}`)).body.downloads).toHaveLength(2);
    expect((await as.service.get(`/v1/exports/${exportId}`)).status).toBe(404);
  });

  it('holds a large export for a DPO other than the requester, then generates it', async () => {
    const preview = (filter: unknown) =>
      as.support.post(
        '/v1/exports/preview',
        body({ purposeId: 'crm-care', fields: ['name'], filter }),
      );
    expect((await preview({ source: 'shop' })).body.count).toBe(10);
    expect((await preview({ source: 'web' })).body.count).toBe(0);
    expect((await preview({ fields: { phone: { present: true } } })).body).toMatchObject({
      count: 10,
      approvalRequired: true,
    });
    const requested = await as.support.post(
      '/v1/exports',
      body({ purposeId: 'crm-care', fields: ['name', 'phone'] }),
    );
    expect(requested.status).toBe(202);
    expect(requested.body).toMatchObject({
      status: 'awaiting_approval',
      requestedCount: 10,
      approvalRequired: true,
    });
    const exportId = requested.body.exportId;
    expect((await download('support-1', exportId)).status).toBe(409);
    expect((await as.support.post(`/v1/exports/${exportId}/approve`, {})).status).toBe(403);

    // A DPO's own large export cannot be approved by themselves.
    const own = await as.dpo.post('/v1/exports', body({ purposeId: 'crm-care', fields: ['name'] }));
    expect(own.status).toBe(202);
    await scenario.expectNothingWritten(
      () => as.dpo.post(`/v1/exports/${own.body.exportId}/approve`, {}),
      403,
    );

    const approved = await as.dpo.post(`/v1/exports/${exportId}/approve`, {
      note: 'checked the ticket',
    });
    expect(approved.status).toBe(202);
    const done = await completed(as.support, exportId);
    // A contract basis covers every customer who has not objected.
    expect(done.result.count).toBe(10);
    const rows = (await download('support-1', exportId)).text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.map((r) => r.subjectId).sort()).toEqual([...ids].sort());
    expect(rows[0].phone).toMatch(/^\+7 \*\*\* \*\*\*-\d\d-\d\d$/);

    await scenario.expectNothingWritten(
      () => as.dpo2.post(`/v1/exports/${exportId}/approve`, {}),
      409,
    );
    await scenario.expectNothingWritten(
      () =>
        as.dpo.post(`/v1/exports/${'1'.repeat(8)}-1111-4111-8111-${'1'.repeat(12)}/approve`, {}),
      404,
    );
    const board = (await as.dpo.get('/v1/dashboard/exports')).body;
    expect(board.byStatus).toMatchObject({ completed: 2, awaiting_approval: 1 });
    expect(board.awaitingApproval).toEqual([
      expect.objectContaining({ exportId: own.body.exportId, requestedBy: 'dpo-1', customers: 10 }),
    ]);
  });

  it('makes sandbox sets with the shape of the records and none of their values', async () => {
    const requested = await as.service.post(
      '/v1/exports',
      body({ purposeId: 'crm-care', mode: 'sandbox', fields: FIELDS }),
    );
    expect(requested.status).toBe(202);
    const done = await completed(as.service, requested.body.exportId);
    expect(done.result.count).toBe(10);
    const text = (await download('service-1', requested.body.exportId)).text;
    const rows = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    for (let i = 0; i < 10; i++)
      for (const [field, value] of Object.entries(profile(i)))
        if (field !== 'birthDate') expect(text).not.toContain(value);
    // A synthetic date is one of some 24,000 days, so it can equal another customer's real date
    // by chance (about one run in 250 with ten customers; the soak met it). What must not
    // happen is the set keeping the real dates; that no row keeps its own is a unit spec's.
    const realDates = new Set(Array.from({ length: 10 }, (_, i) => profile(i).birthDate));
    expect(rows.filter((row) => realDates.has(row.birthDate)).length).toBeLessThanOrEqual(1);
    for (const id of ids) expect(text).not.toContain(id);
    for (const row of rows) {
      expect(row.email).toMatch(/^[a-z0-9]{3,}@example\.(com|org|net)$/);
      expect(row.phone).toMatch(/^\+7 \d{3} \d{3}-\d{2}-\d{2}$/);
      expect(row.birthDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(row.name.split(' ')).toHaveLength(2);
    }
    // Its stand-ins are drawn from the values, so each customer's access log shows the sandbox
    // export like any other, recorded before their values were decrypted.
    const log = (await as.dpo.get(`/v1/subjects/${ids[0]}/access-log`)).body.entries;
    expect(
      log.filter((e: { exportId?: string }) => e.exportId === requested.body.exportId),
    ).toEqual([
      expect.objectContaining({
        outcome: 'read',
        via: 'export',
        mode: 'sandbox',
        actorId: 'service-1',
      }),
    ]);
  });

  it('refuses bad requests with the field at fault, writing nothing', async () => {
    const refused = async (client: ApiClient, b: unknown, status: number, field: string) => {
      const response = await scenario.expectNothingWritten(
        () => client.post('/v1/exports', b),
        status,
      );
      expect(response.details).toEqual(
        expect.arrayContaining([expect.objectContaining({ field })]),
      );
    };
    const { justification: _, ...noJustification } = body();
    await refused(as.marketing, noJustification, 400, 'justification');
    await refused(as.marketing, body({ justification: 'short' }), 400, 'justification');
    await refused(
      as.marketing,
      body({ justification: 'send to ivan@example.com please' }),
      400,
      'justification',
    );
    await refused(as.marketing, body({ fields: ['shoeSize'] }), 400, 'fields.0');
    await refused(
      as.marketing,
      body({ destination: 'mailto:ivan@example.com' }),
      400,
      'destination',
    );
    await refused(as.marketing, body({ fields: ['phone'] }), 403, 'fields.0');
    await refused(
      as.marketing,
      body({ filter: { fields: { address: { present: true } } } }),
      403,
      'filter.fields.address',
    );
    await refused(
      as.sales,
      body({ purposeId: 'crm-care', filter: { fields: { email: { equals: 'x' } } } }),
      400,
      'filter.fields.email.equals',
    );
    await refused(as.marketing, body({ filter: { colour: 'red' } }), 400, 'filter.colour');
    await refused(as.marketing, body({ purposeId: 'crm-care' }), 403, 'purposeId');
    await refused(as.marketing, body({ purposeId: 'nope' }), 404, 'purposeId');
  });

  it('refuses the download once a customer in the export has been erased', async () => {
    const requested = await as.marketing.post('/v1/exports', body());
    await completed(as.marketing, requested.body.exportId);
    expect(
      (
        await as.dpo.post(`/v1/subjects/${ids[0]}/erasure`, {
          reason: 'data_subject_request',
          requestedVia: 'email',
        })
      ).status,
    ).toBe(202);
    expect((await download('marketing-1', requested.body.exportId)).status).toBe(410);
  });

  it('leaves no readable row of an erased customer in files generated before the erasure, even with the master key', async () => {
    const requested = await as.marketing.post('/v1/exports', body());
    const exportId = requested.body.exportId;
    const done = await completed(as.marketing, exportId);
    expect(done.result.count).toBeGreaterThan(0);
    const dir = join(t.dataDir, 'exports');
    const sealed = readdirSync(dir).filter(
      (n) => n.startsWith(`${exportId}.`) && n.endsWith('.sealed'),
    );
    expect(sealed).toHaveLength(2);
    // Copies, as an attacker holding an old copy of the data dir would have them.
    const copies = sealed.map((name) => ({ name, bytes: readFileSync(join(dir, name)) }));
    const victim = [...consented].find((id) => id !== ids[0])!;
    const victimProfile = profile(ids.indexOf(victim));
    const erased = await as.dpo.post(`/v1/subjects/${victim}/erasure`, {
      reason: 'data_subject_request',
      requestedVia: 'email',
    });
    expect(erased.status).toBe(202);
    const master = loadMasterKey({ dataDir: t.dataDir, embedded: true }).key;
    for (const { name, bytes } of copies) {
      const format = name.endsWith('.ndjson.sealed') ? 'ndjson' : 'csv';
      const copy = join(t.dataDir, `copy-${name}`);
      writeFileSync(copy, bytes);
      let plain = '';
      for await (const chunk of openSealedFile(copy, master, `${exportId}/${format}`))
        plain += chunk.toString('utf8');
      rmSync(copy);
      // The master key opens the file, not the rows: every row is sealed under its customer's
      // key, and the victim's key is destroyed.
      const records = plain.trim().split('\n');
      expect(records.filter((r) => r.startsWith(`r\t${victim}\t`))).toHaveLength(1);
      for (const value of Object.values(victimProfile)) expect(plain).not.toContain(value);
      for (const value of [victimProfile.email, victimProfile.phone])
        expect(plain).not.toContain(createHash('sha256').update(value).digest('hex'));
    }
    const tombstone = await t.app.get<KeyStore>(KEY_STORE).destroyed(victim);
    expect(tombstone).not.toBeNull();
    expect(await t.app.get<KeyStore>(KEY_STORE).get(victim)).toBeNull();
    expect((await download('marketing-1', exportId)).status).toBe(410);
  });
});

describe('an export left generating by a stopped process (HTTP, embedded stores)', () => {
  const actors = [
    { id: 'admin-1', roles: ['admin'] },
    { id: 'dpo-1', roles: ['dpo'] },
    { id: 'service-1', roles: ['service'] },
  ];

  /**
   * A first process completes one export, then records a request whose generation never ran,
   * with its projections already stopped (as if it had died right after the append): no read
   * model has seen the request when the process stops.
   */
  async function leaveAnExportGenerating() {
    const first = await startTestApp({}, actors);
    const scenario = new Scenario(first);
    const [admin, dpo, service] = ['admin-1', 'dpo-1', 'service-1'].map((a) => scenario.client(a));
    await scenario.activePurpose(admin, dpo, 'crm-care', {
      legalBasis: 'contract',
      allowedRoles: ['service'],
      assessment: { ...purposeBody('x').assessment, minimumFields: FIELDS },
    });
    const registered = await service.post('/v1/subjects', { profile: profile(1), source: 'shop' });
    expect(registered.status).toBe(201);
    const subjectId = registered.body.subjectId as string;
    const done = await service.post('/v1/exports', {
      purposeId: 'crm-care',
      justification: 'reconcile with the billing system',
      fields: ['email'],
    });
    expect(done.status).toBe(202);
    await waitFor(
      async () =>
        (await service.get(`/v1/exports/${done.body.exportId}`)).body.status === 'completed',
    );

    await first.app.get(ProjectionRunner).stop();
    const events = first.app.get<EventStore>(EVENT_STORE);
    const [original] = await events.readStream(`export-${done.body.exportId}`);
    const exportId = randomUUID();
    // As a request does, pin its selection (the same one customer) before appending it.
    writeFileSync(
      join(first.dataDir, 'exports', 'pinned', `${exportId}.json`),
      JSON.stringify([subjectId]),
    );
    await events.append(`export-${exportId}`, [
      {
        type: 'ExportRequested',
        data: { ...original.data, exportId },
        metadata: original.metadata,
      },
    ]);
    await first.stop();
    return { dataDir: first.dataDir, subjectId, exportId };
  }

  async function expectFinished(t: TestApp, subjectId: string, exportId: string) {
    const service = new ApiClient(t.baseUrl, t.keys['service-1']);
    await waitFor(
      async () => (await service.get(`/v1/exports/${exportId}`)).body.status === 'completed',
      20_000,
    );
    const log = (
      await new ApiClient(t.baseUrl, t.keys['dpo-1']).get(`/v1/subjects/${subjectId}/access-log`)
    ).body.entries;
    expect(log.filter((e: { exportId?: string }) => e.exportId === exportId)).toHaveLength(1);
    const file = await fetch(`${t.baseUrl}/v1/exports/${exportId}/download`, {
      headers: { authorization: `Bearer ${t.keys['service-1']}` },
    });
    expect(file.status).toBe(200);
    expect(JSON.parse((await file.text()).trim())).toEqual({
      subjectId,
      email: profile(1).email,
    });
  }

  it('is finished by the next start, with each customer told once', async () => {
    const { dataDir, subjectId, exportId } = await leaveAnExportGenerating();
    const second = await startTestApp({ CUSTODIAN_DATA_DIR: dataDir }, actors);
    try {
      await expectFinished(second, subjectId, exportId);
    } finally {
      await second.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('is finished by an API that runs no projections, once the projector (started later) has caught up', async () => {
    const { dataDir, subjectId, exportId } = await leaveAnExportGenerating();
    const api = await startTestApp(
      { CUSTODIAN_DATA_DIR: dataDir, CUSTODIAN_PROJECTOR: 'off' },
      actors,
    );
    let projector: INestApplicationContext | undefined;
    try {
      // Nothing maintains the exports read model yet: the API waits rather than acting on it.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const service = new ApiClient(api.baseUrl, api.keys['service-1']);
      expect((await service.get(`/v1/exports/${exportId}`)).body.status).toBe('generating');
      projector = await NestFactory.createApplicationContext(
        ProjectorModule.forRoot({ ...api.config, projector: 'in-process' }),
        { logger: false },
      );
      await projector.init();
      await expectFinished(api, subjectId, exportId);
    } finally {
      if (projector) await stopApp(projector, { timeoutMs: 10_000 });
      await api.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
