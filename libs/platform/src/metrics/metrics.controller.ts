import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { RequirePermission } from '../auth/auth.decorators';
import { CustodianMetrics } from './custodian-metrics';

@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: CustodianMetrics) {}

  /** Prometheus text format; needs `metrics.read` (the `dashboard` role's monitoring key). */
  @Get()
  @RequirePermission('metrics.read')
  async scrape(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const body = await this.metrics.registry.metrics();
    void reply.header('content-type', this.metrics.registry.contentType);
    return body;
  }
}
