import type { RedactionEvent } from '@custodian/domain';
import type { Recorded } from '@custodian/event-store';
import { redactionMappingsProjection as projection } from './redaction-mappings.projection';

const SUBJECT = '5f0c3c1e-8a0b-4c5e-9d3f-7a2b1c0e4d5f';

const recorded = (event: RedactionEvent): Recorded<RedactionEvent> =>
  ({
    ...event,
    id: '00000000-0000-4000-8000-000000000001',
    stream: `redaction-${event.data.redactionId}`,
    revision: 0n,
    position: '7',
    metadata: {},
    recordedAt: new Date('2031-01-01T00:00:00.000Z'),
  }) as unknown as Recorded<RedactionEvent>;

const redacted = (mapping: { keyId: string; sealed: string; redactionKeyId?: string } | null) =>
  recorded({
    type: 'TextRedacted',
    data: {
      redactionId: 'r-1',
      purposeId: 'chat-analysis',
      connectorId: 'llm-vendor',
      subjectId: mapping ? SUBJECT : null,
      actorId: 'crm',
      role: 'service',
      counts: { EMAIL: 1 },
      mapping,
      expiresAt: mapping ? '2031-01-02T00:00:00.000Z' : null,
      requestId: 'q-1',
      at: '2031-01-01T00:00:00.000Z',
    },
  });

describe('redaction_mappings', () => {
  it('lists mappings sealed under a key of their own, by expiry, without their ciphertext, until shredded', () => {
    const event = redacted({ keyId: 'k1', sealed: 'v1.ciphertext', redactionKeyId: 'k2' });
    expect(projection.documentIds(event)).toEqual(['r-1']);
    const doc = projection.apply(null, event, 'r-1');
    expect(doc).toEqual({
      redactionId: 'r-1',
      subjectId: SUBJECT,
      expiresAt: '2031-01-02T00:00:00.000Z',
      status: 'sealed',
    });
    const shredded = recorded({
      type: 'RedactionMappingShredded',
      data: {
        redactionId: 'r-1',
        subjectId: SUBJECT,
        keyId: 'k2',
        expiredAt: '2031-01-02T00:00:00.000Z',
        at: '2031-01-02T00:01:00.000Z',
      },
    });
    expect(projection.documentIds(shredded)).toEqual(['r-1']);
    expect(projection.apply(doc, shredded, 'r-1')).toMatchObject({ status: 'shredded' });
  });

  it('leaves out redactions that kept no mapping, or kept it under the customer’s key alone', () => {
    expect(projection.documentIds(redacted(null))).toEqual([]);
    expect(projection.documentIds(redacted({ keyId: 'k1', sealed: 'v1.ciphertext' }))).toEqual([]);
  });
});
