import { actorDecider, actorStream, DomainError } from '@custodian/domain';
import {
  ActorRegistry,
  CommandExecutor,
  SuspensionRegistry,
  type CommandMeta,
} from '@custodian/platform';
import { ForbiddenException } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { actorStanding, type ActorStanding } from './actors.service';

/**
 * Suspends a person or an integration's key by hand: 403 on every route until reinstated.
 * Only a DPO may reinstate, so the last DPO of the actors file who is not suspended cannot be
 * suspended (409): containment never locks itself out.
 */
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
    private readonly actors: ActorRegistry,
  ) {}

  // Suspensions in this process go one at a time, so two cannot each leave the other DPO.
  private queue: Promise<unknown> = Promise.resolve();

  execute(command: SuspendActorCommand): Promise<ActorStanding> {
    const next = this.queue.then(() => this.suspend(command));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async suspend({ actorId, reason, meta }: SuspendActorCommand): Promise<ActorStanding> {
    if (actorId === meta.actor.id)
      throw new ForbiddenException({
        message: 'suspend yourself by asking another DPO',
        details: [{ field: 'actorId', problem: 'is the caller' }],
      });
    const dpos = this.actors.holdersOf('dpo');
    if (dpos.includes(actorId)) {
      // Suspensions made elsewhere (another process, the anomaly detector) count too.
      await this.suspensions.refresh();
      const others = dpos.filter((id) => id !== actorId && !this.suspensions.check(id));
      if (others.length === 0 && !this.suspensions.check(actorId))
        throw new DomainError(
          'conflict',
          'actorId',
          `"${actorId}" is the last DPO who is not suspended; only a DPO can reinstate, so suspending them would leave no one able to (reinstate another DPO first)`,
        );
    }
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
