import { EVENT_STORE, type EventStore } from '@custodian/event-store';
import { purposeBody, Scenario, startTestApp, type ApiClient, type TestApp } from '@test/support';

const ROLES = ['admin', 'dpo', 'service', 'sales'];
const PROFILE = {
  name: 'Olga Smirnova',
  email: 'olga.smirnova@example.com',
  phone: '+7 916 555-12-34',
  birthDate: '1985-02-11',
  address: 'Tverskaya 7, Moscow',
};

/**
 * Issue 11, item 1: every route that decrypts a customer's values appends its access record
 * first. The DSAR read used to decrypt everything and record nothing.
 */
describe('decryption only through the audit (HTTP, embedded stores)', () => {
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
    await scenario.activePurpose(as.admin, as.dpo, 'crm-care', {
      legalBasis: 'contract',
      allowedRoles: ['sales', 'service'],
      flags: { marketing: false, profiling: false, saleOrShare: false, aiProcessing: false },
      assessment: { ...purposeBody('x').assessment, minimumFields: Object.keys(PROFILE) },
    });
    subjectId = (await as.service.post('/v1/subjects', { profile: PROFILE, source: 'shop' })).body
      .subjectId;
  });
  afterAll(async () => t.close());

  const accessEvents = async () =>
    (await t.app.get<EventStore>(EVENT_STORE).readStream(`access-${subjectId}`)).map((e) => ({
      type: e.type,
      data: e.data as Record<string, unknown>,
    }));

  it('records a DSAR read in the access log (who, role, purpose subject-access, every field) before answering', async () => {
    const before = (await accessEvents()).length;
    const dsar = await as.dpo.get(`/v1/subjects/${subjectId}/dsar`);
    expect(dsar.status).toBe(200);
    expect(dsar.body.profile.email.value).toBe(PROFILE.email);
    const after = await accessEvents();
    expect(after).toHaveLength(before + 1);
    expect(after.at(-1)).toEqual({
      type: 'FieldsAccessed',
      data: expect.objectContaining({
        subjectId,
        actorId: 'dpo-1',
        role: 'dpo',
        purposeId: 'subject-access',
        via: 'dsar',
        fields: expect.arrayContaining(
          Object.keys(PROFILE).map((name) => ({ name, mask: 'full' })),
        ),
      }),
    });
    // The document the customer gets lists that read too.
    expect(dsar.body.accessLog).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ outcome: 'granted', via: 'dsar', actorId: 'dpo-1' }),
      ]),
    );
    const log = (await as.dpo.get(`/v1/subjects/${subjectId}/access-log`)).body.entries;
    expect(log.filter((e: { via?: string }) => e.via === 'dsar')).toHaveLength(1);
  });

  it("counts DSAR reads among an incident's affected customers", async () => {
    const other = (
      await as.service.post('/v1/subjects', {
        profile: { ...PROFILE, email: 'o.s.2@example.com', phone: '+7 916 555-12-35' },
        source: 'shop',
      })
    ).body.subjectId;
    const from = new Date(Date.now() - 60_000).toISOString();
    expect((await as.admin.get(`/v1/subjects/${other}/dsar`)).status).toBe(200);
    const opened = await as.dpo.post('/v1/incidents', {
      title: 'Subject access reads by an administrator',
      actorIds: ['admin-1'],
      from,
    });
    expect(opened.status).toBe(201);
    expect(opened.body.affected.subjectIds).toEqual([other]);
  });

  it('answers no values and records nothing for a DSAR on an erased customer', async () => {
    const gone = (
      await as.service.post('/v1/subjects', {
        profile: { ...PROFILE, email: 'o.s.3@example.com', phone: '+7 916 555-12-36' },
        source: 'shop',
      })
    ).body.subjectId;
    expect(
      (
        await as.dpo.post(`/v1/subjects/${gone}/erasure`, {
          reason: 'data_subject_request',
          requestedVia: 'email',
        })
      ).status,
    ).toBe(202);
    const events = t.app.get<EventStore>(EVENT_STORE);
    const before = (await events.readStream(`access-${gone}`)).length;
    expect((await as.dpo.get(`/v1/subjects/${gone}/dsar`)).status).toBe(410);
    expect(await events.readStream(`access-${gone}`)).toHaveLength(before);
  });
});
