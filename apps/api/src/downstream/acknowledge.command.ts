import {
  acknowledgementDecider,
  acknowledgementStream,
  conflict,
  DomainError,
  notFound,
} from '@custodian/domain';
import { CommandExecutor, type CommandMeta, type RequestActor } from '@custodian/platform';
import { Command, CommandHandler, QueryBus, type ICommandHandler } from '@nestjs/cqrs';
import { ConnectorQuery } from '../connectors/connectors.query';
import { DownstreamService, type ObligationView } from './downstream.service';

export interface AcknowledgementAnswer {
  /** False when this event was acknowledged before (a retry): the first acknowledgement. */
  created: boolean;
  acknowledgement: ObligationView;
}

/**
 * A connector's acknowledgement that it forgot a customer (erasure) or stopped a processing
 * (withdrawal). The connector's own key may acknowledge for itself only; a DPO or admin may
 * record one for any connector (one told by email, say). The event must be one the connector
 * owes an act for: 404 for an id that is no erasure or withdrawal with a connector to tell,
 * 409 for one that does not concern this connector.
 */
export class AcknowledgeCommand extends Command<AcknowledgementAnswer> {
  constructor(
    readonly connectorId: string,
    readonly eventId: string,
    readonly meta: CommandMeta & { actor: RequestActor },
  ) {
    super();
  }
}

@CommandHandler(AcknowledgeCommand)
export class AcknowledgeHandler implements ICommandHandler<AcknowledgeCommand> {
  constructor(
    private readonly commands: CommandExecutor,
    private readonly downstream: DownstreamService,
    private readonly queries: QueryBus,
  ) {}

  async execute({
    connectorId,
    eventId,
    meta,
  }: AcknowledgeCommand): Promise<AcknowledgementAnswer> {
    const own = meta.actor.connectorId;
    if (own !== undefined && own !== connectorId)
      throw new DomainError(
        'forbidden',
        'connectorId',
        `a connector's key acknowledges for its own connector only ("${own}")`,
      );
    const connector = await this.queries.execute(new ConnectorQuery(connectorId));
    if (!connector) throw notFound('connectorId', `connector "${connectorId}" is not registered`);
    let obligation = await this.downstream.obligation(eventId, connectorId);
    if (!obligation) {
      // Written a moment ago? Wait for the projection to hold everything written so far.
      await this.downstream.fresh(undefined, 5000);
      obligation = await this.downstream.obligation(eventId, connectorId);
    }
    if (!obligation) {
      const other = await this.downstream.list({ eventId }, 1);
      if (other.items.length > 0)
        throw conflict(
          'eventId',
          `event ${eventId} does not concern connector "${connectorId}": it serves none of the purposes involved`,
        );
      throw notFound(
        'eventId',
        `no erasure or withdrawal ${eventId} that a connector must acknowledge`,
      );
    }
    const { connectorId: _c, eventId: _e, subjectId, cause, purposeId } = obligation;
    const outcome = await this.commands.execute(
      acknowledgementStream(connectorId),
      acknowledgementDecider,
      {
        type: 'Acknowledge',
        obligation: { connectorId, eventId, subjectId, cause, purposeId },
        by: meta.actor.id,
      },
      () => ({ now: meta.now }),
      meta,
    );
    const recorded = outcome.state[eventId];
    const names = new Map([[connectorId, connector.name]]);
    return {
      created: outcome.events.length > 0 && !outcome.replayed,
      acknowledgement: this.downstream.view(
        {
          ...obligation,
          acknowledged: true,
          acknowledgedAt: recorded.acknowledgedAt,
          acknowledgedBy: recorded.acknowledgedBy,
        },
        names,
        meta.now,
      ),
    };
  }
}
