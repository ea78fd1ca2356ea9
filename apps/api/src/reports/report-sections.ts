import type { AuditReport } from './audit-report';
import { integrityRows } from './integrity-section';

export type Cell = string | number | boolean | null;

/** One titled table of the report: the CSV and the PDF show the same sections. */
export interface ReportSection {
  title: string;
  columns: string[];
  rows: Cell[][];
}

/** The report's sections, in order, each with its headings. */
export function reportSections(report: AuditReport): ReportSection[] {
  return [
    {
      title: 'Period',
      columns: ['from', 'to', 'generated at', 'events examined'],
      rows: [[report.from, report.to, report.generatedAt, report.eventsExamined]],
    },
    {
      title: 'Reads by purpose and role',
      columns: ['purpose', 'role', 'via', 'reads'],
      rows: report.readsByPurposeAndRole.map((r) => [r.purposeId, r.role, r.via, r.reads]),
    },
    {
      title: 'Refusals',
      columns: ['purpose', 'role', 'reason', 'refusals'],
      rows: report.refusals.map((r) => [r.purposeId, r.role, r.reason, r.refusals]),
    },
    {
      title: 'Reads without consent',
      columns: ['purpose', 'role', 'actor', 'reads'],
      rows: report.readsWithoutConsent.map((r) => [r.purposeId, r.role, r.actorId, r.reads]),
    },
    {
      title: 'Exports and approvers',
      columns: [
        'export',
        'requested at',
        'requested by',
        'role',
        'purpose',
        'mode',
        'status',
        'approval required',
        'approved by',
        'customers asked',
        'rows',
        'completed at',
      ],
      rows: report.exports.map((e) => [
        e.exportId,
        e.requestedAt,
        e.requestedBy,
        e.role,
        e.purposeId,
        e.mode,
        e.status,
        e.approvalRequired,
        e.approvedBy,
        e.requestedCount,
        e.rows,
        e.completedAt,
      ]),
    },
    {
      title: 'Anomalies',
      columns: [
        'anomaly',
        'detected at',
        'rule',
        'actor',
        'role',
        'measure',
        'value',
        'threshold',
        'window',
        'action',
      ],
      rows: report.anomalies.map((a) => [
        a.anomalyId,
        a.detectedAt,
        a.ruleId,
        a.actorId,
        a.role,
        a.measure,
        a.value,
        a.threshold,
        a.window,
        a.action,
      ]),
    },
    {
      title: 'Incidents',
      columns: [
        'incident',
        'source',
        'risk',
        'status',
        'detected at',
        'opened at',
        'opened by',
        'closed at',
      ],
      rows: report.incidents.map((i) => [
        i.incidentId,
        i.source,
        i.risk,
        i.status,
        i.detectedAt,
        i.openedAt,
        i.openedBy,
        i.closedAt,
      ]),
    },
    {
      title: 'Incident obligations',
      columns: ['incident', 'obligation', 'due', 'status'],
      rows: report.incidents.flatMap((i) =>
        i.obligations.map((o) => [i.incidentId, o.obligation, o.due, o.status]),
      ),
    },
    {
      title: 'Erasures',
      columns: ['reason', 'requested via', 'role', 'erasures'],
      rows: report.erasures.map((e) => [e.reason, e.requestedVia, e.role, e.erasures]),
    },
    {
      title: 'Erasure approvals',
      columns: ['approver', 'approvals'],
      rows: report.erasureApprovals.map((a) => [a.approverId, a.approvals]),
    },
    {
      title: 'Integrity',
      columns: ['check', 'result'],
      rows: integrityRows(report.integrity),
    },
  ];
}

/** Reads per purpose over every role and route, most read first: the PDF's chart. */
export function readsPerPurpose(report: AuditReport): Array<{ purposeId: string; reads: number }> {
  const totals = new Map<string, number>();
  for (const r of report.readsByPurposeAndRole)
    totals.set(r.purposeId, (totals.get(r.purposeId) ?? 0) + r.reads);
  return [...totals]
    .map(([purposeId, reads]) => ({ purposeId, reads }))
    .sort((a, b) => b.reads - a.reads || a.purposeId.localeCompare(b.purposeId));
}
