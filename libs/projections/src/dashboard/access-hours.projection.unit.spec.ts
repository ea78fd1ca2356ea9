import type { JsonObject } from '@custodian/domain';
import {
  accessHourOf,
  accessHoursProjection,
  HOUR_MS,
  type AccessHourDocument,
} from './access-hours.projection';

/**
 * Distinct customers from the hour documents' gaps equal a brute-force count for every window of
 * up to 25 hours, also when reads arrive a little out of time order (as from two processes).
 */

type Ev = Parameters<typeof accessHoursProjection.apply>[1];

function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

describe('access_hours: exact distinct customers per role over any run of hours', () => {
  it('equals a brute-force count for every window, with reads out of order', () => {
    const random = rng(2026);
    const state = new Map<string, JsonObject | null>();
    const reads: Array<{ role: string; subjectId: string; hour: number }> = [];
    const start = Date.parse('2026-03-01T00:00:00Z');
    for (let i = 0; i < 3000; i++) {
      // Mostly forward in time, sometimes up to 30 hours back.
      const base = start + Math.floor(i / 10) * HOUR_MS;
      const back = random() < 0.1 ? Math.floor(random() * 30) * HOUR_MS : 0;
      const at = new Date(base - back + Math.floor(random() * HOUR_MS)).toISOString();
      const role = random() < 0.5 ? 'sales' : 'support';
      const subjectId = `s${Math.floor(random() * 40)}`;
      const event = {
        id: `e${i}`,
        position: String(i + 1),
        type: 'FieldsAccessed',
        data: {
          subjectId,
          actorId: `a${i % 3}`,
          role,
          purposeId: 'crm-care',
          via: 'view',
          fields: [],
          policyVersion: 0,
          requestId: `r${i}`,
          at,
        },
        metadata: {},
      } as unknown as Ev;
      const before = new Map(
        accessHoursProjection.consults!(event).map((id) => [id, state.get(id) ?? null]),
      );
      const lookup = (id: string) => (before.get(id) ?? null) as never;
      for (const id of accessHoursProjection.documentIds(event, lookup))
        state.set(
          id,
          accessHoursProjection.apply((state.get(id) ?? null) as never, event, id, lookup),
        );
      reads.push({ role, subjectId, hour: accessHourOf(at) });
    }
    const hours = new Map<number, AccessHourDocument>();
    for (const doc of state.values())
      if (doc && doc.kind === 'hour')
        hours.set(Date.parse(`${doc.hour as string}:00:00Z`) / HOUR_MS, doc as AccessHourDocument);
    const first = Math.min(...hours.keys());
    const last = Math.max(...hours.keys());
    let checked = 0;
    for (let a = first; a <= last; a += 5)
      for (const length of [1, 7, 23, 24, 25]) {
        for (const role of ['sales', 'support']) {
          const brute = new Set(
            reads
              .filter((r) => r.role === role && r.hour >= a && r.hour < a + length)
              .map((r) => r.subjectId),
          ).size;
          let counted = 0;
          for (let h = a; h < a + length; h++)
            for (const [gap, n] of Object.entries(hours.get(h)?.distinct[role] ?? {}))
              if (gap === 'far' || Number(gap) > h - a) counted += n;
          expect({ a, length, role, counted }).toEqual({ a, length, role, counted: brute });
          checked++;
        }
      }
    expect(checked).toBeGreaterThan(500);
  });
});
