import { LogIntegrity } from '@custodian/platform';
import { Module } from '@nestjs/common';
import { AUDIT_INTEGRITY_VERIFIER } from './integrity-section';
import { ReportsController } from './reports.controller';
import { ReportsService } from './reports.service';

/**
 * Audit reports. Each report carries the integrity verdict of the whole log, verified against its
 * signed checkpoints when the report is made (`AUDIT_INTEGRITY_VERIFIER`, integrity-section.ts).
 */
@Module({
  controllers: [ReportsController],
  providers: [
    ReportsService,
    {
      provide: AUDIT_INTEGRITY_VERIFIER,
      inject: [LogIntegrity],
      useFactory: (integrity: LogIntegrity) => () => integrity.verifyLogIntegrity(),
    },
  ],
})
export class ReportsModule {}
