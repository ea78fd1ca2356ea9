import type { AuditReport } from './audit-report';
import { reportSections, type Cell } from './report-sections';

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break, quotes
 * doubled. A text cell that a spreadsheet would run as a formula (= + - @ first) is prefixed
 * with an apostrophe (OWASP CSV injection); numbers are written as they are.
 */
export function csvField(cell: Cell): string {
  if (cell === null) return '';
  if (typeof cell !== 'string') return String(cell);
  const text = /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * The report as CSV: each section is its title alone on a line, a header line, its rows, and an
 * empty line; lines end in CRLF (RFC 4180).
 */
export function auditReportCsv(report: AuditReport): string {
  const lines: string[] = [csvField('Custodian audit report')];
  for (const section of reportSections(report)) {
    lines.push('', csvField(section.title), section.columns.map(csvField).join(','));
    for (const row of section.rows) lines.push(row.map(csvField).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
