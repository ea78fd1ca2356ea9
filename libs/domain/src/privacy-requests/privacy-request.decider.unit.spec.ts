import { fold } from '../shared/decider';
import { DomainError } from '../shared/domain-error';
import {
  privacyRequestDecider,
  privacyRequestOverdue,
  privacyRequestStatus,
  type PrivacyRequestCommand,
  type PrivacyRequestEvent,
  type PrivacyRequestState,
} from './privacy-request.decider';

const requestId = '11111111-1111-4111-8111-111111111111';
const open: PrivacyRequestCommand = {
  type: 'OpenPrivacyRequest',
  requestId,
  subjectId: '22222222-2222-4222-8222-222222222222',
  kind: 'erasure',
  jurisdiction: 'ru',
  receivedVia: 'email',
  // Friday 1 May 2026 (a holiday), 12:00 Moscow.
  receivedAt: '2026-05-01T09:00:00.000Z',
  by: 'dpo-1',
};

function run(commands: Array<[PrivacyRequestCommand, string, boolean?]>) {
  const events: PrivacyRequestEvent[] = [];
  for (const [command, at, subjectErased] of commands) {
    const state = fold(privacyRequestDecider, events);
    events.push(
      ...privacyRequestDecider.decide(command, state, { now: new Date(at), subjectErased }),
    );
  }
  return { events, state: fold(privacyRequestDecider, events) as PrivacyRequestState };
}

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as DomainError).kind;
  }
  return 'accepted';
};

describe('privacyRequestDecider', () => {
  it('fixes the deadline at receipt: 10 Russian working days after 1 May 2026 (4-8 May, 12-15 May, 18 May)', () => {
    const { state } = run([[open, '2026-05-01T09:00:00Z']]);
    expect(state.dueDay).toBe('2026-05-18');
    expect(privacyRequestStatus(state)).toBe('received');
    expect(privacyRequestOverdue(state, new Date('2026-05-18T20:59:59.999Z'))).toBe(false);
    expect(privacyRequestOverdue(state, new Date('2026-05-18T21:00:00.000Z'))).toBe(true);
  });

  it('verifies once, completes an erasure only when erased and verified, and records lateness', () => {
    const base: Array<[PrivacyRequestCommand, string, boolean?]> = [[open, '2026-05-01T09:00:00Z']];
    const complete: PrivacyRequestCommand = {
      type: 'CompletePrivacyRequest',
      requestId,
      outcome: null,
      receiptId: null,
      by: 'dpo-1',
    };
    const verify: PrivacyRequestCommand = { type: 'VerifyIdentity', requestId, by: 'dpo-1' };
    const { state } = run(base);
    expect(
      refusal(() =>
        privacyRequestDecider.decide(complete, state, { now: new Date(), subjectErased: true }),
      ),
    ).toBe('conflict');
    const verified = run([...base, [verify, '2026-05-05T09:00:00Z']]).state;
    expect(refusal(() => privacyRequestDecider.decide(verify, verified, { now: new Date() }))).toBe(
      'conflict',
    );
    expect(
      refusal(() =>
        privacyRequestDecider.decide(complete, verified, { now: new Date(), subjectErased: false }),
      ),
    ).toBe('conflict');
    const late = run([
      ...base,
      [verify, '2026-05-05T09:00:00Z'],
      [complete, '2026-05-20T09:00:00Z', true],
    ]);
    expect(late.events.at(-1)).toMatchObject({
      type: 'PrivacyRequestCompleted',
      data: { late: true },
    });
    expect(privacyRequestStatus(late.state)).toBe('completed');
  });

  it('extends once and only before the deadline; nothing happens to a closed case', () => {
    const extend: PrivacyRequestCommand = {
      type: 'ExtendPrivacyRequest',
      requestId,
      reason: 'Archive retrieval',
      by: 'dpo-1',
    };
    const extended = run([
      [open, '2026-05-01T09:00:00Z'],
      [extend, '2026-05-10T09:00:00Z'],
    ]).state;
    expect(extended.dueDay).toBe('2026-05-25');
    expect(
      refusal(() =>
        privacyRequestDecider.decide(extend, extended, { now: new Date('2026-05-11T00:00:00Z') }),
      ),
    ).toBe('conflict');
    const notExtended = run([[open, '2026-05-01T09:00:00Z']]).state;
    expect(
      refusal(() =>
        privacyRequestDecider.decide(extend, notExtended, {
          now: new Date('2026-05-19T00:00:00Z'),
        }),
      ),
    ).toBe('conflict');
    const refused = run([
      [open, '2026-05-01T09:00:00Z'],
      [
        { type: 'RefusePrivacyRequest', requestId, reason: 'Manifestly unfounded', by: 'dpo-1' },
        '2026-05-02T09:00:00Z',
      ],
    ]).state;
    expect(privacyRequestStatus(refused)).toBe('refused');
    expect(
      refusal(() =>
        privacyRequestDecider.decide(extend, refused, { now: new Date('2026-05-03T00:00:00Z') }),
      ),
    ).toBe('conflict');
  });
});
