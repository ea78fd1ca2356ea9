import { EVENT_STORE, type EventStore, type RecordedEvent } from '@custodian/event-store';
import { ProjectionReader } from '@custodian/platform';
import {
  connectorBody,
  consentBody,
  ManualClock,
  purposeBody,
  Scenario,
  startTestApp,
  type ApiClient,
  type TestApp,
} from '@test/support';

/**
 * The trend dashboards over three weeks of activity through the app: consent decisions and
 * revocations per purpose per day, time to answer privacy requests per kind and week, and the
 * connectors' acknowledgement delays; each equals a brute-force computation over the event log.
 */

const START = Date.parse('2026-10-05T00:00:00Z');
const ZONES = ['UTC', 'Europe/Moscow', 'America/New_York'];

function localDay(at: string, tz: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date(at));
}

/** Nearest-rank percentile, written apart from the code under test. */
function rank(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.ceil(q * s.length) - 1];
}

function monday(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  while (d.getUTCDay() !== 1) d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

describe('trend dashboards (HTTP, embedded stores)', () => {
  const clock = new ManualClock(new Date(START));
  let t: TestApp;
  let store: EventStore;
  const as: Record<string, ApiClient> = {};
  const events: RecordedEvent[] = [];

  beforeAll(async () => {
    t = await startTestApp(
      {},
      ['admin', 'dpo', 'service', 'dashboard'].map((role) => ({
        id: `${role}-1`,
        roles: [role],
      })),
      { clock },
    );
    const scenario = new Scenario(t);
    store = t.app.get<EventStore>(EVENT_STORE);
    for (const role of ['admin', 'dpo', 'service', 'dashboard'])
      as[role] = scenario.client(`${role}-1`);
    const assessment = { ...purposeBody('x').assessment, minimumFields: ['name', 'email'] };
    await scenario.activePurpose(as.admin, as.dpo, 'newsletter', { assessment });
    await scenario.activePurpose(as.admin, as.dpo, 'offers', { assessment });
    for (const [id, purposes] of [
      ['mailer-co', ['newsletter']],
      ['ads-co', ['offers']],
    ] as const)
      expect(
        (await as.admin.post('/v1/connectors', connectorBody(id, { purposes, kind: 'other' })))
          .status,
      ).toBe(201);
    const subjects: string[] = [];
    for (let i = 0; i < 8; i++)
      subjects.push(
        (
          await as.service.post('/v1/subjects', {
            profile: { name: `Irina Volkova${i}`, email: `irina${i}@example.com` },
            source: 'shop',
          })
        ).body.subjectId as string,
      );
    const kinds = ['access', 'rectification', 'restriction'];
    const granted = new Set<string>();
    const open: Array<{ id: string; answerOn: number }> = [];
    for (let day = 0; day < 21; day++) {
      for (const [k, hour] of [2, 13, 22].entries()) {
        clock.set(new Date(START + day * 86_400_000 + hour * 3_600_000 + k * 60_000));
        const subjectId = subjects[(day * 3 + k) % subjects.length];
        const purposeId = (day + k) % 3 === 0 ? 'offers' : 'newsletter';
        const revoke = (day + k) % 4 === 3;
        const response = await as.service.post(
          `/v1/subjects/${subjectId}/consents`,
          revoke
            ? consentBody(purposeId, { action: 'revoke', noticeVersion: undefined })
            : consentBody(purposeId),
        );
        expect(response.status).toBe(201);
        const consent = `${subjectId}/${purposeId}`;
        const hadGranted = granted.has(consent);
        if (revoke) granted.delete(consent);
        else granted.add(consent);
        if (revoke && hadGranted && day % 2 === 0) {
          // The connector answers a day or two later, at an hour that varies.
          const history = await as.dpo.get(`/v1/subjects/${subjectId}/consents/history`);
          const revoked = (history.body.events as Array<{ type: string; eventId: string }>)
            .filter((e) => e.type === 'ConsentRevoked')
            .pop()!;
          clock.advance((20 + ((day * 7) % 30)) * 3_600_000);
          await t.app.get(ProjectionReader).catchUp('downstream_obligations');
          const connector = purposeId === 'offers' ? 'ads-co' : 'mailer-co';
          expect(
            (
              await as.dpo.post(`/v1/connectors/${connector}/acknowledgements`, {
                eventId: revoked.eventId,
              })
            ).status,
          ).toBeLessThan(300);
        }
      }
      clock.set(new Date(START + day * 86_400_000 + 10 * 3_600_000));
      const opened = await as.dpo.post('/v1/privacy-requests', {
        subjectId: subjects[day % subjects.length],
        kind: kinds[day % kinds.length],
        jurisdiction: 'ru',
        receivedVia: 'email',
      });
      expect(opened.status).toBe(201);
      open.push({ id: opened.body.requestId as string, answerOn: day + 1 + (day % 5) });
      for (const request of open.filter((r) => r.answerOn === day)) {
        clock.set(new Date(START + day * 86_400_000 + (15 + (day % 8)) * 3_600_000));
        expect((await as.dpo.post(`/v1/privacy-requests/${request.id}/verify`, {})).status).toBe(
          200,
        );
        const answer =
          day % 3 === 0
            ? as.dpo.post(`/v1/privacy-requests/${request.id}/refuse`, {
                reason: 'Identity could not be confirmed',
              })
            : as.dpo.post(`/v1/privacy-requests/${request.id}/complete`, {
                outcome: 'Answered by email',
              });
        expect((await answer).status).toBe(200);
      }
    }
    await t.app.get(ProjectionReader).catchUp('trend_hours', { timeoutMs: 10_000 });
    let after: string | undefined;
    for (;;) {
      const batch = await store.readAll({ after, maxCount: 1000 });
      if (batch.length === 0) break;
      events.push(...batch);
      after = batch[batch.length - 1].position;
    }
  }, 120_000);
  afterAll(async () => t.close());

  const range = { from: '2026-10-04', to: '2026-10-31' };
  const data = (e: RecordedEvent) => e.data as Record<string, string>;
  const inRange = (day: string) => day >= range.from && day <= range.to;

  it.each(ZONES)(
    'consent rate and revocations per purpose per day equal the log (%s)',
    async (tz) => {
      const response = await as.dashboard.get(
        `/v1/dashboard/trends/consents?${new URLSearchParams({ ...range, tz })}`,
      );
      expect(response.status).toBe(200);
      const expected = new Map<string, { granted: number; request: number; gpc: number }>();
      for (const e of events) {
        if (e.type !== 'ConsentGranted' && e.type !== 'ConsentRevoked') continue;
        const at = e.type === 'ConsentGranted' ? data(e).grantedAt : data(e).revokedAt;
        const day = localDay(at, tz);
        if (!inRange(day)) continue;
        const key = `${day}/${data(e).purposeId}`;
        const row = expected.get(key) ?? { granted: 0, request: 0, gpc: 0 };
        if (e.type === 'ConsentGranted') row.granted++;
        else row[data(e).trigger as 'request' | 'gpc']++;
        expected.set(key, row);
      }
      const got = new Map<string, { granted: number; request: number; gpc: number }>();
      for (const d of response.body.days)
        for (const p of d.purposes) {
          expect(p.asked).toBe(p.granted + p.revocations.total);
          expect(p.rate).toBeCloseTo(p.granted / p.asked, 4);
          got.set(`${d.day}/${p.purposeId}`, {
            granted: p.granted,
            request: p.revocations.request,
            gpc: p.revocations.gpc,
          });
        }
      expect(expected.size).toBeGreaterThan(20);
      expect(new Map([...got].sort())).toEqual(new Map([...expected].sort()));
    },
  );

  it.each(ZONES)(
    'time to answer privacy requests per kind and week equals the log (%s)',
    async (tz) => {
      const response = await as.dpo.get(
        `/v1/dashboard/trends/privacy-requests?${new URLSearchParams({ ...range, tz })}`,
      );
      expect(response.status).toBe(200);
      const received = new Map<string, { kind: string; at: string }>();
      const took = new Map<string, number[]>();
      for (const e of events) {
        if (e.type === 'PrivacyRequestReceived')
          received.set(data(e).requestId, { kind: data(e).kind, at: data(e).receivedAt });
        if (e.type !== 'PrivacyRequestCompleted' && e.type !== 'PrivacyRequestRefused') continue;
        const day = localDay(data(e).at, tz);
        if (!inRange(day)) continue;
        const request = received.get(data(e).requestId)!;
        const key = `${monday(day)}/${request.kind}`;
        took.set(key, [...(took.get(key) ?? []), Date.parse(data(e).at) - Date.parse(request.at)]);
      }
      const expected = [...took]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, list]) => ({
          key,
          answered: list.length,
          medianMs: rank(list, 0.5),
          p90Ms: rank(list, 0.9),
        }));
      const got = (
        response.body.weeks as Array<{ week: string; kinds: Array<Record<string, number>> }>
      ).flatMap((w) => w.kinds.map(({ kind, ...rest }) => ({ key: `${w.week}/${kind}`, ...rest })));
      expect(expected.length).toBeGreaterThanOrEqual(6);
      expect(got).toEqual(expected);
    },
  );

  it.each(ZONES)('acknowledgement delays per connector equal the log (%s)', async (tz) => {
    const response = await as.dashboard.get(
      `/v1/dashboard/trends/acknowledgements?${new URLSearchParams({ ...range, tz })}`,
    );
    expect(response.status).toBe(200);
    const causes = new Map<string, string>();
    const delays = new Map<string, number[]>();
    for (const e of events) {
      if (e.type === 'ConsentRevoked') causes.set(e.id, data(e).revokedAt);
      if (e.type === 'SubjectErased') causes.set(e.id, data(e).erasedAt);
      if (e.type !== 'DownstreamAcknowledged') continue;
      if (!inRange(localDay(data(e).acknowledgedAt, tz))) continue;
      const delay = Date.parse(data(e).acknowledgedAt) - Date.parse(causes.get(data(e).eventId)!);
      delays.set(data(e).connectorId, [...(delays.get(data(e).connectorId) ?? []), delay]);
    }
    expect(delays.size).toBe(2);
    expect(response.body.connectors).toEqual(
      [...delays]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([connectorId, list]) => ({
          connectorId,
          acknowledged: list.length,
          medianMs: rank(list, 0.5),
          p90Ms: rank(list, 0.9),
        })),
    );
  });

  it('no customer id appears in any trend, and bad ranges are a 400 naming the field', async () => {
    const subjectIds = new Set(events.map((e) => data(e).subjectId).filter(Boolean));
    for (const path of ['consents', 'privacy-requests', 'acknowledgements']) {
      const text = JSON.stringify(
        (await as.dpo.get(`/v1/dashboard/trends/${path}?from=2026-10-01&to=2026-11-30`)).body,
      );
      for (const id of subjectIds) expect(text.includes(id)).toBe(false);
      for (const [query, field] of [
        ['tz=Nowhere/Special', 'tz'],
        ['from=2026-10-32', 'from'],
        ['from=2026-10-05&to=2026-10-01', 'to'],
      ]) {
        const response = await as.dpo.get(`/v1/dashboard/trends/${path}?${query}`);
        expect({ path, query, status: response.status }).toEqual({ path, query, status: 400 });
        expect(response.body.details).toEqual([{ field, problem: expect.any(String) }]);
      }
    }
  });
});
