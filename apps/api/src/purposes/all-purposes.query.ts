import type { PurposeState } from '@custodian/domain';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { PurposesService } from './purposes.service';

/** Every purpose ever registered, by id (from the list projection, once it holds this process's writes). */
export class AllPurposesQuery extends Query<ReadonlyMap<string, PurposeState>> {}

@QueryHandler(AllPurposesQuery)
export class AllPurposesHandler implements IQueryHandler<AllPurposesQuery> {
  constructor(private readonly purposes: PurposesService) {}

  execute(): Promise<ReadonlyMap<string, PurposeState>> {
    return this.purposes.all();
  }
}
