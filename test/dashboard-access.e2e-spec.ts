import { EVENT_STORE, type EventStore, type RecordedEvent } from '@custodian/event-store';
import { ProjectionReader } from '@custodian/platform';
import {
  consentBody,
  ManualClock,
  purposeBody,
  Scenario,
  startTestApp,
  waitFor,
  type ApiClient,
  type TestApp,
} from '@test/support';

/**
 * The access dashboards over a generated month of activity through the app (views, lookups,
 * refusals, exports by several actors and roles, at hours spread around midnight in three
 * zones, across New York's change of clocks on 1 November): every count equals a brute-force
 * count over the event log, read through the event store port; no customer id or value appears
 * in any answer; bad `from`/`to`/`tz` are a 400 naming the field.
 */

const ACTORS = [
  ['admin-1', 'admin'],
  ['dpo-1', 'dpo'],
  ['service-1', 'service'],
  ['sales-1', 'sales'],
  ['sales-2', 'sales'],
  ['sales-3', 'sales'],
  ['support-1', 'support'],
  ['support-2', 'support'],
  ['marketing-1', 'marketing'],
  ['marketing-2', 'marketing'],
  ['analyst-1', 'analyst'],
  ['dashboard-1', 'dashboard'],
] as const;
const PROFILE = (i: number) => ({
  name: `Anna Kuznetsova${i}`,
  email: `anna.k${i}@example.com`,
  phone: `+7 913 555-12-${10 + i}`,
});
const START = Date.parse('2026-10-15T00:00:00Z');
const DAYS = 30;
const ZONES = ['UTC', 'Europe/Moscow', 'America/New_York'];

type Access = {
  type: string;
  subjectId: string;
  actorId: string;
  role: string;
  purposeId: string;
  via: string | null;
  reason: string | null;
  withoutConsent: boolean;
  sandbox: boolean;
  at: string;
};

/** A deterministic pseudo-random sequence (xorshift32). */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

/** The local day of an instant in a zone, by Intl (independent of the code under test). */
function localDay(at: string, tz: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date(at));
}

function count<K>(map: Map<K, number>, key: K, n = 1) {
  map.set(key, (map.get(key) ?? 0) + n);
}

