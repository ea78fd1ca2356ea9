import { incidentDeadlines, isIsoDay, type JsonObject } from '@custodian/domain';
import {
  AnomalyStream,
  badParam,
  CLOCK,
  CurrentActor,
  Lifecycle,
  ProjectionReader,
  RequirePermission,
  SuspensionRegistry,
  type Clock,
  type RequestActor,
} from '@custodian/platform';
import type {
  ActorStatusDocument,
  AnomalyDocument,
  ExportDocument,
  IncidentDocument,
} from '@custodian/projections';
import { findAllDocs, READ_STORE, type ReadStore, type WhereValue } from '@custodian/read-store';
import { Controller, Get, Headers, Inject, Query, Sse, type MessageEvent } from '@nestjs/common';
import { Observable } from 'rxjs';

const POSITION = /^[0-9]{1,20}(\/[0-9]{1,20})?$/;
const HEARTBEAT_MS = 15_000;
const DEFAULT_DAYS = 30;

/** Anomalies, exports and incidents for dashboards: counts and staff ids, never customers. */
@Controller('v1/dashboard')
export class OversightDashboardController {
  constructor(
    private readonly anomalyStream: AnomalyStream,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    private readonly projections: ProjectionReader,
    private readonly lifecycle: Lifecycle,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly suspensions: SuspensionRegistry,
  ) {}

  /** Anomalies per UTC day and per rule in [from, to] (default: the last 30 days), the suspended actors, the latest ones. */
  @Get('anomalies')
  @RequirePermission('dashboard.read')
  async anomalies(@Query('from') from?: string, @Query('to') to?: string) {
    const range = days(from, to, this.clock.now());
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
  @Get('exports')
  @RequirePermission('dashboard.read')
  async exports(@Query('from') from?: string, @Query('to') to?: string) {
    const range = days(from, to, this.clock.now());
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
  @Get('incidents')
  @RequirePermission('dashboard.read')
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

  /**
   * New anomalies as server-sent events (`event: anomaly`, the id is the log position, so a
   * client that reconnects with Last-Event-ID misses nothing); a heartbeat every 15 seconds.
   * Every client is served from one shared subscription to the log. The stream ends the
   * moment its actor is suspended (within the guard's refresh when suspended elsewhere).
   */
  @Sse('anomalies/stream')
  @RequirePermission('dashboard.read')
  stream(
    @CurrentActor() actor: RequestActor,
    @Headers('last-event-id') lastEventId?: string,
  ): Observable<MessageEvent> {
    if (lastEventId !== undefined && !POSITION.test(lastEventId))
      throw badParam('Last-Event-ID', 'must be the id of an event this stream sent');
    return new Observable<MessageEvent>((subscriber) => {
      const controller = new AbortController();
      // A stopping app ends its streams, so the connection closes instead of holding the stop.
      const end = () => subscriber.complete();
      this.lifecycle.stopping.addEventListener('abort', end, { once: true });
      // A suspended actor hears nothing more: the stream ends and the connection closes.
      const unwatch = this.suspensions.watch(actor.id, () => {
        controller.abort();
        subscriber.complete();
      });
      void (async () => {
        // Without Last-Event-ID: from now on.
        for await (const event of this.anomalyStream.follow(lastEventId, controller.signal)) {
          subscriber.next({
            id: event.position,
            type: 'anomaly',
            data: event.data,
          });
        }
      })().catch((error: unknown) => {
        if (!controller.signal.aborted) subscriber.error(error);
      });
      const heartbeat = setInterval(
        () => subscriber.next({ type: 'heartbeat', data: { at: this.clock.now().toISOString() } }),
        HEARTBEAT_MS,
      );
      return () => {
        clearInterval(heartbeat);
        unwatch();
        this.lifecycle.stopping.removeEventListener('abort', end);
        controller.abort();
      };
    });
  }

  private async all(name: string, where: Record<string, WhereValue>): Promise<JsonObject[]> {
    return findAllDocs(this.reads, await this.projections.collection(name), { where });
  }
}

function days(
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
