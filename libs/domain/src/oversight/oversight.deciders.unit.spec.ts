import { spec } from '../testing/given-when-then';
import { actorDecider, type ActorSuspended, type AnomalyDetected } from './actor.decider';
import { exportDecider, type ExportEvent, type ExportRequestData } from './export.decider';
import {
  incidentDeadlines,
  incidentDecider,
  type IncidentOpened,
  type Obligation,
} from './incident.decider';

const now = new Date('2026-03-02T12:00:00.000Z');
const request = (overrides: Partial<ExportRequestData> = {}): ExportRequestData => ({
  exportId: 'e-1',
  actorId: 'analyst-1',
  role: 'analyst',
  purposeId: 'research',
  legalBasis: 'legitimate_interests',
  justification: 'quarterly churn study',
  mode: 'real',
  fields: [{ name: 'birthDate', mask: 'partial' }],
  filter: {},
  destination: 'download',
  count: 5000,
  approvalRequired: true,
  approvalThreshold: 1000,
  policyVersion: 0,
  at: '2026-03-02T11:00:00.000Z',
  ...overrides,
});
const requested: ExportEvent = { type: 'ExportRequested', data: request() };
const completed = (expiresAt: string): ExportEvent => ({
  type: 'ExportCompleted',
  data: {
    exportId: 'e-1',
    actorId: 'analyst-1',
    role: 'analyst',
    purposeId: 'research',
    mode: 'real',
    count: 5000,
    fields: [{ name: 'birthDate', mask: 'partial' }],
    destination: 'download',
    files: { ndjson: { sha256: 'a', bytes: 1 }, csv: { sha256: 'b', bytes: 1 } },
    run: 'r1',
    expiresAt,
    at: '2026-03-02T11:30:00.000Z',
  },
});
const approved: ExportEvent = {
  type: 'ExportApproved',
  data: { exportId: 'e-1', approverId: 'dpo-1', note: '', at: '2026-03-02T11:10:00.000Z' },
};

describe('export decider', () => {
  it('given a large export waiting, when its requester approves it, then it is refused', () =>
    spec(exportDecider)
      .given([requested])
      .when({ type: 'ApproveExport', exportId: 'e-1', approverId: 'analyst-1', note: '' }, { now })
      .thenRefuses('forbidden', 'exportId', /own export/));

  it('given a large export waiting, when another DPO approves it, then it is approved', () =>
    spec(exportDecider)
      .given([requested])
      .when({ type: 'ApproveExport', exportId: 'e-1', approverId: 'dpo-1', note: 'ok' }, { now })
      .then([
        {
          type: 'ExportApproved',
          data: { exportId: 'e-1', approverId: 'dpo-1', note: 'ok', at: now.toISOString() },
        },
      ]));

  it('given an approved export, when it is approved again, then it is a conflict', () =>
    spec(exportDecider)
      .given([requested, approved])
      .when({ type: 'ApproveExport', exportId: 'e-1', approverId: 'dpo-2', note: '' }, { now })
      .thenRefuses('conflict', 'exportId'));

  it('given no export, when one approves it, then it is not found', () =>
    spec(exportDecider)
      .given([])
      .when({ type: 'ApproveExport', exportId: 'e-9', approverId: 'dpo-1', note: '' }, { now })
      .thenRefuses('not_found', 'exportId'));

  it('given a completed export, when someone else downloads it, then it is refused', () =>
    spec(exportDecider)
      .given([requested, approved, completed('2026-03-03T11:30:00.000Z')])
      .when({ type: 'RecordDownload', exportId: 'e-1', actorId: 'dpo-1', format: 'csv' }, { now })
      .thenRefuses('forbidden', 'exportId'));

  it('given an expired export, when its requester downloads it, then it is gone', () =>
    spec(exportDecider)
      .given([requested, approved, completed('2026-03-02T11:59:59.000Z')])
      .when(
        { type: 'RecordDownload', exportId: 'e-1', actorId: 'analyst-1', format: 'csv' },
        { now },
      )
      .thenRefuses('gone', 'exportId'));

  it('given an export waiting for approval, when it is completed, then it is a conflict', () =>
    spec(exportDecider)
      .given([requested])
      .when({ type: 'FailExport', exportId: 'e-1', reason: 'x' }, { now })
      .thenRefuses('conflict', 'exportId'));
});

