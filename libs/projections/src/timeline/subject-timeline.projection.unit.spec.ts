import { subjectTimelineProjection, timelineFacts } from './subject-timeline.projection';
import type { StoredEvent } from '../projection.definition';

const SUBJECT = '5f0c3c1e-8a0b-4c5e-9d3f-7a2b1c0e4d5f';

const event = (type: string, data: Record<string, unknown>, position = '7'): StoredEvent => ({
  id: '00000000-0000-4000-8000-000000000001',
  stream: `x-${SUBJECT}`,
  revision: 0n,
  position,
  type,
  data,
  metadata: { occurredAt: '2031-01-01T00:00:00.000Z', actor: { id: 'crm', role: 'service' } },
  recordedAt: new Date('2031-01-01T00:00:00.000Z'),
});

describe('subject_timeline', () => {
  it('takes in any event type naming a subject, showing only its ids and status', () => {
    const request = event('PrivacyRequestOpened', {
      subjectId: SUBJECT,
      requestId: 'req-1',
      kind: 'access',
      status: 'open',
      contactEmail: 'someone@example.com',
      note: 'call Vera on +7 912 345-45-67',
    });
    const ids = subjectTimelineProjection.documentIds(request, () => null);
    expect(ids).toEqual([`${SUBJECT}:${'7'.padStart(20, '0')}`]);
    const doc = subjectTimelineProjection.apply(null, request, ids[0], () => null);
    expect(doc).toMatchObject({
      subjectId: SUBJECT,
      category: 'other',
      type: 'PrivacyRequestOpened',
      actor: { id: 'crm', role: 'service' },
      facts: { requestId: 'req-1', kind: 'access', status: 'open' },
    });
    expect(JSON.stringify(doc)).not.toMatch(/example\.com|345|Vera/);
  });

  it('keeps field names of a registration or change, never their ciphertext', () => {
    expect(
      timelineFacts('SubjectRegistered', {
        subjectId: SUBJECT,
        source: 'shop',
        keyId: 'k1',
        fields: { email: 'v1.ciphertext-a', name: 'v1.ciphertext-b' },
      }),
    ).toEqual({ source: 'shop', keyId: 'k1', fields: ['email', 'name'] });
    expect(
      timelineFacts('ProfileUpdated', { changed: { name: 'v1.ciphertext-c', phone: null } }),
    ).toEqual({ changed: ['name'], removed: ['phone'] });
  });

  it('shows AI processing with its purpose, connector and counts, never the sealed mapping or a value', () => {
    const redacted = event('TextRedacted', {
      redactionId: 'r-1',
      purposeId: 'chat-analysis',
      connectorId: 'llm-vendor',
      subjectId: SUBJECT,
      actorId: 'crm',
      role: 'service',
      counts: { NAME: 1, EMAIL: 2, 'x@example.com': 3 },
      mapping: { keyId: 'k1', sealed: 'v1.ciphertext-m', redactionKeyId: 'k2' },
      expiresAt: '2031-01-02T00:00:00.000Z',
      requestId: 'q-1',
      at: '2031-01-01T00:00:00.000Z',
    });
    const [id] = subjectTimelineProjection.documentIds(redacted, () => null);
    const doc = subjectTimelineProjection.apply(null, redacted, id, () => null);
    expect(doc).toMatchObject({
      category: 'ai',
      type: 'TextRedacted',
      facts: {
        redactionId: 'r-1',
        purposeId: 'chat-analysis',
        connectorId: 'llm-vendor',
        counts: { NAME: 1, EMAIL: 2 },
        mappingKept: true,
      },
    });
    expect(JSON.stringify(doc)).not.toMatch(/ciphertext|example\.com|k2/);
    expect(
      timelineFacts('InsightRecorded', {
        insightId: 'i-1',
        subjectId: SUBJECT,
        purposeId: 'chat-analysis',
        connectorId: 'llm-vendor',
        redactionId: 'r-1',
        kind: 'sentiment',
        valueType: 'tag',
        keyId: 'k1',
        value: 'v1.ciphertext-v',
      }),
    ).toEqual({
      insightId: 'i-1',
      purposeId: 'chat-analysis',
      connectorId: 'llm-vendor',
      redactionId: 'r-1',
      kind: 'sentiment',
      valueType: 'tag',
    });
  });

  it('ignores events naming no subject (and malformed ids)', () => {
    expect(
      subjectTimelineProjection.documentIds(event('PurposeRegistered', {}), () => null),
    ).toEqual([]);
    expect(
      subjectTimelineProjection.documentIds(event('X', { subjectId: 'not-a-uuid' }), () => null),
    ).toEqual([]);
  });
});
