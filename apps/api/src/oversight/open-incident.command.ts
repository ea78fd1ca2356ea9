import {
  incidentDecider,
  incidentStream,
  invalid,
  notFound,
  type IncidentOpened,
  type Jurisdiction,
} from '@custodian/domain';
import { CommandExecutor, type CommandMeta } from '@custodian/platform';
import type { AnomalyDocument } from '@custodian/projections';
import { Command, CommandHandler, QueryBus, type ICommandHandler } from '@nestjs/cqrs';
import { ReceiptInvalidationQuery } from '../audit/receipt-invalidation.query';
import { randomUUID } from 'node:crypto';
import { AnomaliesService } from './anomalies.service';
import { IncidentsService, type IncidentView } from './incidents.service';
import type { OpenIncidentDto } from './oversight.dto';

const MAX_WINDOW_MS = 31 * 86_400_000;

/** An incident opened from an anomaly (its actor and window) or by hand (actors and a window of at most 31 days). */
export class OpenIncidentCommand extends Command<IncidentView> {
  constructor(
    readonly dto: OpenIncidentDto,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

@CommandHandler(OpenIncidentCommand)
export class OpenIncidentHandler implements ICommandHandler<OpenIncidentCommand> {
  constructor(
    private readonly commands: CommandExecutor,
    private readonly anomalies: AnomaliesService,
    private readonly incidents: IncidentsService,
    private readonly queries: QueryBus,
  ) {}

  async execute({ dto, meta }: OpenIncidentCommand): Promise<IncidentView> {
    const at = meta.now.toISOString();
    let source: IncidentOpened['data']['source'] = { kind: 'manual' };
    let actorIds = dto.actorIds ?? [];
    let from = dto.from && new Date(dto.from).toISOString();
    let to = dto.to && new Date(dto.to).toISOString();
    let detectedAt = dto.detectedAt ? new Date(dto.detectedAt).toISOString() : at;
    let subjectIds: string[] | undefined;
    if (dto.receiptId) {
      if (dto.anomalyId || dto.actorIds || dto.from || dto.to)
        throw invalid(
          'receiptId',
          'an incident opened from a receipt invalidation takes its actors, customers and window from the reads that relied on it',
        );
      const reach = await this.queries.execute(new ReceiptInvalidationQuery(dto.receiptId));
      if (!reach.first || !reach.last)
        throw invalid('receiptId', 'no read or export relied on this receipt');
      source = { kind: 'receipt-invalidation', receiptId: reach.invalidation.receiptId };
      actorIds = reach.actorIds;
      subjectIds = reach.subjectIds;
      from = reach.first;
      const after = new Date(Date.parse(reach.last) + 1).toISOString();
      to = after < at ? after : at;
    } else if (dto.anomalyId) {
      if (dto.actorIds || dto.from || dto.to)
        throw invalid(
          'anomalyId',
          'an incident opened from an anomaly takes its actor and window from it',
        );
      if (dto.detectedAt)
        throw invalid(
          'detectedAt',
          'an incident opened from an anomaly was detected when the anomaly was: the deadlines run from it',
        );
      const anomaly = (await this.anomalies.get(dto.anomalyId)) as AnomalyDocument | null;
      if (!anomaly) throw notFound('anomalyId', `anomaly ${dto.anomalyId} does not exist`);
      source = { kind: 'anomaly', anomalyId: anomaly.anomalyId };
      actorIds = [anomaly.actorId];
      from = anomaly.windowStart;
      to = anomaly.windowEnd < at ? anomaly.windowEnd : at;
      detectedAt = anomaly.detectedAt;
    } else {
      if (!from)
        throw invalid('from', 'is required when the incident is not opened from an anomaly');
      to ??= at;
      if (to > at) throw invalid('to', 'must not be in the future');
      if (from >= to) throw invalid('from', 'must be before to');
      if (Date.parse(to) - Date.parse(from) > MAX_WINDOW_MS)
        throw invalid('from', 'the window may span at most 31 days');
    }
    if (detectedAt > at) throw invalid('detectedAt', 'must not be in the future');
    const incidentId = randomUUID();
    const jurisdictions: Jurisdiction[] = dto.jurisdictions ?? ['152-fz', 'gdpr'];
    const outcome = await this.commands.execute(
      incidentStream(incidentId),
      incidentDecider,
      {
        type: 'OpenIncident',
        opened: {
          incidentId,
          title: dto.title,
          description: dto.description ?? '',
          source,
          actorIds: [...new Set(actorIds)].sort(),
          from: from!,
          to: to!,
          ...(subjectIds ? { subjectIds } : {}),
          jurisdictions,
          risk: dto.risk ?? 'low',
          detectedAt,
          openedBy: meta.actor.id,
          at,
        },
      },
      () => ({ now: meta.now }),
      meta,
    );
    return this.incidents.describe(outcome.state!, meta.now);
  }
}
