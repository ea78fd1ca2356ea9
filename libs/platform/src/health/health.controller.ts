import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
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

  /** Liveness and readiness: 200 when the stores answer and no projection has failed, else 503. */
  @Get()
  @HealthCheck()
  async check(@Res({ passthrough: true }) reply: FastifyReply) {
    try {
      return await this.health.check([
        () => this.stores.eventStore(),
        () => this.stores.readStore(),
        () => this.stores.projections(),
      ]);
    } catch (error) {
      // Terminus reports "down" as a 503 exception; its body is the report, kept whole.
      if (!(error instanceof ServiceUnavailableException)) throw error;
      void reply.status(503);
      return error.getResponse();
    }
  }
}
