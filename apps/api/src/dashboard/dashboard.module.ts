import { Module } from '@nestjs/common';
import { AnomalyEvents } from './anomaly-events';
import { DashboardController } from './dashboard.controller';
import { DashboardQueries } from './dashboard-queries';
import { OversightDashboardController } from './oversight-dashboard.controller';

@Module({
  controllers: [DashboardController, OversightDashboardController],
  providers: [DashboardQueries, AnomalyEvents],
  exports: [DashboardQueries, AnomalyEvents],
})
export class DashboardModule {}
