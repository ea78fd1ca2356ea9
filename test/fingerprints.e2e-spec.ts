import { EVENT_STORE, type EventStore } from '@custodian/event-store';
import { canonicalJson } from '@custodian/platform';
import {
  consentBody,
  purposeBody,
  Scenario,
  startTestApp,
  type ApiClient,
  type TestApp,
} from '@test/support';
import { createHash } from 'node:crypto';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * Issue 11, item 2: no fingerprint of a body holding personal data outlives the customer's
 * key. Idempotency request hashes and consent proof digests are keyed by the customer's data
 * key, so they confirm nothing once it is destroyed.
 */
describe('fingerprints keyed by the customer (HTTP, embedded stores)', () => {
  let t: TestApp;
  let scenario: Scenario;
  const as: Record<string, ApiClient> = {};

  beforeAll(async () => {
    t = await startTestApp({}, [
      { id: 'admin-1', roles: ['admin'] },
      { id: 'dpo-1', roles: ['dpo'] },
      { id: 'service-1', roles: ['service'] },
    ]);
    scenario = new Scenario(t);
    for (const id of ['admin-1', 'dpo-1', 'service-1']) as[id] = scenario.client(id);
    await scenario.activePurpose(as['admin-1'], as['dpo-1'], 'newsletter', {
      assessment: { ...purposeBody('x').assessment, minimumFields: ['name', 'email'] },
    });
  });
  afterAll(async () => t.close());

  const events = () => t.app.get<EventStore>(EVENT_STORE);

  it("keeps a registration's request hash as an HMAC under the customer's key, and a keyed retry after erasure is 410", async () => {
    const body = {
      profile: { name: 'Pavel Orlov', email: 'pavel.orlov@example.com' },
      source: 'shop',
    };
    const created = await as['service-1'].post('/v1/subjects', body, {
      'idempotency-key': 'reg-fp-1',
    });
    expect(created.status).toBe(201);
    const subjectId = created.body.subjectId as string;
    const [registered] = await events().readStream(`subject-${subjectId}`);
    const stored = registered.metadata.requestHash as string;
    expect(stored).toMatch(/^[0-9a-f]{64}$/);
    // Not a plain digest of the body in any form a guesser would try.
    for (const form of [canonicalJson(body), JSON.stringify(body), canonicalJson(body.profile)])
      expect(stored).not.toBe(sha256(form));
    // Still recognises the retry (same body) and refuses the same key with another body.
    const again = await as['service-1'].post('/v1/subjects', body, {
      'idempotency-key': 'reg-fp-1',
    });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const other = await as['service-1'].post(
      '/v1/subjects',
      { ...body, source: 'web' },
      { 'idempotency-key': 'reg-fp-1' },
    );
    expect(other.status).toBe(422);

    expect(
      (
        await as['dpo-1'].post(`/v1/subjects/${subjectId}/erasure`, {
          reason: 'data_subject_request',
          requestedVia: 'email',
        })
      ).status,
    ).toBe(202);
    const replay = await as['service-1'].post('/v1/subjects', body, {
      'idempotency-key': 'reg-fp-1',
    });
    expect(replay.status).toBe(410);
  });

  it('refuses an Idempotency-Key holding an email or a phone (its digest would outlive an erasure), writing nothing', async () => {
    for (const key of ['signup-ivan@example.com', 'retry-+79161234567', 'call-916 123 45 67']) {
      const refused = await scenario.expectNothingWritten(
        () =>
          as['service-1'].post(
            '/v1/subjects',
            { profile: { name: 'Pavel Orlov' }, source: 'shop' },
            { 'idempotency-key': key },
          ),
        400,
      );
      expect(refused.details).toEqual([expect.objectContaining({ field: 'Idempotency-Key' })]);
      expect(JSON.stringify(refused)).not.toContain('ivan@example.com');
    }
    const ok = await as['service-1'].post(
      '/v1/subjects',
      { profile: { name: 'Pavel Orlov' }, source: 'shop' },
      { 'idempotency-key': '3f0c2a9e-7b1d-4c55-9a0e-2d6f8b1c4e77' },
    );
    expect(ok.status).toBe(201);
  });

  it("keeps a consent proof's digest only keyed by the customer's key, checkable until erasure", async () => {
    const subjectId = (
      await as['service-1'].post('/v1/subjects', {
        profile: { name: 'Vera Lebedeva' },
        source: 'shop',
      })
    ).body.subjectId as string;
    const proof = sha256('signed form of Vera Lebedeva, 2026-11-29');
    const granted = await as['service-1'].post(
      `/v1/subjects/${subjectId}/consents`,
      consentBody('newsletter', {
        evidence: { ...consentBody('newsletter').evidence, proofSha256: proof },
      }),
    );
    expect(granted.status).toBe(201);
    const { receiptId } = granted.body;
    const stored = (await events().readStream(`consent-${subjectId}`))[0].data as {
      evidence: Record<string, string>;
    };
    expect(stored.evidence.proofSha256).toBeUndefined();
    expect(stored.evidence.proofHmac).toMatch(/^[0-9a-f]{64}$/);
    expect(stored.evidence.proofHmac).not.toBe(proof);

    const check = (proofSha256: string) =>
      as['dpo-1'].post(`/v1/subjects/${subjectId}/consents/proof-check`, {
        receiptId,
        proofSha256,
      });
    expect((await check(proof)).body).toEqual({ subjectId, receiptId, matches: true });
    expect((await check(sha256('another document'))).body.matches).toBe(false);
    const bad = await check('not-a-digest');
    expect(bad.status).toBe(400);
    expect(bad.body.details).toEqual([expect.objectContaining({ field: 'proofSha256' })]);

    await as['dpo-1'].post(`/v1/subjects/${subjectId}/erasure`, {
      reason: 'data_subject_request',
      requestedVia: 'email',
    });
    expect((await check(proof)).status).toBe(410);
  });
});
