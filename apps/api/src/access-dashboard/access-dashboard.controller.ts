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
}
