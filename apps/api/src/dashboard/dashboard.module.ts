import { Module } from '@nestjs/common';
import { DashboardController } from './dashboard.controller';
import { OversightDashboardController } from './oversight-dashboard.controller';

@Module({
  controllers: [DashboardController, OversightDashboardController],
})
export class DashboardModule {}
