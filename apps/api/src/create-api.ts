import {
  DEFAULT_BODY_LIMITS,
  CustodianMetrics,
  HttpDrain,
  Lifecycle,
  limitRequestBodies,
  logRequests,
  requestId,
  rootLogger,
  traceRequests,
  type CustodianConfig,
} from '@custodian/platform';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { AppModule, type AppOptions } from './app.module';
import { setUpApiDocs } from './openapi';
import { acceptCentreForms } from './privacy-centre/form-bodies';

/** Builds the API application (not yet listening); used by `main.ts` and the end-to-end tests. */
export async function createApi(
  config: CustodianConfig,
  options?: AppOptions,
): Promise<NestFastifyApplication> {
  // Connections still open when the server closes are closed, not waited for: a kept-alive
  // connection would otherwise hold the stop for its whole keep-alive timeout.
  const adapter = new FastifyAdapter({
    bodyLimit: DEFAULT_BODY_LIMITS.bodyLimit,
    genReqId: requestId,
    forceCloseConnections: true,
  });
  // First of the request hooks, before the request logger: route pattern and X-Request-Id.
  traceRequests(adapter.getInstance());
  // One log line per request, written after the response (request-log.ts).
  logRequests(adapter.getInstance(), rootLogger(config));
  // JSON nested too deep or holding prototype keys is a 400; a body over the limit is drained, then 413.
  limitRequestBodies(adapter.getInstance());
  // The privacy centre's HTML forms (urlencoded), on its own routes only.
  acceptCentreForms(adapter.getInstance());
  // Request durations by route pattern and status, for GET /metrics.
  const metrics = options?.metrics ?? new CustodianMetrics();
  metrics.observeHttp(adapter.getInstance());
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, { ...options, metrics }),
    adapter,
    // Nest's own JSON and form parsers are not registered: JSON goes through `limitRequestBodies`.
    { bufferLogs: true, abortOnError: false, bodyParser: false },
  );
  app.useLogger(app.get(Logger));
  // GET /docs (Swagger UI, served from local assets) and GET /docs/json, from the routes and DTOs.
  setUpApiDocs(app);
  // Stopping goes through `stopApp` (bounded, requests drained first), not Nest's own hooks.
  app.get(Lifecycle).http = new HttpDrain(app.getHttpAdapter().getInstance());
  return app;
}
