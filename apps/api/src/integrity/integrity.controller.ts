import { RequirePermission, badParam } from '@custodian/platform';
import { EVENT_STORE, type EventStore } from '@custodian/event-store';
import { Controller, Get, Inject, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { CheckpointsQuery, VerifyLogQuery } from './integrity.queries';

@Controller('v1/audit')
export class IntegrityController {
  constructor(
    private readonly queries: QueryBus,
    @Inject(EVENT_STORE) private readonly events: EventStore,
  ) {}

  /**
   * Verifies the log (or the checkpoints meeting `from`..`to`, log positions) against its signed
   * checkpoints: the first event modified, deleted, inserted or reordered, and the unsealed tail.
   */
  @Get('integrity')
  @RequirePermission('audit.integrity')
  async integrity(@Query('from') from?: unknown, @Query('to') to?: unknown) {
    const start = this.position('from', from);
    const end = this.position('to', to);
    if (start !== undefined && end !== undefined && this.events.comparePositions(start, end) > 0)
      throw badParam('to', 'must not be before from');
    return this.queries.execute(new VerifyLogQuery(start, end));
  }

  /** The checkpoints with the public key that signed them (`after`: a checkpoint's sequence). */
  @Get('checkpoints')
  @RequirePermission('audit.integrity')
  async checkpoints(@Query('after') after?: unknown, @Query('limit') limit?: unknown) {
    return this.queries.execute(
      new CheckpointsQuery(
        after === undefined ? undefined : wholeNumber('after', after, 0, Number.MAX_SAFE_INTEGER),
        limit === undefined ? 100 : wholeNumber('limit', limit, 1, 1000),
      ),
    );
  }

  private position(name: string, value: unknown): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw badParam(name, 'must be given once');
    try {
      this.events.comparePositions(value, value);
    } catch {
      throw badParam(name, 'must be a position of this event store');
    }
    return value;
  }
}

function wholeNumber(name: string, value: unknown, min: number, max: number): number {
  const n = typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw badParam(name, `must be an integer from ${min} to ${max}`);
  return n;
}
