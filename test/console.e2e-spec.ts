import { READ_STORE, type ReadStore } from '@custodian/read-store';
import {
  ManualClock,
  openEventStream,
  startTestApp,
  waitFor,
  type ApiClient,
  type TestApp,
} from '@test/support';
import { appendAnomaly, CONSOLE_ACTORS, scriptDay } from './support/console-activity';

/**
 * The compliance console over HTTP (no browser): sign-in by exchanging a key for a session
 * cookie, the roles it admits, CSRF, expiry, sign-out ending the session server-side, the
 * cookie-admitted anomaly stream, and every number on the page equal to the dashboard API's for
 * the same range. The browser journey is in console.browser.e2e-spec.ts.
 */
describe('compliance console (/console): sessions and one source of numbers', () => {
  let t: TestApp;
  let as: Record<string, ApiClient>;
  const clock = new ManualClock('2026-03-10T15:00:00.000Z');

  beforeAll(async () => {
    t = await startTestApp({ CUSTODIAN_RETENTION_SWEEP_MS: '0' }, CONSOLE_ACTORS, { clock });
    as = await scriptDay(t, clock.now());
  }, 60_000);
  afterAll(async () => t?.close());

  const cookieOf = (response: Response, name: string) => {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair.indexOf('=');
      if (pair.slice(0, at) === name) return { value: pair.slice(at + 1), line };
    }
    return undefined;
  };
  const csrfIn = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const post = (path: string, form: Record<string, string>, cookie: string) =>
    fetch(`${t.baseUrl}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams(form).toString(),
    });
  const get = (path: string, cookie = '') =>
    fetch(`${t.baseUrl}${path}`, { redirect: 'manual', headers: cookie ? { cookie } : {} });

  /** Signs in as the actor (by API key) and returns the response and the session cookie. */
  async function signIn(actorId: string, role = '') {
    const form = await get('/console/sign-in');
    const nonce = cookieOf(form, 'custodian-console-sign-in')!.value;
    const response = await post(
      '/console/sign-in',
      { csrf: csrfIn(await form.text()), token: t.keys[actorId], role },
      `custodian-console-sign-in=${nonce}`,
    );
    const session = cookieOf(response, 'custodian-console');
    return { response, cookie: session ? `custodian-console=${session.value}` : '', session };
  }

  /** The rows of a table on the page, keyed by the row's data-key, as text cells. */
  function table(html: string, id: string): Record<string, string[]> {
    const at = html.indexOf(`data-table="${id}"`);
    expect(at).toBeGreaterThan(0);
    const body = html.slice(at, html.indexOf('</table>', at));
    const rows: Record<string, string[]> = {};
    for (const [, key, row] of body.matchAll(/<tr data-key="([^"]+)">(.*?)<\/tr>/g))
      rows[key] = [...row.matchAll(/<t[hd][^>]*>(.*?)<\/t[hd]>/g)].map((m) => m[1]);
    return rows;
  }

  it('exchanges a dpo, admin or dashboard key for a short HttpOnly SameSite=Strict session; no key is stored', async () => {
    for (const actorId of ['dpo-1', 'admin-1', 'dashboard-1']) {
      const { response, session, cookie } = await signIn(actorId);
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/console');
      expect(session!.line).toMatch(/; Path=\/; HttpOnly; SameSite=Strict; Max-Age=900$/);
      const page = await get('/console', cookie);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain(`${actorId} · ${actorId.split('-')[0]}`);
    }
    const csp = (await get('/console', (await signIn('dpo-1')).cookie)).headers.get(
      'content-security-policy',
    );
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    // The store keeps a hash of the cookie's secret, never the secret itself.
    const { session } = await signIn('dashboard-1');
    const reads = t.app.get<ReadStore>(READ_STORE);
    const stored = await reads.find('console_sessions', { limit: 1000 });
    expect(stored.items.length).toBeGreaterThan(0);
    expect(JSON.stringify(stored.items)).not.toContain(session!.value);
    expect(JSON.stringify(stored.items)).not.toContain(t.keys['dashboard-1']);
  });

  it('refuses other roles, a role not held, a bad key and a form without its CSRF token', async () => {
    for (const actorId of ['analyst-1', 'service-1', 'marketing-1']) {
      const { response, session } = await signIn(actorId);
      expect(response.status).toBe(403);
      expect(session).toBeUndefined();
      expect(await response.text()).toContain('dpo, admin and dashboard');
    }
    const notHeld = await signIn('dashboard-1', 'dpo');
    expect(notHeld.response.status).toBe(403);
    const badRole = await signIn('dpo-1', 'analyst');
    expect(badRole.response.status).toBe(400);
    expect(await badRole.response.text()).toContain('<strong>role</strong>');
    // A suspended actor (the scripted day suspended support-1) holds no console role anyway;
    // a bad key is a 401 page, no cookie.
    const form = await get('/console/sign-in');
    const nonce = `custodian-console-sign-in=${cookieOf(form, 'custodian-console-sign-in')!.value}`;
    const csrf = csrfIn(await form.text());
    const bad = await post('/console/sign-in', { csrf, token: 'not-a-key-at-all' }, nonce);
    expect(bad.status).toBe(401);
    expect(cookieOf(bad, 'custodian-console')).toBeUndefined();
    const empty = await post('/console/sign-in', { csrf, token: '' }, nonce);
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain('<strong>token</strong>');
    // No CSRF token, or one from another browser's form: refused, no session.
    const forged = await post('/console/sign-in', { token: t.keys['dpo-1'] }, nonce);
    expect(forged.status).toBe(403);
    expect(cookieOf(forged, 'custodian-console')).toBeUndefined();
    const otherBrowser = await post('/console/sign-in', { csrf, token: t.keys['dpo-1'] }, '');
    expect(otherBrowser.status).toBe(403);
    // A JSON body with values of other types: a clear refusal, never a 500.
    const json = await fetch(`${t.baseUrl}/console/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/json', cookie: nonce },
      body: JSON.stringify({ csrf, token: 12, role: ['dpo'] }),
    });
    expect(json.status).toBe(400);
    expect(await json.text()).toContain('<strong>token</strong>');
  });

  it('sends a request without a session, or with an expired one, to sign in', async () => {
    const none = await get('/console');
    expect(none.status).toBe(303);
    expect(none.headers.get('location')).toBe('/console/sign-in');
    const { cookie } = await signIn('dpo-1');
    const now = clock.now();
    clock.advance(16 * 60_000);
    try {
      const expired = await get('/console', cookie);
      expect(expired.status).toBe(303);
      expect(expired.headers.get('location')).toBe('/console/sign-in?ended=expired');
      expect((await get('/console/events', cookie)).status).toBe(401);
    } finally {
      clock.set(now);
    }
    // Gone server-side: turning the clock back does not revive it.
    expect((await get('/console', cookie)).status).toBe(303);
  });

  it('signs out server-side: the same cookie opens nothing afterwards; sign-out needs the CSRF token', async () => {
    const { cookie } = await signIn('admin-1');
    const page = await (await get('/console', cookie)).text();
    const noToken = await post('/console/sign-out', {}, cookie);
    expect(noToken.status).toBe(403);
    expect((await get('/console', cookie)).status).toBe(200);
    const out = await post('/console/sign-out', { csrf: csrfIn(page) }, cookie);
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/console/sign-in?ended=signed-out');
    expect(cookieOf(out, 'custodian-console')!.line).toContain('Max-Age=0');
    // A copy of the cookie kept by someone else is dead too.
    const after = await get('/console', cookie);
    expect(after.status).toBe(303);
    expect(after.headers.get('location')).toBe('/console/sign-in?ended=expired');
  });

  it('shows the API numbers for the same range: consents, access by role, consent trend, anomalies, suspended actors, exports, incidents, privacy requests', async () => {
    const { cookie } = await signIn('dashboard-1');
    const range = 'from=2026-03-01&to=2026-03-10';
    const page = await get(`/console?${range}`, cookie);
    expect(page.status).toBe(200);
    const html = await page.text();
    const board = as.dashboard;
    const [consents, anomalies, exports, incidents, requests] = await Promise.all([
      board.get('/v1/dashboard/consents'),
      board.get(`/v1/dashboard/anomalies?${range}`),
      board.get(`/v1/dashboard/exports?${range}`),
      board.get('/v1/dashboard/incidents'),
      board.get('/v1/dashboard/privacy-requests'),
    ]);

    const consentRows = table(html, 'consents');
    expect(Object.keys(consentRows).sort()).toEqual(['newsletter', 'orders', 'recommendations']);
    for (const p of consents.body.purposes) {
      const c = p.counts;
      const asked = c.granted + c.revoked + c.expired + c.stale;
      const rate = asked === 0 ? '–' : String(Math.round((c.granted / asked) * 1000) / 10);
      expect(consentRows[p.purposeId]).toEqual([
        p.purposeId,
        rate,
        ...[c.granted, c.revoked, c.expired, c.stale, c.erased].map(String),
      ]);
    }
    expect(consentRows.newsletter.slice(1, 4)).toEqual(['66.7', '6', '3']);

    expect(anomalies.body.total).toBe(3);
    expect(html).toContain(`<strong data-total="anomalies">${anomalies.body.total}</strong>`);
    expect(table(html, 'anomalies-by-day')).toEqual(
      Object.fromEntries(
        anomalies.body.byDay.map((d: { day: string; count: number }) => [
          d.day,
          [d.day, String(d.count)],
        ]),
      ),
    );
    expect(table(html, 'anomalies-by-rule')).toEqual(
      Object.fromEntries(
        anomalies.body.byRule.map((r: { ruleId: string; count: number }) => [
          r.ruleId,
          [r.ruleId, String(r.count)],
        ]),
      ),
    );
    expect(Object.keys(table(html, 'suspended'))).toEqual(
      anomalies.body.suspendedActors.map((s: { actorId: string }) => s.actorId),
    );
    expect(Object.keys(table(html, 'suspended'))).toEqual(['support-1']);

    expect(exports.body.awaitingApproval).toHaveLength(1);
    const awaiting = table(html, 'awaiting');
    for (const e of exports.body.awaitingApproval)
      expect(awaiting[e.exportId]).toEqual([
        e.exportId,
        e.requestedBy,
        e.purposeId,
        String(e.customers),
        e.requestedAt,
      ]);
    expect(table(html, 'exports-by-status')).toEqual(
      Object.fromEntries(
        Object.entries(exports.body.byStatus).map(([s, n]) => [s, [s, String(n)]]),
      ),
    );

    expect(table(html, 'incidents')).toEqual({
      open: ['open', String(incidents.body.open)],
      overdue: ['overdue', String(incidents.body.overdue)],
      closed: ['closed', String(incidents.body.closed)],
    });
    expect(incidents.body.open).toBe(1);

    const requestRows = table(html, 'requests');
    for (const k of requests.body.byKind)
      expect(requestRows[k.kind]).toEqual([k.kind, String(k.open), String(k.overdue)]);
    expect(requests.body.open).toBe(3);

    const [access, trend] = await Promise.all([
      board.get(`/v1/dashboard/access?${range}`),
      board.get(`/v1/dashboard/trends/consents?${range}`),
    ]);
    const accessRows = table(html, 'access');
    const expectedAccess: Record<string, string[]> = {};
    for (const d of access.body.days)
      for (const r of d.byRole)
        expectedAccess[`${d.day}/${r.role}`] = [
          `${d.day} · ${r.role}`,
          ...[r.reads, r.refusals, r.withoutConsent, r.customers].map(String),
        ];
    expect(accessRows).toEqual(expectedAccess);
    expect(accessRows['2026-03-10/support']).toEqual(['2026-03-10 · support', '6', '0', '0', '6']);
    expect(html).toContain(`<strong data-total="reads">${access.body.totals.reads}</strong>`);
    const expectedTrend: Record<string, string[]> = {};
    for (const d of trend.body.days)
      for (const p of d.purposes)
        expectedTrend[`${d.day}/${p.purposeId}`] = [
          `${d.day} · ${p.purposeId}`,
          ...[p.asked, p.granted, Math.round(p.rate * 1000) / 10, p.revocations.total].map(String),
        ];
    expect(table(html, 'trend')).toEqual(expectedTrend);
    expect(Object.keys(expectedTrend)).toContain('2026-03-10/newsletter');

    // A narrower range: the anomalies of that one day only, as the API counts them.
    const oneDay = await (await get('/console?from=2026-03-10&to=2026-03-10', cookie)).text();
    const api = await board.get('/v1/dashboard/anomalies?from=2026-03-10&to=2026-03-10');
    expect(oneDay).toContain(`<strong data-total="anomalies">${api.body.total}</strong>`);
    // No customer's value or id on the page.
    expect(html).not.toMatch(/customer\d+@example\.com|Customer \d+/);
  });

  it('answers a bad range with a 400 page naming the field, never a 500', async () => {
    const { cookie } = await signIn('dpo-1');
    for (const [query, field] of [
      ['from=2026-02-30', 'from'],
      ['to=yesterday', 'to'],
      ['from=2026-03-10&to=2026-03-01', 'from'],
      ['from=2026-03-01&from=2026-03-02', 'from'],
      ['live=yes', 'live'],
    ]) {
      const response = await get(`/console?${query}`, cookie);
      expect(response.status).toBe(400);
      expect(await response.text()).toContain(`data-field="${field}"`);
    }
  });

  it('streams new anomalies to a session cookie (EventSource sends no bearer token), and refuses without one', async () => {
    expect((await get('/console/events')).status).toBe(401);
    const { cookie } = await signIn('dashboard-1');
    const stream = await openEventStream(`${t.baseUrl}/console/events`, { cookie });
    try {
      expect(stream.status).toBe(200);
      const data = await appendAnomaly(t, 7, clock.now());
      await waitFor(async () => stream.events.some((e) => e.event === 'anomaly'), 20_000);
      expect(stream.events.find((e) => e.event === 'anomaly')!.data).toEqual(data);
    } finally {
      stream.close();
    }
  });

  it('keeps the bearer-token routes closed to a session cookie', async () => {
    const { cookie } = await signIn('dpo-1');
    const response = await get('/v1/dashboard/anomalies', cookie);
    expect(response.status).toBe(401);
  });
});
