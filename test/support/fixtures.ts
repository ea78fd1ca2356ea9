import { randomUUID } from 'node:crypto';

/** A complete purpose registration body; override what the test is about. */
export function purposeBody(purposeId: string, overrides: Record<string, unknown> = {}) {
  return {
    purposeId,
    title: `Purpose ${purposeId}`,
    description: 'What this processing is for',
    legalBasis: 'consent',
    dataCategories: ['contact'],
    retention: 'P2Y',
    recipients: ['mail-provider'],
    allowedRoles: ['marketing', 'service'],
    flags: { marketing: true, profiling: false, saleOrShare: false, aiProcessing: false },
    assessment: {
      necessity: 'We need an address to write to',
      minimumFields: ['email'],
      retentionJustification: 'Two years after the last consent',
      access: 'Marketing team',
      thirdParties: 'Mail provider as processor',
      withdrawal: 'Unsubscribe link in every email',
      mainRisk: 'Unwanted email; double opt-in',
    },
    ...overrides,
  };
}

export function noticeBody(version: string, overrides: Record<string, unknown> = {}) {
  return {
    version,
    language: 'en',
    url: `https://example.com/notices/${version}`,
    textSha256: 'ab'.repeat(32),
    requiresReconsent: false,
    ...overrides,
  };
}

export function consentBody(purposeId: string, overrides: Record<string, unknown> = {}) {
  return {
    purposeId,
    action: 'grant',
    noticeVersion: 'v1',
    evidence: {
      channel: 'web',
      collectionPoint: 'signup-form-v3',
      method: 'checkbox_opt_in',
      language: 'en',
      jurisdiction: 'DE',
    },
    ...overrides,
  };
}

export const newSubjectId = () => randomUUID();
