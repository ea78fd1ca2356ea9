import {
  ManualClock,
  purposeBody,
  consentBody,
  Scenario,
  startTestApp,
  type ApiClient,
  type TestApp,
} from '@test/support';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The privacy centre over plain HTTP (no browser): links, the session cookie, CSRF, the pages'
 * headers, and each action through the real commands and the embedded stores. The browser
 * journey (screenshots, axe) is in privacy-centre.browser.e2e-spec.ts.
 */

const ROLES = ['admin', 'dpo', 'service', 'support', 'sales'];

/** A customer's browser without a browser: keeps the session cookie, reads CSRF tokens off pages. */
export class CentreVisitor {
  cookie: string | undefined;
  lastPage = '';
  constructor(
    private readonly baseUrl: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  async open(url: string) {
    const response = await fetch(url, { redirect: 'manual', headers: this.headers });
    const setCookie = response.headers.get('set-cookie');
    if (setCookie) this.cookie = setCookie.split(';')[0];
    this.lastPage = await response.text();
    return { response, html: this.lastPage, setCookie };
  }

  async get(path: string, extra: Record<string, string> = {}) {
    const response = await fetch(`${this.baseUrl}${path}`, {
      redirect: 'manual',
      headers: { ...this.headers, ...(this.cookie ? { cookie: this.cookie } : {}), ...extra },
    });
    const text = await response.text();
    if ((response.headers.get('content-type') ?? '').startsWith('text/html')) this.lastPage = text;
    return { response, html: text };
  }

  csrf(): string {
    const match = /name="csrf" value="([^"]+)"/.exec(this.lastPage);
    if (!match) throw new Error('no CSRF token on the last page');
    return match[1];
  }

  async post(path: string, fields: Record<string, string>, extra: Record<string, string> = {}) {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        ...this.headers,
        'content-type': 'application/x-www-form-urlencoded',
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...extra,
      },
      body: new URLSearchParams(fields).toString(),
    });
    const setCookie = response.headers.get('set-cookie');
    if (setCookie) this.cookie = setCookie.split(';')[0];
    return { response, html: await response.text() };
  }
}

const CSP =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

