import {
  INCIDENT_EVENT_TYPES,
  incidentDeadlines,
  incidentDecider,
  type AccessDenied,
  type AnomalyDetected,
  type ErasureApproved,
  type ExportEvent,
  type FieldsAccessed,
  type IncidentEvent,
  type IncidentState,
  type SubjectErased,
} from '@custodian/domain';
import type { RecordedEvent } from '@custodian/event-store';
import { exportsProjection, type ExportDocument } from '@custodian/projections';
import type { IntegrityVerdict } from './integrity-section';

/**
 * An audit report for a period, made of counts, roles, purposes and the ids of actors,
 * exports, anomalies and incidents: never a customer's id or a personal value. Free text
 * staff wrote (incident titles, justifications, reasons) stays out too: it is screened for
 * contact details only, and a name could pass.
 */
export interface AuditReport {
  from: string;
  to: string;
  generatedAt: string;
  /** Events of the log read to make it (the whole log is read; those in the period are counted). */
  eventsExamined: number;
  readsByPurposeAndRole: Array<{ purposeId: string; role: string; via: string; reads: number }>;
  refusals: Array<{ purposeId: string; role: string; reason: string; refusals: number }>;
  /** Customers read (found by a lookup) with no consent in force for a purpose resting on it. */
  readsWithoutConsent: Array<{ purposeId: string; role: string; actorId: string; reads: number }>;
  exports: Array<{
    exportId: string;
    requestedAt: string;
    requestedBy: string;
    role: string;
    purposeId: string;
    mode: string;
    status: string;
    approvalRequired: boolean;
    approvedBy: string | null;
    requestedCount: number;
    rows: number | null;
    completedAt: string | null;
  }>;
  anomalies: Array<{
    anomalyId: string;
    detectedAt: string;
    ruleId: string;
    actorId: string;
    role: string;
    measure: string;
    value: number;
    threshold: number;
    window: string;
    action: string;
  }>;
  incidents: Array<{
    incidentId: string;
    source: string;
    risk: string;
    status: 'open' | 'closed';
    detectedAt: string;
    openedAt: string;
    openedBy: string;
    closedAt: string | null;
    obligations: Array<{ obligation: string; due: string; status: ObligationStatus }>;
  }>;
  erasures: Array<{ reason: string; requestedVia: string; role: string; erasures: number }>;
  /** Erasures held past the hourly limit and approved by a second person in the period. */
  erasureApprovals: Array<{ approverId: string; approvals: number }>;
  integrity: IntegrityVerdict | null;
}

/** Where an incident's obligation stands at the end of the period. */
export type ObligationStatus =
  'sent' | 'sent late' | 'overdue' | 'pending' | 'unmet, reason recorded' | 'unmet';

const EXPORT_TYPES = new Set<string>(exportsProjection.eventTypes as readonly string[]);
const INCIDENT_TYPES = new Set<string>(INCIDENT_EVENT_TYPES);
const REPORTED_TYPES = new Set<string>([
  'FieldsAccessed',
  'AccessDenied',
  'AnomalyDetected',
  'SubjectErased',
  'ErasureApproved',
  ...EXPORT_TYPES,
  ...INCIDENT_EVENT_TYPES,
]);

/** When an event happened, by the time it records (the log's stamp when it records none). */
export function eventTime(event: RecordedEvent): string {
  const data = event.data as Record<string, unknown>;
  for (const key of ['at', 'erasedAt', 'detectedAt'])
    if (typeof data[key] === 'string') return data[key];
  const stamped = event.metadata.occurredAt;
  return typeof stamped === 'string' ? stamped : event.recordedAt.toISOString();
}

/** A count per distinct key (the key's fields, in order). */
class Tally<K extends Record<string, string>> {
  private readonly rows = new Map<string, { key: K; n: number }>();

  add(key: K): void {
    const id = JSON.stringify(Object.values(key));
    const row = this.rows.get(id);
    if (row) row.n += 1;
    else this.rows.set(id, { key, n: 1 });
  }

  /** The rows sorted by key, each with its count under `name`. */
  list<N extends string>(name: N): Array<K & Record<N, number>> {
    return [...this.rows.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([, { key, n }]) => ({ ...key, [name]: n }) as K & Record<N, number>);
  }
}

/**
 * Reads the log once, in order, and counts what happened in `[from, to)`. Exports and incidents
 * are folded up to `to` (their status as the period ended); an export is reported when it was
 * asked for in the period, an incident when it was open at some time in it.
 */
