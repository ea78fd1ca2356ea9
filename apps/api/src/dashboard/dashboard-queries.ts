import { incidentDeadlines, isIsoDay, type JsonObject } from '@custodian/domain';
import { badParam, CLOCK, ProjectionReader, type Clock } from '@custodian/platform';
import type {
  ActorStatusDocument,
  AnomalyDocument,
  ExportDocument,
  IncidentDocument,
} from '@custodian/projections';
import {
  findAllDocs,
  READ_STORE,
  type RangeFilter,
  type ReadStore,
  type WhereValue,
} from '@custodian/read-store';
import { Inject, Injectable } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { AllPurposesQuery } from '../purposes/all-purposes.query';
import { CurrentPurposeQuery } from '../purposes/current-purpose.query';

const DEFAULT_DAYS = 30;

/**
 * The dashboards' numbers, computed once: the `/v1/dashboard/*` routes and the compliance
 * console page both call these, so a number on the page is the API's number for the same range.
 * Counts and staff ids only, never a customer's values or ids.
 */
@Injectable()
export class DashboardQueries {
  constructor(
    private readonly queries: QueryBus,
    private readonly projections: ProjectionReader,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * Per purpose, how many customers' consent is granted, revoked, expired or stale right now;
   * customers erased since are counted apart, as `erased`, and in none of the others.
   */
  async consents() {
    const collection = await this.projections.collection('consent_state');
    const now = this.clock.now().toISOString();
    const ids = (await this.queries.execute(new AllPurposesQuery())).keys();
    const purposes = await Promise.all(
      [...ids].map((id) => this.queries.execute(new CurrentPurposeQuery(id))),
    );
    const rows = await Promise.all(
      purposes
        .flatMap((purpose) => (purpose ? [purpose] : []))
        .map(async (purpose) => {
          const count = (where: Record<string, string | RangeFilter>) =>
            this.reads.count(collection, { purposeId: purpose.purposeId, ...where });
          const lapsed = { lte: now };
          const [grantedTotal, expired, revoked, erased] = await Promise.all([
            count({ decision: 'granted' }),
            count({ decision: 'granted', expiresAt: lapsed }),
            count({ decision: 'revoked' }),
            count({ decision: 'erased' }),
          ]);
          // Grants under a notice that a later re-consent notice superseded, not already expired.
          const superseded = purpose.notices
            .filter((n, i) =>
              purpose.notices
                .slice(i + 1)
                .some(
                  (later) =>
                    later.requiresReconsent &&
                    later.version !== n.version &&
                    later.publishedAt <= now,
                ),
            )
            .map((n) => n.version);
          let stale = 0;
          for (const version of new Set(superseded)) {
            const [all, lapsedToo] = await Promise.all([
              count({ decision: 'granted', noticeVersion: version }),
              count({ decision: 'granted', noticeVersion: version, expiresAt: lapsed }),
            ]);
            stale += all - lapsedToo;
          }
          return {
            purposeId: purpose.purposeId,
            title: purpose.title,
            purposeStatus: purpose.status,
            legalBasis: purpose.legalBasis,
            counts: { granted: grantedTotal - expired - stale, revoked, expired, stale, erased },
          };
        }),
    );
    return { at: now, purposes: rows };
  }

  /** Anomalies per UTC day and per rule in [from, to] (default: the last 30 days), the suspended actors, the latest ones. */
  async anomalies(from?: string, to?: string) {
    const range = dayRange(from, to, this.clock.now());
    const found = (await this.all('anomalies', { day: range })) as AnomalyDocument[];
    const suspended = (await this.all('actor_status', {
      suspended: true,
    })) as ActorStatusDocument[];
    return {
      from: range.gte,
      to: range.lte,
      total: found.length,
      byDay: tally(found.map((a) => a.day)).map(([day, count]) => ({ day, count })),
      byRule: tally(found.map((a) => a.ruleId)).map(([ruleId, count]) => ({ ruleId, count })),
      suspendedActors: suspended.map((s) => ({
        actorId: s.actorId,
        since: s.suspendedAt,
        by: s.suspendedBy,
      })),
      latest: found
        .sort((a, b) => b.detectedAt.localeCompare(a.detectedAt))
        .slice(0, 20)
        .map(({ day: _day, ...a }) => a),
    };
  }

  /** Exports per status and per UTC day (rows exported), and those waiting for a DPO. */
  async exports(from?: string, to?: string) {
    const range = dayRange(from, to, this.clock.now());
    const found = (await this.all('exports', { day: range })) as ExportDocument[];
    const perDay = new Map<string, { day: string; exports: number; rows: number }>();
    for (const e of found) {
      const entry = perDay.get(e.day) ?? { day: e.day, exports: 0, rows: 0 };
      entry.exports += 1;
      entry.rows += e.mode === 'real' ? (e.rows ?? 0) : 0;
      perDay.set(e.day, entry);
    }
    return {
      from: range.gte,
      to: range.lte,
      byStatus: Object.fromEntries(tally(found.map((e) => e.status))),
      byPurpose: Object.fromEntries(tally(found.map((e) => e.purposeId))),
      byDay: [...perDay.values()].sort((a, b) => a.day.localeCompare(b.day)),
      awaitingApproval: found
        .filter((e) => e.status === 'awaiting_approval')
        .map((e) => ({
          exportId: e.exportId,
          requestedBy: e.requestedBy,
          purposeId: e.purposeId,
          customers: e.requestedCount,
          requestedAt: e.requestedAt,
        })),
    };
  }

  /** Open and closed incidents, and which open ones have a notification overdue. */
  async incidents() {
    const now = this.clock.now();
    const open = (await this.all('incidents', { status: 'open' })) as IncidentDocument[];
    const closed = await this.reads.count(await this.projections.collection('incidents'), {
      status: 'closed',
    });
    const rows = open.map((i) => ({
      incidentId: i.incidentId,
      title: i.title,
      openedAt: i.openedAt,
      deadlines: incidentDeadlines(i.state, now),
    }));
    return {
      open: open.length,
      closed,
      overdue: rows.filter((r) => r.deadlines.some((d) => d.overdue)).length,
      incidents: rows,
    };
  }

  private async all(name: string, where: Record<string, WhereValue>): Promise<JsonObject[]> {
    return findAllDocs(this.reads, await this.projections.collection(name), { where });
  }
}

/** [from, to] as UTC days (default: the 30 days up to today); a malformed day is a 400. */
export function dayRange(
  from: string | undefined,
  to: string | undefined,
  now: Date,
): { gte: string; lte: string } {
  if (from !== undefined && !isIsoDay(from))
    throw badParam('from', 'must be a real calendar day, YYYY-MM-DD');
  if (to !== undefined && !isIsoDay(to))
    throw badParam('to', 'must be a real calendar day, YYYY-MM-DD');
  const today = now.toISOString().slice(0, 10);
  const start =
    from ?? new Date(now.getTime() - (DEFAULT_DAYS - 1) * 86_400_000).toISOString().slice(0, 10);
  return { gte: start, lte: to ?? today };
}

function tally(values: string[]): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => a.localeCompare(b));
}
