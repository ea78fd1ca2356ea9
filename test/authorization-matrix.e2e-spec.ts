import { PERMISSIONS, ROLES, type Permission, type Role } from '@custodian/policy';
import {
  ApiClient,
  openEventStream,
  consentBody,
  newSubjectId,
  purposeBody,
  Scenario,
  startTestApp,
  type JsonResponse,
  type TestApp,
  registeredRoutes,
} from '@test/support';
import type { FastifyInstance } from 'fastify';

/**
 * OWASP API5 (broken function-level authorization): every /v1 route × every role, asserting the
 * guard refuses exactly the roles PERMISSIONS does not list, and lets the others through.
 * OWASP API1 (broken object-level authorization): a few checks that guessing ids reaches nothing.
 */

type Method = 'GET' | 'POST' | 'PATCH';
type Route = readonly [method: Method, path: string, permission: Permission];

/** Every /v1 route, copied from the controllers' @RequirePermission (a new route must be added here). */
const ROUTES: readonly Route[] = [
  // purposes.controller.ts
  ['POST', '/v1/purposes', 'purposes.manage'],
  ['POST', '/v1/purposes/:purposeId/notices', 'purposes.manage'],
  ['POST', '/v1/purposes/:purposeId/activate', 'purposes.activate'],
  ['POST', '/v1/purposes/:purposeId/retire', 'purposes.manage'],
  ['GET', '/v1/purposes', 'purposes.read'],
  ['GET', '/v1/purposes/:purposeId', 'purposes.read'],
  // consents.controller.ts
  ['POST', '/v1/subjects/:subjectId/consents', 'consents.record'],
  ['GET', '/v1/subjects/:subjectId/consents', 'consents.read'],
  ['GET', '/v1/subjects/:subjectId/consents/history', 'consents.history'],
  ['POST', '/v1/subjects/:subjectId/consents/proof-check', 'consents.history'],
  ['GET', '/v1/consent-receipts/:receiptId', 'receipts.read'],
  ['POST', '/v1/consent-gate', 'consents.gate'],
  // subjects.controller.ts
  ['POST', '/v1/subjects', 'subjects.register'],
  ['PATCH', '/v1/subjects/:subjectId/profile', 'subjects.update'],
  ['GET', '/v1/subjects', 'subjects.lookup'],
  ['POST', '/v1/subjects/:subjectId/erasure', 'subjects.erase'],
  ['POST', '/v1/subjects/:subjectId/erasure/approve', 'subjects.erasure-approve'],
  ['GET', '/v1/subjects/:subjectId/erasure', 'subjects.erasure-receipt'],
  ['GET', '/v1/subjects/:subjectId/dsar', 'subjects.dsar'],
  ['POST', '/v1/field-catalogue', 'catalogue.manage'],
  ['GET', '/v1/field-catalogue', 'catalogue.read'],
  // access.controller.ts
  ['GET', '/v1/subjects/:subjectId/view', 'subjects.view'],
  ['GET', '/v1/subjects/:subjectId/access-log', 'subjects.access-log'],
  ['GET', '/v1/policy/roles', 'policy.read'],
  ['POST', '/v1/policy/roles', 'policy.publish'],
  // dashboard.controller.ts
  ['GET', '/v1/dashboard/consents', 'dashboard.read'],
  ['GET', '/v1/dashboard/consents/daily', 'dashboard.read'],
  // oversight-dashboard.controller.ts
  ['GET', '/v1/dashboard/anomalies', 'dashboard.read'],
  ['GET', '/v1/dashboard/exports', 'dashboard.read'],
  ['GET', '/v1/dashboard/incidents', 'dashboard.read'],
  ['GET', '/v1/dashboard/anomalies/stream', 'dashboard.read'],
  // access-dashboard.controller.ts
  ['GET', '/v1/dashboard/access', 'dashboard.read'],
  ['GET', '/v1/dashboard/access/actors', 'dashboard.read'],
  ['GET', '/v1/dashboard/exports/rows', 'dashboard.read'],
  ['GET', '/v1/dashboard/trends/consents', 'dashboard.read'],
  ['GET', '/v1/dashboard/trends/privacy-requests', 'dashboard.read'],
  ['GET', '/v1/dashboard/trends/acknowledgements', 'dashboard.read'],
  // exports.controller.ts
  ['POST', '/v1/exports/preview', 'exports.request'],
  ['POST', '/v1/exports', 'exports.request'],
  ['POST', '/v1/exports/:exportId/approve', 'exports.approve'],
  ['POST', '/v1/exports/:exportId/reject', 'exports.approve'],
  ['GET', '/v1/exports/:exportId', 'exports.read'],
  ['GET', '/v1/exports/:exportId/download', 'exports.download'],
  // oversight.controller.ts
  ['GET', '/v1/anomalies', 'anomalies.read'],
  ['GET', '/v1/anomaly-rules', 'anomaly-rules.read'],
  ['POST', '/v1/anomaly-rules', 'anomaly-rules.publish'],
  ['POST', '/v1/anomaly-rules/evaluate', 'anomaly-rules.evaluate'],
  ['GET', '/v1/actors/:actorId', 'actors.read'],
  ['POST', '/v1/actors/:actorId/suspend', 'actors.suspend'],
  ['POST', '/v1/actors/:actorId/reinstate', 'actors.reinstate'],
  ['POST', '/v1/incidents', 'incidents.manage'],
  ['GET', '/v1/incidents', 'incidents.read'],
  ['GET', '/v1/incidents/:incidentId', 'incidents.read'],
  ['POST', '/v1/incidents/:incidentId/notes', 'incidents.manage'],
  ['POST', '/v1/incidents/:incidentId/risk', 'incidents.manage'],
  ['POST', '/v1/incidents/:incidentId/notifications', 'incidents.manage'],
  ['POST', '/v1/incidents/:incidentId/close', 'incidents.manage'],
  // audit.controller.ts
  ['GET', '/v1/audit/reads', 'audit.read'],
  ['GET', '/v1/audit/reads/:eventId', 'audit.read'],
  ['GET', '/v1/exports', 'audit.read'],
  ['POST', '/v1/consent-receipts/:receiptId/invalidation', 'receipts.invalidate'],
  ['GET', '/v1/consent-receipts/:receiptId/invalidation', 'audit.read'],
  ['POST', '/v1/policy/roles/evaluate', 'policy.evaluate'],
  // reports.controller.ts
  ['GET', '/v1/audit/reports', 'audit.reports'],
  // integrity.controller.ts
  ['GET', '/v1/audit/integrity', 'audit.integrity'],
  ['GET', '/v1/audit/checkpoints', 'audit.integrity'],
  // timeline.controller.ts
  ['GET', '/v1/subjects/:subjectId/timeline', 'subjects.timeline'],
  // privacy-requests.controller.ts
  ['POST', '/v1/privacy-requests', 'privacy-requests.open'],
  ['GET', '/v1/privacy-requests', 'privacy-requests.read'],
  ['GET', '/v1/privacy-requests/:requestId', 'privacy-requests.read'],
  ['POST', '/v1/privacy-requests/:requestId/verify', 'privacy-requests.manage'],
  ['POST', '/v1/privacy-requests/:requestId/extend', 'privacy-requests.manage'],
  ['POST', '/v1/privacy-requests/:requestId/complete', 'privacy-requests.manage'],
  ['POST', '/v1/privacy-requests/:requestId/refuse', 'privacy-requests.manage'],
  ['GET', '/v1/dashboard/privacy-requests', 'dashboard.read'],
  // privacy-centre/privacy-links.controller.ts
  ['POST', '/v1/subjects/:subjectId/privacy-links', 'privacy-links.issue'],
  // legal-holds.controller.ts
  ['GET', '/v1/subjects/:subjectId/held', 'subjects.held-read'],
  // connectors.controller.ts
  ['POST', '/v1/connectors', 'connectors.manage'],
  ['GET', '/v1/connectors', 'connectors.read'],
  ['GET', '/v1/connectors/:connectorId', 'connectors.read'],
  ['POST', '/v1/connectors/:connectorId/suspend', 'connectors.suspend'],
  ['POST', '/v1/connectors/:connectorId/reinstate', 'connectors.reinstate'],
  ['POST', '/v1/connectors/:connectorId/secrets', 'connectors.manage'],
  // deliveries.controller.ts
  ['GET', '/v1/connectors/:connectorId/deliveries', 'connectors.deliveries'],
  ['POST', '/v1/connectors/:connectorId/redeliveries', 'connectors.deliveries'],
  ['GET', '/v1/feed', 'feed.read'],
  // downstream.controller.ts
  ['POST', '/v1/connectors/:connectorId/acknowledgements', 'connectors.acknowledge'],
  ['GET', '/v1/connectors/acknowledgements', 'connectors.read'],
  ['GET', '/v1/dashboard/downstream', 'dashboard.read'],
  // ai/ai.controller.ts
  ['POST', '/v1/redactions', 'redactions.create'],
  ['POST', '/v1/redactions/:redactionId/restore', 'redactions.restore'],
  ['POST', '/v1/subjects/:subjectId/insights', 'insights.record'],
  // metrics.controller.ts (outside /v1: the Prometheus scrape)
  ['GET', '/metrics', 'metrics.read'],
];

