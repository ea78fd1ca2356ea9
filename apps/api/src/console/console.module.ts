import { Module } from '@nestjs/common';
import { AccessDashboardModule } from '../access-dashboard/access-dashboard.module';
import { DashboardModule } from '../dashboard/dashboard.module';
import { PrivacyRequestsModule } from '../privacy-requests/privacy-requests.module';
import { ConsoleErrorFilter } from './console-error.filter';
import { ConsoleController, ConsoleSessionGuard } from './console.controller';
import { ConsoleSessions } from './console-sessions';

/** The compliance console (pages under /console) for the dpo, admin and dashboard roles. */
@Module({
  imports: [DashboardModule, AccessDashboardModule, PrivacyRequestsModule],
  controllers: [ConsoleController],
  providers: [ConsoleSessions, ConsoleSessionGuard, ConsoleErrorFilter],
})
export class ConsoleModule {}
