import {
  consentBody,
  ManualClock,
  purposeBody,
  Scenario,
  startTestApp,
  type ApiClient,
  type TestApp,
} from '@test/support';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import {
  axeViolations,
  browserDescribe,
  launchChromium,
  screenshots as shoot,
  VIEWPORTS,
} from './support/browser';

/**
 * The privacy centre in headless Chromium (Debian's, driven by playwright-core): a customer
 * opens a link, withdraws a consent (the gate then refuses that purpose), downloads the data,
 * reads the access list and asks for deletion, with the keyboard where it matters; a tampered
 * and an expired link get a clear page. axe-core runs in each page: no serious or critical
 * violation. Screenshots at desktop and phone width go to test-output/privacy/.
 */

const OUT = join(__dirname, '..', 'test-output', 'privacy');
const screenshots = (page: Page, name: string) => shoot(page, OUT, name);

browserDescribe('the privacy centre')('privacy centre in headless Chromium', () => {
  let t: TestApp;
  let scenario: Scenario;
  let browser: Browser;
  const as: Record<string, ApiClient> = {};
  let subjectId: string;
  // The app's time, moved on to expire a link (the browser's own clock is left alone).
  const clock = new ManualClock(new Date().toISOString());

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    t = await startTestApp(
      { CUSTODIAN_RETENTION_SWEEP_MS: '0' },
      ['admin', 'dpo', 'service', 'support'].map((role) => ({ id: `${role}-1`, roles: [role] })),
      { clock },
    );
    scenario = new Scenario(t);
    for (const role of ['admin', 'dpo', 'service', 'support'])
      as[role] = scenario.client(`${role}-1`);
    await scenario.activePurpose(
      as.admin,
      as.dpo,
      'newsletter',
      purposeBody('newsletter', {
        title: 'Monthly newsletter',
        description: 'A monthly email about new products and offers.',
        recipients: ['Mail provider (processor)'],
        allowedRoles: ['marketing', 'service', 'support'],
        assessment: { ...purposeBody('newsletter').assessment, minimumFields: ['name', 'email'] },
      }),
    );
    await scenario.activePurpose(
      as.admin,
      as.dpo,
      'recommendations',
      purposeBody('recommendations', {
        title: 'Personal recommendations',
        description: 'Suggestions based on what you bought, made by a model.',
        retention: 'P18M',
        recipients: [],
        flags: { marketing: true, profiling: false, saleOrShare: false, aiProcessing: true },
      }),
    );
    await scenario.activePurpose(
      as.admin,
      as.dpo,
      'orders',
      purposeBody('orders', {
        title: 'Your orders',
        description: 'Delivering what you ordered and keeping the invoices the law requires.',
        legalBasis: 'contract',
        retention: 'P5Y',
      }),
    );
    const registered = await as.admin.post('/v1/subjects', {
      profile: { name: 'Anna Petrova', email: 'anna@example.com' },
      source: 'web-signup',
    });
    expect(registered.status).toBe(201);
    subjectId = registered.body.subjectId;
    for (const purposeId of ['newsletter', 'recommendations'])
      expect(
        (await as.service.post(`/v1/subjects/${subjectId}/consents`, consentBody(purposeId)))
          .status,
      ).toBe(201);
    expect((await as.support.get(`/v1/subjects/${subjectId}/view?purpose=newsletter`)).status).toBe(
      200,
    );
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const link = async (body: Record<string, unknown> = { language: 'en' }) => {
    const issued = await as.service.post(`/v1/subjects/${subjectId}/privacy-links`, body);
    expect(issued.status).toBe(201);
    return issued.body.url as string;
  };

  it('opens a link, withdraws a consent (the gate refuses it), downloads the data, reads the access list and asks for deletion', async () => {
    const context = await browser.newContext({
      viewport: VIEWPORTS.desktop,
      acceptDownloads: true,
    });
    const page = await context.newPage();
    const requested: string[] = [];
    const refusedByCsp: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) refusedByCsp.push(message.text());
    });
    try {
      await page.goto(await link());
      await page.waitForURL(/\/privacy\/home\?lang=en$/);
      expect(await page.locator('h1').textContent()).toBe('Your choices');
      // The token left the address bar; the cookie is HttpOnly, so no script could read it.
      expect(page.url()).not.toContain('token');
      const cookies = await context.cookies();
      expect(cookies).toEqual([
        expect.objectContaining({ name: 'custodian-privacy', httpOnly: true, sameSite: 'Strict' }),
      ]);
      expect(await page.evaluate('document.cookie')).toBe('');
      await screenshots(page, 'home');
      expect(await axeViolations(page)).toEqual([]);

      // Keyboard: the first Tab reaches the skip link, which shows a focus ring.
      await page.keyboard.press('Tab');
      expect(await page.evaluate('document.activeElement.textContent')).toBe('Skip to content');
      const outline = await page.evaluate('getComputedStyle(document.activeElement).outlineStyle');
      expect(outline).toBe('solid');

      // Withdraw the newsletter with the keyboard: focus its button, press Enter.
      const newsletter = page.locator('li[data-purpose="newsletter"]');
      await newsletter.getByRole('button', { name: 'Withdraw consent' }).focus();
      await Promise.all([page.waitForURL(/done=consent/), page.keyboard.press('Enter')]);
      await expect(newsletter.locator('.status').textContent()).resolves.toContain(
        'Consent withdrawn',
      );
      expect(await page.getByRole('status').first().textContent()).toContain('Saved');
      const gate = await as.service.post('/v1/consent-gate', {
        purposeId: 'newsletter',
        subjectIds: [subjectId],
      });
      expect(gate.body.denied).toEqual([{ subjectId, reason: 'revoked' }]);
      const other = await as.service.post('/v1/consent-gate', {
        purposeId: 'recommendations',
        subjectIds: [subjectId],
      });
      expect(other.body.allowed).toEqual([subjectId]);
      await screenshots(page, 'home-withdrawn');

      // The data: a readable page and a JSON download.
      const nav = page.getByRole('navigation');
      await nav.getByRole('link', { name: 'Your data', exact: true }).click();
      await page.waitForURL(/\/privacy\/data/);
      expect(await page.locator('main').textContent()).toContain('anna@example.com');
      expect(await axeViolations(page)).toEqual([]);
      await screenshots(page, 'data');
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: 'Download as JSON' }).click(),
      ]);
      const file = join(OUT, 'my-data.json');
      await download.saveAs(file);
      const bundle = JSON.parse(readFileSync(file, 'utf8'));
      expect(bundle.profile.name.value).toBe('Anna Petrova');
      expect(JSON.stringify(bundle)).not.toContain('support-1');

      // Who saw the data, and why.
      await nav.getByRole('link', { name: 'Who saw your data', exact: true }).click();
      await page.waitForURL(/\/privacy\/access/);
      const rows = await page.locator('tbody tr').allTextContents();
      expect(rows.some((row) => row.includes('support') && row.includes('newsletter'))).toBe(true);
      expect(
        rows.some((row) => row.includes('privacy-centre') && row.includes('subject-access')),
      ).toBe(true);
      expect(rows.join(' ')).not.toContain('support-1');
      expect(await axeViolations(page)).toEqual([]);
      await screenshots(page, 'access');

      // Ask for deletion: a case opens and shows on the page.
      await nav.getByRole('link', { name: 'Requests', exact: true }).click();
      await page.waitForURL(/\/privacy\/requests/);
      await page.getByLabel('Delete my data').check();
      await Promise.all([
        page.waitForURL(/done=request/),
        page.getByRole('button', { name: 'Send request' }).click(),
      ]);
      const cases = await page.locator('tbody tr').allTextContents();
      expect(cases).toEqual([expect.stringContaining('Deletion')]);
      const requestId = await page.locator('tbody tr').getAttribute('data-request');
      const opened = await as.dpo.get(`/v1/privacy-requests/${requestId}`);
      expect(opened.body).toMatchObject({
        subjectId,
        kind: 'erasure',
        receivedVia: 'privacy-centre',
      });
      expect(await axeViolations(page)).toEqual([]);
      await screenshots(page, 'requests');

      // Russian, by the switch in the header.
      await page.getByRole('link', { name: 'Русский' }).click();
      await page.waitForURL(/lang=ru/);
      expect(await page.locator('h1').textContent()).toBe('Запросы');
      expect(await page.getAttribute('html', 'lang')).toBe('ru');
      await screenshots(page, 'requests-ru');

      // Everything came from the app itself, and the policy refused nothing the pages need.
      expect(requested.filter((url) => !url.startsWith(t.baseUrl))).toEqual([]);
      expect(refusedByCsp).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);

  it('answers a tampered and an expired link with a clear page, not a stack trace', async () => {
    const context = await browser.newContext({ viewport: VIEWPORTS.desktop });
    const page = await context.newPage();
    try {
      const url = await link({ language: 'en' });
      // One character of the signature changed (not the last: its low bits are padding).
      const at = url.lastIndexOf('.') + 1;
      const tampered = url.slice(0, at) + (url[at] === 'A' ? 'B' : 'A') + url.slice(at + 1);
      const response = await page.goto(tampered);
      expect(response?.status()).toBe(400);
      expect(await page.locator('h1').textContent()).toBe('This link is not valid');
      expect(await page.locator('body').textContent()).not.toMatch(/Error|at .+\(/);
      expect(await context.cookies()).toEqual([]);
      expect(await axeViolations(page)).toEqual([]);
      await screenshots(page, 'link-invalid');

      // An expired link, in Russian (the browser's language).
      const ru = await browser.newContext({ viewport: VIEWPORTS.desktop, locale: 'ru-RU' });
      const ruPage = await ru.newPage();
      try {
        const short = await link({ validForMinutes: 5 });
        const now = clock.now();
        clock.advance(6 * 60_000);
        const expired = await ruPage.goto(short).finally(() => clock.set(now));
        expect(expired?.status()).toBe(410);
        expect(await ruPage.locator('h1').textContent()).toBe('Срок действия ссылки истёк');
        await screenshots(ruPage, 'link-expired-ru');
      } finally {
        await ru.close();
      }
    } finally {
      await context.close();
    }
  }, 60_000);
});
