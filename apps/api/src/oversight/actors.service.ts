import { actorDecider, actorStream } from '@custodian/domain';
import {
  CommandExecutor,
  ProjectionReader,
  SuspensionRegistry,
  type CommandMeta,
} from '@custodian/platform';
import { READ_STORE, type ReadStore } from '@custodian/read-store';
import { ForbiddenException, Inject, Injectable } from '@nestjs/common';

/** Suspending and reinstating actors (staff or integration keys), as events on `actor-<actorId>`. */
@Injectable()
export class ActorsService {
  constructor(
    private readonly commands: CommandExecutor,
    private readonly suspensions: SuspensionRegistry,
    private readonly projections: ProjectionReader,
    @Inject(READ_STORE) private readonly reads: ReadStore,
  ) {}

  async suspend(actorId: string, reason: string, meta: CommandMeta) {
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
    return this.describe(actorId, outcome.state);
  }

  async reinstate(actorId: string, note: string, meta: CommandMeta) {
    const outcome = await this.commands.execute(
      actorStream(actorId),
      actorDecider,
      { type: 'ReinstateActor', actorId, by: meta.actor.id, note },
      () => ({ now: meta.now }),
      meta,
    );
    this.suspensions.note(actorId, null);
    return this.describe(actorId, outcome.state);
  }

  async status(actorId: string) {
    await this.projections.catchUp('actor_status');
    const doc = await this.reads.get(await this.projections.collection('actor_status'), actorId);
    return doc ?? { actorId, suspended: false, suspendedAt: null, reason: null, anomalies: 0 };
  }

  private describe(
    actorId: string,
    state: { suspended: null | { since: string; reason: string } },
  ) {
    return {
      actorId,
      suspended: state.suspended !== null,
      since: state.suspended?.since ?? null,
      reason: state.suspended?.reason ?? null,
    };
  }
}
