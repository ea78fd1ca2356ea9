import type { JsonObject } from '@custodian/domain';
import { ProjectionReader } from '@custodian/platform';
import type { AnomalyDocument, TimelineEntryDocument } from '@custodian/projections';
import { READ_STORE, type ReadStore } from '@custodian/read-store';
import { Inject, NotFoundException } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';

export interface TimelineEntry {
  at: string;
  recorded: string;
  category: string;
  type: string;
  /** Log position of the event (of the grant, for a consent's expiry; null for an anomaly). */
  position: string | null;
  eventId: string;
  actor: { id: string; role: string } | null;
  facts: JsonObject;
}

export interface Timeline {
  subjectId: string;
  /** The history as known at this time. */
  asOf: string;
  /** When the customer was erased, as known at `asOf` (null: not erased). */
  erasedAt: string | null;
  entries: TimelineEntry[];
  /** Pass as `cursor` for the next page; null at the end. */
  nextCursor: string | null;
}

export interface TimelineWindow {
  from?: string;
  to?: string;
  asOf: string;
  limit: number;
  /** The `[at, key]` of the last entry of the previous page. */
  after?: [string, string];
}

/** A customer's history, merged and in time order. */
export class TimelineQuery extends Query<Timeline> {
  constructor(
    readonly subjectId: string,
    readonly window: TimelineWindow,
  ) {
    super();
  }
}

/** At most this many entries of one customer are merged per request. */
const MAX_ENTRIES = 200_000;
/** Categories of entries in which a member of staff acted on the customer. */
const ACTED = new Set(['read', 'export', 'erasure', 'profile', 'consent']);

interface Keyed {
  key: string;
  entry: TimelineEntry;
}

@QueryHandler(TimelineQuery)
export class TimelineHandler implements IQueryHandler<TimelineQuery> {
  constructor(
    private readonly projections: ProjectionReader,
    @Inject(READ_STORE) private readonly reads: ReadStore,
  ) {}

  async execute({ subjectId, window }: TimelineQuery): Promise<Timeline> {
    await this.projections.catchUp('subject_timeline');
    const stored = await this.all(await this.projections.collection('subject_timeline'), {
      subjectId,
    });
    if (stored.length === 0)
      throw new NotFoundException({
        message: `subject ${subjectId} not found`,
        details: [{ field: 'subjectId', problem: 'no customer with this id is in the log' }],
      });
    const known = stored.filter(({ doc }) => doc.recorded <= window.asOf);
    // Expiries only once their time has come (as of `asOf`).
    const happened = known.filter(({ doc }) => doc.kind !== 'expiry' || doc.at <= window.asOf);
    const entries: Keyed[] = happened.map(({ id, doc }) => ({ key: id, entry: toEntry(doc) }));
    for (const anomaly of await this.anomalies(
      happened.map((d) => d.doc),
      window.asOf,
    ))
      entries.push(anomaly);
    const erasure = happened.find(({ doc }) => doc.type === 'SubjectErased');

    const inRange = entries
      .filter(
        ({ entry }) =>
          (window.from === undefined || entry.at >= window.from) &&
          (window.to === undefined || entry.at <= window.to),
      )
      .sort((a, b) => compareKeyed(a, b));
    const after = window.after;
    const start = after
      ? inRange.findIndex((k) => compareKeyed(k, { key: after[1], entry: { at: after[0] } }) > 0)
      : 0;
    const rest = start < 0 ? [] : inRange.slice(start);
    const page = rest.slice(0, window.limit);
    const last = page[page.length - 1];
    return {
      subjectId,
      asOf: window.asOf,
      erasedAt: erasure ? erasure.doc.at : null,
      entries: page.map((k) => k.entry),
      nextCursor:
        rest.length > window.limit && last
          ? Buffer.from(JSON.stringify([last.entry.at, last.key])).toString('base64url')
          : null,
    };
  }

  private async all(
    collection: string,
    where: Record<string, string>,
  ): Promise<Array<{ id: string; doc: TimelineEntryDocument }>> {
    const found: Array<{ id: string; doc: TimelineEntryDocument }> = [];
    let cursor: string | undefined;
    do {
      const page = await this.reads.find(collection, { where, limit: 1000, cursor });
      for (const item of page.items)
        found.push({ id: item.id, doc: item.doc as TimelineEntryDocument });
      cursor = page.nextCursor ?? undefined;
    } while (cursor && found.length < MAX_ENTRIES);
    return found;
  }

  /**
   * Anomalies touching the customer: those detected for a member of staff whose window holds
   * something that person did to this customer (a read, an export, an erasure, a change).
   */
  private async anomalies(docs: TimelineEntryDocument[], asOf: string): Promise<Keyed[]> {
    const actions = new Map<string, string[]>();
    for (const doc of docs) {
      if (doc.kind !== 'event' || !ACTED.has(doc.category)) continue;
      const actorId = typeof doc.facts.actorId === 'string' ? doc.facts.actorId : doc.actor?.id;
      if (!actorId) continue;
      actions.set(actorId, [...(actions.get(actorId) ?? []), doc.at]);
    }
    if (actions.size === 0) return [];
    const collection = await this.projections.collection('anomalies');
    const touching: Keyed[] = [];
    for (const [actorId, times] of actions) {
      let cursor: string | undefined;
      do {
        const page = await this.reads.find(collection, { where: { actorId }, limit: 1000, cursor });
        for (const { id, doc } of page.items) {
          const anomaly = doc as AnomalyDocument;
          if (anomaly.detectedAt > asOf) continue;
          if (!times.some((t) => t >= anomaly.windowStart && t <= anomaly.windowEnd)) continue;
          touching.push({
            key: `~anomaly:${id}`,
            entry: {
              at: anomaly.detectedAt,
              recorded: anomaly.detectedAt,
              category: 'anomaly',
              type: 'AnomalyDetected',
              position: null,
              eventId: anomaly.anomalyId,
              actor: { id: anomaly.actorId, role: anomaly.role },
              facts: {
                anomalyId: anomaly.anomalyId,
                ruleId: anomaly.ruleId,
                measure: anomaly.measure,
                window: anomaly.window,
                windowStart: anomaly.windowStart,
                windowEnd: anomaly.windowEnd,
                value: anomaly.value,
                threshold: anomaly.threshold,
                action: anomaly.action,
              },
            },
          });
        }
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
    }
    return touching;
  }
}

function toEntry(doc: TimelineEntryDocument): TimelineEntry {
  return {
    at: doc.at,
    recorded: doc.recorded,
    category: doc.category,
    type: doc.type,
    position: doc.position,
    eventId: doc.eventId,
    actor: doc.actor,
    facts: doc.facts,
  };
}

/** Time order; at one instant, log order (the keys hold the padded position). */
function compareKeyed(
  a: { key: string; entry: { at: string } },
  b: { key: string; entry: { at: string } },
): number {
  if (a.entry.at !== b.entry.at) return a.entry.at < b.entry.at ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}
