import type { LookupField } from '@custodian/domain';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { SubjectsService } from './subjects.service';

/** Customers not erased whose email or phone is exactly this value (by the blind index). */
export class SubjectsByLookupQuery extends Query<string[]> {
  constructor(
    readonly field: LookupField,
    readonly value: string,
  ) {
    super();
  }
}

@QueryHandler(SubjectsByLookupQuery)
export class SubjectsByLookupHandler implements IQueryHandler<SubjectsByLookupQuery> {
  constructor(private readonly subjects: SubjectsService) {}

  execute({ field, value }: SubjectsByLookupQuery): Promise<string[]> {
    return this.subjects.lookup(field, value);
  }
}
