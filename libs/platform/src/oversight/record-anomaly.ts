import {
  actorDecider,
  actorStream,
  type ActorSuspended,
  type AnomalyDetected,
} from '@custodian/domain';
import { deterministicEventId, type RecordedEvent } from '@custodian/event-store';
import type { AnomalyCountersDocument, Firing } from '@custodian/projections';
import type { Appended, CommandExecutor, CommandMeta } from '../commands/command-executor';
import type { SuspensionRegistry } from './suspension-registry';

export interface AnomalyEffectPorts {
  commands: CommandExecutor;
  suspensions: SuspensionRegistry;
  logger: { warn(message: string): void };
}

/**
 * The anomaly detector's one effect, through the command executor: `AnomalyDetected` for a
 * firing on the actor's stream, and `ActorSuspended` when the rule says so and the actor is
 * not suspended yet (the actor decider decides). The anomaly's id is its event's id, so a
 * firing handed over twice finds it in the stream and appends nothing. `cause` is the event
 * that crossed the threshold: the anomaly belongs to its request (correlation) and is caused
 * by it (causation).
 */
export async function recordAnomaly(
  ports: AnomalyEffectPorts,
  counters: AnomalyCountersDocument,
  firing: Firing,
  cause: RecordedEvent,
): Promise<void> {
  const meta: CommandMeta = {
    actor: { id: 'anomaly-detector', role: 'system' },
    requestId:
      typeof cause.metadata.correlationId === 'string'
        ? cause.metadata.correlationId
        : firing.anomalyId,
    causationId: cause.id,
    now: new Date(firing.detectedAt),
  };
  const anomaly: AnomalyDetected['data'] = {
    anomalyId: firing.anomalyId,
    ruleId: firing.ruleId,
    ruleSetVersion: firing.ruleSetVersion,
    description: firing.description,
    actorId: counters.actorId,
    role: firing.role,
    measure: firing.measure,
    window: counters.window,
    windowStart: counters.windowStart,
    windowEnd: counters.windowEnd,
    value: firing.value,
    threshold: firing.threshold,
    action: firing.action,
    detectedAt: firing.detectedAt,
  };
  const outcome = await ports.commands.execute(
    actorStream(counters.actorId),
    actorDecider,
    { type: 'RecordAnomaly', anomaly },
    () => ({ now: meta.now }),
    meta,
    { eventIds: (i) => (i === 0 ? firing.anomalyId : deterministicEventId(firing.anomalyId, i)) },
  );
  if (outcome.replayed) return;
  const suspension = outcome.events.find(
    (e): e is Appended<ActorSuspended> => e.type === 'ActorSuspended',
  );
  if (suspension) {
    const { reason } = suspension.data;
    ports.suspensions.note(counters.actorId, { since: firing.detectedAt, reason });
    ports.logger.warn(`suspended actor ${counters.actorId}: ${reason}`);
  }
}
