import { notFound } from '@custodian/domain';
import { EVENT_STORE, type EventStore } from '@custodian/event-store';
import type { CommandMeta } from '@custodian/platform';
import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { describeExport, loadExport, type ExportView } from './export-view';

/** The export as its requester, a DPO or an admin sees it; others are told it does not exist. */
export class ExportQuery extends Query<ExportView> {
  constructor(
    readonly exportId: string,
    readonly actor: CommandMeta['actor'],
  ) {
    super();
  }
}

@QueryHandler(ExportQuery)
export class ExportHandler implements IQueryHandler<ExportQuery> {
  constructor(@Inject(EVENT_STORE) private readonly events: EventStore) {}

  async execute({ exportId, actor }: ExportQuery): Promise<ExportView> {
    const { state } = await loadExport(this.events, exportId);
    if (
      !state ||
      (state.request.actorId !== actor.id && actor.role !== 'dpo' && actor.role !== 'admin')
    )
      throw notFound('exportId', `export ${exportId} does not exist`);
    return describeExport(state);
  }
}
