import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  ManualClock,
  noticeBody,
  purposeBody,
  Scenario,
  startTestApp,
  waitFor,
  type ApiClient,
  type TestApp,
} from '@test/support';

const ROLES = ['admin', 'dpo', 'service', 'support'];
const TAX_ID = '7707083893';
const HOUR_MS = 3_600_000;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** A legal hold end to end, with a one-day hold and a clock the test moves past it. */
describe('legal holds: an erasure keeps exactly the held fields, the DPO alone reads them, the sweep shreds them (HTTP, embedded stores)', () => {
  const clock = new ManualClock('2026-11-02T09:00:00Z');
  let t: TestApp;
  let scenario: Scenario;
  const as: Record<string, ApiClient> = {};

  beforeAll(async () => {
    t = await startTestApp(
      { CUSTODIAN_RETENTION_SWEEP_MS: '50' },
      ROLES.map((role) => ({ id: `${role}-1`, roles: [role] })),
      { clock },
    );
    scenario = new Scenario(t);
    for (const role of ROLES) as[role] = scenario.client(`${role}-1`);
    expect(
      (
        await as.admin.post('/v1/field-catalogue', {
          name: 'taxId',
          category: 'financial',
          description: 'Taxpayer number on invoices',
        })
      ).status,
    ).toBe(201);
  });
  afterAll(async () => t.close());

  const accounting = (overrides: Record<string, unknown> = {}) =>
    purposeBody('accounting', {
      legalBasis: 'legal_obligation',
      dataCategories: ['identity', 'financial', 'contact'],
      assessment: {
        ...purposeBody('accounting').assessment,
        minimumFields: ['name', 'email', 'taxId'],
      },
      legalHold: { holdAfterBasisEnds: 'P1D', fields: ['taxId'] },
      ...overrides,
    });

  it('refuses a hold on a consent purpose or on fields the purpose does not use (400, nothing written)', async () => {
    const consent = await scenario.expectNothingWritten(
      () =>
        as.admin.post(
          '/v1/purposes',
          accounting({ purposeId: 'held-news', legalBasis: 'consent' }),
        ),
      400,
    );
    expect(consent.details).toEqual([expect.objectContaining({ field: 'legalHold' })]);
    const stray = await scenario.expectNothingWritten(
      () =>
        as.admin.post(
          '/v1/purposes',
          accounting({
            purposeId: 'held-x',
            legalHold: { holdAfterBasisEnds: 'P5Y', fields: ['phone'] },
          }),
        ),
      400,
    );
    expect(stray.details).toEqual([expect.objectContaining({ field: 'legalHold.fields' })]);
    const period = await scenario.expectNothingWritten(
      () =>
        as.admin.post(
          '/v1/purposes',
          accounting({
            purposeId: 'held-y',
            legalHold: { holdAfterBasisEnds: '5 years', fields: ['taxId'] },
          }),
        ),
      400,
    );
    expect(period.details).toEqual([
      expect.objectContaining({ field: 'legalHold.holdAfterBasisEnds' }),
    ]);
  });

  it('keeps the held field past the erasure, for the DPO only, until the hold runs out', async () => {
    expect((await as.admin.post('/v1/purposes', accounting())).status).toBe(201);
    expect((await as.admin.post('/v1/purposes/accounting/notices', noticeBody('v1'))).status).toBe(
      201,
    );
    expect((await as.dpo.post('/v1/purposes/accounting/activate')).status).toBe(200);
    expect((await as.admin.get('/v1/purposes/accounting')).body.legalHold).toEqual({
      holdAfterBasisEnds: 'P1D',
      fields: ['taxId'],
    });

    const registered = await as.admin.post('/v1/subjects', {
      profile: { name: 'Ivan Sidorov', email: 'ivan@example.com', taxId: TAX_ID },
      source: 'web-signup',
    });
    expect(registered.status).toBe(201);
    const subjectId = registered.body.subjectId;

    // The customer asks for erasure: a case on the 152-FZ clock.
    const opened = await as.dpo.post('/v1/privacy-requests', {
      subjectId,
      kind: 'erasure',
      jurisdiction: 'ru',
      receivedVia: 'email',
    });
    expect(opened.status).toBe(201);
    const requestId = opened.body.requestId;
    await as.dpo.post(`/v1/privacy-requests/${requestId}/verify`, {});

    const erased = await as.support.post(`/v1/subjects/${subjectId}/erasure`, {
      reason: 'data_subject_request',
      requestedVia: 'email',
    });
    expect(erased.status).toBe(202);
    const until = '2026-11-03T09:00:00.000Z';
    expect(erased.body.legalHold).toEqual({
      fields: ['taxId'],
      purposes: [{ purposeId: 'accounting', fields: ['taxId'], holdAfterBasisEnds: 'P1D', until }],
      until,
      keyId: expect.any(String),
      endedAt: null,
      keyDestroyedAt: null,
    });
    expect(erased.body.keyDestroyedAt).not.toBeNull();

    // Everything else is gone: the customer reads 410 to everyone.
    expect((await as.support.get(`/v1/subjects/${subjectId}/view?purpose=accounting`)).status).toBe(
      410,
    );
    expect((await as.dpo.get(`/v1/subjects/${subjectId}/dsar`)).status).toBe(410);

    // The DPO reads exactly the held field, for the purpose that holds it.
    const held = await as.dpo.get(`/v1/subjects/${subjectId}/held?purpose=accounting`);
    expect(held.status).toBe(200);
    expect(held.body).toEqual({
      subjectId,
      purposeId: 'accounting',
      heldUntil: until,
      fields: { taxId: TAX_ID },
    });
    // No other role, and not for another purpose (refused and recorded).
    for (const role of ['admin', 'support', 'service'])
      expect((await as[role].get(`/v1/subjects/${subjectId}/held?purpose=accounting`)).status).toBe(
        403,
      );
    const otherPurpose = await as.dpo.get(`/v1/subjects/${subjectId}/held?purpose=newsletter`);
    expect(otherPurpose.status).toBe(403);
    expect((await as.dpo.get(`/v1/subjects/${subjectId}/held`)).status).toBe(400);

    // Every decryption is in the access log: the re-keying at the erasure and the DPO's read.
    const log = (await as.dpo.get(`/v1/subjects/${subjectId}/access-log`)).body.entries;
    expect(log).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          outcome: 'read',
          actorId: 'system-legal-hold',
          purposeId: 'legal-hold',
          via: 'legal-hold',
        }),
        expect.objectContaining({
          outcome: 'read',
          actorId: 'dpo-1',
          purposeId: 'accounting',
          via: 'legal-hold',
        }),
        expect.objectContaining({ outcome: 'refused', actorId: 'dpo-1', purposeId: 'newsletter' }),
      ]),
    );

    // Never in plaintext at rest.
    for (const file of filesUnder(t.dataDir))
      expect({ file, found: readFileSync(file).indexOf(TAX_ID) >= 0 }).toEqual({
        file,
        found: false,
      });

    // The case closes with the erasure receipt.
    const done = await as.dpo.post(`/v1/privacy-requests/${requestId}/complete`, {
      receiptId: erased.body.eventId,
      outcome: 'Erased; the taxpayer number is kept one day under the accounting hold',
    });
    expect(done.status).toBe(200);

    // The hold runs out: the sweep destroys the hold key, and the field is gone.
    clock.advance(24 * HOUR_MS + 60_000);
    await waitFor(async () => {
      const receipt = await as.dpo.get(`/v1/subjects/${subjectId}/erasure`);
      return receipt.body.legalHold?.keyDestroyedAt !== null;
    });
    const receipt = await as.dpo.get(`/v1/subjects/${subjectId}/erasure`);
    expect(receipt.body.legalHold).toMatchObject({
      fields: ['taxId'],
      endedAt: clock.now().toISOString(),
      keyDestroyedAt: clock.now().toISOString(),
    });
    const after = await as.dpo.get(`/v1/subjects/${subjectId}/held?purpose=accounting`);
    expect(after.status).toBe(410);
  });
});
