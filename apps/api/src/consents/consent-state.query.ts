import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { ConsentsService, type ConsentStateView } from './consents.service';

/** A customer's consent per purpose, now or at `asOf`, replayed from the events themselves. */
export class ConsentStateQuery extends Query<ConsentStateView> {
  constructor(
    readonly subjectId: string,
    readonly asOf?: string,
  ) {
    super();
  }
}

@QueryHandler(ConsentStateQuery)
export class ConsentStateHandler implements IQueryHandler<ConsentStateQuery> {
  constructor(private readonly consents: ConsentsService) {}

  execute({ subjectId, asOf }: ConsentStateQuery): Promise<ConsentStateView> {
    return this.consents.state(subjectId, asOf);
  }
}
