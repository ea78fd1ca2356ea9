import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { routePatternOf } from './request-tracing';

/**
 * One line per request at level info, once the response has been sent (or the client went
 * away): `{ req: { id, method, route }, res: { statusCode }, responseTime }` with the message
 * `request completed`, `request errored` (status 5xx, with `err`) or `request aborted` — the
 * lines pino-http wrote. The route is the matched pattern kept by `traceRequests`
 * (request-tracing.ts), never the path asked for. Below level info nothing is built at all.
 * Install it on the Fastify instance before the app is initialised.
 */
export function logRequests(fastify: FastifyInstance, logger: Logger): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    if (logger.isLevelEnabled('info')) {
      const statusCode = reply.statusCode;
      const line = {
        req: { id: request.id, method: request.method, route: routePatternOf(request.raw) },
        res: { statusCode },
        responseTime: Math.round(reply.elapsedTime),
      };
      if (statusCode >= 500)
        logger.info(
          { ...line, err: new Error(`failed with status code ${statusCode}`) },
          'request errored',
        );
      else logger.info(line, 'request completed');
    }
    done();
  });
  fastify.addHook('onRequestAbort', (request, done) => {
    if (logger.isLevelEnabled('info'))
      logger.info(
        { req: { id: request.id, method: request.method, route: routePatternOf(request.raw) } },
        'request aborted',
      );
    done();
  });
}
