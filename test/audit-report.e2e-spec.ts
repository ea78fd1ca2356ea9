import {
  EVENT_STORE,
  upcastLog,
  type EventStore,
  type RecordedEvent,
} from '@custodian/event-store';
import { DEFAULT_ANOMALY_RULES } from '@custodian/policy';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BAR_COLOUR, CHART_BOX, MAX_BARS } from '../apps/api/src/reports/audit-report.pdf';
import {
  consentBody,
  ManualClock,
  purposeBody,
  Scenario,
  startTestApp,
  waitFor,
  type ApiClient,
  type TestApp,
} from '@test/support';

const ROLES = ['admin', 'dpo', 'service', 'sales', 'support'];
const PROFILE_FIELDS = ['name', 'email', 'phone', 'birthDate', 'address'];
const FROM = '2026-04-01T10:00:00.000Z';
const TO = '2026-04-01T12:00:00.000Z';
const OUTPUT = join(__dirname, '..', 'test-output');

/** RFC 4180: fields split on commas outside quotes, doubled quotes inside, records on CRLF. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  const endField = () => {
    record.push(field);
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') endField();
    else if (c === '\r' && text[i + 1] === '\n') {
      endField();
      records.push(record);
      record = [];
      i++;
    } else field += c;
  }
  return records;
}

/** The CSV's sections by title: a title alone on a line after an empty line, then a header. */
function sections(text: string): Map<string, Array<Record<string, string>>> {
  const records = parseCsv(text);
  const out = new Map<string, Array<Record<string, string>>>();
  for (let i = 1; i < records.length; i++) {
    if (records[i].length !== 1 || records[i][0] !== '') continue;
    const title = records[i + 1][0];
    const header = records[i + 2];
    const rows: Array<Record<string, string>> = [];
    for (
      let j = i + 3;
      j < records.length && !(records[j].length === 1 && records[j][0] === '');
      j++
    )
      rows.push(Object.fromEntries(header.map((h, k) => [h, records[j][k]])));
    out.set(title, rows);
  }
  return out;
}