describe('access dashboards (HTTP, embedded stores, a generated month)', () => {
  const clock = new ManualClock(new Date(START));
  let t: TestApp;
  let scenario: Scenario;
  let store: EventStore;
  const as: Record<string, ApiClient> = {};
  const subjects: string[] = [];
  const consented = new Set<string>();
  let log: Access[] = [];

  async function accessLog(): Promise<Access[]> {
    const out: Access[] = [];
    let after: string | undefined;
    for (;;) {
      const batch: RecordedEvent[] = await store.readAll({ after, maxCount: 1000 });
      if (batch.length === 0) return out;
      for (const e of batch) {
        if (!['FieldsAccessed', 'AccessDenied', 'SubjectExported'].includes(e.type)) continue;
        const d = e.data as Record<string, unknown>;
        out.push({
          type: e.type,
          subjectId: d.subjectId as string,
          actorId: d.actorId as string,
          role: d.role as string,
          purposeId: d.purposeId as string,
          via: e.type === 'FieldsAccessed' ? (d.via as string) : null,
          reason: e.type === 'AccessDenied' ? (d.reason as string) : null,
          withoutConsent: d.withoutConsent === true,
          sandbox: d.mode === 'sandbox',
          at: d.at as string,
        });
      }
      after = batch[batch.length - 1].position;
    }
  }

  beforeAll(async () => {
    t = await startTestApp(
      {},
      ACTORS.map(([id, role]) => ({ id, roles: [role] })),
      { clock },
    );
    scenario = new Scenario(t);
    store = t.app.get<EventStore>(EVENT_STORE);
    for (const [id] of ACTORS) as[id] = scenario.client(id);
    const assessment = {
      ...purposeBody('x').assessment,
      minimumFields: ['name', 'email', 'phone'],
    };
    await scenario.activePurpose(as['admin-1'], as['dpo-1'], 'newsletter', {
      allowedRoles: ['marketing', 'service'],
      assessment,
    });
    await scenario.activePurpose(as['admin-1'], as['dpo-1'], 'crm-care', {
      legalBasis: 'contract',
      allowedRoles: ['sales', 'support', 'service', 'marketing'],
      flags: { marketing: false, profiling: false, saleOrShare: false, aiProcessing: false },
      assessment,
    });
    for (let i = 0; i < 12; i++) {
      const response = await as['service-1'].post('/v1/subjects', {
        profile: PROFILE(i),
        source: 'shop',
      });
      expect(response.status).toBe(201);
      subjects.push(response.body.subjectId as string);
      if (i % 2 === 0) {
        expect(
          (
            await as['service-1'].post(
              `/v1/subjects/${response.body.subjectId}/consents`,
              consentBody('newsletter'),
            )
          ).status,
        ).toBe(201);
        consented.add(response.body.subjectId as string);
      }
    }

    const random = rng(20_261_015);
    const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
    const viewers = ['sales-1', 'sales-2', 'sales-3', 'support-1', 'support-2', 'service-1'];
    for (let day = 0; day < DAYS; day++) {
      // Hours around midnight in UTC, Moscow (21:00 UTC) and New York (04:00/05:00 UTC).
      const hours = [
        ...new Set(Array.from({ length: 4 }, () => pick([0, 1, 3, 4, 5, 9, 14, 20, 21, 22, 23]))),
      ];
      for (const hour of hours.sort((a, b) => a - b)) {
        clock.set(
          new Date(
            START + day * 86_400_000 + hour * 3_600_000 + Math.floor(random() * 59) * 60_000,
          ),
        );
        const subject = pick(subjects);
        // sales-1 reads much more than the others: an outlier against the sales median.
        const reader = random() < 0.35 ? 'sales-1' : pick(viewers);
        expect((await as[reader].get(`/v1/subjects/${subject}/view?purpose=crm-care`)).status).toBe(
          200,
        );
        if (reader === 'sales-1')
          expect(
            (await as['sales-1'].get(`/v1/subjects/${pick(subjects)}/view?purpose=crm-care`))
              .status,
          ).toBe(200);
        // Marketing reads for the newsletter: refused without consent.
        const target = pick(subjects);
        const marketer = pick(['marketing-1', 'marketing-2']);
        expect(
          (await as[marketer].get(`/v1/subjects/${target}/view?purpose=newsletter`)).status,
        ).toBe(consented.has(target) ? 200 : 403);
        // A lookup for the newsletter: a customer without consent is found, flagged.
        const found = subjects.indexOf(pick(subjects));
        expect(
          (
            await as['service-1'].get(
              `/v1/subjects?email=${encodeURIComponent(PROFILE(found).email)}&purpose=newsletter`,
            )
          ).status,
        ).toBe(200);
        // The analyst may not declare crm-care: a refusal.
        if (random() < 0.3)
          expect(
            (await as['analyst-1'].get(`/v1/subjects/${pick(subjects)}/view?purpose=crm-care`))
              .status,
          ).toBe(403);
      }
      if (day % 6 === 2) {
        // An export of the consented customers for the newsletter.
        const requested = await as['marketing-1'].post('/v1/exports', {
          purposeId: 'newsletter',
          justification: 'monthly newsletter send through the mail provider',
          fields: ['name', 'email'],
        });
        expect(requested.status).toBe(202);
        await waitFor(async () => {
          const state = (await as['marketing-1'].get(`/v1/exports/${requested.body.exportId}`))
            .body;
          return state.status === 'completed';
        }, 10_000);
      }
    }
    await t.app.get(ProjectionReader).catchUp('access_hours', { timeoutMs: 10_000 });
    log = await accessLog();
  }, 120_000);
  afterAll(async () => t.close());

  it('generated a varied month', () => {
    const types = new Set(log.map((a) => a.type));
    expect([...types].sort()).toEqual(['AccessDenied', 'FieldsAccessed', 'SubjectExported']);
    expect(new Set(log.map((a) => a.role)).size).toBeGreaterThanOrEqual(5);
    expect(log.some((a) => a.withoutConsent)).toBe(true);
    expect(new Set(log.map((a) => a.via)).size).toBeGreaterThanOrEqual(3);
  });

  const range = { from: '2026-10-14', to: '2026-11-14' };

  it.each(ZONES)(
    'reads, refusals, reads without consent and distinct customers per day equal the log (%s)',
    async (tz) => {
      const response = await as['dashboard-1'].get(
        `/v1/dashboard/access?${new URLSearchParams({ ...range, tz })}`,
      );
      expect(response.status).toBe(200);
      const days = new Map<string, Access[]>();
      for (const a of log) {
        if (a.type === 'SubjectExported') continue;
        const day = localDay(a.at, tz);
        if (day < range.from || day > range.to) continue;
        days.set(day, [...(days.get(day) ?? []), a]);
      }
      const expected = [...days.keys()].sort().map((day) => {
        const list = days.get(day)!;
        const reads = list.filter((a) => a.type === 'FieldsAccessed');
        const refusals = list.filter((a) => a.type === 'AccessDenied');
        const roles = [...new Set(list.map((a) => a.role))].sort();
        const purposes = [...new Set(list.map((a) => a.purposeId))].sort();
        const vias = [...new Set(reads.map((a) => a.via!))].sort();
        const reasons = [...new Set(refusals.map((a) => a.reason!))].sort();
        const n = (where: (a: Access) => boolean) => list.filter(where).length;
        return {
          day,
          reads: reads.length,
          refusals: refusals.length,
          withoutConsent: n((a) => a.withoutConsent),
          byRole: roles.map((role) => ({
            role,
            reads: n((a) => a.role === role && a.type === 'FieldsAccessed'),
            refusals: n((a) => a.role === role && a.type === 'AccessDenied'),
            withoutConsent: n((a) => a.role === role && a.withoutConsent),
            customers: new Set(reads.filter((a) => a.role === role).map((a) => a.subjectId)).size,
          })),
          byPurpose: purposes.map((purposeId) => ({
            purposeId,
            reads: n((a) => a.purposeId === purposeId && a.type === 'FieldsAccessed'),
            refusals: n((a) => a.purposeId === purposeId && a.type === 'AccessDenied'),
            withoutConsent: n((a) => a.purposeId === purposeId && a.withoutConsent),
          })),
          byVia: vias.map((via) => ({ via, reads: n((a) => a.via === via) })),
          byReason: reasons.map((reason) => ({ reason, refusals: n((a) => a.reason === reason) })),
        };
      });
      const body = response.body as {
        days: Array<{ day: string; reads: number; refusals: number }>;
      };
      // Days without any record are listed with zeros; compare the days that have some.
      expect(body.days.filter((d) => d.reads + d.refusals > 0)).toEqual(expected);
      expect(body.days.map((d) => d.day)).toHaveLength(32);
      expect(response.body.totals).toEqual({
        reads: expected.reduce((s, d) => s + d.reads, 0),
        refusals: expected.reduce((s, d) => s + d.refusals, 0),
        withoutConsent: expected.reduce((s, d) => s + d.withoutConsent, 0),
      });
      // Several customers were read by a role on the same day more than once: distinct is not reads.
      expect(expected.some((d) => d.byRole.some((r) => r.customers < r.reads))).toBe(true);
    },
  );

  it('New York days follow its clocks: 1 November 2026 has 25 hours', async () => {
    const ny = (
      await as['dpo-1'].get(
        '/v1/dashboard/access?from=2026-11-01&to=2026-11-01&tz=America/New_York',
      )
    ).body;
    const inDay = log.filter(
      (a) =>
        a.type !== 'SubjectExported' &&
        a.at >= '2026-11-01T04:00:00.000Z' &&
        a.at < '2026-11-02T05:00:00.000Z',
    );
    expect(ny.days[0].reads + ny.days[0].refusals).toBe(inDay.length);
  });

  it.each(ZONES)(
    'top actors by volume against their role median equal the log (%s)',
    async (tz) => {
      const response = await as['admin-1'].get(
        `/v1/dashboard/access/actors?${new URLSearchParams({ ...range, tz, limit: '100' })}`,
      );
      expect(response.status).toBe(200);
      const volumes = new Map<
        string,
        { actorId: string; role: string; reads: number; refusals: number }
      >();
      for (const a of log) {
        if (a.type === 'SubjectExported') continue;
        const day = localDay(a.at, tz);
        if (day < range.from || day > range.to) continue;
        const key = `${a.role}/${a.actorId}`;
        const v = volumes.get(key) ?? { actorId: a.actorId, role: a.role, reads: 0, refusals: 0 };
        if (a.type === 'FieldsAccessed') v.reads++;
        else v.refusals++;
        volumes.set(key, v);
      }
      const medianOf = (role: string) => {
        const list = [...volumes.values()]
          .filter((v) => v.role === role)
          .map((v) => v.reads + v.refusals)
          .sort((a, b) => a - b);
        const mid = Math.floor(list.length / 2);
        return list.length % 2 ? list[mid] : (list[mid - 1] + list[mid]) / 2;
      };
      const top = response.body.top as Array<Record<string, unknown>>;
      expect(top).toHaveLength(volumes.size);
      for (const row of top) {
        const v = volumes.get(`${row.role}/${row.actorId}`)!;
        expect(row).toMatchObject({
          ...v,
          volume: v.reads + v.refusals,
          roleMedian: medianOf(v.role),
        });
      }
      const ranked = top.map((r) => r.volume as number);
      expect(ranked).toEqual([...ranked].sort((a, b) => b - a));
      // sales-1 reads several times as much as the other sales staff.
      const sales1 = top.find((r) => r.actorId === 'sales-1')!;
      expect(sales1.ratio as number).toBeGreaterThan(1.5);
    },
  );

  it.each(ZONES)('rows exported per day by role and purpose equal the log (%s)', async (tz) => {
    const response = await as['dashboard-1'].get(
      `/v1/dashboard/exports/rows?${new URLSearchParams({ ...range, tz })}`,
    );
    expect(response.status).toBe(200);
    const cells = new Map<string, number>();
    for (const a of log) {
      if (a.type !== 'SubjectExported') continue;
      const day = localDay(a.at, tz);
      if (day < range.from || day > range.to) continue;
      count(cells, JSON.stringify([day, a.role, a.purposeId, a.sandbox]));
    }
    expect(cells.size).toBeGreaterThan(0);
    const got = new Map<string, number>();
    for (const day of response.body.days as Array<{
      day: string;
      cells: Array<Record<string, string & number>>;
    }>)
      for (const c of day.cells) {
        if (c.rows) got.set(JSON.stringify([day.day, c.role, c.purposeId, false]), c.rows);
        if (c.sandbox) got.set(JSON.stringify([day.day, c.role, c.purposeId, true]), c.sandbox);
      }
    expect(new Map([...got].sort())).toEqual(new Map([...cells].sort()));
  });

  it('no customer id or value appears in any answer', async () => {
    const values = [
      ...subjects,
      ...Array.from({ length: subjects.length }, (_, i) => Object.values(PROFILE(i))).flat(),
    ];
    for (const path of [
      `/v1/dashboard/access?from=2026-10-01&to=2026-11-30`,
      `/v1/dashboard/access/actors?from=2026-10-01&to=2026-11-30&limit=100`,
      `/v1/dashboard/exports/rows?from=2026-10-01&to=2026-11-30`,
    ]) {
      const response = await as['dpo-1'].get(path);
      expect(response.status).toBe(200);
      const text = JSON.stringify(response.body).toLowerCase();
      for (const value of values)
        expect({ path, leaked: text.includes(value.toLowerCase()) }).toEqual({
          path,
          leaked: false,
        });
    }
  });

  it.each([
    ['from=2026-02-30', 'from'],
    ['from=yesterday', 'from'],
    ['to=2026-13-01', 'to'],
    ['from=2026-11-02&to=2026-11-01', 'to'],
    ['from=2025-01-01&to=2026-11-01', 'to'],
    ['tz=Mars/Olympus_Mons', 'tz'],
    ['tz=Asia/Kolkata', 'tz'],
    ['tz=%3Cscript%3E', 'tz'],
    ['limit=0', 'limit'],
    ['subjectId=x', 'subjectId'],
  ])('GET ?%s is a 400 naming %s', async (query, field) => {
    for (const path of [
      '/v1/dashboard/access',
      '/v1/dashboard/access/actors',
      '/v1/dashboard/exports/rows',
    ]) {
      if (field === 'limit' && path !== '/v1/dashboard/access/actors') continue;
      const response = await as['dpo-1'].get(`${path}?${query}`);
      expect({ path, status: response.status }).toEqual({ path, status: 400 });
      expect(response.body.details.map((d: { field: string }) => d.field)).toContain(field);
    }
  });

  it('is refused to roles without dashboard.read', async () => {
    expect((await as['sales-1'].get('/v1/dashboard/access')).status).toBe(403);
    expect((await as['service-1'].get('/v1/dashboard/access/actors')).status).toBe(403);
  });
});
