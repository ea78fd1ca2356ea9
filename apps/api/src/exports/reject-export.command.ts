import { exportDecider, exportStream } from '@custodian/domain';
import { CommandExecutor, type CommandMeta } from '@custodian/platform';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { ExportFiles } from './export-files';
import { describeExport, type ExportView } from './export-view';

/** A DPO refuses an export waiting for approval, saying why. */
export class RejectExportCommand extends Command<ExportView> {
  constructor(
    readonly exportId: string,
    readonly reason: string,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

@CommandHandler(RejectExportCommand)
export class RejectExportHandler implements ICommandHandler<RejectExportCommand> {
  constructor(
    private readonly commands: CommandExecutor,
    private readonly files: ExportFiles,
  ) {}

  async execute({ exportId, reason, meta }: RejectExportCommand): Promise<ExportView> {
    const outcome = await this.commands.execute(
      exportStream(exportId),
      exportDecider,
      { type: 'RejectExport', exportId, by: meta.actor.id, reason },
      () => ({ now: meta.now }),
      meta,
    );
    // Never to be generated: its pinned selection goes.
    this.files.removePinned(exportId);
    return describeExport(outcome.state!);
  }
}
