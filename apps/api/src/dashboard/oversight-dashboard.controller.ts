import { CurrentActor, RequirePermission, type RequestActor } from '@custodian/platform';
import { Controller, Get, Headers, Query, Sse, type MessageEvent } from '@nestjs/common';
import { Observable } from 'rxjs';
import { AnomalyEvents } from './anomaly-events';
import { DashboardQueries } from './dashboard-queries';

/** Anomalies, exports and incidents for dashboards: counts and staff ids, never customers. */
@Controller('v1/dashboard')
export class OversightDashboardController {
  constructor(
    private readonly dashboards: DashboardQueries,
    private readonly anomalyEvents: AnomalyEvents,
  ) {}

  /** Anomalies per UTC day and per rule in [from, to] (default: the last 30 days), the suspended actors, the latest ones. */
  @Get('anomalies')
  @RequirePermission('dashboard.read')
  anomalies(@Query('from') from?: string, @Query('to') to?: string) {
    return this.dashboards.anomalies(from, to);
  }

  /** Exports per status and per UTC day (rows exported), and those waiting for a DPO. */
  @Get('exports')
  @RequirePermission('dashboard.read')
  exports(@Query('from') from?: string, @Query('to') to?: string) {
    return this.dashboards.exports(from, to);
  }

  /** Open and closed incidents, and which open ones have a notification overdue. */
  @Get('incidents')
  @RequirePermission('dashboard.read')
  incidents() {
    return this.dashboards.incidents();
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
    return this.anomalyEvents.follow(actor.id, lastEventId);
  }
}
