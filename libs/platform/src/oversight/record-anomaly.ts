import {
  actorDecider,
  actorStream,
  fold,
  type ActorEvent,
  type ActorSuspended,
  type AnomalyDetected,
} from '@custodian/domain';
import { deterministicEventId, type EventStore } from '@custodian/event-store';
import type { AnomalyCountersDocument, Firing } from '@custodian/projections';
import { toNewEvent, type CommandMeta } from '../commands/command-executor';
import type { WriteTracker } from '../commands/write-tracker';
import type { SuspensionRegistry } from './suspension-registry';

export interface AnomalyEffectPorts {
  events: EventStore;
  writes: WriteTracker;
  suspensions: SuspensionRegistry;
  logger: { warn(message: string): void };
}

/**
 * The anomaly detector's one effect, kept apart so it can be routed through the command
 * executor: appends `AnomalyDetected` for a firing to the actor's stream, and `ActorSuspended`
 * when the rule says so and the actor is not suspended yet. The ids are deterministic (the
 * firing's anomaly id), and an anomaly already in the stream is not appended again, so a
 * firing handed over twice does nothing the second time.
 */
export async function recordAnomaly(
  ports: AnomalyEffectPorts,
  counters: AnomalyCountersDocument,
  firing: Firing,
): Promise<void> {
  const stream = actorStream(counters.actorId);
  const history = await ports.events.readStream(stream);
  if (history.some((e) => e.id === firing.anomalyId)) return;
  const meta: CommandMeta = {
    actor: { id: 'anomaly-detector', role: 'system' },
    requestId: firing.anomalyId,
    now: new Date(firing.detectedAt),
  };
  const detected: AnomalyDetected = {
    type: 'AnomalyDetected',
    data: {
      anomalyId: firing.anomalyId,
      ruleId: firing.ruleId,
      ruleSetVersion: firing.ruleSetVersion,
      description: firing.description,
      actorId: counters.actorId,
      role: counters.role,
      measure: firing.measure,
      window: counters.window,
      windowStart: counters.windowStart,
      windowEnd: counters.windowEnd,
      value: firing.value,
      threshold: firing.threshold,
      action: firing.action,
      detectedAt: firing.detectedAt,
    },
  };
  const alreadySuspended =
    fold(actorDecider, history as unknown as ActorEvent[]).suspended !== null;
  const suspend = firing.action === 'suspend' && !alreadySuspended;
  const reason = `anomaly rule "${firing.ruleId}": ${firing.measure} reached ${firing.value} (threshold ${firing.threshold}) in ${counters.window}`;
  const suspension: ActorSuspended = {
    type: 'ActorSuspended',
    data: {
      actorId: counters.actorId,
      by: { kind: 'rule', ruleId: firing.ruleId, anomalyId: firing.anomalyId },
      reason,
      at: firing.detectedAt,
    },
  };
  const result = await ports.events.append(
    stream,
    [
      toNewEvent(detected, meta, firing.anomalyId),
      ...(suspend ? [toNewEvent(suspension, meta, deterministicEventId(firing.anomalyId, 1))] : []),
    ],
    {
      expectedRevision: history.length === 0 ? 'no_stream' : history[history.length - 1].revision,
    },
  );
  ports.writes.recordAppend(stream, result.position);
  if (suspend) {
    ports.suspensions.note(counters.actorId, { since: firing.detectedAt, reason });
    ports.logger.warn(`suspended actor ${counters.actorId}: ${reason}`);
  }
}
