import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium, driven by playwright-core, for the page journeys (privacy centre, console). */
export const CHROMIUM = '/usr/bin/chromium';
const AXE = require.resolve('axe-core/axe.min.js');

export const VIEWPORTS = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
};

/**
 * `describe` where the browser can run. CI installs chromium (.ci/run), so there the journey
 * always runs: a missing browser fails it. Only a developer's machine without chromium skips
 * it, and says so.
 */
export function browserDescribe(what: string): jest.Describe {
  if (existsSync(CHROMIUM) || process.env.CI) return describe;
  console.warn(`Skipped: ${what} in a browser: ${CHROMIUM} is absent (apt-get install chromium)`);
  return describe.skip;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export type AxeViolation = { id: string; impact: string | null; help: string; nodes: unknown[] };

/**
 * Runs axe-core in the page; returns its serious and critical violations. Its source is
 * evaluated through the DevTools protocol, which the page's Content-Security-Policy does not
 * govern: the policy stays as strict as in production.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(readFileSync(AXE, 'utf8'));
  // A string, evaluated in the page (its promise awaited): the test's types know no DOM.
  const result = (await page.evaluate("axe.run(document, { resultTypes: ['violations'] })")) as {
    violations: AxeViolation[];
  };
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Full-page screenshots at desktop and phone width: `<dir>/<name>-desktop.png`, `-phone.png`. */
export async function screenshots(page: Page, dir: string, name: string) {
  for (const [label, viewport] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(viewport);
    const file = join(dir, `${name}-${label}.png`);
    await page.screenshot({ path: file, fullPage: true });
    expect(statSync(file).size).toBeGreaterThan(5_000);
  }
  await page.setViewportSize(VIEWPORTS.desktop);
}
