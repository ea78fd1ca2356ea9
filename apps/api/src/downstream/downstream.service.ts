import { downstreamDueAt, downstreamStatus, type DownstreamStatus } from '@custodian/domain';
import {
  CLOCK,
  CUSTODIAN_CONFIG,
  ProjectionReader,
  WriteTracker,
  type Clock,
  type CustodianConfig,
} from '@custodian/platform';
import { downstreamObligationId, type DownstreamObligationDocument } from '@custodian/projections';
import { findAll, READ_STORE, type ReadStore, type WhereValue } from '@custodian/read-store';
import { Inject, Injectable } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ConnectorsQuery } from '../connectors/connectors.query';

const PROJECTION = 'downstream_obligations';

/** One connector's owed act for one erasure or withdrawal, as the API shows it. */
export interface ObligationView {
  connectorId: string;
  connectorName: string | null;
  eventId: string;
  subjectId: string;
  cause: 'erasure' | 'withdrawal';
  purposeId: string | null;
  at: string;
  dueAt: string;
  status: DownstreamStatus;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  /** Acknowledged after the due moment. */
  late: boolean;
}

export interface ObligationFilter {
  status?: DownstreamStatus;
  subjectId?: string;
  connectorId?: string;
  eventId?: string;
}

/**
 * Reads of what connectors owe after erasures and withdrawals (the `downstream_obligations`
 * projection), with each one's standing against the legal clock: due
 * `CUSTODIAN_DOWNSTREAM_DEADLINE_DAYS` (default 30, 152-FZ Art. 21 p.5) after the erasure or
 * withdrawal, by the app's clock.
 */
@Injectable()
export class DownstreamService {
  constructor(
    private readonly projections: ProjectionReader,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    @Inject(CUSTODIAN_CONFIG) private readonly config: CustodianConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly writes: WriteTracker,
    private readonly queries: QueryBus,
  ) {}

  get deadlineDays(): number {
    return this.config.downstreamDeadlineDays;
  }

  /**
   * Waits until the projection holds `position` (by default everything written so far); false
   * when it is still behind after the wait.
   */
  async fresh(position?: string, timeoutMs = 2000): Promise<boolean> {
    try {
      await this.projections.catchUp(PROJECTION, { position, timeoutMs });
      return true;
    } catch {
      return false;
    }
  }

  /** Waits until the projection holds the acknowledgements this process recorded. */
  async freshOwn(): Promise<void> {
    const own = this.writes.lastPosition('acknowledgements');
    if (own) await this.projections.catchUp(PROJECTION, { position: own });
  }

  async obligation(eventId: string, connectorId: string) {
    const collection = await this.projections.collection(PROJECTION);
    return (await this.reads.get(
      collection,
      downstreamObligationId(eventId, connectorId),
    )) as DownstreamObligationDocument | null;
  }

  /** The obligations matching the filter, oldest first, at most `limit`. */
  async list(filter: ObligationFilter, limit = 1000) {
    const now = this.clock.now();
    const names = await this.connectorNames();
    const items: ObligationView[] = [];
    let truncated = false;
    for await (const doc of this.documents(filter)) {
      const view = this.view(doc, names, now);
      if (filter.status !== undefined && view.status !== filter.status) continue;
      if (items.length === limit) {
        truncated = true;
        break;
      }
      items.push(view);
    }
    items.sort((a, b) => a.at.localeCompare(b.at) || a.connectorId.localeCompare(b.connectorId));
    return { asOf: now.toISOString(), deadlineDays: this.deadlineDays, items, truncated };
  }

  /** Per connector: how many acts are pending, acknowledged and overdue (no ids of anyone). */
  async counts() {
    const now = this.clock.now();
    const names = await this.connectorNames();
    const counts = new Map<string, Record<DownstreamStatus, number>>(
      [...names.keys()].map((id) => [id, { pending: 0, acknowledged: 0, overdue: 0 }]),
    );
    for await (const doc of this.documents({})) {
      const status = this.view(doc, names, now).status;
      const row = counts.get(doc.connectorId) ?? { pending: 0, acknowledged: 0, overdue: 0 };
      row[status] += 1;
      counts.set(doc.connectorId, row);
    }
    return {
      asOf: now.toISOString(),
      deadlineDays: this.deadlineDays,
      connectors: [...counts.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([connectorId, row]) => ({
          connectorId,
          name: names.get(connectorId) ?? null,
          ...row,
        })),
    };
  }

  view(
    doc: DownstreamObligationDocument,
    names: ReadonlyMap<string, string>,
    now = this.clock.now(),
  ): ObligationView {
    const dueAt = downstreamDueAt(doc.at, this.deadlineDays);
    return {
      connectorId: doc.connectorId,
      connectorName: names.get(doc.connectorId) ?? null,
      eventId: doc.eventId,
      subjectId: doc.subjectId,
      cause: doc.cause,
      purposeId: doc.purposeId,
      at: doc.at,
      dueAt,
      status: downstreamStatus(doc.acknowledgedAt, dueAt, now),
      acknowledgedAt: doc.acknowledgedAt,
      acknowledgedBy: doc.acknowledgedBy,
      late: doc.acknowledgedAt !== null && doc.acknowledgedAt > dueAt,
    };
  }

  async connectorNames(): Promise<Map<string, string>> {
    const connectors = await this.queries.execute(new ConnectorsQuery({}, true));
    return new Map(connectors.map((c) => [c.connectorId, c.name]));
  }

  private async *documents(filter: ObligationFilter): AsyncGenerator<DownstreamObligationDocument> {
    const where: Record<string, WhereValue> = { kind: 'obligation' };
    if (filter.subjectId !== undefined) where.subjectId = filter.subjectId;
    if (filter.connectorId !== undefined) where.connectorId = filter.connectorId;
    if (filter.eventId !== undefined) where.eventId = filter.eventId;
    if (filter.status === 'acknowledged') where.acknowledged = true;
    else if (filter.status !== undefined) where.acknowledged = false;
    const collection = await this.projections.collection(PROJECTION);
    for await (const doc of findAll(this.reads, collection, { where }))
      yield doc as DownstreamObligationDocument;
  }
}
