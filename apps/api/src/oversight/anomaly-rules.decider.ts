import type { Decider } from '@custodian/domain';
import type { LoadedState } from '@custodian/platform';
import { readTypedStream, type EventStore, type Recorded } from '@custodian/event-store';
import {
  DEFAULT_ANOMALY_RULES,
  publishAnomalyRules,
  type AnomalyRuleSet,
  type AnomalyRulesPublished,
} from '@custodian/policy';

export type RulesInForce = AnomalyRuleSet & { publishedAt: string | null };

export interface PublishAnomalyRules {
  type: 'PublishAnomalyRules';
  ruleSet: Omit<AnomalyRuleSet, 'version'>;
}

/** The `policy-anomaly-rules` stream: each publication replaces the whole set, as the next version. */
export const anomalyRulesDecider: Decider<
  PublishAnomalyRules,
  RulesInForce,
  AnomalyRulesPublished,
  { now: Date }
> = {
  initialState: () => ({ ...DEFAULT_ANOMALY_RULES, publishedAt: null }),
  evolve: (_, event) => {
    const { publishedAt, ...ruleSet } = event.data;
    return { ...ruleSet, publishedAt };
  },
  decide: (command, inForce, { now }) => [publishAnomalyRules(inForce, command.ruleSet, now)],
};

/** The rule set a publication put in force (the stream's last event), or the default. */
export function rulesInForce(last: Recorded<AnomalyRulesPublished> | undefined): RulesInForce {
  return last
    ? anomalyRulesDecider.evolve(anomalyRulesDecider.initialState(), last)
    : anomalyRulesDecider.initialState();
}

/** Only the last publication counts, so only it is read. */
export async function lastRulesPublished(
  events: EventStore,
  stream: string,
): Promise<LoadedState<RulesInForce>> {
  const [last] = await readTypedStream<AnomalyRulesPublished>(events, stream, {
    direction: 'backwards',
    maxCount: 1,
  });
  return { state: rulesInForce(last), revision: last ? last.revision : null };
}
