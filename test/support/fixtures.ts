import { randomUUID } from 'node:crypto';
import { purposeDefinition } from '../../libs/domain/src/testing/purpose.fixtures';

/** A complete purpose registration body (the domain's test purpose); override what the test is about. */
export function purposeBody(purposeId: string, overrides: Record<string, unknown> = {}) {
  return { ...purposeDefinition({ purposeId, title: `Purpose ${purposeId}` }), ...overrides };
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

/** A connector registration body (a mailer serving `newsletter`, receiving `email`); override the rest. */
export function connectorBody(connectorId: string, overrides: Record<string, unknown> = {}) {
  return {
    connectorId,
    name: `Connector ${connectorId}`,
    kind: 'mailer',
    owner: 'crm-team',
    purposes: ['newsletter'],
    fields: ['email'],
    country: 'DE',
    role: 'processor',
    ...overrides,
  };
}
