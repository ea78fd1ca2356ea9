import { actorDecider, actorStream } from '@custodian/domain';
import { CommandExecutor, SuspensionRegistry, type CommandMeta } from '@custodian/platform';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { actorStanding, type ActorStanding } from './actors.service';

/** Lifts a suspension, with a note saying why. */
export class ReinstateActorCommand extends Command<ActorStanding> {
  constructor(
    readonly actorId: string,
    readonly note: string,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

@CommandHandler(ReinstateActorCommand)
export class ReinstateActorHandler implements ICommandHandler<ReinstateActorCommand> {
  constructor(
    private readonly commands: CommandExecutor,
    private readonly suspensions: SuspensionRegistry,
  ) {}

  async execute({ actorId, note, meta }: ReinstateActorCommand): Promise<ActorStanding> {
    const outcome = await this.commands.execute(
      actorStream(actorId),
      actorDecider,
      { type: 'ReinstateActor', actorId, by: meta.actor.id, note },
      () => ({ now: meta.now }),
      meta,
    );
    this.suspensions.note(actorId, null);
    return actorStanding(actorId, outcome.state);
  }
}
