import { Module } from '@nestjs/common';
import { ReportsController } from './reports.controller';
import { ReportsService } from './reports.service';

/**
 * Audit reports. A module that verifies the log's integrity can provide
 * `AUDIT_INTEGRITY_VERIFIER` (see integrity-section.ts) for the reports to carry its verdict.
 */
@Module({
  controllers: [ReportsController],
  providers: [ReportsService],
})
export class ReportsModule {}
