import { actorDecider, actorStream } from '@custodian/domain';
import { CommandExecutor, SuspensionRegistry, type CommandMeta } from '@custodian/platform';
import { ForbiddenException } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { actorStanding, type ActorStanding } from './actors.service';

/** Suspends a person or an integration's key by hand: 403 on every route until reinstated. */
export class SuspendActorCommand extends Command<ActorStanding> {
  constructor(
    readonly actorId: string,
    readonly reason: string,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

@CommandHandler(SuspendActorCommand)
export class SuspendActorHandler implements ICommandHandler<SuspendActorCommand> {
  constructor(
    private readonly commands: CommandExecutor,
    private readonly suspensions: SuspensionRegistry,
  ) {}

  async execute({ actorId, reason, meta }: SuspendActorCommand): Promise<ActorStanding> {
    if (actorId === meta.actor.id)
      throw new ForbiddenException({
        message: 'suspend yourself by asking another DPO',
        details: [{ field: 'actorId', problem: 'is the caller' }],
      });
    const outcome = await this.commands.execute(
      actorStream(actorId),
      actorDecider,
      { type: 'SuspendActor', actorId, by: meta.actor.id, reason },
      () => ({ now: meta.now }),
      meta,
    );
    this.suspensions.note(actorId, { since: meta.now.toISOString(), reason });
    return actorStanding(actorId, outcome.state);
  }
}
