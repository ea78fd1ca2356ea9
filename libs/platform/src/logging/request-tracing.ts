import type { FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';

/** Where the request's route pattern is kept on the raw request, for the request log lines. */
export const ROUTE_PATTERN = Symbol.for('custodian.routePattern');

/** What the request log says for a request no route matched (never the path it asked for). */
export const NO_ROUTE = '(no route)';

type TracedRequest = IncomingMessage & { [ROUTE_PATTERN]?: string };

/** The route pattern (`/v1/subjects/:subjectId/view`) of a raw request, or `(no route)`. */
export function routePatternOf(req: IncomingMessage | undefined): string {
  return (req as TracedRequest | undefined)?.[ROUTE_PATTERN] ?? NO_ROUTE;
}

/**
 * A hook on every request, before any middleware (so before the request logger binds the
 * request): keeps the matched route's pattern on the raw request for the log lines, and echoes
 * the request id (the caller's safe `X-Request-Id`, or the one generated in its place) in the
 * response's `X-Request-Id`. Install it on the Fastify instance before the app is initialised.
 */
export function traceRequests(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    const pattern = request.is404 ? undefined : request.routeOptions.url;
    if (pattern) (request.raw as TracedRequest)[ROUTE_PATTERN] = pattern;
    void reply.header('x-request-id', request.id);
    done();
  });
}
