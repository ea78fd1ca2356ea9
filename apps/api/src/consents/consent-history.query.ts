import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { ConsentsService, type ConsentHistoryView } from './consents.service';

/** Every grant and withdrawal a customer made, in order, with its evidence. */
export class ConsentHistoryQuery extends Query<ConsentHistoryView> {
  constructor(readonly subjectId: string) {
    super();
  }
}

@QueryHandler(ConsentHistoryQuery)
export class ConsentHistoryHandler implements IQueryHandler<ConsentHistoryQuery> {
  constructor(private readonly consents: ConsentsService) {}

  execute({ subjectId }: ConsentHistoryQuery): Promise<ConsentHistoryView> {
    return this.consents.history(subjectId);
  }
}
