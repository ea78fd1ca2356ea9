import { EVENT_STORE, readTypedStream, type EventStore } from '@custodian/event-store';
import {
  ANOMALY_RULES_STREAM,
  DEFAULT_ANOMALY_RULES,
  type AnomalyRule,
  type AnomalyRuleSet,
  type AnomalyRulesPublished,
  type Measure,
  type WindowName,
  WINDOWS,
  windowStart,
} from '@custodian/policy';
import {
  counterDocumentId,
  ruleWatches,
  type ActorStatusDocument,
  type AnomalyCountersDocument,
} from '@custodian/projections';
import { READ_STORE, type ReadStore } from '@custodian/read-store';
import { ForbiddenException, Inject, Injectable } from '@nestjs/common';
import { WriteTracker } from '../commands/write-tracker';
import { CUSTODIAN_CONFIG } from '../config/config.module';
import type { CustodianConfig } from '../config/custodian-config';
import { ProjectionReader } from '../projections/projection-reader';

const RULES_CACHE_MS = 1000;
const SWEEP_MS = 60_000;

/** What a limiter keeps its own reservations of: customers read, customers erased. */
type Kind = 'distinctCustomers' | 'erasures';

export interface ActorRef {
  id: string;
  role: string;
}

/** Whether an erasure may go ahead now, and the actor's erasures this hour. */
export interface ErasureAdmission {
  admitted: boolean;
  erasuresThisHour: number;
  threshold: number;
}

/**
 * The synchronous stop in front of reads and erasures. The anomaly detector suspends an actor
 * once the counters projection has applied the read that crossed a threshold: asynchronously,
 * so without this a burst of parallel reads is served well past it. Here, before a read is
 * served, the actor's counters in the current window (the projection's) are joined with the
 * customers this process has already let them read and not yet seen projected; a read that
 * would take a suspend rule's count of distinct customers past its threshold is refused (403),
 * so at most the threshold is served by this process. Suspend rules on other measures refuse
 * once the projection shows them reached. Erasures beyond `CUSTODIAN_ERASURE_APPROVAL_ABOVE`
 * per actor and hour are reported as needing a second person, counted the same way.
 *
 * The check and the reservation happen in one turn of the event loop after the counters are
 * read, so parallel requests see each other's reservations. Several API processes each hold
 * their own reservations: the bound is exact per process, and the projection joins them up.
 */
