import type { RecordedEvent } from '@custodian/event-store';
import { DEFAULT_ANOMALY_RULES } from '@custodian/policy';
import {
  anomalyCountersProjection,
  RuleHistory,
  type AnomalyCountersDocument,
} from './anomaly-counters.projection';
import {
  alignedNeighbourIds,
  repeatsAlignedFiring,
  shiftedAnomalyCountersProjection,
  shiftedCounterDocumentId,
} from './shifted-anomaly-counters.projection';

let position = 0;
const read = (subjectId: string, at: string): RecordedEvent => ({
  id: `00000000-0000-4000-8000-${String(++position).padStart(12, '0')}`,
  stream: `access-${subjectId}`,
  revision: 0n,
  position: String(position),
  type: 'FieldsAccessed',
  data: {
    subjectId,
    actorId: 'sales-1',
    role: 'sales',
    purposeId: 'crm',
    via: 'view',
    fields: [],
    policyVersion: 0,
    requestId: 'r',
    at,
  },
  metadata: {},
  recordedAt: new Date(),
});
const history = () =>
  new RuleHistory((a, b) => Number(a) - Number(b), [], {
    version: 0,
    rules: [
      {
        ruleId: 'bulk',
        description: 'bulk reads',
        measure: 'distinctCustomers',
        window: 'PT10M',
        threshold: 4,
        action: 'alert',
        roles: [],
      },
    ],
    workingHours: DEFAULT_ANOMALY_RULES.workingHours,
  });
function project(events: RecordedEvent[], shifted: boolean) {
  const rules = history();
  const def = shifted ? shiftedAnomalyCountersProjection(rules) : anomalyCountersProjection(rules);
  const docs = new Map<string, AnomalyCountersDocument>();
  for (const e of events)
    for (const id of def.documentIds(e)) docs.set(id, def.apply(docs.get(id) ?? null, e, id)!);
  return docs;
}
const tenMinutes = (docs: Map<string, AnomalyCountersDocument>) =>
  [...docs.values()].filter((d) => d.window === 'PT10M');

describe('shifted anomaly counters', () => {
  it('puts a moment in the window shifted by half a length', () => {
    expect(shiftedCounterDocumentId('a', 'PT10M', Date.parse('2026-03-02T10:08:00Z'))).toBe(
      `PT10M|${Date.parse('2026-03-02T10:05:00Z')}|a`,
    );
    expect(shiftedCounterDocumentId('a', 'PT10M', Date.parse('2026-03-02T10:04:59Z'))).toBe(
      `PT10M|${Date.parse('2026-03-02T09:55:00Z')}|a`,
    );
  });

  it('catches a burst across an aligned boundary that the aligned windows miss', () => {
    const burst = [
      read('a', '2026-03-02T10:08:00.000Z'),
      read('b', '2026-03-02T10:09:00.000Z'),
      read('c', '2026-03-02T10:11:00.000Z'),
      read('d', '2026-03-02T10:12:00.000Z'),
    ];
    expect(tenMinutes(project(burst, false)).flatMap((d) => d.firings)).toEqual([]);
    const shifted = tenMinutes(project(burst, true));
    expect(shifted.map((d) => [d.windowStart, d.firings.length])).toEqual([
      ['2026-03-02T10:05:00.000Z', 1],
    ]);
    expect(alignedNeighbourIds(shifted[0])).toEqual([
      `PT10M|${Date.parse('2026-03-02T10:00:00Z')}|sales-1`,
      `PT10M|${Date.parse('2026-03-02T10:10:00Z')}|sales-1`,
    ]);
    expect(repeatsAlignedFiring(shifted[0], shifted[0].firings[0], [])).toBe(false);
  });

  it('treats a shifted firing as a repeat when an aligned window it overlaps fired the rule no later', () => {
    const burst = ['a', 'b', 'c', 'd'].map((s, i) => read(s, `2026-03-02T10:0${6 + i}:00.000Z`));
    const [aligned] = tenMinutes(project(burst, false));
    const [shifted] = tenMinutes(project(burst, true));
    expect(aligned.firings).toHaveLength(1);
    expect(shifted.firings[0].detectedAt).toBe(aligned.firings[0].detectedAt);
    expect(repeatsAlignedFiring(shifted, shifted.firings[0], [aligned])).toBe(true);
    // An aligned window's firing always stands.
    expect(repeatsAlignedFiring(aligned, aligned.firings[0], [shifted])).toBe(false);
  });
});
