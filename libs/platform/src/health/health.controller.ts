import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { StoresHealthIndicator } from './stores.health';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly stores: StoresHealthIndicator,
  ) {}

  /** Liveness and readiness: 200 when the stores answer and no projection has failed, else 503. */
  @Get()
  @HealthCheck()
  check() {
    return this.health.check([
      () => this.stores.eventStore(),
      () => this.stores.readStore(),
      () => this.stores.projections(),
    ]);
  }
}
