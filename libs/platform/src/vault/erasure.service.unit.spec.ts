import { subjectStream, type SubjectEvent } from '@custodian/domain';
import { SqliteEventStore, type EventStore } from '@custodian/event-store';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { erasureState } from './erasure.service';

const subjectId = '0b8f0e7a-6a57-4f4e-9c55-2f0f1f6b2c11';
const stream = subjectStream(subjectId);
const registered: SubjectEvent = {
  type: 'SubjectRegistered',
  data: {
    subjectId,
    keyId: 'k1',
    source: 'web',
    fields: { email: 'enc:v1:k1:a:b' },
    registeredAt: '2026-04-01T00:00:00.000Z',
  },
};
const updated: SubjectEvent = {
  type: 'ProfileUpdated',
  data: { subjectId, keyId: 'k1', changed: { phone: 'enc:v1:k1:c:d' }, updatedAt: '' },
};
const erased: SubjectEvent = {
  type: 'SubjectErased',
  data: {
    subjectId,
    keyId: 'k1',
    reason: 'data_subject_request',
    requestedVia: 'email',
    erasedAt: '2026-04-02T00:00:00.000Z',
  },
};

describe('erasure state', () => {
  let dir: string;
  let store: SqliteEventStore;
  let reads: number;
  let counted: EventStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'custodian-erasure-'));
    store = new SqliteEventStore({ file: join(dir, 'events.sqlite') });
    reads = 0;
    counted = Object.assign(Object.create(store) as EventStore, {
      readStream: (...args: Parameters<EventStore['readStream']>) => {
        reads++;
        return store.readStream(...args);
      },
    });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('given a long history, then it reads the first and last event only, at the last revision', async () => {
    await store.append(stream, [registered, ...Array.from({ length: 50 }, () => updated)]);
    const loaded = await erasureState(counted, stream);
    expect(reads).toBe(2);
    expect(loaded).toEqual({
      state: {
        subjectId,
        keyId: 'k1',
        source: 'web',
        fields: {},
        registeredAt: registered.data.registeredAt,
        erased: null,
      },
      revision: 50n,
    });
  });

  it('given an erased subject, then the state says so', async () => {
    await store.append(stream, [registered, updated, erased]);
    const loaded = await erasureState(counted, stream);
    expect(loaded.state?.erased).toEqual({
      at: erased.data.erasedAt,
      reason: 'data_subject_request',
      keyId: 'k1',
    });
    expect(loaded.revision).toBe(2n);
  });

  it('given no subject, then there is no state and no revision', async () => {
    expect(await erasureState(counted, stream)).toEqual({ state: null, revision: null });
    expect(reads).toBe(1);
  });
});
