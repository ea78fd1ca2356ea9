import { badParam } from '@custodian/platform';
import type { WhereValue } from '@custodian/read-store';
import type { AccessLogQueryDto, AuditReadsQueryDto } from './audit.dto';

/** A time range from the query, checked: `from` inclusive, `to` exclusive. */
export function timeRange(from?: string, to?: string): { gte?: string; lt?: string } | null {
  const gte = from ? new Date(from).toISOString() : undefined;
  const lt = to ? new Date(to).toISOString() : undefined;
  if (gte && lt && gte >= lt) throw badParam('to', 'must be after from');
  if (!gte && !lt) return null;
  return { ...(gte ? { gte } : {}), ...(lt ? { lt } : {}) };
}

/**
 * The read store's `where` for a list query. Each filter is an indexed field; actor or customer
 * with a time range use the compound (actorId, at) and (subjectId, at) indexes.
 */
export function auditReadsWhere(
  filter: AuditReadsQueryDto & AccessLogQueryDto,
): Record<string, WhereValue> {
  const where: Record<string, WhereValue> = {};
  if (filter.actorId !== undefined) where.actorId = filter.actorId;
  if (filter.role !== undefined) where.role = filter.role;
  if (filter.purposeId !== undefined) where.purposeId = filter.purposeId;
  if (filter.outcome !== undefined) where.outcome = filter.outcome;
  if (filter.via !== undefined) where.via = filter.via;
  if (filter.subjectId !== undefined) where.subjectId = filter.subjectId.toLowerCase();
  if (filter.affectedBy !== undefined) where.receiptId = filter.affectedBy.toLowerCase();
  const at = timeRange(filter.from, filter.to);
  if (at) where.at = at;
  // Only reads carry these fields; with none of them, ask for reads (not the folded state).
  if (Object.keys(where).length === 0) where.kind = 'read';
  return where;
}
