import type { RolePolicy } from '@custodian/policy';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { AccessService } from './access.service';

/** The role policy in force now (cached for up to a second) or at a past moment. */
export class RolePolicyQuery extends Query<RolePolicy> {
  constructor(readonly at?: Date) {
    super();
  }
}

@QueryHandler(RolePolicyQuery)
export class RolePolicyHandler implements IQueryHandler<RolePolicyQuery> {
  constructor(private readonly access: AccessService) {}

  execute({ at }: RolePolicyQuery): Promise<RolePolicy> {
    return this.access.policy(at);
  }
}
