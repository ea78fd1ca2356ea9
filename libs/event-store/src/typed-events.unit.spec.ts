import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordedEvent } from './event-store.port';
import { SqliteEventStore } from './sqlite/sqlite-event-store';
import {
  decodeEvent,
  decodeEvents,
  eventCodecs,
  readTypedStream,
  schemaVersionOf,
  UnknownEventTypeError,
  UnsupportedSchemaVersionError,
} from './typed-events';

const v1Revocation = {
  subjectId: 's-1',
  purposeId: 'marketing',
  receiptId: 'r-1',
  noticeVersion: null,
  legalBasis: 'consent',
  evidence: {
    channel: 'web',
    collectionPoint: 'settings',
    method: 'account_settings',
    language: 'en',
    jurisdiction: 'DE',
  },
  revokedAt: '2026-01-01T00:00:00.000Z',
};

const recorded = (over: Partial<RecordedEvent>): RecordedEvent => ({
  id: 'e-1',
  stream: 'consent-s-1',
  revision: 0n,
  position: '1',
  type: 'ConsentGranted',
  data: {},
  metadata: {},
  recordedAt: new Date(0),
  ...over,
});

describe('typed events at the store edge', () => {
  it('has a codec for every type, its version one more than its upcasters', () => {
    for (const [type, codec] of Object.entries(eventCodecs)) {
      expect(codec.type).toBe(type);
      expect(codec.schemaVersion).toBe(codec.upcasters.length + 1);
    }
    expect(schemaVersionOf('ConsentRevoked')).toBe(2);
    expect(schemaVersionOf('ConsentGranted')).toBe(1);
  });

  it('returns a current event as it is, without copying it', () => {
    const event = recorded({ metadata: { schemaVersion: 1 } });
    expect(decodeEvent(event)).toBe(event);
    const batch = [event, recorded({ id: 'e-2' })];
    expect(decodeEvents(batch)).toBe(batch);
  });

  it('refuses an unknown type and a version newer than this build', () => {
    expect(() => decodeEvent(recorded({ type: 'Nope' }))).toThrow(UnknownEventTypeError);
    expect(() =>
      decodeEvent(recorded({ type: 'ConsentRevoked', metadata: { schemaVersion: 3 } })),
    ).toThrow(UnsupportedSchemaVersionError);
    expect(() => decodeEvent(recorded({ metadata: { schemaVersion: '1.0' } }))).toThrow(
      /schema version 1\.0/,
    );
  });

  describe('a v1 ConsentRevoked stored in SQLite', () => {
    let dir: string;
    let store: SqliteEventStore;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'custodian-typed-'));
      store = new SqliteEventStore({ file: join(dir, 'events.sqlite') });
    });
    afterEach(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('reads back as v2: the trigger made explicit', async () => {
      await store.append('consent-s-1', [
        { type: 'ConsentRevoked', data: v1Revocation, metadata: { schemaVersion: 1 } },
        { type: 'ConsentRevoked', data: v1Revocation }, // no version at all: v1 too
        {
          type: 'ConsentRevoked',
          data: { ...v1Revocation, trigger: 'gpc' },
          metadata: { schemaVersion: 2 },
        },
      ]);
      const [stamped, unstamped, current] = await readTypedStream(store, 'consent-s-1');
      expect(stamped.type).toBe('ConsentRevoked');
      expect(stamped.data).toEqual({ ...v1Revocation, trigger: 'request' });
      expect(unstamped.data).toEqual({ ...v1Revocation, trigger: 'request' });
      expect(current.data).toEqual({ ...v1Revocation, trigger: 'gpc' });
      expect(stamped.revision).toBe(0n);
      expect(stamped.metadata).toEqual({ schemaVersion: 1 });
      // the stored v1 is not rewritten
      expect((await store.readStream('consent-s-1'))[0].data).toEqual(v1Revocation);
    });
  });
});
