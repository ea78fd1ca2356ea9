import { exportDecider, exportStream } from '@custodian/domain';
import { ActorLimits, CommandExecutor, type CommandMeta } from '@custodian/platform';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { ExportFiles, selectionSha256 } from './export-files';
import { ExportGeneration } from './export-generation';
import { ExportPlanner } from './export-planner';
import { describeExport, type ExportView } from './export-view';
import type { RequestExportDto } from './exports.dto';

/**
 * A justified export for a purpose, fields and filter; generated at once unless a DPO must
 * approve it. The customers counted now are pinned (their ids kept beside the export's files,
 * their digest in the request): generation takes no one else, so an approval covers exactly
 * what the approver saw.
 */
export class RequestExportCommand extends Command<ExportView> {
  constructor(
    readonly request: RequestExportDto,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

@CommandHandler(RequestExportCommand)
export class RequestExportHandler implements ICommandHandler<RequestExportCommand> {
  constructor(
    private readonly commands: CommandExecutor,
    private readonly planner: ExportPlanner,
    private readonly generation: ExportGeneration,
    private readonly files: ExportFiles,
    private readonly limits: ActorLimits,
  ) {}

  async execute({ request: dto, meta }: RequestExportCommand): Promise<ExportView> {
    const { plan, preview, subjectIds } = await this.planner.counted(dto, meta.actor, meta.now);
    // An actor at a suspend rule's threshold is refused before anything is generated.
    await this.limits.admitReads(meta.actor, [], meta.now);
    const exportId = randomUUID();
    await this.files.writePinned(exportId, subjectIds);
    const outcome = await this.commands
      .execute(
        exportStream(exportId),
        exportDecider,
        {
          type: 'RequestExport',
          request: {
            exportId,
            actorId: meta.actor.id,
            role: meta.actor.role,
            purposeId: dto.purposeId,
            legalBasis: plan.purpose.legalBasis,
            justification: dto.justification,
            mode: preview.mode,
            fields: plan.fields,
            filter: plan.filter,
            destination: dto.destination ?? 'download',
            count: preview.count,
            selectionSha256: selectionSha256(subjectIds),
            approvalRequired: preview.approvalRequired,
            approvalThreshold: preview.approvalThreshold,
            policyVersion: preview.policyVersion,
            at: meta.now.toISOString(),
          },
        },
        () => ({ now: meta.now }),
        meta,
      )
      .catch((error: unknown) => {
        this.files.removePinned(exportId);
        throw error;
      });
    if (outcome.state!.status === 'generating') this.generation.start(exportId);
    return describeExport(outcome.state!);
  }
}
