import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthIndicatorFunction } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/auth.decorators';
import { StoresHealthIndicator } from './stores.health';

@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly stores: StoresHealthIndicator,
  ) {}

  /**
   * Liveness: the process is up and its event loop answers. Touches no store, so a store that
   * is down takes the service out of rotation (readiness) without getting it restarted.
   */
  @Get()
  @HealthCheck()
  live(@Res({ passthrough: true }) reply: FastifyReply) {
    return this.report(reply, [() => this.stores.process()]);
  }

  /**
   * Readiness: 200 when both stores answer and every projection is running and within the lag
   * bounds (`CUSTODIAN_READY_MAX_LAG_EVENTS`, `CUSTODIAN_READY_MAX_LAG_MS`), some live process
   * holds the singleton lease and, with the projections in `apps/projector`, its heartbeat is
   * live; else 503. The body carries each projection's and processor's lag and the leases.
   */
  @Get('ready')
  @HealthCheck()
  ready(@Res({ passthrough: true }) reply: FastifyReply) {
    return this.report(reply, [
      () => this.stores.eventStore(),
      () => this.stores.readStore(),
      () => this.stores.projections(),
      () => this.stores.leases(),
    ]);
  }

  private async report(reply: FastifyReply, checks: HealthIndicatorFunction[]) {
    try {
      return await this.health.check(checks);
    } catch (error) {
      // Terminus reports "down" as a 503 exception; its body is the report, kept whole.
      if (!(error instanceof ServiceUnavailableException)) throw error;
      void reply.status(503);
      return error.getResponse();
    }
  }
}