/** Routes that answer with a server-sent-events stream. */
const STREAMS = new Set(['/v1/dashboard/anomalies/stream']);

/**
 * The methods a route answers: Fastify exposes a HEAD route for every GET (same handler, so the
 * same guard), and HEAD is checked like any other method.
 */
const methodsOf = (method: Method): string[] => (method === 'GET' ? ['GET', 'HEAD'] : [method]);

/** Syntactically valid values for path parameters; a new parameter must be given one here. */
const PARAM_VALUES: Record<string, () => string> = {
  subjectId: newSubjectId,
  receiptId: newSubjectId,
  purposeId: () => 'newsletter',
  incidentId: newSubjectId,
  eventId: newSubjectId,
  requestId: newSubjectId,
  exportId: newSubjectId,
  redactionId: newSubjectId,
  actorId: () => 'someone-else',
  connectorId: () => 'no-such-connector',
};

function fill(path: string): string {
  return path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    const value = PARAM_VALUES[name];
    if (!value) throw new Error(`no test value for path parameter :${name} in ${path}`);
    return value();
  });
}

/**
 * An empty JSON object for methods with a body: the guard runs before the validation pipe, so a
 * permitted role is refused by validation (400), never by authorization. (A POST with a JSON
 * content type and no body at all would be refused by Fastify's parser before the guard runs.)
 */
