import { CommandExecutor, type CommandMeta } from '@custodian/platform';
import { ROLE_POLICY_STREAM, type Role, type RolePolicy, type RoleRules } from '@custodian/policy';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { rolePolicyDecider } from './role-policy.decider';

/** A whole new version of the role policy (every role's rules), in force from now. */
export class PublishRolePolicyCommand extends Command<RolePolicy> {
  constructor(
    readonly roles: Record<Role, RoleRules>,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

@CommandHandler(PublishRolePolicyCommand)
export class PublishRolePolicyHandler implements ICommandHandler<PublishRolePolicyCommand> {
  constructor(private readonly commands: CommandExecutor) {}

  async execute({ roles, meta }: PublishRolePolicyCommand): Promise<RolePolicy> {
    const outcome = await this.commands.execute(
      ROLE_POLICY_STREAM,
      rolePolicyDecider,
      { type: 'PublishRolePolicy', roles },
      () => ({ now: meta.now }),
      meta,
    );
    return { version: outcome.events[0].data.version as number, roles };
  }
}
