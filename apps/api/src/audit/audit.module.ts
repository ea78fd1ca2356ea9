import { Module } from '@nestjs/common';
import { AuditReadsHandler } from './audit-reads.query';
import { AuditController } from './audit.controller';
import { AuditService } from './audit.service';
import { InvalidateReceiptHandler } from './invalidate-receipt.command';
import { ReceiptInvalidationHandler } from './receipt-invalidation.query';

/** The compliance officer's workbench: audit queries, justifications, re-judging. */
@Module({
  controllers: [AuditController],
  providers: [
    AuditService,
    AuditReadsHandler,
    InvalidateReceiptHandler,
    ReceiptInvalidationHandler,
  ],
})
export class AuditModule {}
