import { ManualClock, startTestApp, type ApiClient, type TestApp } from '@test/support';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import {
  axeViolations,
  browserDescribe,
  launchChromium,
  screenshots as shoot,
  VIEWPORTS,
} from './support/browser';
import { appendAnomaly, CONSOLE_ACTORS, scriptDay } from './support/console-activity';

/**
 * The compliance console in headless Chromium (Debian's, driven by playwright-core): after a
 * scripted day of activity a DPO signs in with an API key, sees every chart drawn with data and
 * its numbers in a table, watches a new anomaly arrive live (server-sent events, cookie
 * session), signs out, and an expired session is sent back to sign in. axe-core finds no
 * serious or critical violation. Screenshots at desktop and phone width: test-output/console/.
 */
const OUT = join(__dirname, '..', 'test-output', 'console');
const screenshots = (page: Page, name: string) => shoot(page, OUT, name);
const PANELS = ['consents', 'access', 'trend', 'anomalies', 'exports', 'incidents', 'requests'];

browserDescribe('the compliance console')('compliance console in headless Chromium', () => {
  let t: TestApp;
  let as: Record<string, ApiClient>;
  let browser: Browser;
  // The app's time, moved on to expire a session (the browser's own clock is left alone).
  const clock = new ManualClock(new Date().toISOString());

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    t = await startTestApp({ CUSTODIAN_RETENTION_SWEEP_MS: '0' }, CONSOLE_ACTORS, { clock });
    as = await scriptDay(t, clock.now());
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function signIn(page: Page, actorId: string) {
    await page.goto(`${t.baseUrl}/console`);
    await page.waitForURL(/\/console\/sign-in$/);
    await page.getByLabel('API key or JWT').fill(t.keys[actorId]);
    await Promise.all([
      page.waitForURL(/\/console$/),
      page.getByRole('button', { name: 'Sign in' }).click(),
    ]);
  }

  it('signs in, draws every chart with data and its table, updates live on a new anomaly, and signs out', async () => {
    const context = await browser.newContext({ viewport: VIEWPORTS.desktop });
    const page = await context.newPage();
    const requested: string[] = [];
    const refusedByCsp: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    page.on('response', (response) => {
      if (response.status() >= 400) console.warn(`page: ${response.status()} ${response.url()}`);
    });
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) refusedByCsp.push(message.text());
    });
    try {
      await page.goto(`${t.baseUrl}/console/sign-in`);
      expect(await axeViolations(page)).toEqual([]);
      await screenshots(page, 'sign-in');
      await signIn(page, 'dpo-1');
      expect(await page.locator('h1').textContent()).toBe('Compliance overview');
      expect(await context.cookies()).toEqual([
        expect.objectContaining({ name: 'custodian-console', httpOnly: true, sameSite: 'Strict' }),
      ]);
      expect(await page.evaluate('document.cookie')).toBe('');

      // Every panel draws bars with a visible size, and carries a table with rows of numbers.
      for (const id of PANELS) {
        const panel = page.locator(`[data-panel="${id}"]`);
        const drawn = await panel.locator('svg rect[fill]:not([fill="#eef1f5"])').count();
        expect({ id, drawn: drawn > 0 }).toEqual({ id, drawn: true });
        const box = await panel.locator('svg.bar, svg.days').first().boundingBox();
        expect(box!.width).toBeGreaterThan(50);
        expect(await panel.locator('table tbody tr[data-key]').count()).toBeGreaterThan(0);
      }
      // A table opens for a reader: the consent numbers of the newsletter.
      const consents = page.locator('[data-panel="consents"]');
      await consents.locator('summary').click();
      await expect(consents.locator('tr[data-key="newsletter"]').textContent()).resolves.toContain(
        '66.7',
      );
      expect(await page.locator('[data-total="anomalies"]').textContent()).toBe('3');
      expect(await axeViolations(page)).toEqual([]);
      await screenshots(page, 'overview');

      // Live: a new anomaly reaches the page through the event stream, without a reload.
      await page.locator('html[data-live="on"]').waitFor({ state: 'attached' });
      await page.evaluate("document.body.setAttribute('data-before-anomaly', 'yes')");
      await appendAnomaly(t, 9, clock.now());
      await page
        .locator('[data-total="anomalies"]', { hasText: /^4$/ })
        .waitFor({ timeout: 20_000 });
      // The same document (no navigation), and the opened table stayed open.
      expect(await page.evaluate("document.body.getAttribute('data-before-anomaly')")).toBe('yes');
      expect(await consents.locator('details').getAttribute('open')).not.toBeNull();
      const api = await as.dashboard.get('/v1/dashboard/anomalies');
      expect(api.body.total).toBe(4);

      // Sign out: back to the sign-in page, and the console is closed to this browser.
      await Promise.all([
        page.waitForURL(/ended=signed-out/),
        page.getByRole('button', { name: 'Sign out' }).click(),
      ]);
      expect(await page.getByRole('status').textContent()).toContain('signed out');
      await page.goto(`${t.baseUrl}/console`);
      await page.waitForURL(/\/console\/sign-in$/);

      // Everything came from the app itself, and the policy refused nothing the page needs.
      expect(requested.filter((url) => !url.startsWith(t.baseUrl))).toEqual([]);
      expect(refusedByCsp).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);

  it('refuses a role the console is not for, and sends an expired session back to sign in', async () => {
    const context = await browser.newContext({ viewport: VIEWPORTS.desktop });
    const page = await context.newPage();
    try {
      await page.goto(`${t.baseUrl}/console/sign-in`);
      await page.getByLabel('API key or JWT').fill(t.keys['analyst-1']);
      const [refused] = await Promise.all([
        page.waitForResponse(
          (r) => r.url().endsWith('/console/sign-in') && r.request().method() === 'POST',
        ),
        page.getByRole('button', { name: 'Sign in' }).click(),
      ]);
      expect(refused.status()).toBe(403);
      expect(await page.getByRole('alert').textContent()).toContain('dpo, admin and dashboard');
      expect(await context.cookies()).not.toContainEqual(
        expect.objectContaining({ name: 'custodian-console' }),
      );
      await screenshots(page, 'sign-in-refused');

      await signIn(page, 'dashboard-1');
      const now = clock.now();
      clock.advance(16 * 60_000);
      try {
        await page.reload();
        await page.waitForURL(/ended=expired/);
        expect(await page.getByRole('alert').textContent()).toContain('session has ended');
        expect(await axeViolations(page)).toEqual([]);
        await screenshots(page, 'session-expired');
      } finally {
        clock.set(now);
      }
    } finally {
      await context.close();
    }
  }, 60_000);
});
