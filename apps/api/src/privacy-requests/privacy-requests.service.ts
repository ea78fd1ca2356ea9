import {
  fold,
  notFound,
  PRIVACY_DEADLINES,
  PRIVACY_REQUEST_KINDS,
  privacyRequestDecider,
  privacyRequestOverdue,
  privacyRequestStatus,
  privacyRequestStream,
  type PrivacyRequestEvent,
  type PrivacyRequestState,
} from '@custodian/domain';
import { EVENT_STORE, readTypedStream, type EventStore } from '@custodian/event-store';
import { ProjectionReader } from '@custodian/platform';
import type { PrivacyRequestDocument } from '@custodian/projections';
import { READ_STORE, type ReadStore, type WhereValue } from '@custodian/read-store';
import { Inject, Injectable } from '@nestjs/common';

export type PrivacyRequestView = ReturnType<typeof describePrivacyRequest>;

/** What `GET /v1/privacy-requests?status=` accepts: a status, or `open` / `overdue`. */
export const PRIVACY_REQUEST_FILTERS = [
  'received',
  'in_progress',
  'extended',
  'completed',
  'refused',
  'open',
  'overdue',
] as const;
export type PrivacyRequestFilter = (typeof PRIVACY_REQUEST_FILTERS)[number];

/** A case as the API shows it: its deadline at `now`, who did what and when. */
export function describePrivacyRequest(state: PrivacyRequestState, now: Date) {
  const { received, verified, extended, completed, refused } = state;
  const timeline: Array<{ at: string; what: string; by: string; detail: Record<string, unknown> }> =
    [
      {
        at: received.at,
        what: 'received',
        by: received.by,
        detail: { receivedVia: received.receivedVia, receivedAt: received.receivedAt },
      },
    ];
  if (verified)
    timeline.push({ at: verified.at, what: 'identity_verified', by: verified.by, detail: {} });
  if (extended)
    timeline.push({
      at: extended.at,
      what: 'extended',
      by: extended.by,
      detail: { reason: extended.reason, dueAt: extended.dueAt },
    });
  if (completed)
    timeline.push({
      at: completed.at,
      what: 'completed',
      by: completed.by,
      detail: { outcome: completed.outcome, receiptId: completed.receiptId },
    });
  if (refused)
    timeline.push({
      at: refused.at,
      what: 'refused',
      by: refused.by,
      detail: { reason: refused.reason },
    });
  return {
    requestId: received.requestId,
    subjectId: received.subjectId,
    kind: received.kind,
    jurisdiction: received.jurisdiction,
    receivedVia: received.receivedVia,
    receivedAt: received.receivedAt,
    status: privacyRequestStatus(state),
    overdue: privacyRequestOverdue(state, now),
    deadline: {
      law: PRIVACY_DEADLINES[received.jurisdiction].law,
      dueAt: state.dueAt,
      dueDay: state.dueDay,
      extended: extended !== null,
      /** A Russian calendar year the count spans is not yet confirmed by its decree. */
      provisionalCalendar: extended ? extended.provisionalCalendar : received.provisionalCalendar,
    },
    openedBy: received.by,
    identityVerified: verified && { at: verified.at, by: verified.by },
    extension: extended && {
      reason: extended.reason,
      previousDueAt: extended.previousDueAt,
      dueAt: extended.dueAt,
      at: extended.at,
      by: extended.by,
    },
    completed: completed && {
      outcome: completed.outcome,
      receiptId: completed.receiptId,
      late: completed.late,
      at: completed.at,
      by: completed.by,
    },
    refused: refused && {
      reason: refused.reason,
      late: refused.late,
      at: refused.at,
      by: refused.by,
    },
    timeline: timeline.sort((a, b) => a.at.localeCompare(b.at)),
  };
}

/** Reads of privacy requests: one case from its stream, lists and counts from the read model. */
@Injectable()
export class PrivacyRequestsService {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    private readonly projections: ProjectionReader,
  ) {}

  async get(requestId: string, now: Date): Promise<PrivacyRequestView> {
    const state = fold(
      privacyRequestDecider,
      await readTypedStream<PrivacyRequestEvent>(this.events, privacyRequestStream(requestId)),
    );
    if (!state) throw notFound('requestId', `privacy request ${requestId} does not exist`);
    return describePrivacyRequest(state, now);
  }

  /** Most urgent first (by deadline). */
  async list(
    filter: { status?: PrivacyRequestFilter; kind?: string },
    now: Date,
    limit: number,
    cursor?: string,
  ) {
    const page = await this.reads.find(await this.collection(), {
      where: this.where(filter, now),
      sort: { field: 'dueAt', direction: 'asc' },
      limit,
      cursor,
    });
    return {
      privacyRequests: page.items.map(({ doc }) => {
        const request = doc as PrivacyRequestDocument;
        return {
          requestId: request.requestId,
          subjectId: request.subjectId,
          kind: request.kind,
          jurisdiction: request.jurisdiction,
          status: request.status,
          receivedAt: request.receivedAt,
          dueAt: request.dueAt,
          overdue: request.phase === 'open' && request.dueAt < now.toISOString(),
          closedAt: request.closedAt,
        };
      }),
      nextCursor: page.nextCursor,
    };
  }

  /** Open and overdue requests per kind: counts only, no ids. */
  async counts(now: Date) {
    const collection = await this.collection();
    const byKind = await Promise.all(
      PRIVACY_REQUEST_KINDS.map(async (kind) => {
        const [open, overdue] = await Promise.all([
          this.reads.count(collection, this.where({ status: 'open', kind }, now)),
          this.reads.count(collection, this.where({ status: 'overdue', kind }, now)),
        ]);
        return { kind, open, overdue };
      }),
    );
    return {
      asOf: now.toISOString(),
      open: byKind.reduce((sum, k) => sum + k.open, 0),
      overdue: byKind.reduce((sum, k) => sum + k.overdue, 0),
      byKind,
    };
  }

  private async collection(): Promise<string> {
    // Read your writes: a case just opened or closed shows in the lists and counts.
    await this.projections.catchUp('privacy_requests');
    return this.projections.collection('privacy_requests');
  }

  private where(
    filter: { status?: PrivacyRequestFilter; kind?: string },
    now: Date,
  ): Record<string, WhereValue> {
    const where: Record<string, WhereValue> = filter.kind ? { kind: filter.kind } : {};
    if (filter.status === 'open') where.phase = 'open';
    else if (filter.status === 'overdue') {
      where.phase = 'open';
      where.dueAt = { lt: now.toISOString() };
    } else if (filter.status) where.status = filter.status;
    return where;
  }
}
