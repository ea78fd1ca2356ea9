import PDFDocument from 'pdfkit';
import type { AuditReport } from './audit-report';
import { readsPerPurpose, reportSections, type Cell } from './report-sections';

/** Page geometry (PDF points, A4) and where the chart of reads per purpose is drawn on page 1. */
export const PAGE = { width: 595.28, height: 841.89, margin: 50 } as const;
export const CHART_BOX = { x: 50, y: 150, width: 495, height: 250 } as const;
/** The bars' fill: one colour, so a rendering of the page can be checked for them. */
export const BAR_COLOUR = '#1f6fb2';
/** Purposes shown as bars; the rest are summed in one last bar. */
export const MAX_BARS = 10;
const LABEL_WIDTH = 150;
const VALUE_WIDTH = 45;
const HEADING_FONT = 'Helvetica-Bold';
const TABLE_FONT = 'Courier';
const MAX_CELL = 64;

/** The report as a PDF (pdfkit): title, period, a bar chart of reads per purpose, then every section. */
export function auditReportPdf(report: AuditReport): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: PAGE.margin,
    info: { Title: `Custodian audit report ${report.from} - ${report.to}`, Author: 'Custodian' },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  doc.font(HEADING_FONT).fontSize(20).text('Custodian audit report', PAGE.margin, PAGE.margin);
  doc
    .font('Helvetica')
    .fontSize(10)
    .text(`Period: ${report.from} to ${report.to} (end exclusive)`)
    .text(`Generated at ${report.generatedAt}; ${report.eventsExamined} events examined`)
    .text('Counts, roles, purposes and staff ids only: no customer ids, no personal values.');
  doc
    .font(HEADING_FONT)
    .fontSize(13)
    .text('Reads per purpose', PAGE.margin, CHART_BOX.y - 22);
  drawChart(doc, readsPerPurpose(report));

  doc.y = CHART_BOX.y + CHART_BOX.height + 20;
  for (const section of reportSections(report)) {
    if (doc.y > PAGE.height - PAGE.margin - 80) doc.addPage();
    doc
      .font(HEADING_FONT)
      .fontSize(13)
      .text(section.title, PAGE.margin, doc.y + 8);
    doc.moveDown(0.3);
    table(doc, section.columns, section.rows);
  }
  doc.end();
  return done;
}

/** Horizontal bars, one per purpose, drawn with pdfkit's vector primitives. */
function drawChart(doc: PDFKit.PDFDocument, data: Array<{ purposeId: string; reads: number }>) {
  const { x, y, width, height } = CHART_BOX;
  const bars =
    data.length > MAX_BARS
      ? [
          ...data.slice(0, MAX_BARS - 1),
          {
            purposeId: `${data.length - MAX_BARS + 1} other purposes`,
            reads: data.slice(MAX_BARS - 1).reduce((sum, d) => sum + d.reads, 0),
          },
        ]
      : data;
  doc.save();
  doc.lineWidth(0.5).strokeColor('#999999').rect(x, y, width, height).stroke();
  if (bars.length === 0) {
    doc.fillColor('#555555').font('Helvetica').fontSize(10);
    doc.text('No reads in the period.', x + 10, y + height / 2 - 5);
    doc.restore();
    return;
  }
  const max = Math.max(...bars.map((b) => b.reads), 1);
  const plotX = x + LABEL_WIDTH;
  const plotWidth = width - LABEL_WIDTH - VALUE_WIDTH;
  const row = Math.min(24, (height - 10) / bars.length);
  doc
    .moveTo(plotX, y + 5)
    .lineTo(plotX, y + height - 5)
    .stroke();
  bars.forEach((bar, i) => {
    const top = y + 5 + i * row;
    const barWidth = (bar.reads / max) * plotWidth;
    doc
      .fillColor(BAR_COLOUR)
      .rect(plotX, top + row * 0.15, barWidth, row * 0.7)
      .fill();
    doc
      .fillColor('#222222')
      .font('Helvetica')
      .fontSize(Math.min(9, row * 0.6));
    doc.text(bar.purposeId, x + 6, top + row * 0.25, {
      width: LABEL_WIDTH - 12,
      lineBreak: false,
      ellipsis: true,
    });
    doc.text(String(bar.reads), plotX + barWidth + 4, top + row * 0.25, { lineBreak: false });
  });
  doc.restore();
}

function text(cell: Cell): string {
  const value = cell === null ? '-' : String(cell);
  return value.length > MAX_CELL ? `${value.slice(0, MAX_CELL - 1)}~` : value;
}

const MIN_TABLE_FONT = 6.5;

/**
 * A table in a fixed-width font, its size chosen so the widest row fits the page; a table too
 * wide for that is shown as one block of "column  value" lines per row.
 */
function table(doc: PDFKit.PDFDocument, columns: string[], rows: Cell[][]) {
  const cells = rows.map((r) => r.map(text));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  const chars = widths.reduce((sum, w) => sum + w, 0) + 2 * (widths.length - 1);
  const fitted = Math.min(9, (PAGE.width - 2 * PAGE.margin) / (chars * 0.6));
  const size = fitted >= MIN_TABLE_FONT ? fitted : 8;
  doc.font(TABLE_FONT).fontSize(size).fillColor('#000000');
  const lineHeight = doc.currentLineHeight(true);
  const write = (line: string) => {
    if (doc.y + lineHeight > PAGE.height - PAGE.margin) doc.addPage();
    const y = doc.y;
    doc.text(line, PAGE.margin, y, { lineBreak: false });
    doc.y = y + lineHeight;
  };
  if (fitted >= MIN_TABLE_FONT) {
    const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i])).join('  ');
    write(line(columns));
    for (const r of cells) write(line(r));
  } else {
    const label = Math.max(...columns.map((c) => c.length));
    cells.forEach((r, i) => {
      if (i > 0) doc.y += lineHeight / 2;
      columns.forEach((c, j) => write(`${c.padEnd(label)}  ${r[j]}`));
    });
  }
  if (cells.length === 0) write('(none)');
  doc.y += lineHeight * 0.6;
}
