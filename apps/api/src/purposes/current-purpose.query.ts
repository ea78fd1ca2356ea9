import type { PurposeState } from '@custodian/domain';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { PurposesService } from './purposes.service';

/** The purpose as it stands (from its stream, kept for up to a second); null when never registered. */
export class CurrentPurposeQuery extends Query<PurposeState | null> {
  constructor(readonly purposeId: string) {
    super();
  }
}

@QueryHandler(CurrentPurposeQuery)
export class CurrentPurposeHandler implements IQueryHandler<CurrentPurposeQuery> {
  constructor(private readonly purposes: PurposesService) {}

  execute({ purposeId }: CurrentPurposeQuery): Promise<PurposeState | null> {
    return this.purposes.current(purposeId);
  }
}