/** A brute-force count over the events: key of each event in the period, counted. */
function tally(events: RecordedEvent[], key: (e: RecordedEvent) => string | null) {
  const counts: Record<string, number> = {};
  for (const e of events) {
    const k = key(e);
    if (k !== null) counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

describe('audit reports: CSV and PDF for a period (HTTP, embedded stores)', () => {
  let t: TestApp;
  let scenario: Scenario;
  const clock = new ManualClock('2026-04-01T09:00:00.000Z');
  const as: Record<string, ApiClient> = {};
  const subjects: string[] = [];
  let csv: string;
  let exportId: string;
  let incidentId: string;

  const at = (time: string) => clock.set(`2026-04-01T${time}:00.000Z`);
  const view = (role: string, subjectId: string, purpose = 'crm-care') =>
    as[role].get(`/v1/subjects/${subjectId}/view?purpose=${purpose}`);
  const get = (path: string, key = t.keys['dpo-1']) =>
    fetch(`${t.baseUrl}${path}`, { headers: { authorization: `Bearer ${key}` } });

  beforeAll(async () => {
    t = await startTestApp(
      {},
      [
        ...ROLES.map((role) => ({ id: `${role}-1`, roles: [role] })),
        { id: 'dpo-2', roles: ['dpo'] },
      ],
      { clock },
    );
    scenario = new Scenario(t);
    for (const role of ROLES) as[role] = scenario.client(`${role}-1`);
    as.dpo2 = scenario.client('dpo-2');
    const assessment = { ...purposeBody('x').assessment, minimumFields: PROFILE_FIELDS };
    await scenario.activePurpose(as.admin, as.dpo, 'crm-care', {
      legalBasis: 'contract',
      allowedRoles: ['sales', 'support', 'service'],
      flags: { marketing: false, profiling: false, saleOrShare: false, aiProcessing: false },
      assessment,
    });
    await scenario.activePurpose(as.admin, as.dpo, 'newsletter', {
      allowedRoles: ['support', 'service'],
      assessment,
    });
    for (let i = 0; i < 8; i++) {
      const response = await as.service.post('/v1/subjects', {
        profile: { name: `Report Customer ${i}`, email: `report${i}@example.com` },
        source: 'shop',
      });
      subjects.push(response.body.subjectId);
    }
    expect(
      (await as.service.post(`/v1/subjects/${subjects[0]}/consents`, consentBody('newsletter')))
        .status,
    ).toBe(201);
    expect(
      (
        await as.dpo.post('/v1/anomaly-rules', {
          rules: [
            {
              ruleId: 'probing',
              description: 'refused reads in an hour',
              measure: 'refused',
              window: 'PT1H',
              threshold: 2,
              action: 'alert',
              roles: [],
            },
          ],
          workingHours: DEFAULT_ANOMALY_RULES.workingHours,
        })
      ).status,
    ).toBe(201);

    // Before the period: two reads that must not be counted.
    at('09:30');
    for (const s of subjects.slice(0, 2)) expect((await view('sales', s)).status).toBe(200);

    // In the period.
    at('10:05');
    for (const s of subjects.slice(0, 3)) expect((await view('sales', s)).status).toBe(200);
    for (const s of subjects.slice(3, 5)) expect((await view('support', s)).status).toBe(200);
    expect((await view('support', subjects[0], 'newsletter')).status).toBe(200);
    at('10:20');
    // Refused: no consent for the newsletter (twice, so the probing rule fires), a role that
    // may not declare it.
    for (const s of subjects.slice(1, 3))
      expect((await view('support', s, 'newsletter')).status).toBe(403);
    expect((await view('sales', subjects[1], 'newsletter')).status).toBe(403);
    // Found by a lookup without consent for the purpose, and by a DPO for a privacy request.
    expect(
      (await as.support.get('/v1/subjects?email=report5@example.com&purpose=newsletter')).status,
    ).toBe(200);
    expect(
      (await as.dpo.get('/v1/subjects?email=report6@example.com&purpose=subject-access')).status,
    ).toBe(200);
    expect((await as.dpo.get(`/v1/subjects/${subjects[6]}/dsar`)).status).toBe(200);
    at('10:40');
    const requested = await as.service.post('/v1/exports', {
      purposeId: 'crm-care',
      justification: 'quarterly account review for the sales team',
      fields: ['name'],
    });
    expect(requested.status).toBe(202);
    exportId = requested.body.exportId;
    await waitFor(
      async () => (await as.service.get(`/v1/exports/${exportId}`)).body.status === 'completed',
      10_000,
    );
    let anomalies: Array<{ anomalyId: string }> = [];
    await waitFor(async () => {
      anomalies = (await as.dpo.get('/v1/anomalies?actorId=support-1')).body.anomalies;
      return anomalies.length > 0;
    });
    at('11:00');
    const opened = await as.dpo.post('/v1/incidents', {
      title: 'Probing of newsletter customers',
      anomalyId: anomalies[0].anomalyId,
      risk: 'high',
    });
    expect(opened.status).toBe(201);
    incidentId = opened.body.incidentId;
    expect(
      (
        await as.dpo.post(`/v1/incidents/${incidentId}/notifications`, {
          obligation: '152-fz-initial-notice',
          reference: 'RKN-2026/00042',
        })
      ).status,
    ).toBe(201);
    at('11:30');
    expect(
      (
        await as.support.post(`/v1/subjects/${subjects[7]}/erasure`, {
          reason: 'data_subject_request',
          requestedVia: 'email',
        })
      ).status,
    ).toBe(202);

    // After the period: not counted.
    at('12:30');
    for (const s of subjects.slice(0, 3)) expect((await view('sales', s)).status).toBe(200);
    // Wait until the erasure has been carried out (its event is in the log).
    await waitFor(async () => (await view('sales', subjects[7])).status === 410);
  });
  afterAll(async () => t.close());

  it('refuses bad parameters with a 400 naming each, and other roles with a 403', async () => {
    const cases: Array<[string, string]> = [
      [`?to=${TO}`, 'from'],
      [`?from=${FROM}`, 'to'],
      [`?from=yesterday&to=${TO}`, 'from'],
      [`?from=${FROM}&to=2026-04-01T12:00:00`, 'to'],
      [`?from=${TO}&to=${FROM}`, 'from'],
      [`?from=${FROM}&to=${TO}&format=xlsx`, 'format'],
    ];
    for (const [query, field] of cases) {
      const response = await as.dpo.get(`/v1/audit/reports${query}`);
      expect({ query, status: response.status }).toEqual({ query, status: 400 });
      expect(response.body.details).toEqual([expect.objectContaining({ field })]);
    }
    expect((await as.sales.get(`/v1/audit/reports?from=${FROM}&to=${TO}`)).status).toBe(403);
    expect((await as.support.get(`/v1/audit/reports?from=${FROM}&to=${TO}`)).status).toBe(403);
  });

  it('gives CSV sections whose numbers equal a brute-force count over the events of the period', async () => {
    const response = await get(`/v1/audit/reports?from=${FROM}&to=${TO}&format=csv`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(response.headers.get('content-disposition')).toMatch(/attachment; filename=".*\.csv"/);
    csv = await response.text();
    expect(csv.endsWith('\r\n')).toBe(true);
    const report = sections(csv);

    // The brute force: every event of the log, upcast, kept when its own time is in the period.
    const store = t.app.get<EventStore>(EVENT_STORE);
    const all = upcastLog(await store.readAll()) as RecordedEvent[];
    const when = (e: RecordedEvent) =>
      String(e.data.at ?? e.data.erasedAt ?? e.data.detectedAt ?? e.metadata.occurredAt);
    const inPeriod = all.filter((e) => when(e) >= FROM && when(e) < TO);

    const asCounts = (rows: Array<Record<string, string>>, keys: string[], n: string) =>
      Object.fromEntries(rows.map((r) => [keys.map((k) => r[k]).join('|'), Number(r[n])]));
    const d = (e: RecordedEvent) => e.data as Record<string, unknown>;
    const readsExpected = tally(inPeriod, (e) =>
      e.type === 'FieldsAccessed' ? `${d(e).purposeId}|${d(e).role}|${d(e).via}` : null,
    );
    expect(
      asCounts(report.get('Reads by purpose and role')!, ['purpose', 'role', 'via'], 'reads'),
    ).toEqual(readsExpected);
    // And the script itself: three sales reads (not the two before, nor the three after).
    expect(readsExpected).toMatchObject({
      'crm-care|sales|view': 3,
      'crm-care|support|view': 2,
      'newsletter|support|view': 1,
      'newsletter|support|lookup': 1,
      'subject-access|dpo|lookup': 1,
      'subject-access|dpo|dsar': 1,
    });

    const refusedExpected = tally(inPeriod, (e) =>
      e.type === 'AccessDenied' ? `${d(e).purposeId}|${d(e).role}|${d(e).reason}` : null,
    );
    expect(asCounts(report.get('Refusals')!, ['purpose', 'role', 'reason'], 'refusals')).toEqual(
      refusedExpected,
    );
    expect(refusedExpected).toEqual({
      'newsletter|support|no_consent_for_purpose': 2,
      'newsletter|sales|role_may_not_declare_purpose': 1,
    });

    const withoutConsent = tally(inPeriod, (e) =>
      e.type === 'FieldsAccessed' && d(e).withoutConsent === true
        ? `${d(e).purposeId}|${d(e).role}|${d(e).actorId}`
        : null,
    );
    expect(
      asCounts(report.get('Reads without consent')!, ['purpose', 'role', 'actor'], 'reads'),
    ).toEqual(withoutConsent);
    expect(withoutConsent).toEqual({ 'newsletter|support|support-1': 1 });

    const erasures = tally(inPeriod, (e) =>
      e.type === 'SubjectErased'
        ? `${d(e).reason}|${d(e).requestedVia}|${(e.metadata.actor as { role: string }).role}`
        : null,
    );
    expect(
      asCounts(report.get('Erasures')!, ['reason', 'requested via', 'role'], 'erasures'),
    ).toEqual(erasures);
    expect(Object.values(erasures)).toEqual([1]);

    const anomalyIds = inPeriod
      .filter((e) => e.type === 'AnomalyDetected')
      .map((e) => d(e).anomalyId);
    expect(report.get('Anomalies')!.map((a) => a.anomaly)).toEqual(anomalyIds);
    expect(anomalyIds).toHaveLength(1);
    expect(report.get('Anomalies')![0]).toMatchObject({ rule: 'probing', actor: 'support-1' });

    expect(report.get('Exports and approvers')).toEqual([
      expect.objectContaining({
        export: exportId,
        'requested by': 'service-1',
        purpose: 'crm-care',
        status: 'completed',
        'approval required': 'false',
        'approved by': '',
        rows: String(
          inPeriod.find((e) => e.type === 'ExportCompleted' && d(e).exportId === exportId)!.data
            .count,
        ),
      }),
    ]);
    expect(report.get('Incidents')).toEqual([
      expect.objectContaining({
        incident: incidentId,
        source: 'anomaly',
        risk: 'high',
        status: 'open',
      }),
    ]);
    expect(report.get('Incident obligations')!.map((o) => [o.obligation, o.status])).toEqual([
      ['152-fz-initial-notice', 'sent'],
      ['152-fz-investigation-results', 'pending'],
      ['gdpr-supervisory-authority', 'pending'],
      ['gdpr-data-subjects', 'pending'],
    ]);
    // The whole log verified against its signed checkpoints when the report was made.
    expect(report.get('Integrity')![0]).toEqual({
      check: 'verdict',
      result: 'log verified: no event modified, deleted, inserted or reordered',
    });
    expect(report.get('Integrity')!.map((row) => row.check)).toEqual(
      expect.arrayContaining(['events checked', 'checkpoints']),
    );
    expect(report.get('Period')).toEqual([
      expect.objectContaining({ from: FROM, to: TO, 'events examined': String(all.length) }),
    ]);

    // No customer id and no personal value anywhere in it.
    for (const s of subjects) expect(csv).not.toContain(s);
    expect(csv).not.toMatch(/@example\.com|Report Customer/);
  });

  it('gives a PDF with its headings and a bar chart of reads per purpose (rendered with poppler)', async () => {
    const response = await get(`/v1/audit/reports?from=${FROM}&to=${TO}&format=pdf`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    const pdf = Buffer.from(await response.arrayBuffer());
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    mkdirSync(OUTPUT, { recursive: true });
    const file = join(OUTPUT, 'audit-report.pdf');
    writeFileSync(file, pdf);

    const tool = ['/usr/bin/pdftoppm', '/usr/bin/pdftotext'];
    if (!tool.every((p) => existsSync(p))) {
      // .ci/run installs poppler-utils; under CI its absence is a failure, not a skip.
      if (process.env.CI === 'true') throw new Error('pdftoppm/pdftotext (poppler-utils) missing');
      console.warn('skipped the PDF rendering check: install poppler-utils (pdftoppm, pdftotext)');
      return;
    }
    // Page 1 at 72 dpi: one pixel per PDF point, so the chart's box is where the code put it.
    const prefix = join(OUTPUT, 'audit-report-page1');
    execFileSync('pdftoppm', [
      '-r',
      '72',
      '-f',
      '1',
      '-l',
      '1',
      '-singlefile',
      '-png',
      file,
      prefix,
    ]);
    execFileSync('pdftoppm', ['-r', '72', '-f', '1', '-l', '1', '-singlefile', file, prefix]);
    expect(existsSync(`${prefix}.png`)).toBe(true);
    const ppm = readFileSync(`${prefix}.ppm`);
    const header = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(ppm.subarray(0, 40).toString('latin1'))!;
    const [width, height] = [Number(header[1]), Number(header[2])];
    const pixels = ppm.subarray(header[0].length);
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(BAR_COLOUR.slice(i, i + 2), 16));
    const isBar = (x: number, y: number) => {
      const o = (y * width + x) * 3;
      return (
        Math.abs(pixels[o] - r) <= 2 &&
        Math.abs(pixels[o + 1] - g) <= 2 &&
        Math.abs(pixels[o + 2] - b) <= 2
      );
    };
    let inside = 0;
    let outside = 0;
    // Bar pixels per row of the chart, to measure each bar.
    const barRows: number[] = [];
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        if (!isBar(x, y)) continue;
        const within =
          x >= CHART_BOX.x &&
          x < CHART_BOX.x + CHART_BOX.width &&
          y >= CHART_BOX.y &&
          y < CHART_BOX.y + CHART_BOX.height;
        if (within) {
          inside++;
          barRows[y] = (barRows[y] ?? 0) + 1;
        } else outside++;
      }
    expect(inside).toBeGreaterThan(500);
    expect(outside).toBe(0);
    // One bar per purpose, longest first, lengths in proportion to the reads in the CSV.
    const report = sections(csv);
    const perPurpose = new Map<string, number>();
    for (const row of report.get('Reads by purpose and role')!)
      perPurpose.set(row.purpose, (perPurpose.get(row.purpose) ?? 0) + Number(row.reads));
    const expected = [...perPurpose.values()].sort((a, b) => b - a).slice(0, MAX_BARS);
    const bars: number[] = [];
    let previous = false;
    for (let y = CHART_BOX.y; y < CHART_BOX.y + CHART_BOX.height; y++) {
      const width = barRows[y] ?? 0;
      if (width > 0 && !previous) bars.push(width);
      else if (width > 0) bars[bars.length - 1] = Math.max(bars[bars.length - 1], width);
      previous = width > 0;
    }
    expect(bars).toHaveLength(expected.length);
    bars.forEach((w, i) =>
      expect(Math.abs(w / bars[0] - expected[i] / expected[0])).toBeLessThan(0.03),
    );

    const text = execFileSync('pdftotext', ['-layout', file, '-']).toString();
    for (const heading of [
      'Custodian audit report',
      'Reads per purpose',
      'Reads by purpose and role',
      'Refusals',
      'Reads without consent',
      'Exports and approvers',
      'Anomalies',
      'Incidents',
      'Incident obligations',
      'Erasures',
      'Integrity',
      'log verified: no event modified, deleted, inserted or reordered',
    ])
      expect(text).toContain(heading);
    expect(text).toContain('crm-care');
    for (const s of subjects) expect(text).not.toContain(s);
    expect(text).not.toMatch(/@example\.com|Report Customer/);
  });
});
