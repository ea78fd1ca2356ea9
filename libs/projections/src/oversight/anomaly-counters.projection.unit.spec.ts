import type { RecordedEvent } from '@custodian/event-store';
import { DEFAULT_ANOMALY_RULES, type AnomalyRule, type AnomalyRuleSet } from '@custodian/policy';
import {
  anomalyCountersProjection,
  counterDocumentIds,
  distinctCap,
  RuleHistory,
  type AnomalyCountersDocument,
} from './anomaly-counters.projection';

const rule = (overrides: Partial<AnomalyRule> = {}): AnomalyRule => ({
  ruleId: 'bulk',
  description: 'bulk reads',
  measure: 'distinctCustomers',
  window: 'PT10M',
  threshold: 3,
  action: 'suspend',
  roles: ['sales'],
  ...overrides,
});
const ruleSet = (version: number, rules: AnomalyRule[]): AnomalyRuleSet => ({
  version,
  rules,
  workingHours: DEFAULT_ANOMALY_RULES.workingHours,
});

let position = 0;
function event(type: string, data: Record<string, unknown>): RecordedEvent {
  position++;
  return {
    id: `00000000-0000-4000-8000-${String(position).padStart(12, '0')}`,
    stream: `access-${String(data.subjectId)}`,
    revision: 0n,
    position: String(position),
    type,
    data: data as RecordedEvent['data'],
    metadata: {},
    recordedAt: new Date(),
  };
}
const read = (subjectId: string, at: string, actorId = 'sales-1', role = 'sales') =>
  event('FieldsAccessed', {
    subjectId,
    actorId,
    role,
    purposeId: 'crm',
    via: 'view',
    fields: [
      { name: 'name', mask: 'partial' },
      { name: 'address', mask: 'hidden' },
    ],
    policyVersion: 0,
    requestId: 'r',
    at,
  });
const published = (version: number, rules: AnomalyRule[]) =>
  event('AnomalyRulesPublished', {
    version,
    rules: rules as unknown as RecordedEvent['data'],
    workingHours: DEFAULT_ANOMALY_RULES.workingHours,
    publishedAt: '2026-03-02T08:00:00.000Z',
  } as Record<string, unknown>);

/** Applies events the way the runner does, and returns the documents. */
function project(events: RecordedEvent[], history: RuleHistory) {
  const def = anomalyCountersProjection(history);
  const docs = new Map<string, AnomalyCountersDocument>();
  for (const e of events)
    for (const id of def.documentIds(e)) docs.set(id, def.apply(docs.get(id) ?? null, e, id)!);
  return docs;
}
const compare = (a: string, b: string) => Number(a) - Number(b);

