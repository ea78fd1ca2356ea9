import {
  badParam,
  CLOCK,
  RequirePermission,
  SubjectIdParam,
  type Clock,
} from '@custodian/platform';
import { parseIsoTimestamp } from '@custodian/domain';
import { Controller, Get, Inject, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { TimelineQuery } from './timeline.query';

@Controller('v1')
export class TimelineController {
  constructor(
    private readonly queries: QueryBus,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * One customer's history in time order: registration, profile changes (field names), consents
   * and their expiry, reads, refusals, exports, anomalies touching them, erasure. Facts and ids
   * only, so it reads the same after erasure. `from`/`to` bound when things happened, `asOf`
   * gives the history as it was known then; `limit` (1-1000, default 100) and `cursor` page it.
   */
  @Get('subjects/:subjectId/timeline')
  @RequirePermission('subjects.timeline')
  async timeline(
    @SubjectIdParam() subjectId: string,
    @Query('from') from?: unknown,
    @Query('to') to?: unknown,
    @Query('asOf') asOf?: unknown,
    @Query('limit') limit?: unknown,
    @Query('cursor') cursor?: unknown,
  ) {
    const start = timestamp('from', from);
    const end = timestamp('to', to);
    if (start && end && start > end) throw badParam('to', 'must not be before from');
    const now = this.clock.now().toISOString();
    const known = timestamp('asOf', asOf) ?? now;
    if (known > now) throw badParam('asOf', 'must not be in the future');
    return this.queries.execute(
      new TimelineQuery(subjectId, {
        from: start,
        to: end,
        asOf: known,
        limit: pageSize(limit),
        after: cursor === undefined ? undefined : parseCursor(cursor),
      }),
    );
  }
}

function timestamp(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const at = typeof value === 'string' ? parseIsoTimestamp(value) : null;
  if (!at) throw badParam(name, 'must be an ISO-8601 timestamp with a time zone');
  return at.toISOString();
}

function pageSize(value: unknown): number {
  if (value === undefined) return 100;
  const n = typeof value === 'string' && /^\d{1,4}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= 1000)) throw badParam('limit', 'must be an integer from 1 to 1000');
  return n;
}

function parseCursor(value: unknown): [string, string] {
  try {
    if (typeof value !== 'string' || value.length > 400) throw new Error();
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      typeof parsed[0] === 'string' &&
      typeof parsed[1] === 'string'
    )
      return [parsed[0], parsed[1]];
  } catch {
    // reported below
  }
  throw badParam('cursor', 'must be the nextCursor of a previous page');
}
