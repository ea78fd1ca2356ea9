import { incidentDecider, incidentStream, type IncidentRisk } from '@custodian/domain';
import { CommandExecutor, type CommandMeta } from '@custodian/platform';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { IncidentsService, type IncidentView } from './incidents.service';

/** The DPO's reassessment of an open incident's risk: high adds the customers' notice (GDPR art. 34). */
export class AssessIncidentRiskCommand extends Command<IncidentView> {
  constructor(
    readonly incidentId: string,
    readonly risk: IncidentRisk,
    readonly rationale: string,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

@CommandHandler(AssessIncidentRiskCommand)
export class AssessIncidentRiskHandler implements ICommandHandler<AssessIncidentRiskCommand> {
  constructor(
    private readonly commands: CommandExecutor,
    private readonly incidents: IncidentsService,
  ) {}

  async execute({
    incidentId,
    risk,
    rationale,
    meta,
  }: AssessIncidentRiskCommand): Promise<IncidentView> {
    const outcome = await this.commands.execute(
      incidentStream(incidentId),
      incidentDecider,
      { type: 'AssessRisk', incidentId, risk, rationale, by: meta.actor.id },
      () => ({ now: meta.now }),
      meta,
    );
    return this.incidents.describe(outcome.state!, meta.now);
  }
}
