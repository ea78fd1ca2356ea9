import type { JsonObject } from '@custodian/domain';
import {
  auditReadsProjection,
  positionKey,
  type AuditIndexDocument,
  type AuditReadDocument,
} from './audit-reads.projection';

type Ev = Parameters<typeof auditReadsProjection.apply>[1];

/**
 * The projection as the runner drives it, in memory: consulted documents as they stand before
 * each event, `documentsWhere` matched on the documents so far.
 */
function run(
  events: Array<{ type: string; data: Record<string, unknown>; metadata?: JsonObject }>,
) {
  const docs = new Map<string, AuditIndexDocument | null>();
  events.forEach((e, i) => {
    const event = {
      id: `e${i + 1}`,
      stream: 's',
      revision: 0n,
      position: String(i + 1),
      type: e.type,
      data: e.data,
      metadata: e.metadata ?? {},
      recordedAt: new Date(0),
    } as unknown as Ev;
    const consulted = new Map(
      (auditReadsProjection.consults?.(event) ?? []).map((id) => [id, docs.get(id) ?? null]),
    );
    const lookup = (id: string) => {
      if (!consulted.has(id)) throw new Error(`not consulted: ${id}`);
      return consulted.get(id) ?? null;
    };
    const ids = new Set(auditReadsProjection.documentIds(event, lookup));
    const where = auditReadsProjection.documentsWhere?.(event);
    if (where)
      for (const [id, doc] of docs)
        if (doc && Object.entries(where).every(([k, v]) => doc[k] === v)) ids.add(id);
    for (const id of ids)
      docs.set(id, auditReadsProjection.apply(docs.get(id) ?? null, event, id, lookup));
  });
  return [...docs.values()].filter((d): d is AuditReadDocument => d?.kind === 'read');
}

const S = 'subject-1';
const purpose = (legalBasis: string) => ({
  type: 'PurposeRegistered',
  data: { purposeId: 'newsletter', legalBasis },
});
const grant = (receiptId: string, expiresAt: string | null = null) => ({
  type: 'ConsentGranted',
  data: {
    subjectId: S,
    purposeId: 'newsletter',
    receiptId,
    noticeVersion: 'v1',
    grantedAt: '2026-01-01T00:00:00.000Z',
    expiresAt,
  },
});
const view = (at: string, actorId = 'm-1') => ({
  type: 'FieldsAccessed',
  data: {
    subjectId: S,
    actorId,
    role: 'marketing',
    purposeId: 'newsletter',
    via: 'view',
    fields: [{ name: 'email', mask: 'full' }],
    policyVersion: 3,
    requestId: 'req',
    at,
  },
});

describe('audit_reads projection: the justification of each read as the log stood then', () => {
  it('relies on a consent only while it is granted and not expired', () => {
    const reads = run([
      purpose('consent'),
      { type: 'PurposeActivated', data: { purposeId: 'newsletter' } },
      grant('r1', '2026-03-01T00:00:00.000Z'),
      view('2026-02-01T00:00:00.000Z'),
      view('2026-03-01T00:00:00.000Z'),
      grant('r2'),
      view('2026-04-01T00:00:00.000Z'),
      {
        type: 'ConsentRevoked',
        data: {
          subjectId: S,
          purposeId: 'newsletter',
          receiptId: 'r3',
          noticeVersion: null,
          revokedAt: '2026-05-01T00:00:00.000Z',
        },
      },
      view('2026-05-02T00:00:00.000Z'),
    ]);
    expect(reads.map((r) => r.receiptId)).toEqual(['r1', null, 'r2', null]);
    expect(reads[0].justification.purpose).toMatchObject({
      status: 'active',
      legalBasis: 'consent',
    });
    expect(reads[1].justification.basis.consent).toMatchObject({ inForce: false, receiptId: 'r1' });
    expect(reads[3].justification.basis.consent).toMatchObject({
      inForce: false,
      decision: 'revoked',
      revokedAt: '2026-05-01T00:00:00.000Z',
    });
  });

  it('does not rest a read on a consent when the purpose rests on another basis', () => {
    const [read] = run([purpose('contract'), grant('r1'), view('2026-02-01T00:00:00.000Z')]);
    expect(read.receiptId).toBeNull();
    expect(read.justification.basis).toEqual({ kind: 'contract', consent: null });
  });

  it('marks the reads of an invalidated receipt, before and after it, and not those of a re-grant', () => {
    const invalidate = {
      type: 'ConsentReceiptInvalidated',
      data: {
        receiptId: 'r1',
        subjectId: S,
        purposeId: 'newsletter',
        reason: 'forged',
        invalidatedBy: 'dpo-1',
        at: '2026-02-15T00:00:00.000Z',
      },
    };
    const reads = run([
      purpose('consent'),
      grant('r1'),
      view('2026-02-01T00:00:00.000Z'),
      invalidate,
      view('2026-02-16T00:00:00.000Z'),
      grant('r2'),
      view('2026-02-17T00:00:00.000Z'),
    ]);
    expect(reads.map((r) => [r.receiptId, r.invalidation?.reason ?? null])).toEqual([
      ['r1', 'forged'],
      ['r1', 'forged'],
      ['r2', null],
    ]);
    // As it stood then: the first read knew of no invalidation, the second did.
    expect(reads.map((r) => r.justification.basis.consent?.invalidated)).toEqual([
      false,
      true,
      false,
    ]);
  });

  it("records the actor's suspension, the built-in subject-access basis and an export's request", () => {
    const reads = run([
      {
        type: 'ActorSuspended',
        data: { actorId: 'm-1', reason: 'bulk reads', at: '2026-01-02T00:00:00.000Z' },
      },
      view('2026-01-03T00:00:00.000Z'),
      {
        type: 'FieldsAccessed',
        data: {
          ...view('2026-01-04T00:00:00.000Z', 'dpo-1').data,
          purposeId: 'subject-access',
          via: 'dsar',
        },
      },
      {
        type: 'RolePolicyPublished',
        data: { version: 4, publishedAt: '2026-01-04T00:00:00.000Z' },
      },
      {
        type: 'SubjectExported',
        data: {
          subjectId: S,
          exportId: 'x',
          actorId: 'm-1',
          role: 'marketing',
          purposeId: 'newsletter',
          fields: [],
          destination: 'file',
          at: '2026-01-05T00:00:00.000Z',
        },
        metadata: { correlationId: 'req-export' },
      },
    ]);
    expect(reads[0].justification.actor).toEqual({
      suspended: true,
      suspendedSince: '2026-01-02T00:00:00.000Z',
      suspensionReason: 'bulk reads',
    });
    expect(reads[1].justification.basis.kind).toBe('legal_obligation');
    expect(reads[2]).toMatchObject({ via: 'export', requestId: 'req-export', policyVersion: null });
    expect(reads[2].justification.policy.version).toBe(4);
  });

  it('keys documents so that id order is log order, for both stores', () => {
    expect(positionKey('9') < positionKey('10')).toBe(true);
    expect(positionKey('12/9') < positionKey('12/10')).toBe(true);
    expect(positionKey('9/100') < positionKey('10/1')).toBe(true);
    expect(() => positionKey('x')).toThrow();
  });
});
