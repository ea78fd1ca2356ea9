import { CONSENT_CHANNELS, CONSENT_METHODS, ERASURE_REASONS } from '@custodian/domain';
import { PERMISSIONS } from '@custodian/policy';
import SwaggerParser from '@apidevtools/swagger-parser';
import { registeredRoutes, startTestApp, type TestApp } from '@test/support';
import type { FastifyInstance } from 'fastify';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

/**
 * GET /docs/json is a valid OpenAPI 3 document listing every route the app registered, with
 * body schemas (enums included), the error shape and each route's permission; GET /docs is the
 * Swagger UI, rendered by a real headless Chromium from local assets.
 */

type Operation = {
  operationId: string;
  'x-permission'?: string;
  description?: string;
  security?: unknown[];
  requestBody?: { content: Record<string, { schema: { $ref?: string }; example?: unknown }> };
  responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }>;
};
type Doc = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { properties?: Record<string, Record<string, unknown>> }> };
};

const CHROMIUM = '/usr/bin/chromium';

describe('GET /docs/json and GET /docs (OpenAPI 3 from the routes and DTOs)', () => {
  let t: TestApp;
  let doc: Doc;
  beforeAll(async () => {
    t = await startTestApp();
    const response = await fetch(`${t.baseUrl}/docs/json`);
    expect(response.status).toBe(200);
    doc = (await response.json()) as Doc;
  });
  afterAll(async () => t.close());

  it('is a valid OpenAPI 3 document', async () => {
    expect(doc.openapi).toMatch(/^3\./);
    // Validates against the OpenAPI 3.0 JSON schema and resolves every $ref; throws otherwise.
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
  });

  it('lists every route the app registered, with its permission', () => {
    const fastify = t.app.getHttpAdapter().getInstance() as FastifyInstance;
    const routes = registeredRoutes(fastify).filter(
      ({ method, path }) =>
        method !== 'HEAD' &&
        method !== 'OPTIONS' &&
        !path.startsWith('/docs') &&
        // The privacy centre's HTML pages for customers (no bearer token): not API routes.
        !path.startsWith('/privacy/') &&
        // The compliance console's pages (session cookie, no bearer token): not API routes.
        path !== '/console' &&
        !path.startsWith('/console/'),
    );
    expect(routes.length).toBeGreaterThan(40);
    const missing = routes
      .filter(({ method, path }) => {
        const openApiPath = path.replace(/:([A-Za-z]+)/g, '{$1}');
        return !doc.paths[openApiPath]?.[method.toLowerCase()];
      })
      .map(({ method, path }) => `${method} ${path}`);
    expect(missing).toEqual([]);

    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        if (path.startsWith('/health')) {
          expect({ where, permission: operation['x-permission'] }).toEqual({ where });
          continue;
        }
        const permission = operation['x-permission'] as keyof typeof PERMISSIONS;
        expect({ where, known: permission in PERMISSIONS }).toEqual({ where, known: true });
        expect(operation.description).toContain(`Permission: \`${permission}\``);
        expect(operation.security).toEqual([{ bearer: [] }]);
        for (const status of ['400', '401', '403'])
          expect(operation.responses[status]?.content?.['application/json'].schema.$ref).toBe(
            '#/components/schemas/Error',
          );
      }
    }
    expect(doc.paths['/v1/subjects/{subjectId}/consents'].post['x-permission']).toBe(
      'consents.record',
    );
    expect(doc.paths['/metrics'].get['x-permission']).toBe('metrics.read');
  });

  it('documents request bodies with their enums, examples and the error shape', () => {
    const consent = doc.paths['/v1/subjects/{subjectId}/consents'].post.requestBody!;
    expect(consent.content['application/json'].schema.$ref).toBe(
      '#/components/schemas/RecordConsentDto',
    );
    expect(consent.content['application/json'].example).toMatchObject({
      action: 'grant',
      evidence: { channel: CONSENT_CHANNELS[0], method: CONSENT_METHODS[0] },
    });
    const schemas = doc.components.schemas;
    expect(schemas.RecordConsentDto.properties?.action.enum).toEqual(['grant', 'revoke']);
    expect(schemas.ConsentEvidenceDto.properties?.channel.enum).toEqual([...CONSENT_CHANNELS]);
    expect(schemas.ConsentEvidenceDto.properties?.method.enum).toEqual([...CONSENT_METHODS]);
    const erasure = doc.paths['/v1/subjects/{subjectId}/erasure'].post.requestBody!;
    const erasureSchema = erasure.content['application/json'].schema.$ref!.split('/').pop()!;
    // Every reason a caller may give (retention erasures are the system's own).
    expect(schemas[erasureSchema].properties?.reason.enum).toEqual(
      ERASURE_REASONS.filter((reason) => reason !== 'retention'),
    );
    expect(schemas.Error.properties?.details).toMatchObject({
      type: 'array',
      items: { required: ['field', 'problem'] },
    });
  });

  // CI installs chromium (.ci/run), so there the check always runs: a missing browser fails it.
  // Only a developer's machine without chromium skips it, and says so.
  const browserIt = existsSync(CHROMIUM) || process.env.CI ? it : it.skip;
  if (!existsSync(CHROMIUM) && !process.env.CI)
    console.warn(
      `Skipped: the Swagger UI screenshot: ${CHROMIUM} is absent (apt-get install chromium)`,
    );

  browserIt(
    'renders the Swagger UI with the route list in headless Chromium, from local assets only',
    async () => {
      const browser = await chromium.launch({
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
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 2000 } });
        const requested: string[] = [];
        page.on('request', (request) => requested.push(request.url()));
        const response = await page.goto(`${t.baseUrl}/docs`);
        expect(response?.status()).toBe(200);
        await page.waitForSelector('.opblock-summary-path', { timeout: 20_000 });
        const paths = await page.$$eval('.opblock-summary-path', (nodes) =>
          nodes.map((node) => node.getAttribute('data-path') ?? node.textContent ?? ''),
        );
        expect(paths).toEqual(
          expect.arrayContaining([
            '/v1/subjects/{subjectId}/consents',
            '/health/ready',
            '/metrics',
          ]),
        );
        const shot = join(mkdtempSync(join(tmpdir(), 'custodian-docs-')), 'swagger-ui.png');
        await page.screenshot({ path: shot });
        expect(statSync(shot).size).toBeGreaterThan(10_000);
        // Everything the page loaded came from the app itself: no CDN.
        expect(requested.filter((url) => !url.startsWith(t.baseUrl))).toEqual([]);
        console.log(`Swagger UI screenshot: ${shot}`);
      } finally {
        await browser.close();
      }
    },
    60_000,
  );
});
