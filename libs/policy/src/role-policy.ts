import type { Mask } from './masks';
import { ROLES, type Role } from './roles';

/** What one role may see and do with customers' personal values. */
export interface RoleRules {
  /** Mask per profile field; fields not listed use `otherFields`. */
  fields: Record<string, Mask>;
  otherFields: Mask;
  /** Whether the role may declare purposes to read customers at all (purposes' own allowedRoles still apply). */
  mayReadCustomers: boolean;
  /** Exports of more customers than this need a DPO's approval (default 1,000). */
  exportApprovalAbove?: number;
  /**
   * Fields shown only when the customer has a consent in force for some active purpose
   * carrying this flag, e.g. marketing sees an email only with a marketing consent.
   */
  consentConditions: Array<{
    field: string;
    purposeFlag: 'marketing' | 'profiling' | 'saleOrShare' | 'aiProcessing';
  }>;
}

export interface RolePolicy {
  version: number;
  roles: Record<Role, RoleRules>;
}

const all = (mask: Mask): Record<string, Mask> => ({
  name: mask,
  email: mask,
  phone: mask,
  birthDate: mask,
  address: mask,
});

/** The policy in force until a DPO publishes another: version 0, part of the code. */
export const DEFAULT_ROLE_POLICY: RolePolicy = {
  version: 0,
  roles: {
    admin: {
      fields: all('full'),
      otherFields: 'full',
      mayReadCustomers: true,
      consentConditions: [],
    },
    dpo: {
      fields: all('full'),
      otherFields: 'full',
      mayReadCustomers: true,
      consentConditions: [],
    },
    service: {
      fields: all('full'),
      otherFields: 'full',
      mayReadCustomers: true,
      consentConditions: [],
    },
    sales: {
      fields: {
        name: 'partial',
        email: 'partial',
        phone: 'full',
        birthDate: 'hidden',
        address: 'hidden',
      },
      otherFields: 'hidden',
      mayReadCustomers: true,
      consentConditions: [],
    },
    marketing: {
      fields: {
        name: 'partial',
        email: 'full',
        phone: 'hidden',
        birthDate: 'partial',
        address: 'hidden',
      },
      otherFields: 'hidden',
      mayReadCustomers: true,
      consentConditions: [{ field: 'email', purposeFlag: 'marketing' }],
    },
    support: {
      fields: {
        name: 'full',
        email: 'partial',
        phone: 'partial',
        birthDate: 'hidden',
        address: 'full',
      },
      otherFields: 'partial',
      mayReadCustomers: true,
      consentConditions: [],
    },
    analyst: {
      fields: { ...all('hidden'), birthDate: 'partial' },
      otherFields: 'hidden',
      mayReadCustomers: true,
      consentConditions: [],
    },
    dashboard: {
      fields: all('hidden'),
      otherFields: 'hidden',
      mayReadCustomers: false,
      consentConditions: [],
    },
  },
};

export const DEFAULT_EXPORT_APPROVAL_ABOVE = 1000;

/** How many customers a role may export before a second person (a DPO) must approve. */
export function exportApprovalThreshold(rules: RoleRules): number {
  return rules.exportApprovalAbove ?? DEFAULT_EXPORT_APPROVAL_ABOVE;
}

export const ROLE_POLICY_STREAM = 'policy-roles';

export interface RolePolicyPublished {
  type: 'RolePolicyPublished';
  data: { version: number; roles: Record<Role, RoleRules>; publishedAt: string };
}

/** The policy in force at a moment: the last version published by then, or the default. */
export function policyAt(events: readonly RolePolicyPublished[], at: Date): RolePolicy {
  const cutoff = at.toISOString();
  let policy = DEFAULT_ROLE_POLICY;
  for (const event of events) {
    if (event.data.publishedAt > cutoff) break;
    policy = { version: event.data.version, roles: event.data.roles };
  }
  return policy;
}

/** The next version: every role must be given, so no role silently keeps an old rule. */
export function publishPolicy(
  current: RolePolicy,
  roles: Record<Role, RoleRules>,
  now: Date,
): RolePolicyPublished {
  for (const role of ROLES)
    if (!roles[role]) throw new Error(`the policy gives no rules for role "${role}"`);
  return {
    type: 'RolePolicyPublished',
    data: { version: current.version + 1, roles, publishedAt: now.toISOString() },
  };
}
