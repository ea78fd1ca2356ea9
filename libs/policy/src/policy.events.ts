import type { AnomalyRulesPublished } from './anomaly-rules';
import type { RolePolicyPublished } from './role-policy';

/** The events libs/policy defines (libs/event-store adds them to the event catalogue). */
export type PolicyEvent = RolePolicyPublished | AnomalyRulesPublished;

/**
 * Their codecs, in the shape of `EventCodec` of libs/domain (policy imports no other lib, so
 * the shape is repeated here, not imported): name, current schema version, upcasters.
 */
export const policyEventCodecs = {
  RolePolicyPublished: { type: 'RolePolicyPublished', schemaVersion: 1, upcasters: [] },
  AnomalyRulesPublished: { type: 'AnomalyRulesPublished', schemaVersion: 1, upcasters: [] },
} as const satisfies {
  readonly [T in PolicyEvent['type']]: {
    type: T;
    schemaVersion: number;
    upcasters: readonly never[];
  };
};
