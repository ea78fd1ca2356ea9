import { spec } from '../testing/given-when-then';
import { subjectDecider } from './subject.decider';
import type { SubjectEvent } from './subject.events';

const now = new Date('2026-05-01T12:00:00.000Z');
const at = now.toISOString();
const subjectId = '0b8f0e7a-6a57-4f4e-9c55-2f0f1f6b2c11';
const registered: SubjectEvent = {
  type: 'SubjectRegistered',
  data: {
    subjectId,
    keyId: 'k1',
    source: 'web-signup',
    fields: { email: 'enc:v1:k1:a:b' },
    registeredAt: '2026-04-01T00:00:00.000Z',
  },
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
const subjects = spec(subjectDecider);

describe('subject decider', () => {
  it('registers a subject with encrypted fields', () => {
    subjects
      .given([])
      .when(
        {
          type: 'RegisterSubject',
          subjectId,
          keyId: 'k1',
          source: 'web-signup',
          fields: { email: 'enc:v1:k1:a:b' },
        },
        { now },
      )
      .then([{ ...registered, data: { ...registered.data, registeredAt: at } } as SubjectEvent]);
  });

  it('refuses to register the same subject twice', () => {
    subjects
      .given([registered])
      .when({ type: 'RegisterSubject', subjectId, keyId: 'k1', source: 'x', fields: {} }, { now })
      .thenRefuses('conflict', 'subjectId');
  });

  it('updates changed fields and removes fields set to null', () => {
    subjects
      .given([registered])
      .when(
        {
          type: 'UpdateProfile',
          subjectId,
          keyId: 'k1',
          changed: { phone: 'enc:v1:k1:c:d', email: null },
        },
        { now },
      )
      .then([
        {
          type: 'ProfileUpdated',
          data: {
            subjectId,
            keyId: 'k1',
            changed: { phone: 'enc:v1:k1:c:d', email: null },
            updatedAt: at,
          },
        },
      ]);
  });

  it('refuses an update that changes nothing', () => {
    subjects
      .given([registered])
      .when({ type: 'UpdateProfile', subjectId, keyId: 'k1', changed: { name: null } }, { now })
      .thenRefuses('invalid', 'profile');
  });

  it('refuses updates to unknown and erased subjects', () => {
    subjects
      .given([])
      .when({ type: 'UpdateProfile', subjectId, keyId: 'k1', changed: { name: 'x' } }, { now })
      .thenRefuses('not_found', 'subjectId');
    subjects
      .given([registered, erased])
      .when({ type: 'UpdateProfile', subjectId, keyId: 'k1', changed: { name: 'x' } }, { now })
      .thenRefuses('gone', 'subjectId');
  });

  it('erases once: erasing again is a no-op, not an error', () => {
    subjects
      .given([registered])
      .when(
        {
          type: 'EraseSubject',
          subjectId,
          reason: 'retention',
          requestedVia: 'system',
        },
        { now },
      )
      .then([
        {
          type: 'SubjectErased',
          data: {
            subjectId,
            keyId: 'k1',
            reason: 'retention',
            requestedVia: 'system',
            erasedAt: at,
          },
        },
      ]);
    subjects
      .given([registered, erased])
      .when(
        {
          type: 'EraseSubject',
          subjectId,
          reason: 'retention',
          requestedVia: 'system',
        },
        { now },
      )
      .then([]);
  });

  it('forgets the ciphertext in its state once erased', () => {
    const state = [registered, erased].reduce(subjectDecider.evolve, subjectDecider.initialState());
    expect(state).toMatchObject({
      fields: {},
      erased: { reason: 'data_subject_request', keyId: 'k1' },
    });
  });
});
