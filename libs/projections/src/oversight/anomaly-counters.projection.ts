import {
  NO_CONSENT_REASON,
  type AccessDenied,
  type ExportCompleted,
  type FieldsAccessed,
  type JsonObject,
  type SubjectErased,
} from '@custodian/domain';
import { deterministicEventId, type RecordedEvent } from '@custodian/event-store';
import {
  DEFAULT_ANOMALY_RULES,
  DISTINCT_CAP,
  outsideWorkingHours,
  WINDOW_NAMES,
  WINDOWS,
  windowStart,
  type AnomalyRule,
  type AnomalyRuleSet,
  type AnomalyRulesPublished,
  type Measure,
  type WindowName,
} from '@custodian/policy';
import type { ProjectionDefinition } from '../projection.definition';

/** A rule that a window's counters crossed: what `AnomalyDetected` will say. */
export interface Firing extends JsonObject {
  anomalyId: string;
  ruleId: string;
  ruleSetVersion: number;
  description: string;
  measure: string;
  threshold: number;
  value: number;
  action: 'alert' | 'suspend';
  detectedAt: string;
  /** The event that crossed the threshold, and the role its actor acted in. */
  eventId: string;
  role: string;
}

/** One actor's counters in one window, across every role they acted in. */
export interface AnomalyCountersDocument extends JsonObject {
  actorId: string;
  /** The roles the actor acted in during the window (a rule watching any of them applies). */
  roles: string[];
  window: string;
  windowStart: string;
  windowEnd: string;
  reads: number;
  /** Counted up to the highest threshold of the rules watching it (see `distinctCap`). */
  distinctCustomers: number;
  /** The customers read in the window (up to that cap), to count them once each. */
  subjects: string[];
  fieldsRead: number;
  exports: number;
  rowsExported: number;
  refused: number;
  withoutConsent: number;
  outOfHours: number;
  /** Customers erased at the actor's request (retention erasures are not counted). */
  erasures: number;
  /** Which customers (up to `DISTINCT_CAP`), so a limiter can add its own without counting twice. */
  erased: string[];
  firings: Firing[];
  lastEventAt: string;
}

/** The event types that move anomaly counters. */
export const COUNTED_EVENT_TYPES = [
  'FieldsAccessed',
  'AccessDenied',
  'ExportCompleted',
  'SubjectErased',
] as const;

/**
 * The rule sets in the order they were published, each in force for the events after it in
 * the log. A projection learns new versions from the log itself, so a replay applies each
 * event the rules that were in force when it happened, and a rebuild finds the same anomalies.
 */
export class RuleHistory {
  private readonly versions: Array<{ ruleSet: AnomalyRuleSet; position: string | null }> = [];

  constructor(
    private readonly comparePositions: (a: string, b: string) => number,
    published: ReadonlyArray<{ ruleSet: AnomalyRuleSet; position: string }> = [],
    base: AnomalyRuleSet = DEFAULT_ANOMALY_RULES,
  ) {
    this.versions.push({ ruleSet: base, position: null });
    for (const version of published) this.add(version.ruleSet, version.position);
  }

  /** A fixed rule set for every event (what-if evaluation of a candidate). */
  static fixed(ruleSet: AnomalyRuleSet): RuleHistory {
    return new RuleHistory(() => 0, [], ruleSet);
  }

  learn(event: RecordedEvent): void {
    if (event.type !== 'AnomalyRulesPublished') return;
    const { version, rules, workingHours } = (event as unknown as AnomalyRulesPublished).data;
    this.add({ version, rules, workingHours }, event.position);
  }

  /** The rules in force for an event at this position. */
  at(position: string): AnomalyRuleSet {
    for (let i = this.versions.length - 1; i > 0; i--) {
      if (this.comparePositions(this.versions[i].position!, position) < 0)
        return this.versions[i].ruleSet;
    }
    return this.versions[0].ruleSet;
  }

  private add(ruleSet: AnomalyRuleSet, position: string): void {
    if (this.versions.some((v) => v.ruleSet.version === ruleSet.version)) return;
    this.versions.push({ ruleSet, position });
    this.versions.sort((a, b) =>
      a.position === null
        ? -1
        : b.position === null
          ? 1
          : this.comparePositions(a.position, b.position),
    );
  }
}

