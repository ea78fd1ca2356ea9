import {
  consentBody,
  newSubjectId,
  Scenario,
  startTestApp,
  type ApiClient,
  type TestApp,
} from '@test/support';

/** GDPR art. 7(3): withdrawing is as easy as giving — the purpose and the channel suffice. */
describe('withdrawing a consent with the purpose and the channel only (HTTP, embedded stores)', () => {
  let t: TestApp;
  let scenario: Scenario;
  let admin: ApiClient;
  let dpo: ApiClient;
  let crm: ApiClient;

  beforeAll(async () => {
    t = await startTestApp({}, [
      { id: 'admin-1', roles: ['admin'] },
      { id: 'dpo-1', roles: ['dpo'] },
      { id: 'crm', roles: ['service'] },
    ]);
    scenario = new Scenario(t);
    admin = scenario.client('admin-1');
    dpo = scenario.client('dpo-1');
    crm = scenario.client('crm');
    await scenario.activePurpose(admin, dpo, 'newsletter');
  });
  afterAll(async () => t.close());

  it('records a revocation of { purposeId, action, evidence: { channel } }, and the gate refuses the purpose', async () => {
    const subjectId = newSubjectId();
    const granted = await crm.post(`/v1/subjects/${subjectId}/consents`, consentBody('newsletter'));
    expect(granted.status).toBe(201);
    const gate = () =>
      crm.post('/v1/consent-gate', { purposeId: 'newsletter', subjectIds: [subjectId] });
    expect((await gate()).body.allowed).toEqual([subjectId]);

    const revoked = await crm.post(`/v1/subjects/${subjectId}/consents`, {
      purposeId: 'newsletter',
      action: 'revoke',
      evidence: { channel: 'email' },
    });
    expect({ status: revoked.status, body: revoked.body }).toMatchObject({
      status: 201,
      body: { subjectId, purposeId: 'newsletter', status: 'revoked' },
    });
    expect((await gate()).body.denied).toEqual([{ subjectId, reason: 'revoked' }]);

    const state = await crm.get(`/v1/subjects/${subjectId}/consents`);
    expect(state.status).toBe(200);
    const receipt = await crm.get(`/v1/consent-receipts/${revoked.body.receiptId}`);
    expect(receipt.status).toBe(200);
    expect(receipt.body.collection).toMatchObject({ channel: 'email' });
    const history = await dpo.get(`/v1/subjects/${subjectId}/consents/history`);
    expect(history.status).toBe(200);
  });

  it('records the optional evidence a revocation gives', async () => {
    const subjectId = newSubjectId();
    const revoked = await crm.post(`/v1/subjects/${subjectId}/consents`, {
      purposeId: 'newsletter',
      action: 'revoke',
      evidence: { channel: 'web', method: 'unsubscribe_link', language: 'ru' },
    });
    expect(revoked.status).toBe(201);
    const receipt = await crm.get(`/v1/consent-receipts/${revoked.body.receiptId}`);
    expect(receipt.body.collection).toMatchObject({
      channel: 'web',
      method: 'unsubscribe_link',
      language: 'ru',
    });
  });

  it('still needs the channel to revoke, and the full evidence to grant (400 naming each field, nothing written)', async () => {
    const subjectId = newSubjectId();
    const noChannel = await scenario.expectNothingWritten(
      () =>
        crm.post(`/v1/subjects/${subjectId}/consents`, {
          purposeId: 'newsletter',
          action: 'revoke',
          evidence: {},
        }),
      400,
    );
    expect(noChannel.details).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'evidence.channel' })]),
    );
    const grant = await scenario.expectNothingWritten(
      () =>
        crm.post(`/v1/subjects/${subjectId}/consents`, {
          purposeId: 'newsletter',
          action: 'grant',
          noticeVersion: 'v1',
          evidence: { channel: 'web', method: 'checkbox_opt_in' },
        }),
      400,
    );
    expect(grant.details.map((d: { field: string }) => d.field).sort()).toEqual([
      'evidence.collectionPoint',
      'evidence.jurisdiction',
      'evidence.language',
    ]);
    // A malformed optional value is still refused.
    const bad = await scenario.expectNothingWritten(
      () =>
        crm.post(`/v1/subjects/${subjectId}/consents`, {
          purposeId: 'newsletter',
          action: 'revoke',
          evidence: { channel: 'web', language: 'not a tag' },
        }),
      400,
    );
    expect(bad.details).toEqual([expect.objectContaining({ field: 'evidence.language' })]);
  });
});
