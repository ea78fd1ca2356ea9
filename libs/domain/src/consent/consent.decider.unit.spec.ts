import { purposeDecider } from '../purposes/purpose.decider';
import type { PurposeEvent } from '../purposes/purpose.events';
import { purposeDefinition } from '../testing/purpose.fixtures';
import type { PurposeDefinition, PurposeState } from '../purposes/purpose.types';
import { fold } from '../shared/decider';
import { spec } from '../testing/given-when-then';
import { consentDecider, type ConsentContext, type RecordConsent } from './consent.decider';
import type { ConsentEvent } from './consent.events';
import type { ConsentEvidence } from './consent.types';

const now = new Date('2026-03-01T09:00:00.000Z');
const at = now.toISOString();
const subjectId = '7d9f6a3e-0b1c-4e5f-8a9b-0c1d2e3f4a5b';
const evidence: ConsentEvidence = {
  channel: 'web',
  collectionPoint: 'signup-form-v3',
  method: 'checkbox_opt_in',
  language: 'en',
  jurisdiction: 'DE',
};

function purpose(
  overrides: Partial<PurposeDefinition> = {},
  status: 'draft' | 'active' | 'retired' = 'active',
): PurposeState {
  const definition = purposeDefinition(overrides);
  const events: PurposeEvent[] = [
    {
      type: 'PurposeRegistered',
      data: { ...definition, registeredAt: '2026-01-01T00:00:00.000Z' },
    },
    {
      type: 'NoticePublished',
      data: {
        purposeId: definition.purposeId,
        version: 'v1',
        language: 'en',
        url: 'https://example.com/v1',
        textSha256: 'a'.repeat(64),
        requiresReconsent: false,
        publishedAt: '2026-01-02T00:00:00.000Z',
      },
    },
  ];
  if (status !== 'draft')
    events.push({
      type: 'PurposeActivated',
      data: { purposeId: definition.purposeId, activatedAt: '2026-01-03T00:00:00.000Z' },
    });
  if (status === 'retired')
    events.push({
      type: 'PurposeRetired',
      data: { purposeId: definition.purposeId, retiredAt: '2026-01-04T00:00:00.000Z' },
    });
  return fold(purposeDecider, events)!;
}

const newsletter = purpose();
const adSharing = purpose({
  purposeId: 'ad-partners',
  flags: { marketing: true, profiling: true, saleOrShare: true, aiProcessing: false },
});
const context = (overrides: Partial<ConsentContext> = {}): ConsentContext => ({
  now,
  purpose: newsletter,
  gpcPurposes: [adSharing],
  gpcReceiptId: (purposeId) => `gpc-${purposeId}`,
  ...overrides,
});
const command = (overrides: Partial<RecordConsent> = {}): RecordConsent => ({
  type: 'RecordConsent',
  subjectId,
  purposeId: 'newsletter',
  action: 'grant',
  noticeVersion: 'v1',
  evidence,
  expiresAt: null,
  receiptId: 'r-1',
  gpc: false,
  ...overrides,
});
const granted = (purposeId = 'newsletter', receiptId = 'r-0'): ConsentEvent => ({
  type: 'ConsentGranted',
  data: {
    subjectId,
    purposeId,
    receiptId,
    noticeVersion: 'v1',
    legalBasis: 'consent',
    evidence,
    expiresAt: null,
    grantedAt: '2026-02-01T00:00:00.000Z',
  },
});
const consents = spec(consentDecider);