describe('actor decider', () => {
  const suspended: ActorSuspended = {
    type: 'ActorSuspended',
    data: { actorId: 'sales-1', by: { kind: 'person', actorId: 'dpo-1' }, reason: 'x', at: '' },
  };
  it('given a suspended actor, when suspended again, then it is a conflict', () =>
    spec(actorDecider)
      .given([suspended])
      .when({ type: 'SuspendActor', actorId: 'sales-1', by: 'dpo-1', reason: 'again' }, { now })
      .thenRefuses('conflict', 'actorId'));
  it('given an actor in good standing, when reinstated, then it is a conflict', () =>
    spec(actorDecider)
      .given([])
      .when({ type: 'ReinstateActor', actorId: 'sales-1', by: 'dpo-1', note: 'x' }, { now })
      .thenRefuses('conflict', 'actorId'));

  const anomaly = (action: 'alert' | 'suspend'): AnomalyDetected['data'] => ({
    anomalyId: 'a-1',
    ruleId: 'bulk-reads',
    ruleSetVersion: 0,
    description: 'many reads',
    actorId: 'sales-1',
    role: 'sales',
    measure: 'distinctCustomers',
    window: 'PT10M',
    windowStart: '2026-03-02T11:50:00.000Z',
    windowEnd: '2026-03-02T12:00:00.000Z',
    value: 200,
    threshold: 200,
    action,
    detectedAt: '2026-03-02T11:55:00.000Z',
  });
  it('given an actor in good standing, when an alert rule fires, then only the anomaly is recorded', () =>
    spec(actorDecider)
      .given([])
      .when({ type: 'RecordAnomaly', anomaly: anomaly('alert') }, { now })
      .then([{ type: 'AnomalyDetected', data: anomaly('alert') }]));
  it('given an actor in good standing, when a suspend rule fires, then they are suspended by the rule', () =>
    spec(actorDecider)
      .given([])
      .when({ type: 'RecordAnomaly', anomaly: anomaly('suspend') }, { now })
      .then([
        { type: 'AnomalyDetected', data: anomaly('suspend') },
        {
          type: 'ActorSuspended',
          data: {
            actorId: 'sales-1',
            by: { kind: 'rule', ruleId: 'bulk-reads', anomalyId: 'a-1' },
            reason:
              'anomaly rule "bulk-reads": distinctCustomers reached 200 (threshold 200) in PT10M',
            at: '2026-03-02T11:55:00.000Z',
          },
        },
      ]));
  it('given a suspended actor, when a suspend rule fires, then the anomaly is recorded and nothing more', () =>
    spec(actorDecider)
      .given([suspended])
      .when({ type: 'RecordAnomaly', anomaly: anomaly('suspend') }, { now })
      .then([{ type: 'AnomalyDetected', data: anomaly('suspend') }]));
});

