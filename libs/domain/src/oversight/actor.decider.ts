import type { Decider } from '../shared/decider';
import { conflict } from '../shared/domain-error';

/** Stream `actor-<actorId>`: anomalies detected for a member of staff or an integration, and their containment. */
export const actorStream = (actorId: string) => `actor-${actorId}`;

export interface AnomalyDetected {
  type: 'AnomalyDetected';
  data: {
    /** Deterministic from rule, actor, role and window: a replay appends nothing new. */
    anomalyId: string;
    ruleId: string;
    ruleSetVersion: number;
    description: string;
    actorId: string;
    role: string;
    measure: string;
    window: string;
    windowStart: string;
    windowEnd: string;
    value: number;
    threshold: number;
    action: 'alert' | 'suspend';
    /** When the event that crossed the threshold happened. */
    detectedAt: string;
  };
}

export interface ActorSuspended {
  type: 'ActorSuspended';
  data: {
    actorId: string;
    /** `rule` when an anomaly rule suspended them, otherwise the DPO or admin who did. */
    by: { kind: 'rule'; ruleId: string; anomalyId: string } | { kind: 'person'; actorId: string };
    reason: string;
    at: string;
  };
}

export interface ActorReinstated {
  type: 'ActorReinstated';
  data: { actorId: string; by: string; note: string; at: string };
}

export type ActorEvent = AnomalyDetected | ActorSuspended | ActorReinstated;

export interface ActorState {
  suspended: null | { since: string; reason: string; by: ActorSuspended['data']['by'] };
}

export type ActorCommand =
  | { type: 'SuspendActor'; actorId: string; by: string; reason: string }
  | { type: 'ReinstateActor'; actorId: string; by: string; note: string }
  /** A rule the actor's counters crossed; a `suspend` rule also suspends them, unless they are already. */
  | { type: 'RecordAnomaly'; anomaly: AnomalyDetected['data'] };

/** Why a rule suspended an actor, in words. */
export function anomalySuspensionReason(anomaly: AnomalyDetected['data']): string {
  return `anomaly rule "${anomaly.ruleId}": ${anomaly.measure} reached ${anomaly.value} (threshold ${anomaly.threshold}) in ${anomaly.window}`;
}

/** Containment: an actor is suspended by a rule or a person, and stays so until reinstated. */
export const actorDecider: Decider<ActorCommand, ActorState, ActorEvent, { now: Date }> = {
  initialState: () => ({ suspended: null }),

  evolve(state, event) {
    switch (event.type) {
      case 'AnomalyDetected':
        return state;
      case 'ActorSuspended':
        return {
          ...state,
          suspended: { since: event.data.at, reason: event.data.reason, by: event.data.by },
        };
      case 'ActorReinstated':
        return { ...state, suspended: null };
    }
  },

  decide(command, state, { now }) {
    const at = now.toISOString();
    if (command.type === 'RecordAnomaly') {
      const { anomaly } = command;
      const detected: ActorEvent = { type: 'AnomalyDetected', data: anomaly };
      if (anomaly.action !== 'suspend' || state.suspended) return [detected];
      return [
        detected,
        {
          type: 'ActorSuspended',
          data: {
            actorId: anomaly.actorId,
            by: { kind: 'rule', ruleId: anomaly.ruleId, anomalyId: anomaly.anomalyId },
            reason: anomalySuspensionReason(anomaly),
            at: anomaly.detectedAt,
          },
        },
      ];
    }
    if (command.type === 'SuspendActor') {
      if (state.suspended)
        throw conflict('actorId', `actor "${command.actorId}" is already suspended`);
      return [
        {
          type: 'ActorSuspended',
          data: {
            actorId: command.actorId,
            by: { kind: 'person', actorId: command.by },
            reason: command.reason,
            at,
          },
        },
      ];
    }
    if (!state.suspended) throw conflict('actorId', `actor "${command.actorId}" is not suspended`);
    return [
      {
        type: 'ActorReinstated',
        data: { actorId: command.actorId, by: command.by, note: command.note, at },
      },
    ];
  },
};