/** Deterministic: the same rule, actor and window always give the same anomaly id. */
export function anomalyId(ruleId: string, actorId: string, window: string, start: string) {
  return deterministicEventId(`anomaly|${ruleId}|${actorId}|${window}|${start}`, 0);
}

/** Who did what a counted event records, in which role, and when. */
export interface Counted {
  actorId: string;
  role: string;
  at: string;
}

/** The actor, role and time of a counted event; null for one that counts for nobody. */
export function countedOf(event: RecordedEvent): Counted | null {
  if (event.type === 'SubjectErased') {
    const data = event.data as unknown as SubjectErased['data'];
    const actor = event.metadata.actor as { id?: unknown; role?: unknown } | undefined;
    // Erasures the retention rules make are the system's, not a person's: not counted.
    if (data.reason === 'retention' || !actor || actor.role === 'system') return null;
    if (typeof actor.id !== 'string' || typeof actor.role !== 'string') return null;
    if (typeof data.erasedAt !== 'string') return null;
    return { actorId: actor.id, role: actor.role, at: data.erasedAt };
  }
  const data = event.data as unknown as
    FieldsAccessed['data'] | AccessDenied['data'] | ExportCompleted['data'];
  if (typeof data.actorId !== 'string' || typeof data.at !== 'string') return null;
  if (event.type === 'ExportCompleted' && (data as ExportCompleted['data']).mode !== 'real')
    return null;
  return { actorId: data.actorId, role: data.role, at: data.at };
}

/** The id of an actor's counters in one window. */
export function counterDocumentId(actorId: string, window: WindowName, at: number): string {
  return `${window}|${windowStart(at, window)}|${actorId}`;
}

export function counterDocumentIds(
  event: RecordedEvent,
  windows: readonly WindowName[] = WINDOW_NAMES,
): string[] {
  const counted = countedOf(event);
  if (!counted) return [];
  const at = Date.parse(counted.at);
  return windows.map((w) => counterDocumentId(counted.actorId, w, at));
}

// Each event updates four windows; whether it fell outside working hours is worked out once.
const offHours = new WeakMap<RecordedEvent, boolean>();
function outOfHours(event: RecordedEvent, at: string, rules: AnomalyRuleSet): boolean {
  let outside = offHours.get(event);
  if (outside === undefined) {
    outside = outsideWorkingHours(new Date(at), rules.workingHours);
    offHours.set(event, outside);
  }
  return outside;
}

// The customers seen in a window, kept beside the document while a batch is applied.
const seen = new WeakMap<AnomalyCountersDocument, Set<string>>();

const caps = new WeakMap<AnomalyRuleSet, Map<string, number>>();

/**
 * How many distinct customers are worth remembering in a window: the highest threshold of the
 * distinct-customer rules on this window (rules fire once a window, so past that the list only
 * costs). None watching: nothing is remembered and the count stays 0.
 */
export function distinctCap(rules: AnomalyRuleSet, window: string): number {
  let byWindow = caps.get(rules);
  if (!byWindow) caps.set(rules, (byWindow = new Map()));
  let cap = byWindow.get(window);
  if (cap === undefined) {
    cap = 0;
    for (const rule of rules.rules)
      if (rule.measure === 'distinctCustomers' && rule.window === window)
        cap = Math.max(cap, Math.min(rule.threshold, DISTINCT_CAP));
    byWindow.set(window, cap);
  }
  return cap;
}

/**
 * One event added to one window's counters, then the rules in force checked against them.
 * Changes `doc` in place (the runner owns it for the batch; copying the customer list for
 * every event would make a busy window quadratic).
 */
