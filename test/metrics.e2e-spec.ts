import { ProjectionRunner } from '@custodian/projections';
import {
  consentBody,
  newSubjectId,
  purposeBody,
  Scenario,
  startTestApp,
  type TestApp,
} from '@test/support';
import parsePrometheusTextFormat, {
  type PrometheusFamily,
  type PrometheusSample,
} from 'parse-prometheus-text-format';

/**
 * GET /metrics after a few real requests, parsed with a Prometheus text-format parser: the
 * series the operations guide promises, and no label value that could be an id or a personal
 * value.
 */
const ACTORS = [
  { id: 'admin-1', roles: ['admin'] },
  { id: 'dpo-1', roles: ['dpo'] },
  { id: 'service-1', roles: ['service'] },
  { id: 'monitor-1', roles: ['dashboard'] },
  { id: 'marketing-1', roles: ['marketing'] },
];

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

describe('GET /metrics (Prometheus text format, real app, embedded stores)', () => {
  let t: TestApp;
  let families: Map<string, PrometheusFamily>;
  let samples: Map<string, PrometheusSample[]>;
  let text: string;
  const subjectId = newSubjectId();
  const email = 'metrics.probe@mail.example';
  const phone = '+7 912 555-01-02';

  beforeAll(async () => {
    t = await startTestApp({}, ACTORS);
    const scenario = new Scenario(t);
    const admin = scenario.client('admin-1');
    const service = scenario.client('service-1');
    // A purpose that justifies email and phone, so a customer can be registered with them.
    await scenario.activePurpose(admin, scenario.client('dpo-1'), 'metrics-news', {
      assessment: { ...purposeBody('x').assessment, minimumFields: ['email', 'phone'] },
    });
    // A grant (201), a registration with personal values, a bad request (400), an unknown path (404).
    expect(
      (await service.post(`/v1/subjects/${subjectId}/consents`, consentBody('metrics-news')))
        .status,
    ).toBe(201);
    const registered = await service.post('/v1/subjects', {
      profile: { email, phone },
      source: 'web-signup',
    });
    expect(registered).toMatchObject({ status: 201 });
    expect(
      (await service.post(`/v1/subjects/${subjectId}/consents`, { purposeId: email })).status,
    ).toBe(400);
    expect((await service.get(`/v1/no-such-thing/${subjectId}?email=${email}`)).status).toBe(404);
    // The projections have applied every write, so their lag series read 0.
    const last = await t.app.get(ProjectionRunner).lag();
    expect(last.length).toBeGreaterThan(0);

    const scrape = await fetch(`${t.baseUrl}/metrics`, {
      headers: { authorization: `Bearer ${t.keys['monitor-1']}` },
    });
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    text = await scrape.text();
    // The whole scrape must parse (the parser throws on any malformed line), with its types.
    families = new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f]));
    // The parser folds a histogram's samples into one, dropping their labels: read the
    // labelled `_bucket`, `_sum` and `_count` series as plain samples, with the histograms'
    // HELP and TYPE lines left out.
    const histograms = [...text.matchAll(/^# TYPE (\S+) histogram$/gm)].map((m) => m[1]);
    const plain = text
      .split('\n')
      .filter(
        (line) =>
          !histograms.some(
            (h) => line.startsWith(`# HELP ${h} `) || line.startsWith(`# TYPE ${h} `),
          ),
      )
      .join('\n');
    // A histogram's series come one label set at a time, so one name recurs: gather them.
    samples = new Map();
    for (const f of parsePrometheusTextFormat(plain))
      samples.set(f.name, [...(samples.get(f.name) ?? []), ...f.metrics]);
  });
  afterAll(async () => t.close());

  const family = (name: string): PrometheusFamily => {
    const found = families.get(name);
    if (!found) throw new Error(`no metric family ${name} in the scrape`);
    return found;
  };
  /** The sample of `name` (a family, or a histogram's `_count`/`_sum` series) with `labels`. */
  const sample = (name: string, labels: Record<string, string>): PrometheusSample | undefined =>
    (samples.get(name) ?? []).find((m) =>
      Object.entries(labels).every(([key, value]) => m.labels?.[key] === value),
    );
  const value = (name: string, labels: Record<string, string> = {}): number =>
    Number(sample(name, labels)?.value);

  it('times HTTP requests by method, route pattern and status', () => {
    expect(family('custodian_http_request_duration_seconds').type).toBe('HISTOGRAM');
    const name = 'custodian_http_request_duration_seconds';
    const grant = { method: 'POST', route: '/v1/subjects/:subjectId/consents', status_code: '201' };
    expect(value(`${name}_count`, grant)).toBe(1);
    expect(value(`${name}_sum`, grant)).toBeGreaterThan(0);
    expect(value(`${name}_bucket`, { ...grant, le: '+Inf' })).toBe(1);
    expect(
      value(`${name}_count`, { route: '/v1/subjects/:subjectId/consents', status_code: '400' }),
    ).toBe(1);
    expect(value(`${name}_count`, { method: 'GET', route: '(no route)', status_code: '404' })).toBe(
      1,
    );
    expect(
      value(`${name}_count`, { route: '/v1/purposes/:purposeId/activate', status_code: '200' }),
    ).toBe(1);
  });

  it('counts appends by stream category and the group commits of the embedded store', () => {
    expect(family('custodian_event_store_appends_total').type).toBe('COUNTER');
    expect(
      Number(
        sample('custodian_event_store_appends_total', { category: 'consent', result: 'ok' })?.value,
      ),
    ).toBeGreaterThanOrEqual(1);
    expect(
      value('custodian_event_store_appended_events_total', { category: 'purpose' }),
    ).toBeGreaterThanOrEqual(3);
    expect(family('custodian_event_store_group_commit_size').type).toBe('HISTOGRAM');
    const commits = value('custodian_event_store_group_commit_size_count');
    expect(commits).toBeGreaterThanOrEqual(5);
    expect(value('custodian_event_store_group_commit_size_sum')).toBeGreaterThanOrEqual(commits);
  });

  it('reports lag per projection, and lag, retries and dead letters per processor', () => {
    const runner = t.app.get(ProjectionRunner);
    const projections = runner.status().map((s) => s.name);
    const processors = runner.processorStatus().map((s) => s.name);
    expect(processors).toEqual(expect.arrayContaining(['anomaly-detector']));
    for (const name of ['custodian_projection_lag_events', 'custodian_projection_lag_seconds']) {
      expect(family(name).type).toBe('GAUGE');
      const labelled = family(name).metrics.map((m) => m.labels?.projection);
      expect(labelled.sort()).toEqual([...projections].sort());
    }
    for (const name of [
      'custodian_processor_lag_events',
      'custodian_processor_dead_letters',
      'custodian_processor_retries_total',
    ]) {
      const labelled = family(name).metrics.map((m) => m.labels?.processor);
      expect(labelled.sort()).toEqual([...processors].sort());
    }
    expect(
      sample('custodian_processor_dead_letters', { processor: 'anomaly-detector' })?.value,
    ).toBe('0');
  });

  it('reports anomalies recorded and exports by status (open requests included)', () => {
    expect(family('custodian_anomalies_detected_total').type).toBe('COUNTER');
    expect(family('custodian_anomalies_detected_total').metrics[0].value).toBe('0');
    expect(
      family('custodian_exports')
        .metrics.map((m) => m.labels?.status)
        .sort(),
    ).toEqual(['awaiting_approval', 'completed', 'failed', 'generating', 'rejected']);
  });

  it('carries no id, email, phone number or path in any label value', () => {
    const values = [...samples.values()].flatMap((metrics) =>
      metrics.flatMap((m) => Object.values(m.labels ?? {})),
    );
    expect(values.length).toBeGreaterThan(50);
    const suspicious = values.filter(
      (value) =>
        UUID.test(value) ||
        value.includes('@') ||
        /\d[\d\s().-]{7,}\d/.test(value) ||
        value.includes('?') ||
        ACTORS.some((a) => value.includes(a.id)),
    );
    expect(suspicious).toEqual([]);
    expect(text).not.toContain(subjectId);
    expect(text).not.toContain(email);
    expect(text).not.toContain('metrics.probe');
    expect(text).not.toContain('no-such-thing');
  });

  it('is refused without a key (401) and to roles without metrics.read (403)', async () => {
    const scrape = (key?: string) =>
      fetch(`${t.baseUrl}/metrics`, key ? { headers: { authorization: `Bearer ${key}` } } : {});
    expect((await scrape()).status).toBe(401);
    expect((await scrape(t.keys['marketing-1'])).status).toBe(403);
    expect((await scrape(t.keys['admin-1'])).status).toBe(200);
  });
});
