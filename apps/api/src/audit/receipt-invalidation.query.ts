import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { AuditService, type InvalidationReach } from './audit.service';

/**
 * An invalidated receipt and what relied on it: the actors, customers and times of the reads
 * and exports resting on it (404 when the receipt was never invalidated). Incidents open from it.
 */
export class ReceiptInvalidationQuery extends Query<InvalidationReach> {
  constructor(readonly receiptId: string) {
    super();
  }
}

@QueryHandler(ReceiptInvalidationQuery)
export class ReceiptInvalidationHandler implements IQueryHandler<ReceiptInvalidationQuery> {
  constructor(private readonly audit: AuditService) {}

  execute({ receiptId }: ReceiptInvalidationQuery): Promise<InvalidationReach> {
    return this.audit.reach(receiptId);
  }
}
