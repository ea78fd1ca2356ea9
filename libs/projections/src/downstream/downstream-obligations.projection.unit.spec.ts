import type { JsonObject } from '@custodian/domain';
import {
  downstreamObligationId,
  downstreamObligationsProjection as projection,
} from './downstream-obligations.projection';

/** Applies events as the runner does (consults, ids, apply), into a map of documents. */
function run(events: Array<{ type: string; data: Record<string, unknown>; id?: string }>) {
  const docs = new Map<string, JsonObject>();
  events.forEach((e, i) => {
    const event = { id: e.id ?? `e${i}`, position: String(i), metadata: {}, ...e } as never;
    const consulted = new Map(
      (projection.consults?.(event) ?? []).map((id) => [id, docs.get(id) ?? null]),
    );
    const lookup = (id: string) => {
      if (!consulted.has(id)) throw new Error(`not consulted: ${id}`);
      return consulted.get(id) as never;
    };
    for (const id of projection.documentIds(event, lookup)) {
      const next = projection.apply((docs.get(id) ?? null) as never, event, id, lookup);
      if (next === null) docs.delete(id);
      else docs.set(id, next);
    }
  });
  return docs;
}

const connector = (connectorId: string, purposes: string[], fields: string[]) => ({
  type: 'ConnectorRegistered',
  data: { connectorId, purposes, fields },
});
const purpose = (purposeId: string, legalBasis: string) => ({
  type: 'PurposeRegistered',
  data: { purposeId, legalBasis },
});
const registered = (fields: string[]) => ({
  type: 'SubjectRegistered',
  data: { subjectId: 's1', fields: Object.fromEntries(fields.map((f) => [f, 'ciphertext'])) },
});
const granted = (purposeId: string) => ({
  type: 'ConsentGranted',
  data: { subjectId: 's1', purposeId },
});
const revoked = (purposeId: string, legalBasis = 'consent') => ({
  type: 'ConsentRevoked',
  id: 'revocation',
  data: { subjectId: 's1', purposeId, legalBasis, revokedAt: '2030-01-02T00:00:00.000Z' },
});
const erased = {
  type: 'SubjectErased',
  id: 'erasure',
  data: { subjectId: 's1', erasedAt: '2030-01-03T00:00:00.000Z' },
};
const owing = (docs: Map<string, JsonObject>, eventId: string) =>
  [...docs.values()]
    .filter((d) => d.kind === 'obligation' && d.eventId === eventId)
    .map((d) => d.connectorId)
    .sort();

describe('downstream obligations: who must acknowledge an erasure or a withdrawal', () => {
  it('asks connectors serving a purpose the customer consented to, not the others', () => {
    const docs = run([
      purpose('news', 'consent'),
      purpose('ads', 'consent'),
      connector('mailer', ['news'], ['email']),
      connector('adtech', ['ads'], ['email']),
      registered(['email']),
      granted('news'),
      erased,
    ]);
    expect(owing(docs, 'erasure')).toEqual(['mailer']);
    expect(docs.get(downstreamObligationId('erasure', 'mailer'))).toEqual({
      kind: 'obligation',
      connectorId: 'mailer',
      eventId: 'erasure',
      subjectId: 's1',
      cause: 'erasure',
      purposeId: null,
      at: '2030-01-03T00:00:00.000Z',
      acknowledged: false,
      acknowledgedAt: null,
      acknowledgedBy: null,
    });
  });

  it('asks a connector serving a purpose not resting on consent only if it receives a field the customer held', () => {
    const docs = run([
      purpose('billing', 'contract'),
      connector('invoicer', ['billing'], ['address']),
      connector('crm-sync', ['billing'], ['name']),
      registered(['name']),
      erased,
    ]);
    expect(owing(docs, 'erasure')).toEqual(['crm-sync']);
  });

  it('does not ask a connector registered after the event', () => {
    const docs = run([
      purpose('news', 'consent'),
      registered(['email']),
      granted('news'),
      erased,
      connector('late-mailer', ['news'], ['email']),
    ]);
    expect(owing(docs, 'erasure')).toEqual([]);
  });

  it('asks for a withdrawal only the connectors of that purpose, and for an objection too', () => {
    const docs = run([
      purpose('news', 'consent'),
      purpose('profiling', 'legitimate_interest'),
      connector('mailer', ['news'], ['email']),
      connector('scorer', ['profiling'], ['email']),
      registered(['email']),
      revoked('news'),
    ]);
    // Never granted: the mailer never had the customer for the newsletter.
    expect(owing(docs, 'revocation')).toEqual([]);
    const objected = run([
      connector('mailer', ['news'], ['email']),
      connector('scorer', ['profiling'], ['email']),
      registered(['email']),
      granted('news'),
      revoked('profiling', 'legitimate_interest'),
    ]);
    expect(owing(objected, 'revocation')).toEqual(['scorer']);
  });

  it('marks the acknowledged one, and an acknowledgement of nothing owed changes nothing', () => {
    const docs = run([
      connector('mailer', ['news'], ['email']),
      registered(['email']),
      granted('news'),
      erased,
      {
        type: 'DownstreamAcknowledged',
        data: {
          connectorId: 'mailer',
          eventId: 'erasure',
          acknowledgedBy: 'connector:mailer',
          acknowledgedAt: '2030-01-04T00:00:00.000Z',
        },
      },
      {
        type: 'DownstreamAcknowledged',
        data: {
          connectorId: 'other',
          eventId: 'erasure',
          acknowledgedBy: 'x',
          acknowledgedAt: 'y',
        },
      },
    ]);
    expect(docs.get(downstreamObligationId('erasure', 'mailer'))).toMatchObject({
      acknowledged: true,
      acknowledgedAt: '2030-01-04T00:00:00.000Z',
      acknowledgedBy: 'connector:mailer',
    });
    expect(docs.has(downstreamObligationId('erasure', 'other'))).toBe(false);
  });
});
