import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { AuditReadsQueryDto } from './audit.dto';
import { AuditService, type AuditPage } from './audit.service';

/** Reads, exports and refusals from the audit index, filtered and paged in log order. */
export class AuditReadsQuery extends Query<AuditPage> {
  constructor(readonly filter: AuditReadsQueryDto) {
    super();
  }
}

@QueryHandler(AuditReadsQuery)
export class AuditReadsHandler implements IQueryHandler<AuditReadsQuery> {
  constructor(private readonly audit: AuditService) {}

  execute({ filter }: AuditReadsQuery): Promise<AuditPage> {
    return this.audit.list(filter);
  }
}
