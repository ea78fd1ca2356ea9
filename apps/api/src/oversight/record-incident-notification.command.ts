import { incidentDecider, incidentStream, type Obligation } from '@custodian/domain';
import { CommandExecutor, type CommandMeta } from '@custodian/platform';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { IncidentsService, type IncidentView } from './incidents.service';

/** A notice sent to an authority for one of the incident's obligations, with its reference. */
export class RecordIncidentNotificationCommand extends Command<IncidentView> {
  constructor(
    readonly incidentId: string,
    readonly obligation: Obligation,
    readonly reference: string,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

@CommandHandler(RecordIncidentNotificationCommand)
export class RecordIncidentNotificationHandler implements ICommandHandler<RecordIncidentNotificationCommand> {
  constructor(
    private readonly commands: CommandExecutor,
    private readonly incidents: IncidentsService,
  ) {}

  async execute({
    incidentId,
    obligation,
    reference,
    meta,
  }: RecordIncidentNotificationCommand): Promise<IncidentView> {
    const outcome = await this.commands.execute(
      incidentStream(incidentId),
      incidentDecider,
      { type: 'RecordNotification', incidentId, obligation, reference, by: meta.actor.id },
      () => ({ now: meta.now }),
      meta,
    );
    return this.incidents.describe(outcome.state!, meta.now);
  }
}
