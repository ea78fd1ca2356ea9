import { EVENT_STORE, type EventStore } from '@custodian/event-store';
import { DEFAULT_ROLE_POLICY } from '@custodian/policy';
import {
  consentBody,
  purposeBody,
  Scenario,
  startTestApp,
  type ApiClient,
  type TestApp,
} from '@test/support';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ACTORS = [
  { id: 'dpo-1', roles: ['dpo'] },
  { id: 'admin-1', roles: ['admin'] },
  { id: 'crm', roles: ['service'] },
  { id: 'mailer', roles: ['marketing'] },
];

const profile = (n: number) => ({
  name: `Person ${n}`,
  email: `person${n}@example.com`,
  phone: `+7 912 000-00-${String(n).padStart(2, '0')}`,
});

/** The mailer's journey in one call: `POST /v1/consent-gate` with `include`. */
describe('the consent gate returns the audience of a purpose (HTTP, embedded stores)', () => {
  let t: TestApp;
  let scenario: Scenario;
  let dpo: ApiClient;
  let crm: ApiClient;
  let mailer: ApiClient;
  const people: string[] = [];
  let serial = 0;

  beforeAll(async () => {
    t = await startTestApp({}, ACTORS);
    scenario = new Scenario(t);
    dpo = scenario.client('dpo-1');
    crm = scenario.client('crm');
    mailer = scenario.client('mailer');
    const admin = scenario.client('admin-1');
    await scenario.activePurpose(admin, dpo, 'audience-news', {
      allowedRoles: ['marketing', 'service'],
      assessment: { ...purposeBody('x').assessment, minimumFields: ['name', 'email'] },
    });
    await scenario.activePurpose(admin, dpo, 'audience-sms', {
      allowedRoles: ['service'],
      assessment: { ...purposeBody('x').assessment, minimumFields: ['email', 'phone'] },
    });
  });
  afterAll(async () => t.close());

  const register = async () => {
    serial += 1;
    const response = await crm.post('/v1/subjects', { profile: profile(serial), source: 'shop' });
    if (response.status !== 201) throw new Error(JSON.stringify(response.body));
    people.push(response.body.subjectId);
    return { subjectId: response.body.subjectId as string, n: serial };
  };
  const grant = async (subjectId: string, purposeId = 'audience-news') =>
    expect(
      (await crm.post(`/v1/subjects/${subjectId}/consents`, consentBody(purposeId))).status,
    ).toBe(201);
  const gateReads = async (subjectId: string) => {
    const log = await dpo.get(`/v1/subjects/${subjectId}/access-log`);
    expect(log.status).toBe(200);
    return (log.body.entries as Array<{ via?: string; outcome: string }>).filter(
      (e) => e.via === 'gate',
    );
  };

  it('returns the email of allowed customers only, each one audited read before the value', async () => {
    const allowed1 = await register();
    const allowed2 = await register();
    const never = await register();
    const revoked = await register();
    const erased = await register();
    await grant(allowed1.subjectId);
    await grant(allowed2.subjectId);
    await grant(revoked.subjectId);
    await crm.post(
      `/v1/subjects/${revoked.subjectId}/consents`,
      consentBody('audience-news', { action: 'revoke', noticeVersion: undefined }),
    );
    await grant(erased.subjectId);
    const erasure = await crm.post(`/v1/subjects/${erased.subjectId}/erasure`, {
      reason: 'data_subject_request',
      requestedVia: 'email',
    });
    expect(erasure.status).toBe(202);

    const ids = [allowed1, allowed2, never, revoked, erased].map((p) => p.subjectId);
    const gate = await mailer.post('/v1/consent-gate', {
      purposeId: 'audience-news',
      subjectIds: ids,
      include: ['email'],
    });
    expect(gate.status).toBe(200);
    expect(gate.body.allowed.sort()).toEqual([allowed1.subjectId, allowed2.subjectId].sort());
    expect(gate.body.denied).toEqual(
      expect.arrayContaining([
        { subjectId: never.subjectId, reason: 'never_asked' },
        { subjectId: revoked.subjectId, reason: 'revoked' },
        { subjectId: erased.subjectId, reason: 'erased' },
      ]),
    );
    const contacts = Object.fromEntries(
      (gate.body.contacts as Array<{ subjectId: string; fields: Record<string, string> }>).map(
        (c) => [c.subjectId, c],
      ),
    );
    expect(Object.keys(contacts).sort()).toEqual([allowed1.subjectId, allowed2.subjectId].sort());
    expect(contacts[allowed1.subjectId]).toEqual({
      subjectId: allowed1.subjectId,
      fields: { email: `person${allowed1.n}@example.com` },
      masks: { email: 'full' },
    });
    expect(contacts[allowed2.subjectId].fields).toEqual({
      email: `person${allowed2.n}@example.com`,
    });
    // Nothing of the denied leaves: not their address, not even their name.
    for (const p of [never, revoked, erased])
      expect(JSON.stringify(gate.body)).not.toContain(`person${p.n}@`);

    // One access record per customer returned, naming the field and the purpose; none for the rest.
    for (const p of [allowed1, allowed2]) {
      const reads = await gateReads(p.subjectId);
      expect(reads).toEqual([
        expect.objectContaining({
          outcome: 'read',
          actorId: 'mailer',
          role: 'marketing',
          purposeId: 'audience-news',
          via: 'gate',
          fields: [{ name: 'email', mask: 'full' }],
        }),
      ]);
    }
    for (const p of [never, revoked]) expect(await gateReads(p.subjectId)).toEqual([]);

    // The same question again is another read of each: two records now.
    await mailer.post('/v1/consent-gate', {
      purposeId: 'audience-news',
      subjectIds: [allowed1.subjectId],
      include: ['email'],
    });
    expect(await gateReads(allowed1.subjectId)).toHaveLength(2);
    expect(await gateReads(allowed2.subjectId)).toHaveLength(1);
  });

  it('records the read in the log and keeps no returned value at rest', async () => {
    const person = await register();
    await grant(person.subjectId);
    const store = t.app.get<EventStore>(EVENT_STORE);
    const before = await store.readLastEvent();
    const gate = await mailer.post('/v1/consent-gate', {
      purposeId: 'audience-news',
      subjectIds: [person.subjectId],
      include: ['email'],
    });
    expect(gate.body.contacts).toHaveLength(1);
    const after = await store.readStream(`access-${person.subjectId}`);
    const record = after.find(
      (e) => e.type === 'FieldsAccessed' && (e.data as { via: string }).via === 'gate',
    );
    expect(record).toBeDefined();
    expect(store.comparePositions(record!.position, before!.position)).toBeGreaterThan(0);
    // No personal value in the record, nor anywhere in the files at rest.
    expect(JSON.stringify(record!.data)).not.toContain(`person${person.n}@`);
    const files = readdirSync(t.dataDir, { recursive: true, withFileTypes: true })
      .filter((f) => f.isFile())
      .map((f) => join(f.parentPath, f.name));
    for (const file of files)
      expect(readFileSync(file).includes(`person${person.n}@example.com`)).toBe(false);
  });

  it('refuses a field the role may not see, with 403 naming it, and writes nothing', async () => {
    const person = await register();
    await grant(person.subjectId);
    const body = await scenario.expectNothingWritten(
      () =>
        mailer.post('/v1/consent-gate', {
          purposeId: 'audience-news',
          subjectIds: [person.subjectId],
          include: ['email', 'phone'],
        }),
      403,
    );
    expect(body.details).toEqual([{ field: 'include.1', problem: expect.stringMatching(/phone/) }]);
    expect(JSON.stringify(body)).not.toContain(`person${person.n}`);
  });

  it('refuses a purpose the role may not declare, and a field the purpose does not use', async () => {
    const person = await register();
    await grant(person.subjectId, 'audience-sms');
    const undeclared = await scenario.expectNothingWritten(
      () =>
        mailer.post('/v1/consent-gate', {
          purposeId: 'audience-sms',
          subjectIds: [person.subjectId],
          include: ['email'],
        }),
      403,
    );
    expect(undeclared.details).toEqual([{ field: 'purposeId', problem: expect.any(String) }]);
    const unused = await scenario.expectNothingWritten(
      () =>
        crm.post('/v1/consent-gate', {
          purposeId: 'audience-news',
          subjectIds: [person.subjectId],
          include: ['phone'],
        }),
      403,
    );
    expect(unused.details).toEqual([
      { field: 'include.0', problem: expect.stringMatching(/minimumFields/) },
    ]);
    // Service may declare the SMS purpose, which uses the phone: it gets both, in full.
    const sms = await crm.post('/v1/consent-gate', {
      purposeId: 'audience-sms',
      subjectIds: [person.subjectId],
      include: ['phone', 'email'],
    });
    expect(sms.status).toBe(200);
    expect(sms.body.contacts).toEqual([
      {
        subjectId: person.subjectId,
        fields: { phone: profile(person.n).phone, email: profile(person.n).email },
        masks: { phone: 'full', email: 'full' },
      },
    ]);
  });

  it.each([
    ['not an array', 'email', 'include'],
    ['empty', [], 'include'],
    ['a field that is no name', ['e-mail'], 'include.0'],
    ['a field named twice', ['email', 'email'], 'include.1'],
    ['a field not in the catalogue', ['email', 'fax'], 'include.1'],
    ['a field that is not a contact field', ['name'], 'include.0'],
  ])('answers 400 naming the field for include %s, writing nothing', async (_, include, field) => {
    const body = await scenario.expectNothingWritten(
      () =>
        mailer.post('/v1/consent-gate', {
          purposeId: 'audience-news',
          subjectIds: [people[0]],
          include,
        }),
      400,
    );
    expect(body.details).toEqual([{ field, problem: expect.any(String) }]);
  });

  it('without include, answers as before: no contacts and no access record', async () => {
    const person = await register();
    await grant(person.subjectId);
    const head = await scenario.head();
    const gate = await mailer.post('/v1/consent-gate', {
      purposeId: 'audience-news',
      subjectIds: [person.subjectId],
    });
    expect(gate.status).toBe(200);
    expect(gate.body).toEqual({
      purposeId: 'audience-news',
      checkedAt: expect.any(String),
      allowed: [person.subjectId],
      denied: [],
    });
    expect(await scenario.head()).toBe(head);
  });

  // Last: it publishes a role policy that the tests above do not expect.
  it('returns a field the role sees only in part masked, and records it as partial', async () => {
    const person = await register();
    await grant(person.subjectId);
    const roles = structuredClone(DEFAULT_ROLE_POLICY.roles) as Record<
      string,
      { fields: Record<string, string> }
    >;
    roles.marketing.fields.email = 'partial';
    expect((await dpo.post('/v1/policy/roles', { roles })).status).toBe(201);
    const gate = await mailer.post('/v1/consent-gate', {
      purposeId: 'audience-news',
      subjectIds: [person.subjectId],
      include: ['email'],
    });
    expect(gate.status).toBe(200);
    expect(gate.body.contacts).toEqual([
      {
        subjectId: person.subjectId,
        fields: { email: 'p***@example.com' },
        masks: { email: 'partial' },
      },
    ]);
    expect(await gateReads(person.subjectId)).toEqual([
      expect.objectContaining({ fields: [{ name: 'email', mask: 'partial' }] }),
    ]);
  });
});
