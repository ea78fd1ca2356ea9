import type { CatalogueState } from '@custodian/domain';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { SubjectsService } from './subjects.service';

/** The custom fields declared in the field catalogue (the built-ins are `catalogueFields`' to add). */
export class FieldCatalogueQuery extends Query<CatalogueState> {}

@QueryHandler(FieldCatalogueQuery)
export class FieldCatalogueHandler implements IQueryHandler<FieldCatalogueQuery> {
  constructor(private readonly subjects: SubjectsService) {}

  execute(): Promise<CatalogueState> {
    return this.subjects.catalogue();
  }
}
