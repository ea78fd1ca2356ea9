import { isIsoDay } from '@custodian/domain';
import {
  badParam,
  CLOCK,
  ProjectionReader,
  RequirePermission,
  type Clock,
} from '@custodian/platform';
import type { ConsentDailyDocument } from '@custodian/projections';
import { READ_STORE, type RangeFilter, type ReadStore } from '@custodian/read-store';
import { Controller, Get, Inject, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { AllPurposesQuery } from '../purposes/all-purposes.query';
import { CurrentPurposeQuery } from '../purposes/current-purpose.query';

/** Aggregates for dashboards: counts only, never a customer's values or ids. */
@Controller('v1/dashboard')
export class DashboardController {
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
  @Get('consents')
  @RequirePermission('dashboard.read')
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
