import { incidentDecider, incidentStream, type UnmetObligation } from '@custodian/domain';
import { CommandExecutor, type CommandMeta } from '@custodian/platform';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { IncidentsService, type IncidentView } from './incidents.service';

/** Closes an incident with what was done about it, and why each obligation left unmet was not needed. */
export class CloseIncidentCommand extends Command<IncidentView> {
  constructor(
    readonly incidentId: string,
    readonly remediation: string,
    readonly unmet: UnmetObligation[],
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

@CommandHandler(CloseIncidentCommand)
export class CloseIncidentHandler implements ICommandHandler<CloseIncidentCommand> {
  constructor(
    private readonly commands: CommandExecutor,
    private readonly incidents: IncidentsService,
  ) {}

  async execute({
    incidentId,
    remediation,
    unmet,
    meta,
  }: CloseIncidentCommand): Promise<IncidentView> {
    const outcome = await this.commands.execute(
      incidentStream(incidentId),
      incidentDecider,
      { type: 'CloseIncident', incidentId, remediation, unmet, by: meta.actor.id },
      () => ({ now: meta.now }),
      meta,
    );
    return this.incidents.describe(outcome.state!, meta.now);
  }
}