describe('incident deadlines', () => {
  const opened: IncidentOpened = {
    type: 'IncidentOpened',
    data: {
      incidentId: 'i-1',
      title: 'bulk reads',
      description: '',
      source: { kind: 'manual' },
      actorIds: ['sales-1'],
      from: '2026-03-01T00:00:00.000Z',
      to: '2026-03-01T01:00:00.000Z',
      jurisdictions: ['152-fz', 'gdpr'],
      risk: 'low',
      detectedAt: '2026-03-01T12:00:00.000Z',
      openedBy: 'dpo-1',
      at: '2026-03-01T12:05:00.000Z',
    },
  };
  const state = (events: Parameters<typeof incidentDecider.evolve>[1][]) =>
    events.reduce(incidentDecider.evolve, incidentDecider.initialState());

  it('counts 24 hours for the first 152-FZ notice and 72 for the rest from detection, and flags the missed ones', () => {
    const deadlines = incidentDeadlines(state([opened])!, new Date('2026-03-02T13:00:00.000Z'));
    expect(deadlines).toEqual([
      {
        obligation: '152-fz-initial-notice',
        due: '2026-03-02T12:00:00.000Z',
        sentAt: null,
        unmetReason: null,
        overdue: true,
      },
      {
        obligation: '152-fz-investigation-results',
        due: '2026-03-04T12:00:00.000Z',
        sentAt: null,
        unmetReason: null,
        overdue: false,
      },
      {
        obligation: 'gdpr-supervisory-authority',
        due: '2026-03-04T12:00:00.000Z',
        sentAt: null,
        unmetReason: null,
        overdue: false,
      },
    ]);
  });

  it('marks a notice sent late as overdue, and one sent in time as not', () => {
    const sent = (
      obligation: '152-fz-initial-notice' | 'gdpr-supervisory-authority',
      at: string,
    ) => ({
      type: 'IncidentNotificationSent' as const,
      data: { incidentId: 'i-1', obligation, reference: 'R-1', by: 'dpo-1', at },
    });
    const deadlines = incidentDeadlines(
      state([
        opened,
        sent('152-fz-initial-notice', '2026-03-02T13:00:00.000Z'),
        sent('gdpr-supervisory-authority', '2026-03-02T13:00:00.000Z'),
      ])!,
      new Date('2026-03-10T00:00:00.000Z'),
    );
    expect(deadlines.map((d) => [d.obligation, d.overdue])).toEqual([
      ['152-fz-initial-notice', true],
      ['152-fz-investigation-results', true],
      ['gdpr-supervisory-authority', false],
    ]);
  });

  it('adds the notice to the customers (GDPR art. 34) only where the risk is high', () => {
    const high: IncidentOpened = { ...opened, data: { ...opened.data, risk: 'high' } };
    const at = new Date('2026-03-01T13:00:00.000Z');
    expect(incidentDeadlines(state([high])!, at).map((d) => d.obligation)).toEqual([
      '152-fz-initial-notice',
      '152-fz-investigation-results',
      'gdpr-supervisory-authority',
      'gdpr-data-subjects',
    ]);
    expect(incidentDeadlines(state([opened])!, at).map((d) => d.obligation)).not.toContain(
      'gdpr-data-subjects',
    );
    spec(incidentDecider)
      .given([opened])
      .when(
        {
          type: 'RecordNotification',
          incidentId: 'i-1',
          obligation: 'gdpr-data-subjects',
          reference: 'MAIL-1',
          by: 'dpo-1',
        },
        { now },
      )
      .thenRefuses('invalid', 'obligation');
  });

  it('given unmet obligations, when closed without a reason for each, then it is a conflict; with one each it closes', () => {
    const close = (unmet: Array<{ obligation: Obligation; reason: string }>) => ({
      type: 'CloseIncident' as const,
      incidentId: 'i-1',
      remediation: 'keys rotated',
      unmet,
      by: 'dpo-1',
    });
    const notified = {
      type: 'IncidentNotificationSent' as const,
      data: {
        incidentId: 'i-1',
        obligation: '152-fz-initial-notice' as const,
        reference: 'R-1',
        by: 'dpo-1',
        at: '2026-03-01T13:00:00.000Z',
      },
    };
    const why = 'no data left the company: nothing to report';
    spec(incidentDecider)
      .given([opened, notified])
      .when(close([{ obligation: '152-fz-investigation-results', reason: why }]), { now })
      .thenRefuses('conflict', 'unmet');
    spec(incidentDecider)
      .given([opened, notified])
      .when(close([{ obligation: '152-fz-initial-notice', reason: why }]), { now })
      .thenRefuses('invalid', 'unmet');
    spec(incidentDecider)
      .given([opened, notified])
      .when(
        close([
          { obligation: '152-fz-investigation-results', reason: why },
          { obligation: 'gdpr-supervisory-authority', reason: why },
        ]),
        { now },
      )
      .then([
        {
          type: 'IncidentClosed',
          data: {
            incidentId: 'i-1',
            remediation: 'keys rotated',
            unmet: [
              { obligation: '152-fz-investigation-results', reason: why },
              { obligation: 'gdpr-supervisory-authority', reason: why },
            ],
            by: 'dpo-1',
            at: now.toISOString(),
          },
        },
      ]);
  });

  it('given a closed incident, when a note is added, then it is a conflict', () =>
    spec(incidentDecider)
      .given([
        opened,
        {
          type: 'IncidentClosed',
          data: { incidentId: 'i-1', remediation: 'done', unmet: [], by: 'dpo-1', at: '' },
        },
      ])
      .when({ type: 'AddNote', incidentId: 'i-1', text: 'late', by: 'dpo-1' }, { now })
      .thenRefuses('conflict', 'incidentId'));
});
