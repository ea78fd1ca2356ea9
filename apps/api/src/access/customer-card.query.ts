import type { CustomerViewsDocument } from '@custodian/projections';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { AccessService } from './access.service';

/**
 * A customer's card (customer_views: fields as ciphertext, consents) once it holds this
 * process's own writes, for other features that read a customer through the audit (the
 * redaction routes); null when the customer is not registered.
 */
export class CustomerCardQuery extends Query<CustomerViewsDocument | null> {
  constructor(readonly subjectId: string) {
    super();
  }
}

@QueryHandler(CustomerCardQuery)
export class CustomerCardHandler implements IQueryHandler<CustomerCardQuery> {
  constructor(private readonly access: AccessService) {}

  execute({ subjectId }: CustomerCardQuery): Promise<CustomerViewsDocument | null> {
    return this.access.card(subjectId);
  }
}