const bodyFor = (method: string) => (method === 'POST' || method === 'PATCH' ? {} : undefined);

const ACTORS = ROLES.map((role) => ({ id: `${role}-1`, roles: [role] }));
const BAD_TOKEN = 'not-a-key-of-anyone-0123456789abcdef';

const allowed = (role: Role, permission: Permission) =>
  (PERMISSIONS[permission] as readonly Role[]).includes(role);

/**
 * What became of a request a role may make: any answer but 401/403 (200, 400, 404, 409...)
 * means the guard let it through; a 5xx fails too, as the handler crashed and hid the answer.
 */
const outcome = (response: JsonResponse): string =>
  response.status === 401 || response.status === 403
    ? `refused ${response.status}: ${response.body?.message}`
    : response.status >= 500
      ? `failed ${response.status}: ${response.body?.message}`
      : 'let through';

const MATRIX = ROUTES.flatMap(([routeMethod, path, permission]) =>
  methodsOf(routeMethod).flatMap((method) =>
    ROLES.map((role) => ({
      method,
      path,
      permission,
      role,
      expected: allowed(role, permission) ? 'allowed' : '403',
    })),
  ),
);

const EVERY_ROUTE = ROUTES.flatMap(([routeMethod, path, permission]) =>
  methodsOf(routeMethod).map((method) => ({ method, path, permission })),
);