describe('anomaly counters', () => {
  it('given a rule, when a salesperson reads three customers in ten minutes, then it fires once for that window', () => {
    const history = new RuleHistory(compare, [], ruleSet(0, [rule()]));
    const docs = project(
      [
        read('a', '2026-03-02T10:00:00.000Z'),
        read('a', '2026-03-02T10:01:00.000Z'),
        read('b', '2026-03-02T10:02:00.000Z'),
        read('c', '2026-03-02T10:03:00.000Z'),
        read('d', '2026-03-02T10:04:00.000Z'),
      ],
      history,
    );
    const window = [...docs.values()].find((d) => d.window === 'PT10M')!;
    expect(window).toMatchObject({ reads: 5, distinctCustomers: 3, fieldsRead: 5 });
    expect(window.firings).toHaveLength(1);
    expect(window.firings[0]).toMatchObject({ ruleId: 'bulk', value: 3, threshold: 3 });
    // Windows the rule does not watch remember no customers.
    expect([...docs.values()].find((d) => d.window === 'P1D')!.subjects).toEqual([]);
  });

  it('gives the same anomaly id for the same rule, actor and window, and another for the next window', () => {
    const history = new RuleHistory(compare, [], ruleSet(0, [rule({ threshold: 1 })]));
    const first = project([read('a', '2026-03-02T10:00:00.000Z')], history);
    const again = project([read('b', '2026-03-02T10:05:00.000Z')], history);
    const later = project([read('a', '2026-03-02T10:15:00.000Z')], history);
    const ids = (docs: Map<string, AnomalyCountersDocument>) =>
      [...docs.values()].flatMap((d) => d.firings.map((f) => f.anomalyId));
    expect(ids(first)).toEqual(ids(again));
    expect(ids(later)).not.toEqual(ids(first));
  });

  it('ignores roles the rule does not watch', () => {
    const history = new RuleHistory(compare, [], ruleSet(0, [rule({ threshold: 1 })]));
    const docs = project([read('a', '2026-03-02T10:00:00.000Z', 'svc', 'service')], history);
    expect([...docs.values()].flatMap((d) => d.firings)).toEqual([]);
    // Windows no distinct-customer rule is on remember nobody.
    expect(distinctCap(ruleSet(0, [rule()]), 'P1D')).toBe(0);
  });

  it('counts an actor once across roles: a rule watching either role sees the reads of both', () => {
    const history = new RuleHistory(
      compare,
      [],
      ruleSet(0, [rule({ threshold: 4, roles: ['sales', 'support'] })]),
    );
    const docs = project(
      [
        read('a', '2026-03-02T10:00:00.000Z', 'both-1', 'sales'),
        read('b', '2026-03-02T10:01:00.000Z', 'both-1', 'sales'),
        read('c', '2026-03-02T10:02:00.000Z', 'both-1', 'support'),
        read('d', '2026-03-02T10:03:00.000Z', 'both-1', 'support'),
      ],
      history,
    );
    const window = [...docs.values()].find((d) => d.window === 'PT10M')!;
    expect(window).toMatchObject({ actorId: 'both-1', roles: ['sales', 'support'] });
    expect(window.distinctCustomers).toBe(4);
    expect(window.firings).toEqual([
      expect.objectContaining({ ruleId: 'bulk', value: 4, role: 'support' }),
    ]);
  });

  it('counts erasures a person asked for, once per customer, and not those of the retention rules', () => {
    const history = new RuleHistory(
      compare,
      [],
      ruleSet(0, [rule({ ruleId: 'bulk-erasure', measure: 'erasures', threshold: 2, roles: [] })]),
    );
    const erased = (subjectId: string, actor: { id: string; role: string }, reason = 'request') => {
      const e = event('SubjectErased', {
        subjectId,
        keyId: `k-${subjectId}`,
        reason,
        requestedVia: reason === 'retention' ? 'system' : 'email',
        erasedAt: '2026-03-02T10:00:00.000Z',
      });
      return { ...e, metadata: { actor } };
    };
    const support = { id: 'support-1', role: 'support' };
    const retention = { id: 'system-retention', role: 'system' };
    const docs = project(
      [
        erased('a', support),
        erased('a', support),
        erased('b', retention, 'retention'),
        erased('c', retention, 'retention'),
        erased('d', support),
      ],
      history,
    );
    const windows = [...docs.values()].filter((d) => d.window === 'PT10M');
    expect(windows).toHaveLength(1);
    expect(windows[0]).toMatchObject({ actorId: 'support-1', erasures: 2, erased: ['a', 'd'] });
    expect(windows[0].firings).toEqual([
      expect.objectContaining({ ruleId: 'bulk-erasure', value: 2 }),
    ]);
  });

  it('judges each event by the rules published before it in the log', () => {
    const history = new RuleHistory(compare, [], ruleSet(0, []));
    const events = [
      read('a', '2026-03-02T10:00:00.000Z'),
      published(1, [rule({ threshold: 2, action: 'alert' })]),
      read('b', '2026-03-02T10:01:00.000Z'),
    ];
    const docs = project(events, history);
    const window = [...docs.values()].find((d) => d.window === 'PT10M')!;
    // Customer a was read before the rule existed, so not remembered: the count is 1, no firing.
    expect(window.distinctCustomers).toBe(1);
    expect(window.firings).toEqual([]);
    expect(history.at(events[2].position).version).toBe(1);
    expect(history.at(events[0].position).version).toBe(0);
  });

  it('counts refusals, refusals for lack of consent, exports and reads outside working hours', () => {
    const history = new RuleHistory(compare, [], ruleSet(0, []));
    const base = { actorId: 'sales-1', role: 'sales', purposeId: 'crm', requestId: 'r' };
    const docs = project(
      [
        event('AccessDenied', {
          ...base,
          subjectId: 'a',
          reason: 'no_consent_for_purpose',
          at: '2026-03-02T10:00:00.000Z',
        }),
        event('AccessDenied', {
          ...base,
          subjectId: 'a',
          reason: 'purpose_inactive',
          at: '2026-03-02T10:00:01.000Z',
        }),
        // Saturday, 23:00 in Moscow.
        read('b', '2026-03-07T20:00:00.000Z'),
        event('ExportCompleted', {
          ...base,
          exportId: 'e',
          mode: 'real',
          count: 250,
          at: '2026-03-02T10:00:02.000Z',
        }),
      ],
      history,
    );
    const day = (start: string) =>
      [...docs.values()].find((d) => d.window === 'P1D' && d.windowStart.startsWith(start))!;
    expect(day('2026-03-02')).toMatchObject({
      refused: 2,
      withoutConsent: 1,
      exports: 1,
      rowsExported: 250,
    });
    expect(day('2026-03-07')).toMatchObject({ reads: 1, outOfHours: 1 });
  });

  it('keeps one document per actor and window length, whatever the role', () => {
    expect(counterDocumentIds(read('a', '2026-03-02T10:00:00.000Z'))).toEqual([
      `PT1M|${Date.parse('2026-03-02T10:00:00.000Z')}|sales-1`,
      `PT10M|${Date.parse('2026-03-02T10:00:00.000Z')}|sales-1`,
      `PT1H|${Date.parse('2026-03-02T10:00:00.000Z')}|sales-1`,
      `P1D|${Date.parse('2026-03-02T00:00:00.000Z')}|sales-1`,
    ]);
    expect(counterDocumentIds(read('a', '2026-03-02T10:00:00.000Z', 'sales-1', 'support'))).toEqual(
      counterDocumentIds(read('a', '2026-03-02T10:00:00.000Z')),
    );
  });
});
