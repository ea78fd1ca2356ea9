import { isIsoDay } from '@custodian/domain';
import { badParam, ProjectionReader, RequirePermission } from '@custodian/platform';
import type { ConsentDailyDocument } from '@custodian/projections';
import { READ_STORE, type RangeFilter, type ReadStore } from '@custodian/read-store';
import { Controller, Get, Inject, Query } from '@nestjs/common';
import { DashboardQueries } from './dashboard-queries';

/** Aggregates for dashboards: counts only, never a customer's values or ids. */
@Controller('v1/dashboard')
export class DashboardController {
  constructor(
    private readonly dashboards: DashboardQueries,
    private readonly projections: ProjectionReader,
    @Inject(READ_STORE) private readonly reads: ReadStore,
  ) {}

  /**
   * Per purpose, how many customers' consent is granted, revoked, expired or stale right now;
   * customers erased since are counted apart, as `erased`, and in none of the others.
   */
  @Get('consents')
  @RequirePermission('dashboard.read')
  consents() {
    return this.dashboards.consents();
  }

  /**
   * Grants and revocations per UTC day, for one purpose or all, within [from, to]; erased
   * customers' decisions are not counted.
   */
  @Get('consents/daily')
  @RequirePermission('dashboard.read')
  async daily(
    @Query('purposeId') purposeId?: string,
    @Query('from') from?: string,
    @Query('to') to?: string,
  ) {
    if (from !== undefined && !isIsoDay(from))
      throw badParam('from', 'must be a real calendar day, YYYY-MM-DD');
    if (to !== undefined && !isIsoDay(to))
      throw badParam('to', 'must be a real calendar day, YYYY-MM-DD');
    if (purposeId !== undefined && !/^[a-z0-9][a-z0-9-]{1,63}$/.test(purposeId))
      throw badParam('purposeId', 'is not a purpose id');
    const collection = await this.projections.collection('consent_daily');
    // Always a range on `day`: it also keeps out the projection's per-customer ledgers, which
    // have no day.
    const range = { gte: from ?? '0000-00-00', ...(to ? { lte: to } : {}) } as RangeFilter;
    const days: ConsentDailyDocument[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.reads.find(collection, {
        where: { ...(purposeId ? { purposeId } : {}), day: range },
        sort: { field: 'day' },
        limit: 1000,
        cursor,
      });
      days.push(...page.items.map((item) => item.doc as ConsentDailyDocument));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return { days };
  }
}
