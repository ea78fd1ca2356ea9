import type { RecordedEvent } from '@custodian/event-store';
import { eventCountsProjection } from './event-counts.projection';

const event = (stream: string, type: string, at: string): RecordedEvent => ({
  id: '00000000-0000-4000-8000-000000000000',
  stream,
  revision: 0n,
  position: '1',
  type,
  data: {},
  metadata: {},
  recordedAt: new Date(at),
});

describe('event_counts projection', () => {
  it('counts events per stream category and type, with first and last times', () => {
    const first = event('consent-7b1c', 'ConsentGranted', '2026-03-01T10:00:00Z');
    const second = event('consent-9f2a', 'ConsentGranted', '2026-03-02T11:00:00Z');
    expect(eventCountsProjection.documentIds(first)).toEqual(['consent:ConsentGranted']);
    const afterFirst = eventCountsProjection.apply(null, first, 'consent:ConsentGranted');
    const afterSecond = eventCountsProjection.apply(afterFirst, second, 'consent:ConsentGranted');
    expect(afterSecond).toEqual({
      type: 'ConsentGranted',
      category: 'consent',
      count: 2,
      firstRecordedAt: '2026-03-01T10:00:00.000Z',
      lastRecordedAt: '2026-03-02T11:00:00.000Z',
    });
  });

  it('uses the whole name of a stream without a category prefix', () => {
    expect(
      eventCountsProjection.documentIds(event('policy', 'PolicyPublished', '2026-01-01T00:00:00Z')),
    ).toEqual(['policy:PolicyPublished']);
  });

  it('leaves out the audit records of reads', () => {
    expect(
      eventCountsProjection.documentIds(
        event('access-7b1c', 'FieldsAccessed', '2026-03-01T10:00:00Z'),
      ),
    ).toEqual([]);
  });
});
