import type { PurposeDefinition } from '../purposes/purpose.types';

/** A complete, valid purpose definition for tests; override what the test is about. */
export function purposeDefinition(overrides: Partial<PurposeDefinition> = {}): PurposeDefinition {
  return {
    purposeId: 'newsletter',
    title: 'Monthly newsletter',
    description: 'A monthly email about new products',
    legalBasis: 'consent',
    dataCategories: ['contact'],
    retention: 'P2Y',
    recipients: ['mail-provider'],
    allowedRoles: ['marketing', 'service'],
    flags: { marketing: true, profiling: false, saleOrShare: false, aiProcessing: false },
    assessment: {
      necessity: 'We need an address to send the newsletter to',
      minimumFields: ['email'],
      retentionJustification: 'Two years after the last consent, then erased',
      access: 'Marketing team only',
      thirdParties: 'Mail provider as processor',
      withdrawal: 'Unsubscribe link in every email',
      mainRisk: 'Unwanted email; mitigated by double opt-in',
    },
    ...overrides,
  };
}