describe('consent decider', () => {
  describe('grant', () => {
    it('records a grant with its evidence, notice and expiry', () => {
      consents
        .given([])
        .when(command({ expiresAt: '2027-03-01T00:00:00.000Z' }), context())
        .then([
          {
            type: 'ConsentGranted',
            data: {
              subjectId,
              purposeId: 'newsletter',
              receiptId: 'r-1',
              noticeVersion: 'v1',
              legalBasis: 'consent',
              evidence,
              expiresAt: '2027-03-01T00:00:00.000Z',
              grantedAt: at,
            },
          },
        ]);
    });

    it('refuses an unknown purpose', () => {
      consents
        .given([])
        .when(command(), context({ purpose: null }))
        .thenRefuses('not_found', 'purposeId');
    });

    it.each(['draft', 'retired'] as const)('refuses a %s purpose', (status) => {
      consents
        .given([])
        .when(command(), context({ purpose: purpose({}, status) }))
        .thenRefuses('invalid', 'purposeId', new RegExp(status));
    });

    it('refuses a notice version that does not exist', () => {
      consents
        .given([])
        .when(command({ noticeVersion: 'v9' }), context())
        .thenRefuses('invalid', 'noticeVersion');
    });

    it('refuses a grant without a notice version', () => {
      consents
        .given([])
        .when(command({ noticeVersion: null }), context())
        .thenRefuses('invalid', 'noticeVersion');
    });

    it('refuses an expiry in the past or now', () => {
      consents
        .given([])
        .when(command({ expiresAt: '2026-02-28T00:00:00.000Z' }), context())
        .thenRefuses('invalid', 'expiresAt');
      consents
        .given([])
        .when(command({ expiresAt: at }), context())
        .thenRefuses('invalid', 'expiresAt');
    });

    it('refuses a method that is no affirmative act', () => {
      consents
        .given([])
        .when(command({ evidence: { ...evidence, method: 'unsubscribe_link' } }), context())
        .thenRefuses('invalid', 'evidence.method');
    });
  });

  describe('revoke', () => {
    it('records a revocation, even without a notice version', () => {
      consents
        .given([granted()])
        .when(
          command({
            action: 'revoke',
            noticeVersion: null,
            evidence: { ...evidence, method: 'unsubscribe_link', channel: 'email' },
          }),
          context(),
        )
        .then([
          {
            type: 'ConsentRevoked',
            data: {
              subjectId,
              purposeId: 'newsletter',
              receiptId: 'r-1',
              noticeVersion: null,
              legalBasis: 'consent',
              evidence: { ...evidence, method: 'unsubscribe_link', channel: 'email' },
              trigger: 'request',
              revokedAt: at,
            },
          },
        ]);
    });

    it('refuses an expiry on a revocation', () => {
      consents
        .given([])
        .when(command({ action: 'revoke', expiresAt: '2027-01-01T00:00:00.000Z' }), context())
        .thenRefuses('invalid', 'expiresAt');
    });
  });

  describe('Global Privacy Control', () => {
    it('refuses a grant for a purpose the signal opts out of', () => {
      consents
        .given([])
        .when(command({ purposeId: 'ad-partners', gpc: true }), context({ purpose: adSharing }))
        .thenRefuses('invalid', 'Sec-GPC', /Global Privacy Control/);
    });

    it('records an opt-out for every covered purpose alongside another command', () => {
      consents
        .given([granted('ad-partners')])
        .when(command({ gpc: true }), context())
        .then([
          expect.objectContaining({
            type: 'ConsentGranted',
            data: expect.objectContaining({ purposeId: 'newsletter' }),
          }),
          {
            type: 'ConsentRevoked',
            data: {
              subjectId,
              purposeId: 'ad-partners',
              receiptId: 'gpc-ad-partners',
              noticeVersion: null,
              legalBasis: 'consent',
              evidence: { ...evidence, method: 'gpc_signal' },
              trigger: 'gpc',
              revokedAt: at,
            },
          },
        ]);
    });

    it('records nothing more for covered purposes already revoked', () => {
      const revoked: ConsentEvent = {
        type: 'ConsentRevoked',
        data: {
          subjectId,
          purposeId: 'ad-partners',
          receiptId: 'r-x',
          noticeVersion: null,
          legalBasis: 'consent',
          evidence,
          trigger: 'request',
          revokedAt: '2026-02-02T00:00:00.000Z',
        },
      };
      consents
        .given([granted('ad-partners'), revoked])
        .when(command({ gpc: true }), context())
        .then([expect.objectContaining({ type: 'ConsentGranted' })]);
    });
  });
});
