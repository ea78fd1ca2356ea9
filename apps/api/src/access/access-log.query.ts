import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { AccessService, type AccessLogEntry } from './access.service';

/** Who read, exported or was refused a customer's data: when, in which role, for what, which fields. */
export class AccessLogQuery extends Query<AccessLogEntry[]> {
  constructor(readonly subjectId: string) {
    super();
  }
}

@QueryHandler(AccessLogQuery)
export class AccessLogHandler implements IQueryHandler<AccessLogQuery> {
  constructor(private readonly access: AccessService) {}

  execute({ subjectId }: AccessLogQuery): Promise<AccessLogEntry[]> {
    return this.access.accessLog(subjectId);
  }
}
