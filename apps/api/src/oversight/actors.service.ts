import type { ActorState } from '@custodian/domain';
import { ProjectionReader } from '@custodian/platform';
import { READ_STORE, type ReadStore } from '@custodian/read-store';
import { Inject, Injectable } from '@nestjs/common';

/** An actor's standing as a suspension or reinstatement leaves it. */
export interface ActorStanding {
  actorId: string;
  suspended: boolean;
  since: string | null;
  reason: string | null;
}

/** Actors' standing (suspensions, anomalies), from the actor_status projection. */
@Injectable()
export class ActorsService {
  constructor(
    private readonly projections: ProjectionReader,
    @Inject(READ_STORE) private readonly reads: ReadStore,
  ) {}

  async status(actorId: string) {
    await this.projections.catchUp('actor_status');
    const doc = await this.reads.get(await this.projections.collection('actor_status'), actorId);
    return doc ?? { actorId, suspended: false, suspendedAt: null, reason: null, anomalies: 0 };
  }
}

export function actorStanding(actorId: string, state: ActorState): ActorStanding {
  return {
    actorId,
    suspended: state.suspended !== null,
    since: state.suspended?.since ?? null,
    reason: state.suspended?.reason ?? null,
  };
}
