import { notFound, receiptStream, type ConsentReceiptInvalidated } from '@custodian/domain';
import { EVENT_STORE, readTypedStream, type EventStore } from '@custodian/event-store';
import { ProjectionReader } from '@custodian/platform';
import type { Mask, Role, RoleRules } from '@custodian/policy';
import type { AuditReadDocument, ExportDocument } from '@custodian/projections';
import { READ_STORE, type ReadStore, type WhereValue } from '@custodian/read-store';
import { Inject, Injectable } from '@nestjs/common';
import type { AccessLogQueryDto, AuditReadsQueryDto, ExportsQueryDto } from './audit.dto';
import { auditReadsWhere, timeRange } from './audit-where';

export const AUDIT_INDEX = 'audit_reads';
const SAMPLE = 10;

export type AuditEntry = Omit<AuditReadDocument, 'kind'>;

export interface InvalidationReach {
  invalidation: ReturnType<typeof invalidationView>;
  actorIds: string[];
  subjectIds: string[];
  /** The first and last read or export that relied on the receipt (null: none did). */
  first: string | null;
  last: string | null;
}

export interface AuditPage {
  entries: AuditEntry[];
  /** Pass as `cursor` for the next page; null when there is none. */
  nextCursor: string | null;
}

const pageLimit = (limit?: string) => (limit === undefined ? 100 : Number(limit));

/**
 * The compliance officer's queries over the audit index (`audit_reads`): reads, exports and
 * refusals across customers or of one, in log order with keyset paging; one read with its
 * justification; the exports list; re-judging a role policy over past reads.
 */
