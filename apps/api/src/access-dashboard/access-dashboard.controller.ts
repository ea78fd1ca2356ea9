import { RequirePermission } from '@custodian/platform';
import { Controller, Get, Query } from '@nestjs/common';
import { ActorVolumesQueryDto, DashboardRangeQueryDto } from './access-dashboard.dto';
import { AccessDashboardService } from './access-dashboard.service';

/**
 * Access dashboards from the `access_hours` projection: counts per local day, role names,
 * purpose ids, routes and staff actor ids; never a customer's id or values.
 */
@Controller('v1/dashboard')
export class AccessDashboardController {
  constructor(private readonly dashboards: AccessDashboardService) {}

  /** Reads and refusals per day by role, purpose and route; reads without consent; distinct customers per role per day. */
  @Get('access')
  @RequirePermission('dashboard.read')
  async access(@Query() query: DashboardRangeQueryDto) {
    return this.dashboards.access(query);
  }

  /** Top actors (staff) by reads and refusals over the range, against their role's median. */
  @Get('access/actors')
  @RequirePermission('dashboard.read')
  async actors(@Query() query: ActorVolumesQueryDto) {
    const { limit, ...range } = query;
    return this.dashboards.actors({ ...range, limit: limit ? Number(limit) : undefined });
  }

  /** Rows exported per day by role and purpose (one row a customer), real and sandbox. */
  @Get('exports/rows')
  @RequirePermission('dashboard.read')
  async exportRows(@Query() query: DashboardRangeQueryDto) {
    return this.dashboards.exportRows(query);
  }

  /** Consent rate per purpose per day (granted / asked, asked = every decision recorded) and revocations by trigger. */
  @Get('trends/consents')
  @RequirePermission('dashboard.read')
  async consentTrend(@Query() query: DashboardRangeQueryDto) {
    return this.dashboards.consentTrend(query);
  }

  /** Time to answer privacy requests per kind and week: median and p90 (ms). */
  @Get('trends/privacy-requests')
  @RequirePermission('dashboard.read')
  async privacyRequestTrend(@Query() query: DashboardRangeQueryDto) {
    return this.dashboards.privacyRequestTrend(query);
  }

  /** Connectors' acknowledgement delays after erasures and withdrawals: median and p90 (ms). */
  @Get('trends/acknowledgements')
  @RequirePermission('dashboard.read')
  async acknowledgementTrend(@Query() query: DashboardRangeQueryDto) {
    return this.dashboards.acknowledgementTrend(query);
  }
}
