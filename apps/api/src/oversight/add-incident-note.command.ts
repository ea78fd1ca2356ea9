import { incidentDecider, incidentStream } from '@custodian/domain';
import { CommandExecutor, type CommandMeta } from '@custodian/platform';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { IncidentsService, type IncidentView } from './incidents.service';

/** A note on an open incident's timeline. */
export class AddIncidentNoteCommand extends Command<IncidentView> {
  constructor(
    readonly incidentId: string,
    readonly text: string,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

@CommandHandler(AddIncidentNoteCommand)
export class AddIncidentNoteHandler implements ICommandHandler<AddIncidentNoteCommand> {
  constructor(
    private readonly commands: CommandExecutor,
    private readonly incidents: IncidentsService,
  ) {}

  async execute({ incidentId, text, meta }: AddIncidentNoteCommand): Promise<IncidentView> {
    const outcome = await this.commands.execute(
      incidentStream(incidentId),
      incidentDecider,
      { type: 'AddNote', incidentId, text, by: meta.actor.id },
      () => ({ now: meta.now }),
      meta,
    );
    return this.incidents.describe(outcome.state!, meta.now);
  }
}
