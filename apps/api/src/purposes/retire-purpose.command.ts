import { purposeDecider, purposeStream, type PurposeState } from '@custodian/domain';
import { CommandExecutor, type CommandMeta } from '@custodian/platform';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';

export class RetirePurposeCommand extends Command<PurposeState> {
  constructor(
    readonly purposeId: string,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

@CommandHandler(RetirePurposeCommand)
export class RetirePurposeHandler implements ICommandHandler<RetirePurposeCommand> {
  constructor(private readonly commands: CommandExecutor) {}

  async execute({ purposeId, meta }: RetirePurposeCommand): Promise<PurposeState> {
    const outcome = await this.commands.execute(
      purposeStream(purposeId),
      purposeDecider,
      { type: 'RetirePurpose', purposeId },
      () => ({ now: meta.now }),
      meta,
    );
    return outcome.state!;
  }
}
