import type { Decider } from '@custodian/domain';
import {
  policyAt,
  publishPolicy,
  type Role,
  type RoleRules,
  type RolePolicyPublished,
} from '@custodian/policy';

export interface PublishRolePolicy {
  type: 'PublishRolePolicy';
  roles: Record<Role, RoleRules>;
}

/**
 * The `policy-roles` stream: its publications in order. A new one is the version after the
 * policy in force at the moment of publishing.
 */
export const rolePolicyDecider: Decider<
  PublishRolePolicy,
  readonly RolePolicyPublished[],
  RolePolicyPublished,
  { now: Date }
> = {
  initialState: () => [],
  evolve: (published, event) => [...published, event],
  decide: (command, published, { now }) => [
    publishPolicy(policyAt(published, now), command.roles, now),
  ],
};
