import { invalid, type JsonObject } from '@custodian/domain';
import {
  EVENT_STORE,
  readTypedStream,
  upcastLog,
  type EventStore,
  type RecordedEvent,
} from '@custodian/event-store';
import { ProjectionReader } from '@custodian/platform';
import {
  ANOMALY_RULES_STREAM,
  type AnomalyRulesPublished,
  type WindowName,
} from '@custodian/policy';
import {
  COUNTED_EVENT_TYPES,
  countedOf,
  countEvent,
  counterDocumentIds,
  isAlignedWindow,
  repeatsAlignedFiring,
  shiftedCounterDocumentIds,
  RuleHistory,
  type AnomalyCountersDocument,
} from '@custodian/projections';
import { READ_STORE, type ReadStore, type WhereValue } from '@custodian/read-store';
import { Inject, Injectable } from '@nestjs/common';
import { rulesInForce, type RulesInForce } from './anomaly-rules.decider';
import { candidateRuleSet } from './candidate-rule-set';
import type { AnomalyRulesDto } from './oversight.dto';

const COUNTED = new Set<string>(COUNTED_EVENT_TYPES);
const PAGE = 2000;
const MAX_REPORTED = 1000;
// Events may reach the log slightly out of time order (several processes); windows are kept this long after they end.
const LATE_MS = 60_000;

/** The anomaly rules in force, the anomalies found, and what a candidate rule set would have found. */
@Injectable()
export class AnomaliesService {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    private readonly projections: ProjectionReader,
  ) {}

  async list(
    filter: { actorId?: string; ruleId?: string; from?: string; to?: string },
    limit: number,
    cursor?: string,
  ) {
    const where: Record<string, WhereValue> = {};
    if (filter.actorId) where.actorId = filter.actorId;
    if (filter.ruleId) where.ruleId = filter.ruleId;
    if (filter.from || filter.to)
      where.detectedAt = {
        ...(filter.from ? { gte: new Date(filter.from).toISOString() } : {}),
        ...(filter.to ? { lt: new Date(filter.to).toISOString() } : {}),
      };
    const collection = await this.projections.collection('anomalies');
    const page = await this.reads.find(collection, {
      where,
      sort: { field: 'detectedAt', direction: 'desc' },
      limit,
      cursor,
    });
    return {
      anomalies: page.items.map(({ doc }) => {
        const { day: _day, ...anomaly } = doc;
        return anomaly;
      }),
      nextCursor: page.nextCursor,
    };
  }

  async get(anomalyId: string): Promise<JsonObject | null> {
    await this.projections.catchUp('anomalies');
    return this.reads.get(await this.projections.collection('anomalies'), anomalyId);
  }

  async rules(): Promise<RulesInForce> {
    const last = await readTypedStream<AnomalyRulesPublished>(this.events, ANOMALY_RULES_STREAM, {
      direction: 'backwards',
      maxCount: 1,
    });
    return rulesInForce(last[0]);
  }

  /**
   * Runs a candidate rule set over the access and export events in [from, to) and reports
   * what it would have caught, next to what was caught. Nothing is written.
   */
  async evaluate(dto: AnomalyRulesDto & { from?: string; to?: string }, now: Date) {
    const ruleSet = { ...candidateRuleSet(dto), version: (await this.rules()).version + 1 };
    const from = dto.from
      ? new Date(dto.from).toISOString()
      : new Date(now.getTime() - 30 * 86_400_000).toISOString();
    const to = dto.to ? new Date(dto.to).toISOString() : now.toISOString();
    if (from >= to) throw invalid('from', 'must be before to');
    const windows = [...new Set(ruleSet.rules.map((r) => r.window))] as WindowName[];
    const rules = RuleHistory.fixed(ruleSet);
    const open = new Map<string, AnomalyCountersDocument>();
    const firings: Array<{
      anomalyId: string;
      ruleId: string;
      actorId: string;
      role: string;
      measure: string;
      window: string;
      windowStart: string;
      windowEnd: string;
      value: number;
      threshold: number;
      action: string;
      detectedAt: string;
    }> = [];
    let examined = 0;
    const close = (doc: AnomalyCountersDocument) => {
      for (const f of doc.firings)
        firings.push({
          anomalyId: f.anomalyId,
          ruleId: f.ruleId,
          actorId: doc.actorId,
          role: f.role,
          measure: f.measure,
          window: doc.window,
          windowStart: doc.windowStart,
          windowEnd: doc.windowEnd,
          value: f.value,
          threshold: f.threshold,
          action: f.action,
          detectedAt: f.detectedAt,
        });
    };
    let after: string | undefined;
    for (;;) {
      const page: RecordedEvent[] = upcastLog(await this.events.readAll({ after, maxCount: PAGE }));
      if (page.length === 0) break;
      after = page[page.length - 1].position;
      for (const event of page) {
        if (!COUNTED.has(event.type)) continue;
        const at = countedOf(event)?.at;
        if (at === undefined || at < from || at >= to) continue;
        examined++;
        const ids = [
          ...counterDocumentIds(event, windows),
          ...shiftedCounterDocumentIds(event, windows),
        ];
        for (const id of ids) {
          open.set(id, countEvent(open.get(id) ?? null, event, id, rules.at(event.position)));
        }
      }
      // Windows long past cannot change any more: report them and let them go.
      const horizon =
        Date.parse(String(page[page.length - 1].data.at ?? now.toISOString())) - LATE_MS;
      for (const [id, doc] of open) {
        if (Date.parse(doc.windowEnd) < horizon) {
          close(doc);
          open.delete(id);
        }
      }
      if (page.length < PAGE) break;
    }
    for (const doc of open.values()) close(doc);
    // A shifted window's firing that repeats an aligned one's (same actor and rule, no later)
    // is the same burst, as the detector sees it.
    const windowKey = (window: string, startMs: number, actorId: string) =>
      `${window}|${startMs}|${actorId}`;
    const aligned = new Map<string, typeof firings>();
    for (const f of firings) {
      if (!isAlignedWindow(f)) continue;
      const key = windowKey(f.window, Date.parse(f.windowStart), f.actorId);
      aligned.set(key, [...(aligned.get(key) ?? []), f]);
    }
    const kept = firings.filter((f) => {
      const start = Date.parse(f.windowStart);
      const half = (Date.parse(f.windowEnd) - start) / 2;
      const neighbours = [start - half, start + half].map((s) => ({
        firings: aligned.get(windowKey(f.window, s, f.actorId)) ?? [],
      }));
      return !repeatsAlignedFiring(f, f, neighbours);
    });
    kept.sort((a, b) => a.detectedAt.localeCompare(b.detectedAt));
    const collection = await this.projections.collection('anomalies');
    const known = await this.reads.getMany(
      collection,
      kept.slice(0, MAX_REPORTED).map((f) => String(f.anomalyId)),
    );
    return {
      from,
      to,
      ruleSetVersion: ruleSet.version,
      eventsExamined: examined,
      wouldHaveFired: kept.length,
      truncated: kept.length > MAX_REPORTED,
      anomalies: kept
        .slice(0, MAX_REPORTED)
        .map((f) => ({ ...f, alreadyDetected: known.has(String(f.anomalyId)) })),
    };
  }
}
