import type { PurposeEvent } from '@custodian/domain';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { PurposesService } from './purposes.service';

/** A purpose's own events, in order (for replaying it to a moment). */
export class PurposeHistoryQuery extends Query<PurposeEvent[]> {
  constructor(readonly purposeId: string) {
    super();
  }
}

@QueryHandler(PurposeHistoryQuery)
export class PurposeHistoryHandler implements IQueryHandler<PurposeHistoryQuery> {
  constructor(private readonly purposes: PurposesService) {}

  execute({ purposeId }: PurposeHistoryQuery): Promise<PurposeEvent[]> {
    return this.purposes.history(purposeId);
  }
}
