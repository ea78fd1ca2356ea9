import { Module } from '@nestjs/common';
import { AccessDashboardController } from './access-dashboard.controller';
import { AccessDashboardService } from './access-dashboard.service';

/** The access and trend dashboards; exports the service for the console. */
@Module({
  controllers: [AccessDashboardController],
  providers: [AccessDashboardService],
  exports: [AccessDashboardService],
})
export class AccessDashboardModule {}
