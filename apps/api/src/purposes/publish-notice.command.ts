import { purposeDecider, purposeStream, type PurposeState } from '@custodian/domain';
import { CommandExecutor, type CommandMeta } from '@custodian/platform';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { PublishNoticeDto } from './register-purpose.dto';

export class PublishNoticeCommand extends Command<PurposeState> {
  constructor(
    readonly purposeId: string,
    readonly notice: PublishNoticeDto,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

@CommandHandler(PublishNoticeCommand)
export class PublishNoticeHandler implements ICommandHandler<PublishNoticeCommand> {
  constructor(private readonly commands: CommandExecutor) {}

  async execute({ purposeId, notice, meta }: PublishNoticeCommand): Promise<PurposeState> {
    const { version, language, url, textSha256, requiresReconsent } = notice;
    const outcome = await this.commands.execute(
      purposeStream(purposeId),
      purposeDecider,
      {
        type: 'PublishNotice',
        purposeId,
        notice: { version, language, url, textSha256, requiresReconsent },
      },
      () => ({ now: meta.now }),
      meta,
    );
    return outcome.state!;
  }
}
