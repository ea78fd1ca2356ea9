import { startTestApp, type ApiClient, Scenario, type TestApp } from '@test/support';

/** Bodies no client should send: wrong types, wrong shapes, a text far over every limit. */
const ODD_BODIES: unknown[] = [
  null,
  [],
  'text',
  42,
  { fields: 'name' },
  { purposeId: ['a'], justification: { a: 1 }, fields: [1, 2] },
  { rules: [{}], workingHours: 'always' },
  // An array where an object belongs once reached the rule set's check as `[]` (a 500 found by fuzz).
  { rules: [], workingHours: [] },
  { rules: [null], workingHours: { timeZone: 7, days: ['x'], start: '25:00', end: '' } },
  { title: 'x'.repeat(100_000) },
  {
    filter: { fields: { name: null } },
    purposeId: 'crm',
    justification: 'long enough text',
    fields: ['name'],
  },
  { filter: [], purposeId: 'crm', justification: 'long enough text', fields: ['name'] },
  { actorIds: 'sales-1', from: 'yesterday' },
  { obligation: 'gdpr', reference: '' },
  { a: { b: { c: { d: { e: {} } } } } },
];

const ROUTES: Array<[string, string]> = [
  ['POST', '/v1/exports'],
  ['POST', '/v1/exports/preview'],
  ['POST', '/v1/exports/00000000-0000-4000-8000-000000000000/approve'],
  ['POST', '/v1/exports/00000000-0000-4000-8000-000000000000/reject'],
  ['POST', '/v1/anomaly-rules'],
  ['POST', '/v1/anomaly-rules/evaluate'],
  ['POST', '/v1/actors/sales-1/suspend'],
  ['POST', '/v1/actors/sales-1/reinstate'],
  ['POST', '/v1/incidents'],
  ['POST', '/v1/incidents/00000000-0000-4000-8000-000000000000/notes'],
  ['POST', '/v1/incidents/00000000-0000-4000-8000-000000000000/notifications'],
  ['POST', '/v1/incidents/00000000-0000-4000-8000-000000000000/close'],
];

const ODD_GETS = [
  '/v1/anomalies?limit=abc',
  '/v1/anomalies?limit=0',
  '/v1/anomalies?from=yesterday',
  '/v1/anomalies?cursor=%00%ff-not-a-cursor',
  '/v1/anomalies?actorId=%20bad',
  '/v1/incidents?status=maybe',
  '/v1/incidents?cursor=garbage',
  '/v1/incidents/not-a-uuid',
  '/v1/exports/not-a-uuid',
  '/v1/exports/00000000-0000-4000-8000-000000000000',
  '/v1/exports/00000000-0000-4000-8000-000000000000/download?format=xlsx',
  '/v1/actors/%20bad',
  '/v1/dashboard/anomalies?from=2026-13-45x',
  '/v1/dashboard/exports?to=tomorrow',
];

describe('odd input to the export, anomaly and incident routes (HTTP, embedded stores)', () => {
  let t: TestApp;
  let scenario: Scenario;
  let dpo: ApiClient;

  beforeAll(async () => {
    t = await startTestApp({}, [{ id: 'dpo-1', roles: ['dpo', 'admin'] }]);
    scenario = new Scenario(t);
    dpo = scenario.client('dpo-1');
  });
  afterAll(async () => t.close());

  it.each(ROUTES)(
    '%s %s answers every odd body with a 4xx and writes nothing',
    async (method, path) => {
      for (const body of ODD_BODIES) {
        const before = await scenario.head();
        const response = await dpo.request(method, path, body === null ? 'null' : body);
        expect({ body, clientError: response.status >= 400 && response.status < 500 }).toEqual({
          body,
          clientError: true,
        });
        expect(response.body).toMatchObject({
          statusCode: response.status,
          message: expect.any(String),
        });
        expect(await scenario.head()).toBe(before);
      }
    },
  );

  it.each(ODD_GETS)('GET %s answers a 4xx', async (path) => {
    const response = await dpo.get(path);
    expect({ path, status: response.status >= 400 && response.status < 500 }).toEqual({
      path,
      status: true,
    });
  });

  it("refuses a Last-Event-ID that is not one of the stream's ids", async () => {
    const response = await dpo.get('/v1/dashboard/anomalies/stream', { 'last-event-id': 'abc' });
    expect(response.status).toBe(400);
  });
});
