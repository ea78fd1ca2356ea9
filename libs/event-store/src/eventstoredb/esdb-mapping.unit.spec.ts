import type { RecordedEvent as EsdbRecordedEvent } from '@eventstore/db-client';
import { EventStoreUnavailableError } from '../event-store.errors';
import { validateAppend } from '../append-validation';
import { isUserEvent, toEsdbExpectedRevision, toEventData, toRecordedEvent } from './esdb-mapping';

const recorded = (overrides: Partial<Record<keyof EsdbRecordedEvent, unknown>> = {}) =>
  ({
    streamId: 'consent-1',
    id: '9b7d1c52-2b3f-4c55-8a4e-0d1f2e3a4b5c',
    revision: 3n,
    type: 'ConsentGranted',
    data: { purpose: 'marketing' },
    metadata: { actor: 'a1' },
    isJson: true,
    created: new Date('2024-05-01T10:00:00.000Z'),
    position: { commit: 1200n, prepare: 1200n },
    ...overrides,
  }) as EsdbRecordedEvent;

describe('ESDB mapping', () => {
  it.each([
    ['any', 'any'],
    ['no_stream', 'no_stream'],
    ['stream_exists', 'stream_exists'],
    [0n, 0n],
    [41n, 41n],
  ] as const)('maps expected revision %p to %p', (ours, theirs) => {
    expect(toEsdbExpectedRevision(ours)).toBe(theirs);
  });

  it('sends a validated event as a JSON event with its own id', () => {
    const id = '9b7d1c52-2b3f-4c55-8a4e-0d1f2e3a4b5c';
    const [event] = validateAppend(
      'consent-1',
      [{ id, type: 'ConsentGranted', data: { a: 1 } }],
      {},
    ).events;
    expect(toEventData(event)).toEqual({
      id,
      contentType: 'application/json',
      type: 'ConsentGranted',
      data: { a: 1 },
      metadata: {},
    });
  });

  it('converts a recorded event, position encoded and recordedAt from created', () => {
    expect(toRecordedEvent(recorded())).toEqual({
      id: '9b7d1c52-2b3f-4c55-8a4e-0d1f2e3a4b5c',
      stream: 'consent-1',
      revision: 3n,
      position: '1200/1200',
      type: 'ConsentGranted',
      data: { purpose: 'marketing' },
      metadata: { actor: 'a1' },
      recordedAt: new Date('2024-05-01T10:00:00.000Z'),
    });
  });

  it('reads absent metadata as {}', () => {
    expect(toRecordedEvent(recorded({ metadata: undefined })).metadata).toEqual({});
  });

  it('uses an explicit position over the event’s own', () => {
    const event = toRecordedEvent(recorded({ position: undefined }), { commit: 7n, prepare: 5n });
    expect(event.position).toBe('7/5');
  });

  it.each([
    ['no position (server older than 22.6)', { position: undefined }],
    ['the "no position" sentinel', { position: { commit: 2n ** 64n - 1n, prepare: 0n } }],
    ['binary data', { isJson: false, data: new Uint8Array([123, 125]) }],
    ['JSON data that is not an object', { data: [1, 2] }],
    ['metadata that is not JSON', { metadata: new Uint8Array([1]) }],
  ])('refuses an event with %s', (_, overrides) => {
    expect(() => toRecordedEvent(recorded(overrides))).toThrow(EventStoreUnavailableError);
  });

  it('tells user events from the server’s own', () => {
    expect(isUserEvent(recorded())).toBe(true);
    expect(isUserEvent(recorded({ type: '$>' }))).toBe(false);
    expect(isUserEvent(recorded({ type: '$metadata', streamId: '$$consent-1' }))).toBe(false);
    expect(isUserEvent(recorded({ type: 'Stats', streamId: '$stats-node' }))).toBe(false);
  });
});
