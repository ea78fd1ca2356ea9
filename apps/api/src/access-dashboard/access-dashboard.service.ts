import { CLOCK, ProjectionReader, type Clock } from '@custodian/platform';
import {
  accessHoursProjection,
  trendHoursProjection,
  type TrendHourDocument,
} from '@custodian/projections';
import { READ_STORE, type ReadStore } from '@custodian/read-store';
import { Inject, Injectable } from '@nestjs/common';
import {
  accessByDay,
  actorVolumes,
  exportRowsByDay,
  loadActorDocs,
  loadHours,
} from './access-dashboard.queries';
import {
  acknowledgementTrend,
  consentTrend,
  loadTrendHours,
  privacyRequestTrend,
} from './trends.queries';
import { zonedRange, type ZonedRange } from './zoned-days';

export interface DashboardRange {
  from?: string;
  to?: string;
  tz?: string;
}

/**
 * The access dashboards, as plain methods: the HTTP routes call them, and so does the console
 * in the same process, so both show the same numbers. Bad input throws the 400 the routes give.
 */
@Injectable()
export class AccessDashboardService {
  constructor(
    private readonly projections: ProjectionReader,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Reads and refusals per local day by role, purpose and route, distinct customers per role. */
  async access(query: DashboardRange = {}) {
    const range = zonedRange(query, this.clock.now());
    return accessByDay(range, await this.hours(range));
  }

  /** Top actors by volume against their role's median, over the range. */
  async actors(query: DashboardRange & { limit?: number } = {}) {
    const range = zonedRange(query, this.clock.now());
    const collection = await this.projections.collection(accessHoursProjection.name);
    return actorVolumes(
      range,
      await loadActorDocs(this.reads, collection, range),
      query.limit ?? 10,
    );
  }

  /** Rows exported per local day by role and purpose. */
  async exportRows(query: DashboardRange = {}) {
    const range = zonedRange(query, this.clock.now());
    return exportRowsByDay(range, await this.hours(range));
  }

  /** Consent rate (granted / asked) and revocations per purpose per local day. */
  async consentTrend(query: DashboardRange = {}) {
    const range = zonedRange(query, this.clock.now());
    return consentTrend(range, await this.trendHours(range));
  }

  /** Time to answer privacy requests, per kind and local week: median and p90. */
  async privacyRequestTrend(query: DashboardRange = {}) {
    const range = zonedRange(query, this.clock.now());
    return privacyRequestTrend(range, await this.trendHours(range));
  }

  /** Connectors' acknowledgement delays: median and p90 per connector. */
  async acknowledgementTrend(query: DashboardRange = {}) {
    const range = zonedRange(query, this.clock.now());
    return acknowledgementTrend(range, await this.trendHours(range));
  }

  private async trendHours(range: ZonedRange): Promise<TrendHourDocument[]> {
    return loadTrendHours(
      this.reads,
      await this.projections.collection(trendHoursProjection.name),
      range,
    );
  }

  private async hours(range: { startHour: number; endHour: number }) {
    return loadHours(
      this.reads,
      await this.projections.collection(accessHoursProjection.name),
      range,
    );
  }
}