@Injectable()
export class ActorLimits {
  private readonly reserved = new Map<string, { end: number; ids: Set<string> }>();
  private rulesCache: { rules: AnomalyRuleSet; generation: number; at: number } | null = null;
  private lastSweep = 0;

  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    private readonly projections: ProjectionReader,
    private readonly writes: WriteTracker,
    @Inject(CUSTODIAN_CONFIG) private readonly config: CustodianConfig,
  ) {}

  /**
   * Before a read of these customers (none: an export request) is served: refuses it when a
   * suspend rule watching the actor is already reached, or when the customers new to the
   * window would take its distinct count past the threshold; otherwise reserves them.
   */
  async admitReads(actor: ActorRef, subjectIds: readonly string[], now: Date): Promise<void> {
    const rules = (await this.rules()).rules.filter((r) => r.action === 'suspend');
    if (rules.length === 0) return;
    const at = now.getTime();
    const docs = await this.counters(actor.id, rules, at);
    const lifted = await this.lifted(actor.id, rules, docs);
    // From here to the end: synchronous, so parallel reads see each other's reservations.
    const wanted = [...new Set(subjectIds)];
    const toReserve: Array<{ seen: Set<string>; fresh: string[] }> = [];
    for (const rule of rules) {
      if (lifted.has(rule.ruleId)) continue;
      const doc = docs.get(rule.window);
      if (!ruleWatches(rule, rule.window, [...(doc?.roles ?? []), actor.role])) continue;
      if (rule.measure === 'distinctCustomers') {
        const seen = this.seen('distinctCustomers', actor.id, rule.window, at, doc?.subjects);
        const fresh = wanted.filter((id) => !seen.has(id));
        // An export request reads nobody yet: refused once the threshold is reached.
        const over =
          wanted.length === 0
            ? seen.size >= rule.threshold
            : fresh.length > 0 && seen.size + fresh.length > rule.threshold;
        if (over) refuse(actor, rule);
        toReserve.push({ seen, fresh });
      } else if (rule.measure === 'erasures') {
        const seen = this.seen('erasures', actor.id, rule.window, at, doc?.erased);
        if (seen.size >= rule.threshold) refuse(actor, rule);
      } else if (doc && doc[rule.measure as Measure] >= rule.threshold) {
        refuse(actor, rule);
      }
    }
    for (const { seen, fresh } of toReserve) for (const id of fresh) seen.add(id);
  }

  /**
   * Before an erasure: refuses it (403) past a suspend rule on erasures, and says whether it
   * may go ahead now or must wait for a second person (the actor has erased the configured
   * number of customers this hour). An admitted erasure is reserved at once.
   */
  async admitErasure(actor: ActorRef, subjectId: string, now: Date): Promise<ErasureAdmission> {
    const threshold = this.config.erasureApprovalAbove;
    const rules = (await this.rules()).rules.filter(
      (r) => r.action === 'suspend' && r.measure === 'erasures',
    );
    const hourly: AnomalyRule = {
      ruleId: 'erasure-approval',
      description: 'erasures per hour before a second person must approve',
      measure: 'erasures',
      window: 'PT1H',
      threshold,
      action: 'alert',
      roles: [],
    };
    const at = now.getTime();
    const docs = await this.counters(actor.id, [...rules, hourly], at);
    const lifted = await this.lifted(actor.id, rules, docs);
    // Synchronous from here on (see admitReads).
    const reserve: Set<string>[] = [];
    for (const rule of rules) {
      const doc = docs.get(rule.window);
      if (lifted.has(rule.ruleId)) {
        reserve.push(this.seen('erasures', actor.id, rule.window, at, doc?.erased));
        continue;
      }
      if (!ruleWatches(rule, rule.window, [...(doc?.roles ?? []), actor.role])) continue;
      const seen = this.seen('erasures', actor.id, rule.window, at, doc?.erased);
      if (!seen.has(subjectId) && seen.size >= rule.threshold) refuse(actor, rule);
      reserve.push(seen);
    }
    const hour = this.seen('erasures', actor.id, 'PT1H', at, docs.get('PT1H')?.erased);
    const erasuresThisHour = hour.size;
    if (!hour.has(subjectId) && hour.size >= threshold)
      return { admitted: false, erasuresThisHour, threshold };
    hour.add(subjectId);
    for (const seen of reserve) seen.add(subjectId);
    return { admitted: true, erasuresThisHour, threshold };
  }

  /** The anomaly rules in force (the newest published, or version 0), cached for a second. */
  async rules(): Promise<AnomalyRuleSet> {
    const generation = this.writes.generation('policy');
    const cached = this.rulesCache;
    if (cached && cached.generation === generation && Date.now() - cached.at < RULES_CACHE_MS)
      return cached.rules;
    const [last] = await readTypedStream<AnomalyRulesPublished>(this.events, ANOMALY_RULES_STREAM, {
      direction: 'backwards',
      maxCount: 1,
    });
    const rules: AnomalyRuleSet = last
      ? { version: last.data.version, rules: last.data.rules, workingHours: last.data.workingHours }
      : DEFAULT_ANOMALY_RULES;
    this.rulesCache = { rules, generation, at: Date.now() };
    return rules;
  }

  /**
   * The rules whose suspension of this actor a DPO has since lifted in this window: a rule
   * fires once a window, so a reinstated actor goes on as the rule left them. A rule that fired
   * and was not lifted keeps refusing (the suspension may not be applied yet).
   */
  private async lifted(
    actorId: string,
    rules: readonly AnomalyRule[],
    docs: Map<string, AnomalyCountersDocument>,
  ): Promise<Set<string>> {
    const fired = rules.flatMap((rule) => {
      const firing = docs.get(rule.window)?.firings.find((f) => f.ruleId === rule.ruleId);
      return firing ? [{ ruleId: rule.ruleId, at: firing.detectedAt }] : [];
    });
    if (fired.length === 0) return new Set();
    const own = this.writes.lastPosition('actor');
    if (own) await this.projections.catchUp('actor_status', { position: own });
    const status = (await this.reads.get(
      await this.projections.collection('actor_status'),
      actorId,
    )) as ActorStatusDocument | null;
    const reinstatedAt = status && !status.suspended ? status.reinstatedAt : null;
    return new Set(
      fired.filter((f) => reinstatedAt !== null && reinstatedAt >= f.at).map((f) => f.ruleId),
    );
  }

  /** The actor's counters in the current window of each rule's window length, as projected. */
  private async counters(
    actorId: string,
    rules: readonly AnomalyRule[],
    at: number,
  ): Promise<Map<string, AnomalyCountersDocument>> {
    const windows = [...new Set(rules.map((r) => r.window))];
    const ids = windows.map((w) => counterDocumentId(actorId, w, at));
    const found = await this.reads.getMany(
      await this.projections.collection('anomaly_counters'),
      ids,
    );
    const docs = new Map<string, AnomalyCountersDocument>();
    windows.forEach((w, i) => {
      const doc = found.get(ids[i]) as AnomalyCountersDocument | undefined;
      if (doc) docs.set(w, doc);
    });
    return docs;
  }

  /**
   * This process's reservations for the actor's window, joined with what the projection has
   * (a reserved customer the projection has applied since is counted once).
   */
  private seen(
    kind: Kind,
    actorId: string,
    window: WindowName,
    at: number,
    projected: readonly string[] | undefined,
  ): Set<string> {
    this.sweep(at);
    const key = `${kind}|${counterDocumentId(actorId, window, at)}`;
    let entry = this.reserved.get(key);
    if (!entry) {
      entry = { end: windowStart(at, window) + WINDOWS[window], ids: new Set() };
      this.reserved.set(key, entry);
    }
    for (const id of projected ?? []) entry.ids.add(id);
    return entry.ids;
  }

  /** Forgets the windows that have ended. */
  private sweep(at: number): void {
    if (Math.abs(at - this.lastSweep) < SWEEP_MS) return;
    this.lastSweep = at;
    for (const [key, entry] of this.reserved) if (entry.end <= at) this.reserved.delete(key);
  }
}

function refuse(actor: ActorRef, rule: AnomalyRule): never {
  throw new ForbiddenException({
    message: `actor "${actor.id}" has reached the threshold of rule "${rule.ruleId}" (${rule.threshold} ${rule.measure} per ${rule.window}); nothing more is served, and the actor is being suspended`,
    details: [{ field: 'Authorization', problem: 'suspension_threshold_reached' }],
  });
}
