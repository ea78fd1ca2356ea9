import { WrongExpectedRevisionError } from '@custodian/event-store';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { categoryOf } from '../commands/write-tracker';
import { NO_ROUTE } from '../logging/request-tracing';

/** Label values are closed vocabularies: a stream category or route pattern, never an id. */
const CATEGORY = /^[a-z][a-z_]{0,31}$/;

/**
 * The process's Prometheus registry and the metrics recorded as things happen (HTTP requests,
 * appends, group commits); those read from the stores at each scrape are added by the
 * MetricsModule. One registry per app (not prom-client's global one), so two apps in one
 * process (the tests) keep their own.
 */
export class CustodianMetrics {
  readonly registry = new Registry();

  private readonly httpDuration = new Histogram({
    name: 'custodian_http_request_duration_seconds',
    help: 'HTTP requests by method, route pattern (never the path) and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  private readonly appends = new Counter({
    name: 'custodian_event_store_appends_total',
    help: 'Appends to the event store by stream category and result (ok, conflict, error)',
    labelNames: ['category', 'result'] as const,
    registers: [this.registry],
  });

  private readonly appendedEvents = new Counter({
    name: 'custodian_event_store_appended_events_total',
    help: 'Events appended to the event store, by stream category',
    labelNames: ['category'] as const,
    registers: [this.registry],
  });

  private readonly groupCommits = new Histogram({
    name: 'custodian_event_store_group_commit_size',
    help: 'Appends committed together in one transaction (embedded event store)',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Times every request Fastify answers; install before the app registers its routes. */
  observeHttp(fastify: FastifyInstance): void {
    fastify.addHook('onResponse', (request, reply, done) => {
      const route = (!request.is404 && request.routeOptions.url) || NO_ROUTE;
      this.httpDuration.observe(
        { method: request.method, route, status_code: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
      done();
    });
  }

  countAppend(stream: string, events: number, error?: unknown): void {
    const category = categoryOf(stream);
    const label = CATEGORY.test(category) ? category : 'other';
    const result =
      error === undefined
        ? 'ok'
        : error instanceof WrongExpectedRevisionError
          ? 'conflict'
          : 'error';
    this.appends.inc({ category: label, result });
    if (result === 'ok') this.appendedEvents.inc({ category: label }, events);
  }

  observeGroupCommit(appends: number): void {
    this.groupCommits.observe(appends);
  }
}
