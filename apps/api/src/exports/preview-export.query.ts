import type { CommandMeta } from '@custodian/platform';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { ExportPlanner, type ExportPreview } from './export-planner';
import type { RequestExportDto } from './exports.dto';

/** What an export would take: checked like a request, counted, nothing written. */
export class PreviewExportQuery extends Query<ExportPreview> {
  constructor(
    readonly request: RequestExportDto,
    readonly actor: CommandMeta['actor'],
    readonly now: Date,
  ) {
    super();
  }
}

@QueryHandler(PreviewExportQuery)
export class PreviewExportHandler implements IQueryHandler<PreviewExportQuery> {
  constructor(private readonly planner: ExportPlanner) {}

  async execute({ request, actor, now }: PreviewExportQuery): Promise<ExportPreview> {
    return (await this.planner.counted(request, actor, now)).preview;
  }
}
