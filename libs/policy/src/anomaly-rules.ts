import type { Role } from './roles';

/**
 * What the anomaly counters count, per actor and time window, across every role the actor
 * acted in (one person with two roles is counted once).
 */
export const MEASURES = [
  /** Different customers whose fields were read. */
  'distinctCustomers',
  /** Field values shown (each field of each read, masked or not). */
  'fieldsRead',
  /** Completed exports. */
  'exports',
  /** Customers in completed exports. */
  'rowsExported',
  /** Reads refused for any reason. */
  'refused',
  /**
   * Reads of customers with no consent in force for the declared purpose: refused reads, and
   * customers a lookup found for such a purpose.
   */
  'withoutConsent',
  /** Reads outside the working hours, in the policy's time zone. */
  'outOfHours',
  /**
   * Customers erased (crypto-shredded) at the actor's request. Erasures the retention rules
   * make (actor `system-retention`) are not counted: no person asked for them.
   */
  'erasures',
] as const;
export type Measure = (typeof MEASURES)[number];

/** Tumbling windows, aligned to the Unix epoch (so to UTC midnight for a day). */
export const WINDOWS = {
  PT1M: 60_000,
  PT10M: 600_000,
  PT1H: 3_600_000,
  P1D: 86_400_000,
} as const;
export type WindowName = keyof typeof WINDOWS;
export const WINDOW_NAMES = Object.keys(WINDOWS) as WindowName[];

/** The distinct-customer counter stops at this many per window (thresholds must be below it). */
export const DISTINCT_CAP = 10_000;

export interface AnomalyRule {
  /** Lowercase letters, digits and "-": the rule's name in anomalies and their ids. */
  ruleId: string;
  description: string;
  measure: Measure;
  window: WindowName;
  /** Fires once per window when the counter reaches this. */
  threshold: number;
  /** `suspend` also suspends the actor until a DPO reinstates them. */
  action: 'alert' | 'suspend';
  /**
   * The roles it watches; empty for every role. A rule watches an actor who acted in one of
   * these roles in the window, and counts everything the actor did in it, in any role.
   */
  roles: Role[];
}

export interface WorkingHours {
  /** IANA time zone, e.g. Europe/Moscow. */
  timeZone: string;
  /** ISO weekdays, 1 = Monday … 7 = Sunday. */
  days: number[];
  /** "HH:MM", local time; the end is exclusive. */
  start: string;
  end: string;
}

export interface AnomalyRuleSet {
  version: number;
  rules: AnomalyRule[];
  workingHours: WorkingHours;
}

/** The rules in force until a DPO publishes others: version 0, part of the code. */
export const DEFAULT_ANOMALY_RULES: AnomalyRuleSet = {
  version: 0,
  rules: [
    {
      ruleId: 'bulk-reads',
      description: 'a person reads many different customers in ten minutes',
      measure: 'distinctCustomers',
      window: 'PT10M',
      threshold: 200,
      action: 'suspend',
      roles: ['sales', 'marketing', 'support', 'analyst'],
    },
    {
      ruleId: 'refused-attempts',
      description: 'many refused reads in ten minutes (probing)',
      measure: 'refused',
      window: 'PT10M',
      threshold: 20,
      action: 'alert',
      roles: [],
    },
    {
      ruleId: 'reads-without-consent',
      description: 'reads of customers without consent for the declared purpose in an hour',
      measure: 'withoutConsent',
      window: 'PT1H',
      threshold: 10,
      action: 'alert',
      roles: [],
    },
    {
      ruleId: 'after-hours-reads',
      description: 'many reads outside working hours in a day',
      measure: 'outOfHours',
      window: 'P1D',
      threshold: 100,
      action: 'alert',
      roles: ['sales', 'marketing', 'support', 'analyst'],
    },
    {
      ruleId: 'bulk-erasure',
      description: 'a person erases many customers in ten minutes',
      measure: 'erasures',
      window: 'PT10M',
      threshold: 20,
      action: 'alert',
      roles: [],
    },
    {
      ruleId: 'mass-export',
      description: 'many customers exported in a day',
      measure: 'rowsExported',
      window: 'P1D',
      threshold: 10_000,
      action: 'alert',
      roles: [],
    },
  ],
  workingHours: {
    timeZone: 'Europe/Moscow',
    days: [1, 2, 3, 4, 5],
    start: '09:00',
    end: '19:00',
  },
};

export const ANOMALY_RULES_STREAM = 'policy-anomaly-rules';

export interface AnomalyRulesPublished {
  type: 'AnomalyRulesPublished';
  data: {
    version: number;
    rules: AnomalyRule[];
    workingHours: WorkingHours;
    publishedAt: string;
  };
}

/** The next version of the rules; the whole set is given, so nothing is kept by accident. */
export function publishAnomalyRules(
  current: AnomalyRuleSet,
  next: Omit<AnomalyRuleSet, 'version'>,
  now: Date,
): AnomalyRulesPublished {
  return {
    type: 'AnomalyRulesPublished',
    data: {
      version: current.version + 1,
      rules: next.rules,
      workingHours: next.workingHours,
      publishedAt: now.toISOString(),
    },
  };
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS: Record<string, number> = {
  Mon: 1,
  Tue: 2,
  Wed: 3,
  Thu: 4,
  Fri: 5,
  Sat: 6,
  Sun: 7,
};

/** Whether a moment falls outside the working hours, read on the clock of their time zone. */
export function outsideWorkingHours(at: Date, hours: WorkingHours): boolean {
  let format = formatters.get(hours.timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone: hours.timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(hours.timeZone, format);
  }
  let weekday = '';
  let hour = '';
  let minute = '';
  for (const part of format.formatToParts(at)) {
    if (part.type === 'weekday') weekday = part.value;
    else if (part.type === 'hour') hour = part.value;
    else if (part.type === 'minute') minute = part.value;
  }
  if (!hours.days.includes(WEEKDAYS[weekday])) return true;
  const local = `${hour}:${minute}`;
  return local < hours.start || local >= hours.end;
}

/** A time zone the runtime knows. */
export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** The start of the window of this length that holds `at` (epoch-aligned). */
export function windowStart(at: number, window: WindowName): number {
  const length = WINDOWS[window];
  return Math.floor(at / length) * length;
}