@Injectable()
export class AuditService {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    private readonly projections: ProjectionReader,
  ) {}

  /** Reads in log order. Every filter narrows; the cursor continues after the last entry given. */
  async list(filter: AuditReadsQueryDto & AccessLogQueryDto): Promise<AuditPage> {
    const where = auditReadsWhere(filter);
    const collection = await this.index();
    const page = await this.reads.find(collection, {
      where,
      limit: pageLimit(filter.limit),
      cursor: filter.cursor,
    });
    return {
      entries: page.items.map(({ doc }) => entry(doc as AuditReadDocument)),
      nextCursor: page.nextCursor,
    };
  }

  /** One read, export or refusal by its event id, with its justification. */
  async read(eventId: string): Promise<AuditEntry> {
    const collection = await this.index();
    const { items } = await this.reads.find(collection, { where: { eventId }, limit: 1 });
    const doc = items[0]?.doc as AuditReadDocument | undefined;
    if (!doc) throw notFound('eventId', `no read, export or refusal with event id ${eventId}`);
    return entry(doc);
  }

  /** How many reads and exports relied on a receipt. */
  async relyingOn(receiptId: string): Promise<{ reads: number; exports: number }> {
    const collection = await this.index();
    const [all, exports] = await Promise.all([
      this.reads.count(collection, { receiptId }),
      this.reads.count(collection, { receiptId, via: 'export' }),
    ]);
    return { reads: all - exports, exports };
  }

  /** The invalidation of a receipt, with what relied on it; 404 when it was never invalidated. */
  async invalidation(receiptId: string) {
    const [event] = await readTypedStream<ConsentReceiptInvalidated>(
      this.events,
      receiptStream(receiptId),
    );
    if (!event) throw notFound('receiptId', `receipt ${receiptId} has not been invalidated`);
    await this.projections.catchUp(AUDIT_INDEX, { position: event.position });
    return invalidationView(event, await this.relyingOn(receiptId));
  }

  /** Who read which customers, and when, resting on an invalidated receipt. */
  async reach(receiptId: string): Promise<InvalidationReach> {
    const invalidation = await this.invalidation(receiptId);
    const collection = await this.index();
    const actorIds = new Set<string>();
    const subjectIds = new Set<string>();
    let first: string | null = null;
    let last: string | null = null;
    let cursor: string | undefined;
    do {
      const page = await this.reads.find(collection, { where: { receiptId }, limit: 1000, cursor });
      for (const { doc } of page.items) {
        const read = doc as AuditReadDocument;
        actorIds.add(read.actorId);
        subjectIds.add(read.subjectId);
        if (first === null || read.at < first) first = read.at;
        if (last === null || read.at > last) last = read.at;
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return {
      invalidation,
      actorIds: [...actorIds].sort(),
      subjectIds: [...subjectIds].sort(),
      first,
      last,
    };
  }

  /** Every export with status, requester, approver, purpose, counts and times, by request time. */
  async exports(filter: ExportsQueryDto) {
    const where: Record<string, WhereValue> = {};
    if (filter.status !== undefined) where.status = filter.status;
    if (filter.requesterId !== undefined) where.requestedBy = filter.requesterId;
    if (filter.approverId !== undefined) where.approvedBy = filter.approverId;
    if (filter.purposeId !== undefined) where.purposeId = filter.purposeId;
    const at = timeRange(filter.from, filter.to);
    if (at) where.requestedAt = at;
    await this.projections.catchUp('exports');
    const collection = await this.projections.collection('exports');
    const page = await this.reads.find(collection, {
      where,
      sort: { field: 'requestedAt', direction: 'asc' },
      limit: pageLimit(filter.limit),
      cursor: filter.cursor,
    });
    return {
      exports: page.items.map(({ doc }) => exportEntry(doc as ExportDocument)),
      nextCursor: page.nextCursor,
    };
  }

  /**
   * "Who would have seen what": every read of the period (views, lookups, subject-access
   * bundles, exports) replayed under a candidate policy's masks, nothing written. Counts per
   * role and field of each change of mask, and a bounded sample of the reads' event ids.
   */
  async evaluate(roles: Record<Role, RoleRules>, from: string, to: string) {
    const range = timeRange(from, to)!;
    const collection = await this.index();
    const changes = new Map<
      string,
      { role: string; field: string; from: string; to: string; reads: number; sample: string[] }
    >();
    const changedReads = new Set<string>();
    let examined = 0;
    let cursor: string | undefined;
    do {
      const page = await this.reads.find(collection, {
        where: { at: range, outcome: 'read' },
        limit: 1000,
        cursor,
      });
      for (const { doc } of page.items) {
        const read = doc as AuditReadDocument;
        examined++;
        const rules = roles[read.role as Role];
        if (!rules) continue;
        for (const field of read.fields) {
          // An export shows what the candidate would show; a refusal of the role to read at all hides everything.
          const next: Mask = rules.mayReadCustomers
            ? (rules.fields[field.name] ?? rules.otherFields)
            : 'hidden';
          if (next === field.mask) continue;
          const key = `${read.role}|${field.name}|${field.mask}|${next}`;
          const change = changes.get(key) ?? {
            role: read.role,
            field: field.name,
            from: field.mask,
            to: next,
            reads: 0,
            sample: [],
          };
          change.reads++;
          if (change.sample.length < SAMPLE) change.sample.push(read.eventId);
          changes.set(key, change);
          changedReads.add(read.eventId);
        }
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return {
      from: range.gte,
      to: range.lt,
      readsExamined: examined,
      readsChanged: changedReads.size,
      changes: [...changes.values()].sort(
        (a, b) =>
          a.role.localeCompare(b.role) ||
          a.field.localeCompare(b.field) ||
          a.from.localeCompare(b.from),
      ),
    };
  }

  /** The active build of the audit index, once it holds everything written before the call. */
  private async index(): Promise<string> {
    await this.projections.catchUp(AUDIT_INDEX);
    return this.projections.collection(AUDIT_INDEX);
  }
}

function entry(doc: AuditReadDocument): AuditEntry {
  const { kind: _kind, ...rest } = doc;
  return rest;
}

export function invalidationView(
  event: { id: string; data: ConsentReceiptInvalidated['data'] },
  relied: { reads: number; exports: number },
) {
  const { receiptId } = event.data;
  return {
    receiptId,
    eventId: event.id,
    subjectId: event.data.subjectId,
    purposeId: event.data.purposeId,
    reason: event.data.reason,
    invalidatedBy: event.data.invalidatedBy,
    at: event.data.at,
    affected: {
      reads: relied.reads,
      exports: relied.exports,
      list: `/v1/audit/reads?affectedBy=${receiptId}`,
    },
  };
}

function exportEntry(doc: ExportDocument) {
  return {
    exportId: doc.exportId,
    status: doc.status,
    requesterId: doc.requestedBy,
    role: doc.role,
    approvalRequired: doc.approvalRequired,
    approverId: doc.approvedBy,
    purposeId: doc.purposeId,
    mode: doc.mode,
    destination: doc.destination,
    fields: doc.fields,
    requestedCount: doc.requestedCount,
    rows: doc.rows,
    downloads: doc.downloads,
    requestedAt: doc.requestedAt,
    completedAt: doc.completedAt,
    expiresAt: doc.expiresAt,
  };
}
