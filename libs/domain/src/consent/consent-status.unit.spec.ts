import type { PurposeEvent } from '../purposes/purpose.events';
import { purposeDefinition } from '../testing/purpose.fixtures';
import { consentStateAt, consentViewAt } from './consent-history';
import { effectiveStatus, erasedConsent } from './consent-status';
import type { ConsentEvent } from './consent.events';
import type { ConsentEvidence } from './consent.types';

const subjectId = '7d9f6a3e-0b1c-4e5f-8a9b-0c1d2e3f4a5b';
const evidence: ConsentEvidence = {
  channel: 'web',
  collectionPoint: 'form',
  method: 'checkbox_opt_in',
  language: 'en',
  jurisdiction: 'RU',
};
const notice = (
  version: string,
  requiresReconsent: boolean,
  publishedAt: string,
): PurposeEvent => ({
  type: 'NoticePublished',
  data: {
    purposeId: 'newsletter',
    version,
    language: 'en',
    url: `https://example.com/${version}`,
    textSha256: 'b'.repeat(64),
    requiresReconsent,
    publishedAt,
  },
});
const purposeHistory: PurposeEvent[] = [
  {
    type: 'PurposeRegistered',
    data: { ...purposeDefinition(), registeredAt: '2026-01-01T00:00:00.000Z' },
  },
  notice('v1', false, '2026-01-02T00:00:00.000Z'),
  {
    type: 'PurposeActivated',
    data: { purposeId: 'newsletter', activatedAt: '2026-01-03T00:00:00.000Z' },
  },
  notice('v2', false, '2026-02-10T00:00:00.000Z'),
  notice('v3', true, '2026-04-01T00:00:00.000Z'),
];
const consentHistory: ConsentEvent[] = [
  {
    type: 'ConsentGranted',
    data: {
      subjectId,
      purposeId: 'newsletter',
      receiptId: 'r1',
      noticeVersion: 'v1',
      legalBasis: 'consent',
      evidence,
      expiresAt: null,
      grantedAt: '2026-02-01T00:00:00.000Z',
    },
  },
  {
    type: 'ConsentRevoked',
    data: {
      subjectId,
      purposeId: 'newsletter',
      receiptId: 'r2',
      noticeVersion: null,
      legalBasis: 'consent',
      evidence,
      trigger: 'request',
      revokedAt: '2026-02-15T00:00:00.000Z',
    },
  },
  {
    type: 'ConsentGranted',
    data: {
      subjectId,
      purposeId: 'newsletter',
      receiptId: 'r3',
      noticeVersion: 'v2',
      legalBasis: 'consent',
      evidence,
      expiresAt: '2026-06-01T00:00:00.000Z',
      grantedAt: '2026-03-01T00:00:00.000Z',
    },
  },
];
const statusAt = (iso: string) =>
  consentViewAt(consentHistory, new Map([['newsletter', purposeHistory]]), new Date(iso));

describe('consent status at a moment', () => {
  it.each([
    ['2025-12-01T00:00:00.000Z', undefined],
    ['2026-01-15T00:00:00.000Z', 'never'],
    ['2026-02-01T00:00:00.000Z', 'granted'],
    ['2026-02-14T23:59:59.999Z', 'granted'],
    ['2026-02-15T00:00:00.000Z', 'revoked'],
    ['2026-03-01T00:00:00.000Z', 'granted'],
    ['2026-04-01T00:00:00.000Z', 'stale'],
    ['2026-06-01T00:00:00.000Z', 'expired'],
  ])('at %s the newsletter consent is %s', (at, expected) => {
    expect(statusAt(at)[0]?.status).toBe(expected);
  });

  it('reports the decision it rests on', () => {
    expect(statusAt('2026-03-15T00:00:00.000Z')).toEqual([
      {
        purposeId: 'newsletter',
        purposeStatus: 'active',
        legalBasis: 'consent',
        status: 'granted',
        since: '2026-03-01T00:00:00.000Z',
        noticeVersion: 'v2',
        channel: 'web',
        expiresAt: '2026-06-01T00:00:00.000Z',
        receiptId: 'r3',
      },
    ]);
  });

  it('is erased for every purpose from the erasure on, and what it was before it', () => {
    const purposes = new Map([['newsletter', purposeHistory]]);
    const erasedAt = '2026-03-10T00:00:00.000Z';
    const at = (iso: string) => consentViewAt(consentHistory, purposes, new Date(iso), erasedAt);
    expect(at('2026-03-09T23:59:59.999Z')[0].status).toBe('granted');
    expect(at(erasedAt)[0]).toMatchObject({ status: 'erased', since: '2026-03-01T00:00:00.000Z' });
    expect(at('2026-07-01T00:00:00.000Z')[0].status).toBe('erased');
  });

  it('reads a consent marked erased as erased, whatever it was', () => {
    const granted = consentStateAt(consentHistory, new Date('2026-03-15T00:00:00.000Z')).purposes
      .newsletter;
    const purpose = { notices: [] };
    expect(effectiveStatus(granted, purpose, '2026-03-15T00:00:00.000Z')).toBe('granted');
    expect(effectiveStatus(erasedConsent(granted), purpose, '2026-03-15T00:00:00.000Z')).toBe(
      'erased',
    );
  });
});
