import {
  ApiClient,
  consentBody,
  ManualClock,
  newSubjectId,
  noticeBody,
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
  { id: 'board', roles: ['dashboard'] },
  { id: 'agent', roles: ['support', 'sales'] },
];

describe('consent ledger and purpose registry (HTTP, embedded stores)', () => {
  // Time moves only when a test moves it: expiries pass by advancing the clock, not by sleeping.
  const clock = new ManualClock('2030-01-15T12:00:00.000Z');
  let t: TestApp;
  let dpo: ApiClient;
  let admin: ApiClient;
  let crm: ApiClient;
  let mailer: ApiClient;
  let board: ApiClient;
  let scenario: Scenario;

  beforeAll(async () => {
    t = await startTestApp({}, ACTORS, { clock });
    const client = (id: string) => new ApiClient(t.baseUrl, t.keys[id]);
    dpo = client('dpo-1');
    admin = client('admin-1');
    crm = client('crm');
    mailer = client('mailer');
    board = client('board');
    scenario = new Scenario(t);
  });
  afterAll(async () => t.close());

  /** The newest event's id: unchanged means nothing was written. */
  const expectNothingWritten = (action: () => Promise<JsonResponse>, status: number) =>
    scenario.expectNothingWritten(action, status);
  const head = () => scenario.head();
  const activePurpose = (purposeId: string, overrides: Record<string, unknown> = {}) =>
    scenario.activePurpose(admin, dpo, purposeId, overrides);
  /** Records a consent command that must be accepted; a refusal fails with the server's reason. */
  const record = async (subjectId: string, body: Record<string, unknown>) => {
    const response = await crm.post(`/v1/subjects/${subjectId}/consents`, body);
    expect({ status: response.status, body: response.body }).toMatchObject({ status: 201 });
    return response;
  };
  const publishNotice = async (purposeId: string, version: string) =>
    expect(
      (
        await admin.post(
          `/v1/purposes/${purposeId}/notices`,
          noticeBody(version, { requiresReconsent: true }),
        )
      ).status,
    ).toBe(201);
  const inAMinute = () => new Date(clock.now().getTime() + 60_000).toISOString();

  describe('purpose registry', () => {
    it('registers a draft, publishes a notice, is activated by a DPO, lists and retires', async () => {
      const registered = await admin.post('/v1/purposes', purposeBody('loyalty'));
      expect(registered.status).toBe(201);
      expect(registered.body).toMatchObject({
        purposeId: 'loyalty',
        status: 'draft',
        notices: [],
        legalBasis: 'consent',
      });

      const notice = await admin.post('/v1/purposes/loyalty/notices', noticeBody('v1'));
      expect(notice.status).toBe(201);
      expect(notice.body.notices).toEqual([
        expect.objectContaining({ version: 'v1', language: 'en', requiresReconsent: false }),
      ]);

      expect((await admin.post('/v1/purposes/loyalty/activate')).status).toBe(403);
      const activated = await dpo.post('/v1/purposes/loyalty/activate');
      expect(activated.status).toBe(200);
      expect(activated.body.status).toBe('active');

      const one = await crm.get('/v1/purposes/loyalty');
      expect(one.status).toBe(200);
      expect(one.body).toMatchObject({
        purposeId: 'loyalty',
        status: 'active',
        assessment: { withdrawal: expect.any(String) },
      });

      await waitFor(async () =>
        (await crm.get('/v1/purposes?status=active')).body.items.some(
          (p: { purposeId: string }) => p.purposeId === 'loyalty',
        ),
      );

      const retired = await dpo.post('/v1/purposes/loyalty/retire');
      expect(retired.status).toBe(200);
      expect(retired.body.status).toBe('retired');
      await expectNothingWritten(() => dpo.post('/v1/purposes/loyalty/activate'), 409);
    });

    it.each([
      ['a missing assessment', { assessment: undefined }, 'assessment'],
      [
        'an empty assessment answer',
        { assessment: { ...purposeBody('x').assessment, mainRisk: '' } },
        'assessment.mainRisk',
      ],
      ['an unknown legal basis', { legalBasis: 'because' }, 'legalBasis'],
      ['a retention that is no ISO-8601 duration', { retention: '2 years' }, 'retention'],
      ['an unknown data category', { dataCategories: ['shoe-size'] }, 'dataCategories'],
      ['an unknown role', { allowedRoles: ['janitor'] }, 'allowedRoles'],
      [
        'a non-boolean flag',
        { flags: { marketing: 'yes', profiling: false, saleOrShare: false, aiProcessing: false } },
        'flags.marketing',
      ],
      ['a purpose id with capitals', { purposeId: 'Loyalty' }, 'purposeId'],
      ['an unknown field', { colour: 'red' }, 'colour'],
    ])(
      'refuses a registration with %s, naming the field and writing nothing',
      async (_, overrides, field) => {
        const body = await expectNothingWritten(
          () => admin.post('/v1/purposes', purposeBody('bad-purpose', overrides)),
          400,
        );
        expect(body.details).toContainEqual(expect.objectContaining({ field }));
      },
    );

    it('refuses a duplicate registration and a duplicate notice version with 409', async () => {
      await activePurpose('dup-check');
      await expectNothingWritten(() => admin.post('/v1/purposes', purposeBody('dup-check')), 409);
      await expectNothingWritten(
        () => admin.post('/v1/purposes/dup-check/notices', noticeBody('v1')),
        409,
      );
    });

    it('refuses to activate a consent purpose without a notice, and unknown purposes with 404', async () => {
      expect((await admin.post('/v1/purposes', purposeBody('no-notice'))).status).toBe(201);
      const refused = await expectNothingWritten(
        () => dpo.post('/v1/purposes/no-notice/activate'),
        400,
      );
      expect(refused.message).toMatch(/notice/);
      await expectNothingWritten(() => dpo.post('/v1/purposes/never-registered/activate'), 404);
      await expectNothingWritten(
        () => admin.post('/v1/purposes/never-registered/notices', noticeBody('v1')),
        404,
      );
      expect((await crm.get('/v1/purposes/never-registered')).status).toBe(404);
      await expectNothingWritten(
        () => admin.post('/v1/purposes/no-notice/notices', noticeBody('v1', { textSha256: 'xyz' })),
        400,
      );
    });
  });

  describe('recording consent', () => {
    beforeAll(async () => {
      await activePurpose('newsletter');
      await activePurpose('ad-partners', {
        flags: { marketing: true, profiling: true, saleOrShare: true, aiProcessing: false },
      });
      await activePurpose('service-calls', { legalBasis: 'legitimate_interest' });
      expect((await admin.post('/v1/purposes', purposeBody('draft-only'))).status).toBe(201);
      expect((await admin.post('/v1/purposes/draft-only/notices', noticeBody('v1'))).status).toBe(
        201,
      );
    });

    it('grants with evidence and returns a receipt, then revokes through another channel', async () => {
      const subject = newSubjectId();
      const granted = await crm.post(
        `/v1/subjects/${subject}/consents`,
        consentBody('newsletter', { expiresAt: '2099-01-01T00:00:00Z' }),
      );
      expect(granted.status).toBe(201);
      expect(granted.body).toEqual({
        receiptId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        subjectId: subject,
        purposeId: 'newsletter',
        status: 'granted',
        recordedAt: expect.any(String),
        gpcOptOuts: [],
      });
      const state = await crm.get(`/v1/subjects/${subject}/consents`);
      expect(state.status).toBe(200);
      expect(state.body.purposes).toContainEqual(
        expect.objectContaining({
          purposeId: 'newsletter',
          status: 'granted',
          noticeVersion: 'v1',
          channel: 'web',
          expiresAt: '2099-01-01T00:00:00.000Z',
          receiptId: granted.body.receiptId,
        }),
      );
      expect(state.body.purposes).toContainEqual(
        expect.objectContaining({ purposeId: 'ad-partners', status: 'never' }),
      );

      const revoked = await crm.post(`/v1/subjects/${subject}/consents`, {
        purposeId: 'newsletter',
        action: 'revoke',
        evidence: {
          channel: 'call_centre',
          collectionPoint: 'ivr-menu-4',
          method: 'recorded_verbal',
          language: 'ru',
          jurisdiction: 'RU',
        },
      });
      expect(revoked.status).toBe(201);
      expect(revoked.body.status).toBe('revoked');
      const history = await admin.get(`/v1/subjects/${subject}/consents/history`);
      expect(history.status).toBe(200);
      expect(history.body.events.map((e: { type: string }) => e.type)).toEqual([
        'ConsentGranted',
        'ConsentRevoked',
      ]);
      expect(history.body.events[1]).toMatchObject({
        evidence: { channel: 'call_centre' },
        recordedBy: { id: 'crm', role: 'service' },
      });
    });

    it.each([
      ['an unknown purpose', consentBody('no-such-purpose'), 404, 'purposeId'],
      ['a draft purpose', consentBody('draft-only'), 400, 'purposeId'],
      [
        'a notice version that does not exist',
        consentBody('newsletter', { noticeVersion: 'v9' }),
        400,
        'noticeVersion',
      ],
      [
        'an expiry in the past',
        consentBody('newsletter', { expiresAt: '2020-01-01T00:00:00Z' }),
        400,
        'expiresAt',
      ],
      [
        'an expiry that is no timestamp',
        consentBody('newsletter', { expiresAt: 'tomorrow' }),
        400,
        'expiresAt',
      ],
      [
        'a grant without a notice version',
        consentBody('newsletter', { noticeVersion: undefined }),
        400,
        'noticeVersion',
      ],
      [
        'a pre-ticked method',
        consentBody('newsletter', {
          evidence: { ...consentBody('x').evidence, method: 'unsubscribe_link' },
        }),
        400,
        'evidence.method',
      ],
      [
        'an unknown channel',
        consentBody('newsletter', { evidence: { ...consentBody('x').evidence, channel: 'fax' } }),
        400,
        'evidence.channel',
      ],
      ['missing evidence', consentBody('newsletter', { evidence: undefined }), 400, 'evidence'],
      [
        'a bad proof hash',
        consentBody('newsletter', {
          evidence: { ...consentBody('x').evidence, proofSha256: 'nope' },
        }),
        400,
        'evidence.proofSha256',
      ],
      ['an unknown action', consentBody('newsletter', { action: 'maybe' }), 400, 'action'],
    ])('refuses %s with a clear reason and writes nothing', async (_, body, status, field) => {
      const refused = await expectNothingWritten(
        () => crm.post(`/v1/subjects/${newSubjectId()}/consents`, body),
        status,
      );
      expect(refused.details).toContainEqual(expect.objectContaining({ field }));
    });

    it('refuses a malformed subject id and a body that is not JSON', async () => {
      const refused = await expectNothingWritten(
        () => crm.post('/v1/subjects/not-a-uuid/consents', consentBody('newsletter')),
        400,
      );
      expect(refused.details).toEqual([{ field: 'subjectId', problem: 'must be a UUID' }]);
      await expectNothingWritten(
        () =>
          crm.post(`/v1/subjects/${newSubjectId()}/consents`, '{"purposeId":', {
            'content-type': 'application/json',
          }),
        400,
      );
    });

    it('refuses a grant for a retired purpose', async () => {
      await activePurpose('retiring');
      expect((await dpo.post('/v1/purposes/retiring/retire')).status).toBe(200);
      const refused = await expectNothingWritten(
        () => crm.post(`/v1/subjects/${newSubjectId()}/consents`, consentBody('retiring')),
        400,
      );
      expect(refused.message).toMatch(/retired/);
    });

    it('makes a retried command with the same Idempotency-Key a no-op, and refuses the key with another body', async () => {
      const subject = newSubjectId();
      const body = consentBody('newsletter');
      const first = await crm.post(`/v1/subjects/${subject}/consents`, body, {
        'idempotency-key': 'signup-123',
      });
      expect(first.status).toBe(201);
      const before = await head();
      const again = await crm.post(`/v1/subjects/${subject}/consents`, body, {
        'idempotency-key': 'signup-123',
      });
      expect(again.status).toBe(201);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.body).toEqual(first.body);
      expect(await head()).toBe(before);
      const other = await expectNothingWritten(
        () =>
          crm.post(
            `/v1/subjects/${subject}/consents`,
            { ...body, action: 'revoke' },
            { 'idempotency-key': 'signup-123' },
          ),
        422,
      );
      expect(other.details).toEqual([
        { field: 'Idempotency-Key', problem: 'already used with a different request' },
      ]);
      const history = await admin.get(`/v1/subjects/${subject}/consents/history`);
      expect(history.status).toBe(200);
      expect(history.body.events).toHaveLength(1);
    });

    it('records one grant when the same keyed request races itself', async () => {
      const subject = newSubjectId();
      const body = consentBody('newsletter');
      const responses = await Promise.all(
        Array.from({ length: 8 }, () =>
          crm.post(`/v1/subjects/${subject}/consents`, body, { 'idempotency-key': 'race-1' }),
        ),
      );
      expect(responses.every((r) => r.status === 201)).toBe(true);
      expect(new Set(responses.map((r) => r.body.receiptId)).size).toBe(1);
      const history = await admin.get(`/v1/subjects/${subject}/consents/history`);
      expect(history.status).toBe(200);
      expect(history.body.events).toHaveLength(1);
    });

    describe('Global Privacy Control', () => {
      it('refuses a grant for a sale/share purpose under Sec-GPC: 1, writing nothing', async () => {
        const refused = await expectNothingWritten(
          () =>
            crm.post(`/v1/subjects/${newSubjectId()}/consents`, consentBody('ad-partners'), {
              'sec-gpc': '1',
            }),
          400,
        );
        expect(refused.details).toEqual([expect.objectContaining({ field: 'Sec-GPC' })]);
        expect(refused.message).toMatch(/Global Privacy Control/);
      });

      it('records an opt-out for every covered purpose alongside another consent command', async () => {
        const subject = newSubjectId();
        expect(
          (await crm.post(`/v1/subjects/${subject}/consents`, consentBody('ad-partners'))).status,
        ).toBe(201);
        const withSignal = await crm.post(
          `/v1/subjects/${subject}/consents`,
          consentBody('newsletter'),
          { 'sec-gpc': '1' },
        );
        expect(withSignal.status).toBe(201);
        expect(withSignal.body.gpcOptOuts).toEqual([
          { purposeId: 'ad-partners', receiptId: expect.any(String) },
        ]);
        const current = await crm.get(`/v1/subjects/${subject}/consents`);
        expect(current.status).toBe(200);
        const state = current.body.purposes;
        expect(state).toContainEqual(
          expect.objectContaining({ purposeId: 'ad-partners', status: 'revoked' }),
        );
        expect(state).toContainEqual(
          expect.objectContaining({ purposeId: 'newsletter', status: 'granted' }),
        );
        const receipt = await admin.get(
          `/v1/consent-receipts/${withSignal.body.gpcOptOuts[0].receiptId}`,
        );
        expect(receipt.status).toBe(200);
        expect(receipt.body).toMatchObject({
          event: { type: 'consent_withdrawn', trigger: 'gpc' },
          collection: { method: 'gpc_signal' },
        });
      });
    });
  });

  describe('receipts', () => {
    it('returns an ISO/IEC TS 27560-shaped record for a grant, at once', async () => {
      await activePurpose('receipts-demo');
      const subject = newSubjectId();
      const granted = await record(
        subject,
        consentBody('receipts-demo', {
          expiresAt: '2098-05-01T00:00:00Z',
          evidence: { ...consentBody('x').evidence, proofSha256: 'cd'.repeat(32) },
        }),
      );
      const receipt = await crm.get(`/v1/consent-receipts/${granted.body.receiptId}`);
      expect(receipt.status).toBe(200);
      expect(receipt.body).toMatchObject({
        recordId: granted.body.receiptId,
        schemaVersion: '1.0',
        piiPrincipalId: subject,
        controller: { name: expect.any(String), contact: expect.any(String) },
        notice: {
          version: 'v1',
          language: 'en',
          url: 'https://example.com/notices/v1',
          textSha256: 'ab'.repeat(32),
        },
        purposes: [
          {
            purposeId: 'receipts-demo',
            legalBasis: 'consent',
            retention: 'P2Y',
            dataCategories: ['contact'],
          },
        ],
        collection: {
          channel: 'web',
          method: 'checkbox_opt_in',
          collectionPoint: 'signup-form-v3',
          // The proof's digest only as an HMAC under the customer's key (issue 11).
          proofHmac: expect.stringMatching(/^[0-9a-f]{64}$/),
          jurisdiction: 'DE',
        },
        event: { type: 'consent_given', time: granted.body.recordedAt, state: 'active' },
        validity: { from: granted.body.recordedAt, until: '2098-05-01T00:00:00.000Z' },
        withdrawalMethod: 'Unsubscribe link in every email',
        recordedBy: { id: 'crm', role: 'service' },
      });
      expect(receipt.body.collection.proofSha256).toBeUndefined();
    });

    it('answers 404 for an unknown receipt and 400 for a malformed id', async () => {
      expect(
        (await crm.get('/v1/consent-receipts/00000000-0000-4000-8000-000000000000')).status,
      ).toBe(404);
      expect((await crm.get('/v1/consent-receipts/abc')).status).toBe(400);
    });
  });

  describe('consent gate', () => {
    it('answers who may be contacted and why not for the rest', async () => {
      await activePurpose('gate-news');
      const [ok, revoked, expiring, stale, never] = Array.from({ length: 5 }, newSubjectId);
      await record(ok, consentBody('gate-news', { noticeVersion: 'v1' }));
      await record(revoked, consentBody('gate-news'));
      await record(
        revoked,
        consentBody('gate-news', { action: 'revoke', noticeVersion: undefined }),
      );
      await record(stale, consentBody('gate-news'));
      await publishNotice('gate-news', 'v2');
      await record(ok, consentBody('gate-news', { noticeVersion: 'v2' }));
      // Granted under the current notice, so only its expiry can stop it.
      await record(
        expiring,
        consentBody('gate-news', { noticeVersion: 'v2', expiresAt: inAMinute() }),
      );
      const ask = async () => {
        const gate = await mailer.post('/v1/consent-gate', {
          purposeId: 'gate-news',
          subjectIds: [ok, revoked, expiring, stale, never, ok],
        });
        expect(gate.status).toBe(200);
        return gate.body;
      };

      const before = await ask();
      expect(before.allowed).toEqual([ok, expiring]);
      clock.advance(60_000);
      const after = await ask();
      expect(after.checkedAt).toBe(clock.now().toISOString());
      expect(after.allowed).toEqual([ok]);
      expect(after.denied).toEqual([
        { subjectId: revoked, reason: 'revoked' },
        { subjectId: expiring, reason: 'expired' },
        { subjectId: stale, reason: 'stale' },
        { subjectId: never, reason: 'never_asked' },
      ]);
    });

    it('lets a non-consent purpose through unless the customer objected', async () => {
      const [quiet, objected] = [newSubjectId(), newSubjectId()];
      await record(objected, {
        ...consentBody('service-calls', { action: 'revoke' }),
        noticeVersion: undefined,
      });
      const gate = await crm.post('/v1/consent-gate', {
        purposeId: 'service-calls',
        subjectIds: [quiet, objected],
      });
      expect(gate.status).toBe(200);
      expect(gate.body.allowed).toEqual([quiet]);
      expect(gate.body.denied).toEqual([{ subjectId: objected, reason: 'revoked' }]);
    });

    it('denies everyone for a purpose that is not active, and answers 404 for an unknown one', async () => {
      const subject = newSubjectId();
      const gate = await crm.post('/v1/consent-gate', {
        purposeId: 'draft-only',
        subjectIds: [subject],
      });
      expect(gate.status).toBe(200);
      expect(gate.body).toMatchObject({
        allowed: [],
        denied: [{ subjectId: subject, reason: 'purpose_inactive' }],
      });
      expect(
        (await crm.post('/v1/consent-gate', { purposeId: 'nothing-here', subjectIds: [subject] }))
          .status,
      ).toBe(404);
    });

    it('checks 10,000 customers in one call', async () => {
      const ids = Array.from({ length: 10_000 }, newSubjectId);
      const gate = await mailer.post('/v1/consent-gate', {
        purposeId: 'newsletter',
        subjectIds: ids,
      });
      expect(gate.status).toBe(200);
      expect(gate.body.denied).toHaveLength(10_000);
    });

    it.each([
      [
        'more than 10,000 ids',
        () => ({
          purposeId: 'newsletter',
          subjectIds: Array.from({ length: 10_001 }, newSubjectId),
        }),
        'subjectIds',
      ],
      [
        'a malformed id',
        () => ({ purposeId: 'newsletter', subjectIds: [newSubjectId(), 'bob@example.com'] }),
        'subjectIds.1',
      ],
      ['no ids', () => ({ purposeId: 'newsletter', subjectIds: [] }), 'subjectIds'],
      ['no purpose', () => ({ subjectIds: [newSubjectId()] }), 'purposeId'],
    ])('refuses %s with 400', async (_, body, field) => {
      const refused = await crm.post('/v1/consent-gate', body());
      expect(refused.status).toBe(400);
      expect(refused.body.details).toContainEqual(expect.objectContaining({ field }));
      expect(JSON.stringify(refused.body)).not.toContain('bob@example.com');
    });
  });

  describe('state as of any moment, replayed from history', () => {
    it('answers what was true at several past moments, including after an expiry and after a re-consent notice', async () => {
      const subject = newSubjectId();
      const moment = () => clock.now().toISOString();
      // A second between steps, so no moment coincides with an event's time.
      const step = () => clock.advance(1000);
      const t0 = moment();
      step();
      await activePurpose('history-demo');
      step();
      const t1 = moment();
      step();
      const g1 = await record(subject, consentBody('history-demo'));
      step();
      const t2 = moment();
      step();
      await record(
        subject,
        consentBody('history-demo', { action: 'revoke', noticeVersion: undefined }),
      );
      step();
      const t3 = moment();
      step();
      const expiresAt = new Date(clock.now().getTime() + 60_000).toISOString();
      const g2 = await record(subject, consentBody('history-demo', { expiresAt }));
      step();
      const t4 = moment();
      step();
      await publishNotice('history-demo', 'v2');
      step();
      const t5 = moment();
      clock.set(expiresAt);
      const t6 = moment();

      const at = async (asOf: string) => {
        const response = await crm.get(
          `/v1/subjects/${subject}/consents?asOf=${encodeURIComponent(asOf)}`,
        );
        expect(response.status).toBe(200);
        expect(response.body.asOf).toBe(asOf);
        return response.body.purposes.find(
          (p: { purposeId: string }) => p.purposeId === 'history-demo',
        );
      };
      expect(await at(t0)).toBeUndefined();
      expect(await at(t1)).toMatchObject({ status: 'never', purposeStatus: 'active' });
      expect(await at(t2)).toMatchObject({ status: 'granted', receiptId: g1.body.receiptId });
      expect(await at(t3)).toMatchObject({ status: 'revoked' });
      expect(await at(t4)).toMatchObject({
        status: 'granted',
        receiptId: g2.body.receiptId,
        expiresAt,
      });
      expect(await at(t5)).toMatchObject({ status: 'stale' });
      expect(await at(t6)).toMatchObject({ status: 'expired' });
      const current = await crm.get(`/v1/subjects/${subject}/consents`);
      expect(current.status).toBe(200);
      expect(current.body.asOf).toBe(t6);
      expect(current.body.purposes).toContainEqual(
        expect.objectContaining({ purposeId: 'history-demo', status: 'expired' }),
      );
    });

    it('refuses an asOf that is no timestamp', async () => {
      const refused = await crm.get(`/v1/subjects/${newSubjectId()}/consents?asOf=yesterday`);
      expect(refused.status).toBe(400);
      expect(refused.body.details).toEqual([{ field: 'asOf', problem: expect.any(String) }]);
    });
  });

  describe('dashboards', () => {
    it('counts consents per purpose and status, and grants and revocations per day, without ids', async () => {
      await activePurpose('dash-demo');
      const [a, b, c, d] = Array.from({ length: 4 }, newSubjectId);
      await record(a, consentBody('dash-demo'));
      await record(b, consentBody('dash-demo'));
      await record(b, consentBody('dash-demo', { action: 'revoke', noticeVersion: undefined }));
      await record(c, consentBody('dash-demo', { expiresAt: inAMinute() }));
      await record(d, consentBody('dash-demo'));
      await publishNotice('dash-demo', 'v2');
      const fresh = newSubjectId();
      await record(fresh, consentBody('dash-demo', { noticeVersion: 'v2' }));
      const counts = async () => {
        const dashboard = await board.get('/v1/dashboard/consents');
        expect(dashboard.status).toBe(200);
        const row = dashboard.body.purposes.find(
          (r: { purposeId: string }) => r.purposeId === 'dash-demo',
        );
        return { dashboard, counts: row?.counts as Record<string, number> | undefined };
      };
      // Projected in log order: once all five customers are counted, every event is applied.
      await waitFor(async () => {
        const { counts: now } = await counts();
        return now !== undefined && Object.values(now).reduce((x, y) => x + y, 0) === 5;
      });
      // Before c's expiry: a, c and d are stale (v2 requires re-consent), b revoked, fresh granted.
      expect((await counts()).counts).toEqual({
        granted: 1,
        revoked: 1,
        expired: 0,
        stale: 3,
        erased: 0,
      });
      clock.advance(60_000);
      const { dashboard, counts: after } = await counts();
      // Now c has expired (expiry counts before staleness).
      expect(after).toEqual({ granted: 1, revoked: 1, expired: 1, stale: 2, erased: 0 });
      const today = clock.now().toISOString().slice(0, 10);
      const daily = await board.get(
        `/v1/dashboard/consents/daily?purposeId=dash-demo&from=${today}&to=${today}`,
      );
      expect(daily.status).toBe(200);
      expect(daily.body.days).toEqual([
        { purposeId: 'dash-demo', day: today, grants: 5, revocations: 1 },
      ]);
      for (const id of [a, b, c, d, fresh])
        expect(JSON.stringify(dashboard.body) + JSON.stringify(daily.body)).not.toContain(id);
      expect((await board.get('/v1/dashboard/consents/daily?from=yesterday')).status).toBe(400);
    });
  });

  describe('who may do what', () => {
    it('answers 401 without a valid bearer token and 403 for roles without the permission', async () => {
      const anonymous = new ApiClient(t.baseUrl, null);
      const forged = new ApiClient(t.baseUrl, 'not-a-real-key-0000000000000000');
      expect((await anonymous.get('/v1/purposes')).status).toBe(401);
      expect((await forged.get('/v1/purposes')).status).toBe(401);
      expect((await mailer.post('/v1/purposes', purposeBody('by-marketing'))).status).toBe(403);
      expect((await board.get(`/v1/subjects/${newSubjectId()}/consents`)).status).toBe(403);
      expect(
        (await mailer.post(`/v1/subjects/${newSubjectId()}/consents`, consentBody('newsletter')))
          .status,
      ).toBe(403);
      expect((await crm.get('/v1/dashboard/consents')).status).toBe(403);
      expect((await crm.as('dpo').get('/v1/purposes')).status).toBe(403);
      const agent = new ApiClient(t.baseUrl, t.keys.agent);
      expect(
        (
          await agent
            .as('sales')
            .post(`/v1/subjects/${newSubjectId()}/consents`, consentBody('newsletter'))
        ).status,
      ).toBe(201);
      expect((await agent.as('janitor').get('/v1/purposes')).status).toBe(403);
    });
  });
});
