import { subjectStream } from '@custodian/domain';
import { EVENT_STORE, type EventStore } from '@custodian/event-store';
import {
  ApiClient,
  consentBody,
  ManualClock,
  purposeBody,
  Scenario,
  startTestApp,
  type TestApp,
} from '@test/support';

const PROFILE = {
  email: 'vera.timeline@example.com',
  name: 'Vera Timelina',
  phone: '+7 912 345-45-67',
};
const NEW_NAME = 'Vera Renamed';
const ACTORS = [
  { id: 'dpo-1', roles: ['dpo'] },
  { id: 'admin-1', roles: ['admin'] },
  { id: 'crm', roles: ['service'] },
  { id: 'sales-1', roles: ['sales'] },
];

/**
 * A customer's timeline over HTTP: registration, profile change (names only), consent and its
 * expiry, reads, erasure, in time order; `asOf`, ranges and paging; after the erasure it still
 * tells every fact and holds no value, plain or encrypted.
 */
describe('GET /v1/subjects/{id}/timeline (HTTP, embedded stores)', () => {
  const clock = new ManualClock('2031-05-04T09:00:00.000Z');
  let t: TestApp;
  let dpo: ApiClient;
  let crm: ApiClient;
  let sales: ApiClient;
  let subjectId: string;
  const times: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestApp({}, ACTORS, { clock });
    const scenario = new Scenario(t);
    dpo = scenario.client('dpo-1');
    crm = scenario.client('crm');
    sales = scenario.client('sales-1');
    const admin = scenario.client('admin-1');
    const assessment = { ...purposeBody('x').assessment, minimumFields: Object.keys(PROFILE) };
    await scenario.activePurpose(admin, dpo, 'tl-care', {
      legalBasis: 'contract',
      allowedRoles: ['sales', 'service'],
      flags: { marketing: false, profiling: false, saleOrShare: false, aiProcessing: false },
      assessment,
    });
    await scenario.activePurpose(admin, dpo, 'tl-news', { assessment });

    times.registered = clock.now().toISOString();
    const registered = await crm.post('/v1/subjects', { profile: PROFILE, source: 'shop' });
    expect(registered.status).toBe(201);
    subjectId = registered.body.subjectId;

    clock.advance(60_000);
    times.granted = clock.now().toISOString();
    const expiresAt = new Date(clock.now().getTime() + 86_400_000).toISOString();
    times.expires = expiresAt;
    const granted = await crm.post(
      `/v1/subjects/${subjectId}/consents`,
      consentBody('tl-news', { expiresAt }),
    );
    expect(granted.status).toBe(201);
    times.receiptId = granted.body.receiptId;

    clock.advance(60_000);
    const updated = await crm.request('PATCH', `/v1/subjects/${subjectId}/profile`, {
      profile: { name: NEW_NAME },
    });
    expect(updated.status).toBe(200);

    clock.advance(60_000);
    times.read = clock.now().toISOString();
    expect((await sales.get(`/v1/subjects/${subjectId}/view?purpose=tl-care`)).status).toBe(200);

    // Past the consent's expiry, then the erasure.
    clock.advance(2 * 86_400_000);
    times.beforeErasure = clock.now().toISOString();
    clock.advance(60_000);
    const erased = await crm.post(`/v1/subjects/${subjectId}/erasure`, {
      reason: 'data_subject_request',
      requestedVia: 'email',
    });
    expect(erased.status).toBe(202);
    clock.advance(60_000);
  }, 60_000);
  afterAll(async () => t.close());

  const timeline = (query = '') => dpo.get(`/v1/subjects/${subjectId}/timeline${query}`);

  it('after erasure: every fact in time order, and no value, plain or as stored ciphertext', async () => {
    const response = await timeline();
    expect(response.status).toBe(200);
    const { entries, erasedAt } = response.body;
    expect(erasedAt).toEqual(expect.any(String));
    expect(entries.map((e: { type: string }) => e.type)).toEqual([
      'SubjectRegistered',
      'ConsentGranted',
      'ProfileUpdated',
      'FieldsAccessed',
      'ConsentExpired',
      'SubjectErased',
    ]);
    const [registered, granted, updated, read, expired, erasure] = entries;
    expect(registered).toMatchObject({
      category: 'registration',
      actor: { id: 'crm', role: 'service' },
      facts: { source: 'shop', fields: ['email', 'name', 'phone'] },
    });
    expect(granted).toMatchObject({
      category: 'consent',
      facts: { purposeId: 'tl-news', receiptId: times.receiptId, expiresAt: times.expires },
    });
    expect(updated).toMatchObject({
      category: 'profile',
      facts: { changed: ['name'], removed: [] },
    });
    expect(read).toMatchObject({
      category: 'read',
      at: times.read,
      facts: { actorId: 'sales-1', role: 'sales', purposeId: 'tl-care', via: 'view' },
    });
    expect(read.facts.fields.map((f: { name: string }) => f.name).sort()).toEqual(
      expect.arrayContaining(['email', 'name']),
    );
    expect(expired).toMatchObject({
      category: 'consent',
      at: times.expires,
      facts: { purposeId: 'tl-news', receiptId: times.receiptId },
    });
    expect(erasure).toMatchObject({
      category: 'erasure',
      at: erasedAt,
      facts: { reason: 'data_subject_request', requestedVia: 'email' },
    });

    // No value anywhere in the response: neither the values nor the ciphertext the log holds.
    const text = JSON.stringify(response.body);
    const events = t.app.get<EventStore>(EVENT_STORE);
    const stored = await events.readStream(subjectStream(subjectId));
    const ciphertexts = stored.flatMap((e) => {
      const data = e.data as { fields?: Record<string, string>; changed?: Record<string, string> };
      return Object.values({ ...data.fields, ...data.changed }).filter(Boolean);
    });
    expect(ciphertexts.length).toBeGreaterThanOrEqual(4);
    for (const secret of [
      ...Object.values(PROFILE),
      NEW_NAME,
      'vera',
      'Timelina',
      '345',
      ...ciphertexts,
    ])
      expect({ secret, found: text.toLowerCase().includes(secret.toLowerCase()) }).toEqual({
        secret,
        found: false,
      });
  });

  it('asOf: the history as known then (no erasure, no expiry yet)', async () => {
    const before = await timeline(`?asOf=${encodeURIComponent(times.read)}`);
    expect(before.status).toBe(200);
    expect(before.body.erasedAt).toBeNull();
    expect(before.body.entries.map((e: { type: string }) => e.type)).toEqual([
      'SubjectRegistered',
      'ConsentGranted',
      'ProfileUpdated',
      'FieldsAccessed',
    ]);
    const later = await timeline(`?asOf=${encodeURIComponent(times.beforeErasure)}`);
    expect(later.body.entries.map((e: { type: string }) => e.type)).toContain('ConsentExpired');
    expect(later.body.entries.map((e: { type: string }) => e.type)).not.toContain('SubjectErased');
  });

  it('from and to bound when things happened', async () => {
    const response = await timeline(
      `?from=${encodeURIComponent(times.granted)}&to=${encodeURIComponent(times.read)}`,
    );
    expect(response.body.entries.map((e: { type: string }) => e.type)).toEqual([
      'ConsentGranted',
      'ProfileUpdated',
      'FieldsAccessed',
    ]);
  });

  it('pages with a cursor: every entry once, in order', async () => {
    const all = (await timeline()).body.entries;
    const seen: unknown[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await timeline(`?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(response.status).toBe(200);
      expect(response.body.entries.length).toBeLessThanOrEqual(2);
      seen.push(...response.body.entries);
      cursor = response.body.nextCursor;
      pages++;
    } while (cursor && pages < 20);
    expect(pages).toBe(3);
    expect(seen).toEqual(all);
  });

  it.each([
    ['asOf=yesterday', 'asOf'],
    ['asOf=2999-01-01T00:00:00Z', 'asOf'],
    ['from=2031-13-01T00:00:00Z', 'from'],
    ['from=2031-05-05T00:00:00Z&to=2031-05-04T00:00:00Z', 'to'],
    ['limit=0', 'limit'],
    ['limit=1001', 'limit'],
    ['cursor=not-a-cursor', 'cursor'],
    ['asOf=2031-05-04T09:00:00Z&asOf=2031-05-04T10:00:00Z', 'asOf'],
  ])('?%s is a 400 naming %s, never a 500', async (query, field) => {
    const response = await timeline(`?${query}`);
    expect(response.status).toBe(400);
    expect(response.body.details).toEqual([expect.objectContaining({ field })]);
  });

  it('an unknown customer is a 404; a malformed id a 400; other roles are refused', async () => {
    expect(
      (await dpo.get('/v1/subjects/00000000-0000-4000-8000-000000000000/timeline')).status,
    ).toBe(404);
    expect((await dpo.get('/v1/subjects/not-a-uuid/timeline')).status).toBe(400);
    expect((await sales.get(`/v1/subjects/${subjectId}/timeline`)).status).toBe(403);
  });
});
