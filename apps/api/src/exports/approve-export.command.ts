import { exportDecider, exportStream } from '@custodian/domain';
import { CommandExecutor, type CommandMeta } from '@custodian/platform';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { ExportGeneration } from './export-generation';
import { describeExport, type ExportView } from './export-view';

/** A DPO other than the requester lets an export above the threshold go ahead; generation starts. */
export class ApproveExportCommand extends Command<ExportView> {
  constructor(
    readonly exportId: string,
    readonly note: string,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

@CommandHandler(ApproveExportCommand)
export class ApproveExportHandler implements ICommandHandler<ApproveExportCommand> {
  constructor(
    private readonly commands: CommandExecutor,
    private readonly generation: ExportGeneration,
  ) {}

  async execute({ exportId, note, meta }: ApproveExportCommand): Promise<ExportView> {
    const outcome = await this.commands.execute(
      exportStream(exportId),
      exportDecider,
      { type: 'ApproveExport', exportId, approverId: meta.actor.id, note },
      () => ({ now: meta.now }),
      meta,
    );
    this.generation.start(exportId);
    return describeExport(outcome.state!);
  }
}