export async function buildAuditReport(
  log: AsyncIterable<RecordedEvent[]>,
  period: { from: string; to: string; generatedAt: string },
  integrity: IntegrityVerdict | null,
): Promise<AuditReport> {
  const { from, to } = period;
  const reads = new Tally<{ purposeId: string; role: string; via: string }>();
  const refusals = new Tally<{ purposeId: string; role: string; reason: string }>();
  const withoutConsent = new Tally<{ purposeId: string; role: string; actorId: string }>();
  const erasures = new Tally<{ reason: string; requestedVia: string; role: string }>();
  const approvals = new Tally<{ approverId: string }>();
  const anomalies: AuditReport['anomalies'] = [];
  const exports = new Map<string, ExportDocument>();
  const incidents = new Map<string, IncidentState>();
  let examined = 0;

  for await (const page of log) {
    for (const event of page) {
      examined++;
      if (!REPORTED_TYPES.has(event.type)) continue;
      const at = eventTime(event);
      if (at >= to) continue;
      // Exports and incidents fold every event before the end of the period.
      if (EXPORT_TYPES.has(event.type)) {
        const id = String(event.data.exportId);
        const doc = exportsProjection.apply(
          exports.get(id) ?? null,
          event as unknown as ExportEvent & RecordedEvent,
          id,
        );
        if (doc) exports.set(id, doc);
        continue;
      }
      if (INCIDENT_TYPES.has(event.type)) {
        const id = String(event.data.incidentId);
        const state = incidentDecider.evolve(
          incidents.get(id) ?? null,
          event as unknown as IncidentEvent,
        );
        if (state) incidents.set(id, state);
        continue;
      }
      if (at < from) continue;
      switch (event.type) {
        case 'FieldsAccessed': {
          const data = event.data as unknown as FieldsAccessed['data'];
          reads.add({ purposeId: data.purposeId, role: data.role, via: data.via });
          if (data.withoutConsent === true)
            withoutConsent.add({
              purposeId: data.purposeId,
              role: data.role,
              actorId: data.actorId,
            });
          break;
        }
        case 'AccessDenied': {
          const data = event.data as unknown as AccessDenied['data'];
          refusals.add({ purposeId: data.purposeId, role: data.role, reason: data.reason });
          break;
        }
        case 'AnomalyDetected': {
          const data = event.data as unknown as AnomalyDetected['data'];
          anomalies.push({
            anomalyId: data.anomalyId,
            detectedAt: data.detectedAt,
            ruleId: data.ruleId,
            actorId: data.actorId,
            role: data.role,
            measure: data.measure,
            value: data.value,
            threshold: data.threshold,
            window: data.window,
            action: data.action,
          });
          break;
        }
        case 'SubjectErased': {
          const data = event.data as unknown as SubjectErased['data'];
          const actor = event.metadata.actor as { role?: unknown } | undefined;
          erasures.add({
            reason: data.reason,
            requestedVia: data.requestedVia,
            role: typeof actor?.role === 'string' ? actor.role : 'unknown',
          });
          break;
        }
        case 'ErasureApproved': {
          const data = event.data as unknown as ErasureApproved['data'];
          approvals.add({ approverId: data.approverId });
          break;
        }
      }
    }
  }

  const asOf = new Date(to < period.generatedAt ? to : period.generatedAt);
  return {
    from,
    to,
    generatedAt: period.generatedAt,
    eventsExamined: examined,
    readsByPurposeAndRole: reads.list('reads'),
    refusals: refusals.list('refusals'),
    readsWithoutConsent: withoutConsent.list('reads'),
    exports: [...exports.values()]
      .filter((e) => e.requestedAt >= from)
      .sort((a, b) => a.requestedAt.localeCompare(b.requestedAt))
      .map((e) => ({
        exportId: e.exportId,
        requestedAt: e.requestedAt,
        requestedBy: e.requestedBy,
        role: e.role,
        purposeId: e.purposeId,
        mode: e.mode,
        status: e.status,
        approvalRequired: e.approvalRequired,
        approvedBy: e.approvedBy,
        requestedCount: e.requestedCount,
        rows: e.rows,
        completedAt: e.completedAt,
      })),
    anomalies: anomalies.sort((a, b) => a.detectedAt.localeCompare(b.detectedAt)),
    incidents: [...incidents.values()]
      .filter((s) => s.closed === null || s.closed.at >= from)
      .sort((a, b) => a.opened.at.localeCompare(b.opened.at))
      .map((state) => ({
        incidentId: state.opened.incidentId,
        source: state.opened.source.kind,
        risk: state.opened.risk,
        status: state.closed ? ('closed' as const) : ('open' as const),
        detectedAt: state.opened.detectedAt,
        openedAt: state.opened.at,
        openedBy: state.opened.openedBy,
        closedAt: state.closed?.at ?? null,
        obligations: incidentDeadlines(state, asOf).map((d) => ({
          obligation: d.obligation,
          due: d.due,
          status: obligationStatus(d, asOf),
        })),
      })),
    erasures: erasures.list('erasures'),
    erasureApprovals: approvals.list('approvals'),
    integrity,
  };
}

function obligationStatus(
  d: ReturnType<typeof incidentDeadlines>[number],
  asOf: Date,
): ObligationStatus {
  if (d.sentAt !== null) return d.overdue ? 'sent late' : 'sent';
  if (d.unmetReason !== null) return 'unmet, reason recorded';
  if (d.overdue) return 'overdue';
  return d.due > asOf.toISOString() ? 'pending' : 'unmet';
}
