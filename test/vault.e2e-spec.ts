import { EVENT_STORE, type EventStore } from '@custodian/event-store';
import { RetentionSweeper } from '@custodian/platform';
import {
  ApiClient,
  consentBody,
  newSubjectId,
  purposeBody,
  Scenario,
  startTestApp,
  waitFor,
  type JsonResponse,
  type TestApp,
} from '@test/support';

const ACTORS = [
  { id: 'dpo-1', roles: ['dpo'] },
  { id: 'admin-1', roles: ['admin'] },
  { id: 'crm', roles: ['service'] },
  { id: 'mailer', roles: ['marketing'] },
  { id: 'analyst-1', roles: ['analyst'] },
];

describe('personal-data vault and crypto-shredding (HTTP, embedded stores)', () => {
  let t: TestApp;
  let dpo: ApiClient;
  let admin: ApiClient;
  let crm: ApiClient;
  let mailer: ApiClient;
  let events: EventStore;
  let scenario: Scenario;

  beforeAll(async () => {
    t = await startTestApp({}, ACTORS);
    const client = (id: string) => new ApiClient(t.baseUrl, t.keys[id]);
    dpo = client('dpo-1');
    admin = client('admin-1');
    crm = client('crm');
    mailer = client('mailer');
    events = t.app.get<EventStore>(EVENT_STORE);
    scenario = new Scenario(t);
    // Purposes that justify the built-in fields; `address` is justified by none.
    await activePurpose('contact-us', {
      assessment: {
        ...purposeBody('x').assessment,
        minimumFields: ['name', 'email', 'phone', 'birthDate'],
      },
    });
  });
  afterAll(async () => t.close());

  const expectNothingWritten = (action: () => Promise<JsonResponse>, status: number) =>
    scenario.expectNothingWritten(action, status);
  const head = () => scenario.head();
  const activePurpose = (purposeId: string, overrides: Record<string, unknown> = {}) =>
    scenario.activePurpose(admin, dpo, purposeId, overrides);

  const register = async (profile: Record<string, unknown>, headers: Record<string, string> = {}) =>
    crm.post('/v1/subjects', { profile, source: 'web-signup' }, headers);
  const patch = (
    subjectId: string,
    profile: Record<string, unknown>,
    headers: Record<string, string> = {},
  ) => crm.request('PATCH', `/v1/subjects/${subjectId}/profile`, { profile }, headers);

  describe('registering and updating', () => {
    it('registers a customer, answering an opaque id and the revision as ETag', async () => {
      const created = await register({
        name: 'Ivan Petrov',
        email: 'ivan@example.com',
        phone: '+7 912 345-67-89',
        birthDate: '1990-04-01',
      });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        subjectId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        revision: '0',
      });
      expect(created.headers.get('etag')).toBe('"0"');
      const stored = await events.readStream(`subject-${created.body.subjectId}`);
      expect(stored[0].type).toBe('SubjectRegistered');
      expect(JSON.stringify(stored[0].data)).not.toMatch(/Ivan|Petrov|ivan@|\+7 912|345-67-89/);
      expect(stored[0].data.fields).toEqual({
        name: expect.stringMatching(/^enc:v1:/),
        email: expect.stringMatching(/^enc:v1:/),
        phone: expect.stringMatching(/^enc:v1:/),
        birthDate: expect.stringMatching(/^enc:v1:/),
      });
    });

    it('makes a keyed registration idempotent', async () => {
      const first = await register(
        { email: 'keyed@example.com' },
        { 'idempotency-key': 'import-77' },
      );
      const before = await head();
      const again = await register(
        { email: 'keyed@example.com' },
        { 'idempotency-key': 'import-77' },
      );
      expect(again.status).toBe(201);
      expect(again.body.subjectId).toBe(first.body.subjectId);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(await head()).toBe(before);
      await expectNothingWritten(
        () => register({ email: 'other@example.com' }, { 'idempotency-key': 'import-77' }),
        422,
      );
    });

    it.each([
      ['a field not in the catalogue', { shoeSize: '42' }, 'profile.shoeSize', /catalogue/],
      [
        'a field no active purpose justifies',
        { address: 'Lenina 1, Moscow' },
        'profile.address',
        /no active purpose/,
      ],
      ['a malformed email', { email: 'ivan-at-example' }, 'profile.email', /email/],
      ['a malformed phone', { phone: '12ab' }, 'profile.phone', /phone/],
      ['a birth date that is no date', { birthDate: '1990-02-31' }, 'profile.birthDate', /date/],
      ['a birth date in the future', { birthDate: '2999-01-01' }, 'profile.birthDate', /future/],
      ['a value that is no string', { name: 42 }, 'profile.name', /string/],
    ])(
      'refuses %s, naming the field, echoing no value and writing nothing',
      async (_, profile, field, problem) => {
        const body = await expectNothingWritten(() => register(profile), 400);
        expect(body.details).toEqual([{ field, problem: expect.stringMatching(problem) }]);
        for (const value of Object.values(profile))
          expect(JSON.stringify(body)).not.toContain(String(value));
      },
    );

    it('refuses a registration without a source or profile', async () => {
      await expectNothingWritten(
        () => crm.post('/v1/subjects', { profile: { email: 'a@example.com' } }),
        400,
      );
      await expectNothingWritten(() => crm.post('/v1/subjects', { source: 'web' }), 400);
    });

    it('updates a profile with If-Match, and answers 412 for a stale revision', async () => {
      const { body } = await register({ email: 'old@example.com', name: 'Olga' });
      const updated = await patch(
        body.subjectId,
        { email: 'new@example.com', name: null },
        { 'if-match': '"0"' },
      );
      expect(updated.status).toBe(200);
      expect(updated.headers.get('etag')).toBe('"1"');
      const stale = await expectNothingWritten(
        () => patch(body.subjectId, { name: 'Olga K.' }, { 'if-match': '"0"' }),
        412,
      );
      expect(stale.details).toEqual([{ field: 'If-Match', problem: expect.any(String) }]);
      await expectNothingWritten(
        () => patch(body.subjectId, { name: 'Olga' }, { 'if-match': 'yesterday' }),
        400,
      );
      expect((await patch(body.subjectId, { phone: '+49 30 1234567' })).status).toBe(200);
      const found = await crm.get('/v1/subjects?email=NEW@example.com&purpose=contact-us');
      expect(found.body.subjects).toEqual([{ subjectId: body.subjectId }]);
      expect(
        (await crm.get('/v1/subjects?email=old@example.com&purpose=contact-us')).body.subjects,
      ).toEqual([]);
    });

    it('answers 404 for an unknown subject and 400 for a malformed id', async () => {
      await expectNothingWritten(() => patch(newSubjectId(), { name: 'X' }), 404);
      await expectNothingWritten(() => patch('42', { name: 'X' }), 400);
    });
  });

  describe('lookup through the blind index', () => {
    it('finds a customer by exact email or phone after normalisation', async () => {
      const { body } = await register({
        email: 'Lookup.Me@Example.com',
        phone: '+7 (495) 123-45-67',
      });
      const byEmail = await crm.get(
        '/v1/subjects?email=%20lookup.me@example.COM&purpose=contact-us',
      );
      expect(byEmail.status).toBe(200);
      expect(byEmail.body).toEqual({
        purposeId: 'contact-us',
        subjects: [{ subjectId: body.subjectId }],
      });
      const byPhone = await crm.get(
        `/v1/subjects?phone=${encodeURIComponent('+74951234567')}&purpose=contact-us`,
      );
      expect(byPhone.body.subjects).toEqual([{ subjectId: body.subjectId }]);
      expect(
        (await crm.get('/v1/subjects?email=nobody@example.com&purpose=contact-us')).body.subjects,
      ).toEqual([]);
    });

    it.each([
      ['no purpose', '/v1/subjects?email=a@example.com', 400],
      ['an unknown purpose', '/v1/subjects?email=a@example.com&purpose=nope-nope', 404],
      [
        'both email and phone',
        '/v1/subjects?email=a@example.com&phone=%2B4930123456&purpose=contact-us',
        400,
      ],
      ['a malformed email', '/v1/subjects?email=not-an-email&purpose=contact-us', 400],
    ])('refuses %s, without echoing the email or phone it was given', async (_, path, status) => {
      const response = await crm.get(path);
      expect(response.status).toBe(status);
      const sent = [...new URL(path, t.baseUrl).searchParams]
        .filter(([name]) => name === 'email' || name === 'phone')
        .map(([, value]) => value);
      expect(sent.length).toBeGreaterThan(0);
      for (const value of sent) expect(JSON.stringify(response.body)).not.toContain(value);
    });

    it('refuses a role the purpose does not allow', async () => {
      await activePurpose('billing-only', { allowedRoles: ['service'] });
      expect(
        (await mailer.get('/v1/subjects?email=a@example.com&purpose=billing-only')).status,
      ).toBe(403);
    });
  });

  describe('erasure by crypto-shredding', () => {
    it('erases: 410 for every personal read, no lookup, the gate says erased, all projections processed', async () => {
      const { body } = await register({ name: 'Erase Me', email: 'erase.me@example.com' });
      const subjectId = body.subjectId;
      expect(
        (await crm.post(`/v1/subjects/${subjectId}/consents`, consentBody('contact-us'))).status,
      ).toBe(201);
      expect((await admin.get(`/v1/subjects/${subjectId}/dsar`)).status).toBe(200);

      const erased = await crm.post(`/v1/subjects/${subjectId}/erasure`, {
        reason: 'data_subject_request',
        requestedVia: 'email',
      });
      expect(erased.status).toBe(202);
      expect(erased.body).toMatchObject({
        subjectId,
        reason: 'data_subject_request',
        requestedVia: 'email',
        erasedBy: { id: 'crm', role: 'service' },
        keyId: expect.any(String),
        keyDestroyedAt: expect.any(String),
      });
      const before = await head();
      const again = await crm.post(`/v1/subjects/${subjectId}/erasure`, {
        reason: 'data_subject_request',
        requestedVia: 'web',
      });
      expect(again.status).toBe(202);
      expect(again.body.erasedAt).toBe(erased.body.erasedAt);
      expect(await head()).toBe(before);

      expect((await admin.get(`/v1/subjects/${subjectId}/dsar`)).status).toBe(410);
      expect((await patch(subjectId, { name: 'Back' })).status).toBe(410);
      expect(
        (await crm.post(`/v1/subjects/${subjectId}/consents`, consentBody('contact-us'))).status,
      ).toBe(410);
      expect(
        (await crm.get('/v1/subjects?email=erase.me@example.com&purpose=contact-us')).body.subjects,
      ).toEqual([]);
      const gate = await crm.post('/v1/consent-gate', {
        purposeId: 'contact-us',
        subjectIds: [subjectId],
      });
      expect(gate.body.denied).toEqual([{ subjectId, reason: 'erased' }]);

      await waitFor(async () =>
        (await dpo.get(`/v1/subjects/${subjectId}/erasure`)).body.projections.every(
          (p: { processed: boolean }) => p.processed,
        ),
      );
      const receipt = await dpo.get(`/v1/subjects/${subjectId}/erasure`);
      expect(receipt.body.projections.map((p: { name: string }) => p.name)).toContain('subjects');
      // The audit trail survives: the events are still there, unreadable.
      expect((await events.readStream(`subject-${subjectId}`)).map((e) => e.type)).toEqual([
        'SubjectRegistered',
        'SubjectErased',
      ]);
    });

    it('answers 404 for erasing an unknown subject and 400 for a bad reason', async () => {
      await expectNothingWritten(
        () =>
          crm.post(`/v1/subjects/${newSubjectId()}/erasure`, {
            reason: 'data_subject_request',
            requestedVia: 'web',
          }),
        404,
      );
      const { body } = await register({ email: 'reason@example.com' });
      await expectNothingWritten(
        () =>
          crm.post(`/v1/subjects/${body.subjectId}/erasure`, {
            reason: 'retention',
            requestedVia: 'web',
          }),
        400,
      );
      await expectNothingWritten(
        () =>
          crm.post(`/v1/subjects/${body.subjectId}/erasure`, {
            reason: 'data_subject_request',
            requestedVia: 'pigeon',
          }),
        400,
      );
    });
  });

  describe('subject access request', () => {
    it('returns the decrypted profile with categories and the consents with their history', async () => {
      const { body } = await register({
        name: 'Anna Smirnova',
        email: 'anna@example.com',
        birthDate: '1985-12-24',
      });
      await crm.post(`/v1/subjects/${body.subjectId}/consents`, consentBody('contact-us'));
      const dsar = await dpo.get(`/v1/subjects/${body.subjectId}/dsar`);
      expect(dsar.status).toBe(200);
      expect(dsar.body).toMatchObject({
        subjectId: body.subjectId,
        profile: {
          name: { value: 'Anna Smirnova', category: 'identity' },
          email: { value: 'anna@example.com', category: 'contact' },
          birthDate: { value: '1985-12-24', category: 'identity' },
        },
        source: 'web-signup',
        consents: {
          current: expect.arrayContaining([
            expect.objectContaining({ purposeId: 'contact-us', status: 'granted' }),
          ]),
          history: [expect.objectContaining({ type: 'ConsentGranted' })],
        },
      });
      expect((await crm.get(`/v1/subjects/${body.subjectId}/dsar`)).status).toBe(403);
      expect((await dpo.get(`/v1/subjects/${newSubjectId()}/dsar`)).status).toBe(404);
    });
  });

  describe('field catalogue', () => {
    it('declares custom fields with a category, refusing duplicates and built-in names', async () => {
      const declared = await admin.post('/v1/field-catalogue', {
        name: 'loyaltyCard',
        category: 'financial',
        description: 'Loyalty card number',
      });
      expect(declared.status).toBe(201);
      expect(declared.body).toEqual({
        name: 'loyaltyCard',
        category: 'financial',
        description: 'Loyalty card number',
      });
      await expectNothingWritten(
        () =>
          admin.post('/v1/field-catalogue', {
            name: 'loyaltyCard',
            category: 'financial',
            description: 'again',
          }),
        409,
      );
      await expectNothingWritten(
        () =>
          admin.post('/v1/field-catalogue', {
            name: 'email',
            category: 'contact',
            description: 'dup',
          }),
        409,
      );
      await expectNothingWritten(
        () =>
          admin.post('/v1/field-catalogue', { name: 'x', category: 'mood', description: 'bad' }),
        400,
      );
      const list = await crm.get('/v1/field-catalogue');
      expect(list.body.fields).toContainEqual({
        name: 'loyaltyCard',
        category: 'financial',
        description: 'Loyalty card number',
      });
      // Declared but justified by no purpose yet: refused until a purpose lists it.
      await expectNothingWritten(() => register({ loyaltyCard: '1234' }), 400);
      await activePurpose('loyalty', {
        assessment: { ...purposeBody('x').assessment, minimumFields: ['loyaltyCard'] },
      });
      expect((await register({ loyaltyCard: '1234' })).status).toBe(201);
    });
  });

  describe('retention', () => {
    it('erases a customer no active purpose holds once retention has run out, with reason retention', async () => {
      await admin.post('/v1/field-catalogue', {
        name: 'shoeSize',
        category: 'behavioural',
        description: 'Shoe size',
      });
      await activePurpose('fitting', {
        retention: 'PT1S',
        assessment: { ...purposeBody('x').assessment, minimumFields: ['shoeSize'] },
      });
      const { body } = await register({ shoeSize: '42' });
      const subjectId = body.subjectId;
      await crm.post(`/v1/subjects/${subjectId}/consents`, consentBody('fitting'));
      const sweeper = t.app.get(RetentionSweeper);
      expect(await sweeper.sweep()).not.toContain(subjectId);
      await crm.post(
        `/v1/subjects/${subjectId}/consents`,
        consentBody('fitting', { action: 'revoke', noticeVersion: undefined }),
      );
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await waitFor(
        async () =>
          (await sweeper.sweep()).includes(subjectId) ||
          (await dpo.get(`/v1/subjects/${subjectId}/erasure`)).status === 200,
      );
      const receipt = await dpo.get(`/v1/subjects/${subjectId}/erasure`);
      expect(receipt.body).toMatchObject({
        reason: 'retention',
        requestedVia: 'system',
        erasedBy: { id: 'system-retention', role: 'system' },
      });
      expect((await dpo.get(`/v1/subjects/${subjectId}/dsar`)).status).toBe(410);
    });
  });
});
