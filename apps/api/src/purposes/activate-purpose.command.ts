import { purposeDecider, purposeStream, type PurposeState } from '@custodian/domain';
import { CommandExecutor, type CommandMeta } from '@custodian/platform';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';

export class ActivatePurposeCommand extends Command<PurposeState> {
  constructor(
    readonly purposeId: string,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

@CommandHandler(ActivatePurposeCommand)
export class ActivatePurposeHandler implements ICommandHandler<ActivatePurposeCommand> {
  constructor(private readonly commands: CommandExecutor) {}

  async execute({ purposeId, meta }: ActivatePurposeCommand): Promise<PurposeState> {
    const outcome = await this.commands.execute(
      purposeStream(purposeId),
      purposeDecider,
      { type: 'ActivatePurpose', purposeId },
      () => ({ now: meta.now }),
      meta,
    );
    return outcome.state!;
  }
}
