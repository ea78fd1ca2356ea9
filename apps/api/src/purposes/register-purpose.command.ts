import {
  purposeDecider,
  purposeStream,
  type PurposeDefinition,
  type PurposeState,
} from '@custodian/domain';
import { CommandExecutor, type CommandMeta } from '@custodian/platform';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';

export class RegisterPurposeCommand extends Command<PurposeState> {
  constructor(
    readonly definition: PurposeDefinition,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

@CommandHandler(RegisterPurposeCommand)
export class RegisterPurposeHandler implements ICommandHandler<RegisterPurposeCommand> {
  constructor(private readonly commands: CommandExecutor) {}

  async execute({ definition, meta }: RegisterPurposeCommand): Promise<PurposeState> {
    const outcome = await this.commands.execute(
      purposeStream(definition.purposeId),
      purposeDecider,
      { type: 'RegisterPurpose', definition },
      () => ({ now: meta.now }),
      meta,
    );
    return outcome.state!;
  }
}
