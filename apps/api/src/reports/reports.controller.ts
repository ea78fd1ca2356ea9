import { parseIsoTimestamp } from '@custodian/domain';
import { badParam, CLOCK, RequirePermission, type Clock } from '@custodian/platform';
import { Controller, Get, Inject, Query, Res, StreamableFile } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { auditReportCsv } from './audit-report.csv';
import { auditReportPdf } from './audit-report.pdf';
import { ReportsService } from './reports.service';

const FORMATS = ['csv', 'pdf'] as const;

function requiredTime(name: string, value: string | undefined): string {
  if (value === undefined)
    throw badParam(name, 'is required: an ISO-8601 timestamp with a time zone');
  const at = parseIsoTimestamp(value);
  if (!at) throw badParam(name, 'must be an ISO-8601 timestamp with a time zone');
  return at.toISOString();
}

/** Reports for auditors and regulators: counts, roles, purposes; never a customer's id or value. */
@Controller('v1/audit')
export class ReportsController {
  constructor(
    private readonly reports: ReportsService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * The audit report for `[from, to)`: reads by purpose and role, refusals, reads without
   * consent, exports with approvers, anomalies, incidents and their obligations, erasures and
   * the integrity verdict, as CSV (default) or PDF.
   */
  @Get('reports')
  @RequirePermission('audit.reports')
  async auditReport(
    @Query('from') fromParam: string | undefined,
    @Query('to') toParam: string | undefined,
    @Query('format') formatParam: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StreamableFile> {
    const from = requiredTime('from', fromParam);
    const to = requiredTime('to', toParam);
    if (from >= to) throw badParam('from', 'must be before to');
    const format = formatParam ?? 'csv';
    if (!(FORMATS as readonly string[]).includes(format))
      throw badParam('format', 'must be csv or pdf');
    const report = await this.reports.auditReport(from, to, this.clock.now());
    const body =
      format === 'pdf' ? await auditReportPdf(report) : Buffer.from(auditReportCsv(report), 'utf8');
    const stamp = (at: string) => at.replace(/[:.]/g, '');
    reply.header(
      'content-type',
      format === 'pdf' ? 'application/pdf' : 'text/csv; charset=utf-8; header=present',
    );
    reply.header(
      'content-disposition',
      `attachment; filename="audit-report-${stamp(from)}-${stamp(to)}.${format}"`,
    );
    reply.header('cache-control', 'no-store');
    return new StreamableFile(body, { length: body.length });
  }
}
