import { CLOCK, ProjectionReader, type Clock } from '@custodian/platform';
import { accessHoursProjection } from '@custodian/projections';
import { READ_STORE, type ReadStore } from '@custodian/read-store';
import { Inject, Injectable } from '@nestjs/common';
import { accessByDay, actorVolumes, exportRowsByDay, loadHours } from './access-dashboard.queries';
import { zonedRange } from './zoned-days';

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
    return actorVolumes(range, await this.hours(range), query.limit ?? 10);
  }

  /** Rows exported per local day by role and purpose. */
  async exportRows(query: DashboardRange = {}) {
    const range = zonedRange(query, this.clock.now());
    return exportRowsByDay(range, await this.hours(range));
  }

  private async hours(range: { startHour: number; endHour: number }) {
    return loadHours(
      this.reads,
      await this.projections.collection(accessHoursProjection.name),
      range,
    );
  }
}