describe('privacy centre (HTTP, embedded stores, ManualClock)', () => {
  const clock = new ManualClock('2026-11-30T09:00:00Z');
  let t: TestApp;
  let scenario: Scenario;
  const as: Record<string, ApiClient> = {};
  let subjectId: string;
  const logFile = () => join(t.dataDir, 'logs', 'custodian.log');

  beforeAll(async () => {
    t = await startTestApp(
      (dataDir) => ({
        LOG_LEVEL: 'info',
        CUSTODIAN_LOG_FILE: join(dataDir, 'logs', 'custodian.log'),
        CUSTODIAN_RETENTION_SWEEP_MS: '0',
      }),
      ROLES.map((role) => ({ id: `${role}-1`, roles: [role] })),
      { clock },
    );
    scenario = new Scenario(t);
    for (const role of ROLES) as[role] = scenario.client(`${role}-1`);
    await scenario.activePurpose(
      as.admin,
      as.dpo,
      'newsletter',
      purposeBody('newsletter', {
        title: 'Monthly newsletter',
        description: 'A monthly email about new products',
        retention: 'P2Y',
        recipients: ['Mail provider'],
        allowedRoles: ['marketing', 'service', 'support'],
        assessment: { ...purposeBody('newsletter').assessment, minimumFields: ['name', 'email'] },
      }),
    );
    await scenario.activePurpose(
      as.admin,
      as.dpo,
      'partners',
      purposeBody('partners', {
        title: 'Offers from partners',
        flags: { marketing: true, profiling: true, saleOrShare: true, aiProcessing: true },
      }),
    );
    const registered = await as.admin.post('/v1/subjects', {
      profile: { name: 'Anna Petrova', email: 'anna@example.com' },
      source: 'web-signup',
    });
    expect(registered.status).toBe(201);
    subjectId = registered.body.subjectId;
    for (const purposeId of ['newsletter', 'partners'])
      expect(
        (await as.service.post(`/v1/subjects/${subjectId}/consents`, consentBody(purposeId)))
          .status,
      ).toBe(201);
  });
  afterAll(async () => t.close());

  const issue = async (body: Record<string, unknown> = {}, client = as.service) => {
    const issued = await client.post(`/v1/subjects/${subjectId}/privacy-links`, body);
    expect(issued.status).toBe(201);
    return issued.body as { url: string; expiresAt: string };
  };
  const tokenOf = (url: string) => new URL(url).searchParams.get('token')!;
  const visit = async (headers: Record<string, string> = {}) => {
    const visitor = new CentreVisitor(t.baseUrl, headers);
    const { url } = await issue({ language: 'en' });
    const opened = await visitor.open(url);
    expect(opened.response.status).toBe(200);
    await visitor.get('/privacy/home');
    return visitor;
  };

  describe('POST /v1/subjects/{subjectId}/privacy-links', () => {
    it('gives the service role and the DPO a signed, expiring link that names no personal value', async () => {
      const link = await issue({ language: 'ru', jurisdiction: 'eu', validForMinutes: 30 });
      expect(link.url).toMatch(
        new RegExp(`^${t.baseUrl}/privacy/open\\?token=[\\w-]+\\.[\\w-]+\\.[\\w-]+$`),
      );
      expect(link.expiresAt).toBe('2026-11-30T09:30:00.000Z');
      const token = tokenOf(link.url);
      const [header, payload] = token
        .split('.')
        .slice(0, 2)
        .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')));
      expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
      expect(Object.keys(payload).sort()).toEqual([
        'aud',
        'exp',
        'iat',
        'jti',
        'jur',
        'lang',
        'sub',
      ]);
      expect(payload).toMatchObject({ sub: subjectId, lang: 'ru', jur: 'eu' });
      expect(token).not.toMatch(/anna|petrova/i);
      await issue({}, as.dpo);
    });

    it('refuses other roles, unknown customers and bad options, writing nothing', async () => {
      await scenario.expectNothingWritten(
        () => as.sales.post(`/v1/subjects/${subjectId}/privacy-links`, {}),
        403,
      );
      await scenario.expectNothingWritten(
        () =>
          as.service.post(`/v1/subjects/00000000-0000-4000-8000-000000000000/privacy-links`, {}),
        404,
      );
      const bad = await scenario.expectNothingWritten(
        () =>
          as.service.post(`/v1/subjects/${subjectId}/privacy-links`, {
            validForMinutes: 100_000,
            language: 'de',
          }),
        400,
      );
      expect(bad.details.map((d: { field: string }) => d.field).sort()).toEqual([
        'language',
        'validForMinutes',
      ]);
    });
  });

  describe('opening a link', () => {
    it('sets a short HttpOnly SameSite=Strict session cookie and moves on to /privacy/home', async () => {
      const visitor = new CentreVisitor(t.baseUrl);
      const { url } = await issue({ language: 'en' });
      const opened = await visitor.open(url);
      expect(opened.response.status).toBe(200);
      expect(opened.setCookie).toMatch(
        /^custodian-privacy=[\w-]+\.[\w-]+\.[\w-]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=1800$/,
      );
      expect(opened.response.headers.get('refresh')).toBe('0;url=/privacy/home?lang=en');
      expect(opened.response.headers.get('content-security-policy')).toBe(CSP);
      expect(opened.response.headers.get('referrer-policy')).toBe('no-referrer');
      const home = await visitor.get('/privacy/home');
      expect(home.response.status).toBe(200);
      expect(home.response.headers.get('content-security-policy')).toBe(CSP);
      expect(home.html).toContain('<html lang="en">');
      expect(home.html).not.toMatch(/<script/i);
      // Each purpose in plain words: notice, retention, recipients, AI.
      expect(home.html).toContain('Monthly newsletter');
      expect(home.html).toContain('2 years');
      expect(home.html).toContain('Mail provider');
      expect(home.html).toContain('https://example.com/notices/v1');
      expect(home.html).toMatch(/Training AI models<\/dt><dd>No/);
      // Russian from Accept-Language when the link names no language.
      const russian = new CentreVisitor(t.baseUrl, {
        'accept-language': 'ru-RU,ru;q=0.9,en;q=0.5',
      });
      await russian.open((await issue()).url);
      const ru = await russian.get('/privacy/home');
      expect(ru.html).toContain('<html lang="ru">');
      expect(ru.html).toContain('2 года');
      expect((await russian.get('/privacy/home?lang=en')).html).toContain('<html lang="en">');
    });

    it('answers a tampered or expired link with a clear page, and no session', async () => {
      const { url } = await issue({ language: 'en', validForMinutes: 5 });
      const token = tokenOf(url);
      const flipped = token.slice(0, -2) + (token.endsWith('A') ? 'BB' : 'AA');
      const visitor = new CentreVisitor(t.baseUrl);
      const tampered = await visitor.open(`${t.baseUrl}/privacy/open?token=${flipped}&lang=en`);
      expect(tampered.response.status).toBe(400);
      expect(tampered.setCookie).toBeNull();
      expect(tampered.response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(tampered.html).toContain('This link is not valid');
      expect(tampered.html).not.toMatch(/at \w+ \(|Error:|stack/);
      const garbage = await visitor.open(`${t.baseUrl}/privacy/open?token=%3Cscript%3E&lang=en`);
      expect(garbage.response.status).toBe(400);
      expect(garbage.html).not.toContain('<script>');
      const missing = await visitor.open(`${t.baseUrl}/privacy/open`);
      expect(missing.response.status).toBe(400);

      clock.advance(6 * 60_000);
      try {
        const expired = await visitor.open(`${url}&lang=en`);
        expect(expired.response.status).toBe(410);
        expect(expired.setCookie).toBeNull();
        expect(expired.html).toContain('This link has expired');
      } finally {
        clock.set('2026-11-30T09:00:00Z');
      }
    });

    it('ends the session after 30 minutes: the pages ask for the link again', async () => {
      const visitor = await visit();
      clock.advance(31 * 60_000);
      try {
        const home = await visitor.get('/privacy/home?lang=en');
        expect(home.response.status).toBe(401);
        expect(home.html).toContain('Your session has ended');
      } finally {
        clock.set('2026-11-30T09:00:00Z');
      }
      const none = await new CentreVisitor(t.baseUrl).get('/privacy/data.json');
      expect(none.response.status).toBe(401);
    });

    it('never writes the link token to the log', async () => {
      const { url } = await issue({ language: 'en' });
      const token = tokenOf(url);
      const visitor = new CentreVisitor(t.baseUrl);
      await visitor.open(url);
      await visitor.get('/privacy/home');
      await visitor.open(`${t.baseUrl}/privacy/open?token=${token}x`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(existsSync(logFile())).toBe(true);
      const log = readFileSync(logFile(), 'utf8');
      expect(log).toContain('/privacy/open');
      for (const secret of [token, token.split('.')[2], visitor.cookie!.split('=')[1]])
        expect(log).not.toContain(secret);
      expect(log).not.toContain('token=');
    });
  });

  describe('consents', () => {
    it('withdraws one consent with the centre as evidence, and the gate refuses that purpose', async () => {
      const visitor = await visit();
      const before = await as.service.post('/v1/consent-gate', {
        purposeId: 'newsletter',
        subjectIds: [subjectId],
      });
      expect(before.body.allowed).toEqual([subjectId]);
      const withdrawn = await visitor.post('/privacy/consents', {
        csrf: visitor.csrf(),
        lang: 'en',
        purposeId: 'newsletter',
        action: 'revoke',
        noticeVersion: 'v1',
      });
      expect(withdrawn.response.status).toBe(303);
      expect(withdrawn.response.headers.get('location')).toBe('/privacy/home?lang=en&done=consent');
      const gate = await as.service.post('/v1/consent-gate', {
        purposeId: 'newsletter',
        subjectIds: [subjectId],
      });
      expect(gate.body.denied).toEqual([{ subjectId, reason: 'revoked' }]);
      const history = await as.dpo.get(`/v1/subjects/${subjectId}/consents/history`);
      expect(history.body.events.at(-1)).toMatchObject({
        type: 'ConsentRevoked',
        purposeId: 'newsletter',
        evidence: {
          channel: 'privacy-centre',
          collectionPoint: 'privacy-centre',
          method: 'account_settings',
          language: 'en',
          jurisdiction: 'RU',
        },
        recordedBy: { id: `privacy-centre:${subjectId}`, role: 'privacy-centre' },
      });
      const home = await visitor.get('/privacy/home?done=consent');
      expect(home.html).toContain('Saved. Your choice is recorded.');
      expect(home.html).toMatch(
        /data-purpose="newsletter"[\s\S]*?Consent withdrawn[\s\S]*?Give consent/,
      );

      // Giving it back records the notice shown and an affirmative method.
      const given = await visitor.post('/privacy/consents', {
        csrf: visitor.csrf(),
        purposeId: 'newsletter',
        action: 'grant',
        noticeVersion: 'v1',
      });
      expect(given.response.status).toBe(303);
      const again = await as.dpo.get(`/v1/subjects/${subjectId}/consents/history`);
      expect(again.body.events.at(-1)).toMatchObject({
        type: 'ConsentGranted',
        noticeVersion: 'v1',
        evidence: { channel: 'privacy-centre', method: 'checkbox_opt_in' },
      });
    });

    it('refuses a form without the session CSRF token, or with bad fields, and writes nothing', async () => {
      const visitor = await visit();
      const other = await visit();
      const form = { purposeId: 'newsletter', action: 'revoke', noticeVersion: 'v1', lang: 'en' };
      for (const csrf of [undefined, 'forged', other.csrf()]) {
        const head = await scenario.head();
        const refused = await visitor.post('/privacy/consents', {
          ...form,
          ...(csrf ? { csrf } : {}),
        });
        expect(refused.response.status).toBe(403);
        expect(refused.html).toContain('This form has expired');
        expect(await scenario.head()).toBe(head);
      }
      const cases: Array<[Record<string, string>, string]> = [
        [{ purposeId: 'NOT A PURPOSE' }, 'purposeId'],
        [{ purposeId: 'unknown-purpose' }, 'purposeId'],
        [{ action: 'delete' }, 'action'],
        [{ action: 'grant', noticeVersion: 'v0' }, 'noticeVersion'],
      ];
      for (const [change, field] of cases) {
        const head = await scenario.head();
        const refused = await visitor.post('/privacy/consents', {
          ...form,
          csrf: visitor.csrf(),
          ...change,
        });
        expect(refused.response.status).toBe(400);
        expect(refused.response.headers.get('content-type')).toMatch(/^text\/html/);
        expect(refused.html).toContain(`<code>${field}</code>`);
        expect(await scenario.head()).toBe(head);
      }
      // A form body on an API route is still refused.
      const api = await fetch(`${t.baseUrl}/v1/subjects/${subjectId}/consents`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${t.keys['service-1']}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'purposeId=newsletter',
      });
      expect(api.status).toBe(415);
    });

    it('honours Sec-GPC: 1 from the browser: the purposes it covers are opted out', async () => {
      const state = async () =>
        Object.fromEntries(
          (await as.service.get(`/v1/subjects/${subjectId}/consents`)).body.purposes.map(
            (p: { purposeId: string; status: string }) => [p.purposeId, p.status],
          ),
        );
      expect((await state()).partners).toBe('granted');
      const visitor = await visit({ 'sec-gpc': '1' });
      expect(await state()).toMatchObject({ partners: 'revoked', newsletter: 'granted' });
      const history = await as.dpo.get(`/v1/subjects/${subjectId}/consents/history`);
      expect(history.body.events.at(-1)).toMatchObject({
        purposeId: 'partners',
        evidence: { channel: 'privacy-centre', method: 'gpc_signal' },
      });
      const home = await visitor.get('/privacy/home');
      expect(home.html).toContain('Global Privacy Control');
      expect(home.html).toMatch(/data-purpose="partners"[\s\S]*?cannot be given/);
      // A grant of a covered purpose with the signal on is refused, naming it.
      const head = await scenario.head();
      const refused = await visitor.post('/privacy/consents', {
        csrf: visitor.csrf(),
        purposeId: 'partners',
        action: 'grant',
        noticeVersion: 'v1',
      });
      expect(refused.response.status).toBe(400);
      expect(refused.html).toContain('<code>Sec-GPC</code>');
      expect(await scenario.head()).toBe(head);
    });
  });

  describe('data, access list and requests', () => {
    it('downloads the data through the audited subject-access path, without employee ids', async () => {
      expect(
        (await as.support.get(`/v1/subjects/${subjectId}/view?purpose=newsletter`)).status,
      ).toBe(200);
      const visitor = await visit();
      const download = await visitor.get('/privacy/data.json');
      expect(download.response.status).toBe(200);
      expect(download.response.headers.get('content-disposition')).toBe(
        'attachment; filename="my-data.json"',
      );
      const bundle = JSON.parse(download.html);
      expect(bundle.profile).toMatchObject({
        name: { value: 'Anna Petrova' },
        email: { value: 'anna@example.com' },
      });
      expect(download.html).not.toContain('support-1');
      expect(download.html).not.toContain('service-1');
      // The read is in the customer's access log, in the centre's role.
      const log = await as.dpo.get(`/v1/subjects/${subjectId}/access-log`);
      expect(log.body.entries).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            actorId: `privacy-centre:${subjectId}`,
            role: 'privacy-centre',
            purposeId: 'subject-access',
            via: 'dsar',
          }),
        ]),
      );
      const page = await visitor.get('/privacy/data');
      expect(page.response.status).toBe(200);
      expect(page.html).toContain('Anna Petrova');
      expect(page.html).toContain('href="/privacy/data.json"');
    });

    it('shows who read the data by role and purpose, never by employee id', async () => {
      const visitor = await visit();
      const access = await visitor.get('/privacy/access');
      expect(access.response.status).toBe(200);
      expect(access.html).toContain('>support</td>');
      expect(access.html).toContain('subject-access');
      expect(access.html).not.toContain('support-1');
      expect(access.html).not.toContain('Anna');
    });

    it('asks for deletion: a privacy request opens, received via the centre, and shows on the page', async () => {
      const visitor = await visit();
      await visitor.get('/privacy/requests');
      const sent = await visitor.post('/privacy/requests', {
        csrf: visitor.csrf(),
        kind: 'erasure',
      });
      expect(sent.response.status).toBe(303);
      const list = await as.dpo.get('/v1/privacy-requests?status=open');
      const opened = list.body.privacyRequests.find(
        (r: { subjectId: string; kind: string }) =>
          r.subjectId === subjectId && r.kind === 'erasure',
      );
      expect(opened).toBeDefined();
      const detail = await as.dpo.get(`/v1/privacy-requests/${opened.requestId}`);
      expect(detail.body).toMatchObject({
        kind: 'erasure',
        receivedVia: 'privacy-centre',
        jurisdiction: 'ru',
        status: 'received',
        openedBy: `privacy-centre:${subjectId}`,
      });
      const page = await visitor.get('/privacy/requests?done=request');
      expect(page.html).toContain('Request received.');
      expect(page.html).toContain(`data-request="${opened.requestId}"`);
      expect(page.html).toContain('Deletion');

      const head = await scenario.head();
      const bad = await visitor.post('/privacy/requests', {
        csrf: visitor.csrf(),
        kind: 'withdrawal',
      });
      expect(bad.response.status).toBe(400);
      expect(bad.html).toContain('<code>kind</code>');
      expect(await scenario.head()).toBe(head);
    });
  });
});
