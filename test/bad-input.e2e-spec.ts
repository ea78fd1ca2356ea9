import {
  ApiClient,
  consentBody,
  newSubjectId,
  purposeBody,
  Scenario,
  startTestApp,
  type JsonResponse,
  type TestApp,
  waitFor,
} from '@test/support';
import { connect } from 'node:net';

/**
 * Issue 12, item 10: bad input that used to reach a 500 or be mis-read. Each case is refused
 * with a 4xx naming the field at fault and writes nothing.
 */
const ACTORS = [
  { id: 'dpo-1', roles: ['dpo'] },
  { id: 'admin-1', roles: ['admin'] },
  { id: 'crm', roles: ['service'] },
  { id: 'sales-1', roles: ['sales'] },
];
const PURPOSE = 'crm-care';

describe('bad input never reaches 500 nor is mis-read (HTTP, embedded stores)', () => {
  let t: TestApp;
  let dpo: ApiClient;
  let admin: ApiClient;
  let crm: ApiClient;
  let sales: ApiClient;
  let scenario: Scenario;

  beforeAll(async () => {
    t = await startTestApp({}, ACTORS);
    const client = (id: string) => new ApiClient(t.baseUrl, t.keys[id]);
    dpo = client('dpo-1');
    admin = client('admin-1');
    crm = client('crm');
    sales = client('sales-1');
    scenario = new Scenario(t);
    await scenario.activePurpose(admin, dpo, PURPOSE, {
      allowedRoles: ['sales', 'service'],
      assessment: {
        ...purposeBody('x').assessment,
        minimumFields: ['name', 'email', 'phone', 'birthDate'],
      },
    });
  });
  afterAll(async () => t.close());

  const refused = (action: () => Promise<JsonResponse>, status = 400) =>
    scenario.expectNothingWritten(action, status);
  const fieldsOf = (body: { details?: Array<{ field: string }> }) =>
    (body.details ?? []).map((d) => d.field);
  const register = (profile: Record<string, unknown>, headers: Record<string, string> = {}) =>
    crm.post('/v1/subjects', { profile, source: 'web-signup' }, headers);

  it('a registration replayed with its Idempotency-Key after the erasure answers 410', async () => {
    const headers = { 'Idempotency-Key': 'signup-replayed-after-erasure' };
    const created = await register({ name: 'Replay Me', email: 'replay@example.com' }, headers);
    expect(created.status).toBe(201);
    const subjectId = created.body.subjectId;
    expect(
      (
        await crm.post(`/v1/subjects/${subjectId}/erasure`, {
          reason: 'data_subject_request',
          requestedVia: 'email',
        })
      ).status,
    ).toBe(202);
    const replayed = await refused(
      () => register({ name: 'Replay Me', email: 'replay@example.com' }, headers),
      410,
    );
    expect(JSON.stringify(replayed)).not.toMatch(/Replay Me|replay@example/);
  });

  describe('a body nested 5,000 levels deep is a 400 on every kind of route', () => {
    /** JSON text nested `levels` deep (built as text: the test's own JSON.stringify would overflow). */
    const deep = (levels: number, leaf = '1') => {
      let open = '';
      let close = '';
      for (let i = 0; i < levels; i++) {
        open += i % 2 ? '[' : '{"a":';
        close = (i % 2 ? ']' : '}') + close;
      }
      return open + leaf + close;
    };
    const raw = (client: ApiClient, path: string, text: string) =>
      client.post(path, text, { 'content-type': 'application/json' });
    it.each([
      [
        'POST /v1/subjects (in the profile)',
        () => raw(crm, '/v1/subjects', `{"profile":{"name":${deep(5000)}},"source":"web-signup"}`),
      ],
      ['POST /v1/subjects (as the body)', () => raw(crm, '/v1/subjects', deep(5000))],
      [
        'POST /v1/exports (in the filter)',
        () =>
          raw(
            admin,
            '/v1/exports',
            `{"purposeId":"${PURPOSE}","justification":"Quarterly review","fields":["email"],"filter":{"fields":${deep(5000)}}}`,
          ),
      ],
      ['POST /v1/policy/roles', () => raw(dpo, '/v1/policy/roles', `{"roles":${deep(5000)}}`)],
      ['POST /v1/anomaly-rules', () => raw(dpo, '/v1/anomaly-rules', `{"rules":[${deep(5000)}]}`)],
      [
        'PATCH /v1/subjects/{id}/profile (strings full of brackets do not count)',
        () =>
          crm.request(
            'PATCH',
            `/v1/subjects/${newSubjectId()}/profile`,
            `{"profile":{"name":"${'{['.repeat(100)}","x":${deep(40)}}}`,
            { 'content-type': 'application/json' },
          ),
      ],
    ])('%s', async (_route, send) => {
      const body = await refused(send);
      expect(body.message).toMatch(/nested/);
      expect(fieldsOf(body)).toEqual(['body']);
    });

    it('a body nested as deep as the limit allows still reaches validation', async () => {
      const body = await refused(() =>
        raw(crm, '/v1/subjects', `{"profile":{"name":${deep(30, '"x"')}},"source":"web-signup"}`),
      );
      expect(fieldsOf(body)).toEqual(['profile.name']);
    });
  });

  describe('impossible dates are refused, naming the field, wherever a date is taken', () => {
    let subjectId: string;
    beforeAll(async () => {
      subjectId = (await register({ name: 'Date Checker' })).body.subjectId;
    });

    it.each([
      ['2030-02-31T00:00:00Z'],
      ['2031-02-29T10:00:00Z'],
      ['2030-04-31T10:00:00+03:00'],
      ['2030-13-01T10:00:00Z'],
      ['2030-01-01T24:00:00Z'],
      ['2030-01-01T10:60:00Z'],
      ['2030-01-01T10:00:60Z'],
      ['2030-01-01T10:00:00+24:00'],
    ])('consent expiresAt %s', async (date) => {
      const body = await refused(() =>
        crm.post(`/v1/subjects/${subjectId}/consents`, consentBody(PURPOSE, { expiresAt: date })),
      );
      expect(fieldsOf(body)).toEqual(['expiresAt']);
    });

    it('a real leap day is accepted', async () => {
      const granted = await crm.post(
        `/v1/subjects/${subjectId}/consents`,
        consentBody(PURPOSE, { expiresAt: '2032-02-29T10:00:00+03:00' }),
      );
      expect(granted.status).toBe(201);
      expect(granted.body.expiresAt ?? '2032-02-29T07:00:00.000Z').toBe('2032-02-29T07:00:00.000Z');
    });

    it.each([
      [
        'consents asOf',
        () => crm.get(`/v1/subjects/${subjectId}/consents?asOf=2030-02-31T00:00:00Z`),
        'asOf',
      ],
      ['policy asOf', () => dpo.get('/v1/policy/roles?asOf=2030-02-30T00:00:00Z'), 'asOf'],
      ['anomalies from', () => dpo.get('/v1/anomalies?from=2030-02-31T00:00:00Z'), 'from'],
      [
        'consent dashboard from',
        () => admin.get('/v1/dashboard/consents/daily?from=2030-02-31'),
        'from',
      ],
      ['anomaly dashboard to', () => admin.get('/v1/dashboard/anomalies?to=2030-06-31'), 'to'],
      ['export dashboard from', () => admin.get('/v1/dashboard/exports?from=2030-02-29'), 'from'],
      [
        'incident from',
        () =>
          dpo.post('/v1/incidents', {
            title: 'Suspicious reads',
            from: '2030-02-31T00:00:00Z',
          }),
        'from',
      ],
      [
        'incident detectedAt',
        () =>
          dpo.post('/v1/incidents', {
            title: 'Suspicious reads',
            from: '2030-02-01T00:00:00Z',
            detectedAt: '2030-02-30T00:00:00Z',
          }),
        'detectedAt',
      ],
      [
        'export filter.registeredAfter',
        () =>
          admin.post('/v1/exports/preview', {
            purposeId: PURPOSE,
            justification: 'Quarterly review',
            fields: ['email'],
            filter: { registeredAfter: '2030-02-31T00:00:00Z' },
          }),
        'filter.registeredAfter',
      ],
    ])('%s', async (_name, send, field) => {
      const body = await refused(send);
      expect(fieldsOf(body)).toContain(field);
    });

    it('rule evaluation from', async () => {
      const rules = (await dpo.get('/v1/anomaly-rules')).body;
      const body = await refused(() =>
        dpo.post('/v1/anomaly-rules/evaluate', {
          rules: rules.rules,
          workingHours: rules.workingHours,
          from: '2030-02-31T00:00:00Z',
        }),
      );
      expect(fieldsOf(body)).toEqual(['from']);
    });
  });

  describe("profile keys that are Object.prototype's own names are refused like any unknown field", () => {
    it.each(['constructor', 'valueOf', 'toString', 'hasOwnProperty', 'isPrototypeOf'])(
      'registration with profile.%s',
      async (key) => {
        const body = await refused(() =>
          crm.post(
            '/v1/subjects',
            `{"profile":{"name":"Proto Type","${key}":"x"},"source":"web-signup"}`,
            { 'content-type': 'application/json' },
          ),
        );
        expect(fieldsOf(body)).toEqual([`profile.${key}`]);
      },
    );

    it('registration with profile.__proto__', async () => {
      const body = await refused(() =>
        crm.post(
          '/v1/subjects',
          '{"profile":{"name":"Proto Type","__proto__":{"isAdmin":true}},"source":"web-signup"}',
          { 'content-type': 'application/json' },
        ),
      );
      expect(fieldsOf(body)).toEqual(['profile.__proto__']);
    });

    it('a profile update with profile.constructor', async () => {
      const subjectId = (await register({ name: 'Proto Update' })).body.subjectId;
      const body = await refused(() =>
        crm.request('PATCH', `/v1/subjects/${subjectId}/profile`, {
          profile: { constructor: 'x' },
        }),
      );
      expect(fieldsOf(body)).toEqual(['profile.constructor']);
    });
  });

  describe('custom field names the exports, views and DSAR use themselves are reserved', () => {
    it.each([
      'subjectId',
      'registeredAt',
      'source',
      'profile',
      'fields',
      'masks',
      'consents',
      'accessLog',
      'constructor',
      'toString',
    ])('%s', async (name) => {
      const body = await refused(() =>
        admin.post('/v1/field-catalogue', { name, category: 'technical', description: 'x' }),
      );
      expect(fieldsOf(body)).toEqual(['name']);
      expect(body.message).toMatch(/reserved/);
    });

    it('an ordinary custom name is still declared', async () => {
      const declared = await admin.post('/v1/field-catalogue', {
        name: 'customerTier',
        category: 'technical',
        description: 'Tier',
      });
      expect(declared.status).toBe(201);
    });
  });

  it("the partial name mask hides a one-word name as it hides the rest of a full name's surname", async () => {
    const customer = async (name: string) => {
      const id = (await register({ name })).body.subjectId;
      expect((await crm.post(`/v1/subjects/${id}/consents`, consentBody(PURPOSE))).status).toBe(
        201,
      );
      return id;
    };
    const one = await customer('Madonna');
    const two = await customer('Ivan Petrov');
    const view = async (id: string) => {
      let answer: JsonResponse | undefined;
      await waitFor(
        async () =>
          (answer = await sales.get(`/v1/subjects/${id}/view?purpose=${PURPOSE}`)).status === 200,
      );
      return answer!.body;
    };
    const single = await view(one);
    expect(single.masks.name).toBe('partial');
    expect(single.fields.name).toBe('M***');
    expect((await view(two)).fields.name).toBe('Ivan P.');
  });

  it('a body over the size limit gets a 413 the client reads, while it is still sending', async () => {
    const { port } = new URL(t.baseUrl);
    const size = 5 * 1024 * 1024;
    const before = await scenario.head();
    const answer = await new Promise<{ response: string; error: string | null }>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1');
      let response = '';
      let error: string | null = null;
      socket.on('data', (chunk) => (response += chunk.toString('latin1')));
      socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
      socket.on('close', () => resolve({ response, error }));
      socket.on('connect', async () => {
        socket.write(
          'POST /v1/subjects HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
            `Authorization: Bearer ${t.keys.crm}\r\nContent-Type: application/json\r\n` +
            `Content-Length: ${size}\r\n\r\n`,
        );
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        for (let sent = 0; sent < size && !socket.destroyed; sent += chunk.length) {
          if (!socket.write(chunk)) await new Promise((r) => socket.once('drain', r));
          await new Promise((r) => setImmediate(r));
        }
        if (!socket.destroyed) socket.end();
      });
    });
    expect(answer.response).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer.error).toBeNull();
    expect(await scenario.head()).toBe(before);
  });

  it('a small body with no purpose check is still a 400 (sanity: the app answers normally)', async () => {
    await refused(() => crm.post(`/v1/subjects/${newSubjectId()}/consents`, {}));
  });
});
