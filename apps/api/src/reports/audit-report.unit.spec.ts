import type { RecordedEvent } from '@custodian/event-store';
import { buildAuditReport } from './audit-report';
import { auditReportCsv, csvField } from './audit-report.csv';
import { integrityRows, NOT_VERIFIED } from './integrity-section';

let position = 0;
const event = (type: string, data: Record<string, unknown>): RecordedEvent => ({
  id: `00000000-0000-4000-8000-${String(++position).padStart(12, '0')}`,
  stream: 'x',
  revision: 0n,
  position: String(position),
  type,
  data: data as RecordedEvent['data'],
  metadata: {},
  recordedAt: new Date(),
});
async function* pages(events: RecordedEvent[]) {
  yield events;
}
const period = {
  from: '2026-04-01T10:00:00.000Z',
  to: '2026-04-01T12:00:00.000Z',
  generatedAt: '2026-04-02T00:00:00.000Z',
};

describe('audit report', () => {
  it('quotes CSV fields as RFC 4180 says, and defuses formulas', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\r\nlines')).toBe('"two\r\nlines"');
    expect(csvField('=1+1')).toBe("'=1+1");
    expect(csvField(12)).toBe('12');
    expect(csvField(null)).toBe('');
  });

  it('counts only events in [from, to), and puts the verdict it is given in the integrity section', async () => {
    const read = (at: string) =>
      event('FieldsAccessed', {
        subjectId: 's-secret',
        actorId: 'sales-1',
        role: 'sales',
        purposeId: 'crm',
        via: 'view',
        fields: [],
        policyVersion: 0,
        requestId: 'r',
        at,
      });
    const events = [
      read('2026-04-01T09:59:59.999Z'),
      read('2026-04-01T10:00:00.000Z'),
      read('2026-04-01T11:59:59.999Z'),
      read('2026-04-01T12:00:00.000Z'),
    ];
    const unverified = await buildAuditReport(pages(events), period, null);
    expect(unverified.readsByPurposeAndRole).toEqual([
      { purposeId: 'crm', role: 'sales', via: 'view', reads: 2 },
    ]);
    expect(unverified.eventsExamined).toBe(4);
    expect(auditReportCsv(unverified)).toContain(NOT_VERIFIED);
    expect(auditReportCsv(unverified)).not.toContain('s-secret');

    const broken = await buildAuditReport(pages(events), period, {
      ok: false,
      checkedEvents: 4,
      checkpoints: 1,
      firstProblem: { kind: 'modified', position: '3' },
    });
    const csv = auditReportCsv(broken);
    expect(csv).not.toContain(NOT_VERIFIED);
    expect(csv).toContain('verdict,LOG ALTERED');
    expect(csv).toContain('first problem,modified at position 3');
    expect(integrityRows({ ok: true, checkedEvents: 9, checkpoints: 2 })[0][1]).toMatch(
      /^log verified/,
    );
  });
});