describe('authorization matrix: every /v1 route × every role (HTTP, embedded stores)', () => {
  let t: TestApp;
  let scenario: Scenario;
  let as: Record<Role, ApiClient>;

  beforeAll(async () => {
    t = await startTestApp({}, ACTORS);
    scenario = new Scenario(t);
    as = Object.fromEntries(ROLES.map((role) => [role, scenario.client(`${role}-1`)])) as Record<
      Role,
      ApiClient
    >;
  });
  afterAll(async () => t.close());

  const send = async (client: ApiClient, method: string, path: string, headers = {}) => {
    if (!STREAMS.has(path) || method !== 'GET')
      return client.request(method, fill(path), bodyFor(method), headers);
    // An event stream never ends: take the status (and an error body), then hang up.
    const stream = await openEventStream(`${t.baseUrl}${fill(path)}`, client.headersFor(headers));
    stream.close();
    return { status: stream.status, headers: new Headers(), body: stream.body };
  };

  describe('the table is complete', () => {
    it('lists every /v1 route the app registered, and registers every route it lists', () => {
      const fastify = t.app.getHttpAdapter().getInstance() as FastifyInstance;
      const registered = registeredRoutes(fastify);
      // The parse found real routes: each is known to the router, and the public one is there.
      expect(registered).toContainEqual({ method: 'GET', path: '/health' });
      for (const { method, path } of registered)
        expect({ method, path, known: fastify.hasRoute({ method, url: path }) }).toEqual({
          method,
          path,
          known: true,
        });

      const listed = new Set(EVERY_ROUTE.map(({ method, path }) => `${method} ${path}`));
      const unlisted = registered
        .filter(({ path }) => path === '/v1' || path.startsWith('/v1/'))
        .map(({ method, path }) => `${method} ${path}`)
        .filter((route) => !listed.has(route));
      expect(unlisted).toEqual([]);

      const missing = ROUTES.filter(
        ([method, path]) => !fastify.hasRoute({ method, url: path }),
      ).map(([method, path]) => `${method} ${path}`);
      expect(missing).toEqual([]);
      expect(new Set(ROUTES.map(([m, p]) => `${m} ${p}`)).size).toBe(ROUTES.length);
    });

    it('names only permissions that exist, and every permission is used by some route', () => {
      const used = new Set(ROUTES.map(([, , permission]) => permission));
      expect([...used].filter((p) => !(p in PERMISSIONS))).toEqual([]);
      expect(Object.keys(PERMISSIONS).filter((p) => !used.has(p as Permission))).toEqual([]);
    });
  });

  describe('function-level authorization (API5)', () => {
    it.each(MATRIX)(
      '$method $path as $role ($permission) → $expected',
      async ({ method, path, permission, role, expected }) => {
        const response = await send(as[role], method, path);
        if (expected === '403') {
          expect(response.status).toBe(403);
          // The refusal is the guard's, for the permission the table names (HEAD has no body).
          if (method !== 'HEAD')
            expect(response.body.message).toBe(`role "${role}" may not ${permission}`);
        } else {
          expect(outcome(response)).toBe('let through');
        }
      },
    );
  });

  describe('authentication', () => {
    it.each(EVERY_ROUTE)('$method $path without a token → 401', async ({ method, path }) => {
      const response = await send(new ApiClient(t.baseUrl, null), method, path);
      expect(response.status).toBe(401);
    });

    it.each(EVERY_ROUTE)('$method $path with a bad token → 401', async ({ method, path }) => {
      const response = await send(new ApiClient(t.baseUrl, BAD_TOKEN), method, path);
      expect(response.status).toBe(401);
    });

    // A route no staff role may use (the change feed: connectors' own keys only) has no role to name.
    it.each(EVERY_ROUTE.filter(({ permission }) => PERMISSIONS[permission].length > 0))(
      '$method $path with X-Custodian-Role naming a role the actor does not hold → 403',
      async ({ method, path, permission }) => {
        // The named role may use this route and the actor does not hold it, so only the check
        // that the actor holds what it names can refuse: trusting the header would let it in.
        const permitted = PERMISSIONS[permission] as readonly Role[];
        const named = permitted[0];
        const holder =
          permitted.find((role) => role !== named) ?? ROLES.find((role) => role !== named)!;
        const refused = await send(as[holder].as(named), method, path);
        expect(refused.status).toBe(403);
        if (method !== 'HEAD')
          expect(refused.body.message).toBe(
            `actor "${holder}-1" does not hold the role named in X-Custodian-Role`,
          );
        expect((await send(as[holder].as('superuser'), method, path)).status).toBe(403);
        // The header itself is honoured: the holder of the named role, naming it, gets in.
        expect(outcome(await send(as[named].as(named), method, path))).toBe('let through');
      },
    );

    it('serves GET /health without a token', async () => {
      const response = await new ApiClient(t.baseUrl, null).get('/health');
      expect([200, 503]).toContain(response.status);
    });
  });

  describe('object-level authorization (API1)', () => {
    let subjectId: string;
    let receiptId: string;

    beforeAll(async () => {
      // A purpose that justifies `email`, so a customer can be registered with one.
      await scenario.activePurpose(as.admin, as.dpo, 'bola-contact', {
        assessment: { ...purposeBody('x').assessment, minimumFields: ['email'] },
      });
      const registered = await as.service.post('/v1/subjects', {
        profile: { email: 'bola@example.com' },
        source: 'web-signup',
      });
      expect(registered.status).toBe(201);
      subjectId = registered.body.subjectId;
      const granted = await as.service.post(
        `/v1/subjects/${subjectId}/consents`,
        consentBody('bola-contact'),
      );
      expect(granted.status).toBe(201);
      receiptId = granted.body.receiptId;
    });

    const expectNotFoundWithoutData = (response: JsonResponse) => {
      expect(response.status).toBe(404);
      expect(response.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
      expect(Object.keys(response.body).sort()).toEqual(
        expect.arrayContaining(['error', 'message', 'statusCode']),
      );
      for (const leak of ['profile', 'fields', 'purposes', 'subjectId', 'evidence'])
        expect(response.body).not.toHaveProperty(leak);
    };

    it('a service reading a guessed consent receipt id gets 404, its real one 200', async () => {
      expectNotFoundWithoutData(await as.service.get(`/v1/consent-receipts/${newSubjectId()}`));
      const real = await as.service.get(`/v1/consent-receipts/${receiptId}`);
      expect(real.status).toBe(200);
      expect(real.body).toMatchObject({ recordId: receiptId });
    });

    it('a role without receipts.read cannot read a real receipt by its id', async () => {
      const response = await as.sales.get(`/v1/consent-receipts/${receiptId}`);
      expect(response.status).toBe(403);
      expect(JSON.stringify(response.body)).not.toContain(subjectId);
    });

    it('viewing a guessed subject id is 404, whatever the declared purpose', async () => {
      for (const role of ['service', 'admin'] as const)
        expectNotFoundWithoutData(
          await as[role].get(`/v1/subjects/${newSubjectId()}/view?purpose=bola-contact`),
        );
    });

    it.each(['access-log', 'dsar'])(
      'sales cannot read /%s of a real subject; a DPO can',
      async (resource) => {
        const refused = await as.sales.get(`/v1/subjects/${subjectId}/${resource}`);
        expect(refused.status).toBe(403);
        expect(JSON.stringify(refused.body)).not.toContain('bola@example.com');
        expect((await as.dpo.get(`/v1/subjects/${subjectId}/${resource}`)).status).toBe(200);
      },
    );
  });
});
