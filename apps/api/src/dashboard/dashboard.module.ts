import { Module } from '@nestjs/common';
import { PurposesModule } from '../purposes/purposes.module';
import { DashboardController } from './dashboard.controller';
import { OversightDashboardController } from './oversight-dashboard.controller';

@Module({
  imports: [PurposesModule],
  controllers: [DashboardController, OversightDashboardController],
})
export class DashboardModule {}
