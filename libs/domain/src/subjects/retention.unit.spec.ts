import { purposeDecider } from '../purposes/purpose.decider';
import type { PurposeState } from '../purposes/purpose.types';
import { fold } from '../shared/decider';
import { addIsoDuration } from '../shared/iso';
import { purposeDefinition } from '../testing/purpose.fixtures';
import type { PurposeConsent } from '../consent/consent.types';
import { retentionDeadline } from './retention';

function purpose(
  overrides: Parameters<typeof purposeDefinition>[0] = {},
  retiredAt?: string,
): PurposeState {
  const def = purposeDefinition(overrides);
  return fold(purposeDecider, [
    { type: 'PurposeRegistered', data: { ...def, registeredAt: '2026-01-01T00:00:00.000Z' } },
    {
      type: 'NoticePublished',
      data: {
        purposeId: def.purposeId,
        version: 'v1',
        language: 'en',
        url: 'https://x',
        textSha256: 'a'.repeat(64),
        requiresReconsent: false,
        publishedAt: '2026-01-01T00:00:00.000Z',
      },
    },
    {
      type: 'PurposeActivated',
      data: { purposeId: def.purposeId, activatedAt: '2026-01-01T00:00:00.000Z' },
    },
    ...(retiredAt
      ? [{ type: 'PurposeRetired' as const, data: { purposeId: def.purposeId, retiredAt } }]
      : []),
  ])!;
}
const consent = (overrides: Partial<PurposeConsent>): PurposeConsent => ({
  purposeId: 'newsletter',
  decision: 'granted',
  since: '2026-02-01T00:00:00.000Z',
  noticeVersion: 'v1',
  channel: 'web',
  method: 'checkbox_opt_in',
  expiresAt: null,
  receiptId: 'r',
  ...overrides,
});
const now = new Date('2026-06-01T00:00:00.000Z');

describe('retention', () => {
  it('adds ISO-8601 durations, calendar-aware', () => {
    expect(addIsoDuration(new Date('2026-01-31T00:00:00Z'), 'P1M').toISOString()).toBe(
      '2026-03-03T00:00:00.000Z',
    );
    expect(addIsoDuration(new Date('2026-01-01T00:00:00Z'), 'P1Y2W3DT4H5M6S').toISOString()).toBe(
      '2027-01-18T04:05:06.000Z',
    );
    expect(addIsoDuration(new Date('2026-01-01T00:00:00Z'), 'PT1S').toISOString()).toBe(
      '2026-01-01T00:00:01.000Z',
    );
  });

  it('keeps a customer whose consent is in force', () => {
    const purposes = new Map([['newsletter', purpose({ retention: 'P1D' })]]);
    expect(
      retentionDeadline(
        {
          registeredAt: '2026-01-01T00:00:00.000Z',
          fieldNames: ['email'],
          consents: [consent({})],
          purposes,
        },
        now,
      ),
    ).toBeNull();
  });

  it('keeps a customer an active purpose on another legal basis uses', () => {
    const purposes = new Map([
      ['billing', purpose({ purposeId: 'billing', legalBasis: 'contract', retention: 'P1D' })],
    ]);
    expect(
      retentionDeadline(
        { registeredAt: '2026-01-01T00:00:00.000Z', fieldNames: ['email'], consents: [], purposes },
        now,
      ),
    ).toBeNull();
  });

  it('runs the retention period from the revocation', () => {
    const purposes = new Map([['newsletter', purpose({ retention: 'P30D' })]]);
    const deadline = retentionDeadline(
      {
        registeredAt: '2026-01-01T00:00:00.000Z',
        fieldNames: ['email'],
        consents: [consent({ decision: 'revoked', since: '2026-05-01T00:00:00.000Z' })],
        purposes,
      },
      now,
    );
    expect(deadline?.toISOString()).toBe('2026-05-31T00:00:00.000Z');
  });

  it('runs it from an expiry and from a retirement', () => {
    const expiring = new Map([['newsletter', purpose({ retention: 'P1D' })]]);
    expect(
      retentionDeadline(
        {
          registeredAt: '2026-01-01T00:00:00.000Z',
          fieldNames: [],
          consents: [consent({ expiresAt: '2026-03-01T00:00:00.000Z' })],
          purposes: expiring,
        },
        now,
      )?.toISOString(),
    ).toBe('2026-03-02T00:00:00.000Z');
    const retired = new Map([
      ['newsletter', purpose({ retention: 'P1D' }, '2026-04-01T00:00:00.000Z')],
    ]);
    expect(
      retentionDeadline(
        {
          registeredAt: '2026-01-01T00:00:00.000Z',
          fieldNames: [],
          consents: [consent({})],
          purposes: retired,
        },
        now,
      )?.toISOString(),
    ).toBe('2026-04-02T00:00:00.000Z');
  });

  it('keeps a customer without consents for the longest retention of the purposes using their fields', () => {
    const purposes = new Map([
      ['newsletter', purpose({ retention: 'P10D' })],
      [
        'support',
        purpose({
          purposeId: 'support',
          retention: 'P20D',
          assessment: { ...purposeDefinition().assessment, minimumFields: ['phone'] },
        }),
      ],
    ]);
    expect(
      retentionDeadline(
        {
          registeredAt: '2026-05-01T00:00:00.000Z',
          fieldNames: ['email', 'phone'],
          consents: [],
          purposes,
        },
        now,
      )?.toISOString(),
    ).toBe('2026-05-21T00:00:00.000Z');
  });
});