export function countEvent(
  doc: AnomalyCountersDocument | null,
  event: RecordedEvent,
  id: string,
  rules: AnomalyRuleSet,
): AnomalyCountersDocument {
  const counted = countedOf(event)!;
  const [window, startMs] = id.split('|') as [WindowName, string];
  const start = Number(startMs);
  const current: AnomalyCountersDocument = doc ?? {
    actorId: counted.actorId,
    roles: [],
    window,
    windowStart: new Date(start).toISOString(),
    windowEnd: new Date(start + WINDOWS[window]).toISOString(),
    reads: 0,
    distinctCustomers: 0,
    subjects: [],
    fieldsRead: 0,
    exports: 0,
    rowsExported: 0,
    refused: 0,
    withoutConsent: 0,
    outOfHours: 0,
    erasures: 0,
    erased: [],
    firings: [],
    lastEventAt: counted.at,
  };
  if (!current.roles.includes(counted.role)) current.roles.push(counted.role);
  if (event.type === 'FieldsAccessed') {
    const data = event.data as unknown as FieldsAccessed['data'];
    current.reads += 1;
    current.fieldsRead += data.fields.filter((f) => f.mask !== 'hidden').length;
    if (current.subjects.length < distinctCap(rules, window)) {
      let set = seen.get(current);
      if (!set) seen.set(current, (set = new Set(current.subjects)));
      if (!set.has(data.subjectId)) {
        set.add(data.subjectId);
        current.subjects.push(data.subjectId);
      }
    }
    current.distinctCustomers = current.subjects.length;
    if (data.withoutConsent === true) current.withoutConsent += 1;
    if (outOfHours(event, data.at, rules)) current.outOfHours += 1;
  } else if (event.type === 'AccessDenied') {
    const data = event.data as unknown as AccessDenied['data'];
    current.refused += 1;
    if (data.reason === NO_CONSENT_REASON) current.withoutConsent += 1;
  } else if (event.type === 'ExportCompleted') {
    current.exports += 1;
    current.rowsExported += (event.data as unknown as ExportCompleted['data']).count;
  } else if (event.type === 'SubjectErased') {
    const { subjectId } = event.data as unknown as SubjectErased['data'];
    // A customer is erased once; a repeated record (a replay) is not counted twice.
    if (!current.erased.includes(subjectId)) {
      current.erasures += 1;
      if (current.erased.length < DISTINCT_CAP) current.erased.push(subjectId);
    }
  }
  if (counted.at > current.lastEventAt) current.lastEventAt = counted.at;
  for (const rule of rules.rules) {
    if (!applies(rule, current)) continue;
    const value = current[rule.measure as Measure];
    if (value < rule.threshold) continue;
    current.firings.push({
      anomalyId: anomalyId(rule.ruleId, current.actorId, window, current.windowStart),
      ruleId: rule.ruleId,
      ruleSetVersion: rules.version,
      description: rule.description,
      measure: rule.measure,
      threshold: rule.threshold,
      value,
      action: rule.action,
      detectedAt: counted.at,
      eventId: event.id,
      role: counted.role,
    });
  }
  return current;
}

/** Whether a rule watches this actor's window: its window, a role they acted in, not fired yet. */
export function ruleWatches(rule: AnomalyRule, window: string, roles: readonly string[]): boolean {
  return (
    rule.window === window && (rule.roles.length === 0 || rule.roles.some((r) => roles.includes(r)))
  );
}

function applies(rule: AnomalyRule, doc: AnomalyCountersDocument): boolean {
  return (
    ruleWatches(rule, doc.window, doc.roles) && !doc.firings.some((f) => f.ruleId === rule.ruleId)
  );
}

/**
 * Per actor and window (one minute, ten minutes, an hour, a day), across every role the actor
 * acted in: customers read, fields read, exports and rows exported, refused reads, reads
 * without consent, reads outside working hours and customers erased; and which rules each
 * window crossed. The anomaly detector turns those crossings into `AnomalyDetected` events.
 * Version 2 counts per actor (version 1 counted per actor and role, which two roles split).
 */
export function anomalyCountersProjection(
  history: RuleHistory,
): ProjectionDefinition<AnomalyCountersDocument> {
  return {
    name: 'anomaly_counters',
    version: 2,
    eventTypes: [...COUNTED_EVENT_TYPES, 'AnomalyRulesPublished'],
    indexes: ['actorId', 'windowStart', 'window'],
    documentIds: (event) => {
      if (event.type === 'AnomalyRulesPublished') {
        history.learn(event);
        return [];
      }
      return counterDocumentIds(event);
    },
    apply: (doc, event, id) => countEvent(doc, event, id, history.at(event.position)),
  };
}
