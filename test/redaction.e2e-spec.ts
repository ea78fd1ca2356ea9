import { KEY_STORE, type KeyStore } from '@custodian/crypto';
import { EVENT_STORE, type EventStore } from '@custodian/event-store';
import { ProjectionReader } from '@custodian/platform';
import {
  connectorBody,
  consentBody,
  ManualClock,
  purposeBody,
  Scenario,
  startTestApp,
  type ApiClient,
  type TestApp,
} from '@test/support';
import { rmSync } from 'node:fs';
import { RedactionExpirySweeper } from '../apps/api/src/ai/redaction-expiry.sweeper';

/**
 * AI processing over HTTP (issue 17): redaction bound to a purpose and an AI connector, the
 * pseudonym mapping sealed under the customer's key and restored only for allowed roles (audited
 * either way), insights kept instead of the text, and the "is my data used to train AI?" answer.
 */

const ROLES = ['admin', 'dpo', 'service', 'sales', 'marketing'];
const PROFILE = {
  name: 'Мария Иванова',
  email: 'maria.ivanova@example.org',
  phone: '+7 912 845-39-71',
};
const MAX_BYTES = 4096;
const AI_FLAGS = { marketing: false, profiling: false, saleOrShare: false, aiProcessing: true };

describe('redaction, pseudonyms, insights and AI transparency (HTTP, embedded stores)', () => {
  let t: TestApp;
  let scenario: Scenario;
  let events: EventStore;
  let keyStore: KeyStore;
  const clock = new ManualClock('2026-11-30T09:00:00.000Z');
  const as: Record<string, ApiClient> = {};
  let subjectId: string;

  const redact = (body: Record<string, unknown>, who = as.service) =>
    who.post('/v1/redactions', body);
  const restore = (id: string, text: string, who = as.service) =>
    who.post(`/v1/redactions/${id}/restore`, { text });
  const log = async (id = subjectId) =>
    (await as.dpo.get(`/v1/subjects/${id}/access-log`)).body.entries as Array<
      Record<string, unknown>
    >;
  const newSubject = async (profile: Record<string, string> = PROFILE) =>
    (await as.service.post('/v1/subjects', { profile, source: 'chat' })).body.subjectId as string;
  const textAbout = `Клиентка ${PROFILE.name} пишет с ${PROFILE.email}: перезвоните на 8 (912) 845-39-71, заказ не пришёл.`;

  beforeAll(async () => {
    t = await startTestApp(
      { CUSTODIAN_REDACTION_MAX_BYTES: String(MAX_BYTES) },
      ROLES.map((role) => ({ id: `${role}-1`, roles: [role] })),
      { clock },
    );
    scenario = new Scenario(t);
    events = t.app.get<EventStore>(EVENT_STORE);
    keyStore = t.app.get<KeyStore>(KEY_STORE);
    for (const role of ROLES) as[role] = scenario.client(`${role}-1`);
    const assessment = {
      ...purposeBody('x').assessment,
      minimumFields: ['name', 'email', 'phone'],
    };
    // Support chats analysed by a model: legitimate interest, service and sales may declare it.
    await scenario.activePurpose(as.admin, as.dpo, 'chat-analysis', {
      legalBasis: 'legitimate_interest',
      allowedRoles: ['service', 'sales'],
      flags: AI_FLAGS,
      assessment,
    });
    // Training a model on chats: only with the customer's consent.
    await scenario.activePurpose(as.admin, as.dpo, 'model-training', {
      legalBasis: 'consent',
      allowedRoles: ['service'],
      flags: { ...AI_FLAGS, aiTraining: true },
      assessment,
    });
    await scenario.activePurpose(as.admin, as.dpo, 'newsletter', { assessment });
    // Registered, never activated.
    expect(
      (
        await as.admin.post(
          '/v1/purposes',
          purposeBody('draft-ai', { legalBasis: 'legitimate_interest', flags: AI_FLAGS }),
        )
      ).status,
    ).toBe(201);
    const register = async (id: string, overrides: Record<string, unknown>) =>
      expect(
        (
          await as.admin.post(
            '/v1/connectors',
            connectorBody(id, { kind: 'ai_vendor', ...overrides }),
          )
        ).status,
      ).toBeLessThan(300);
    await register('llm-vendor', {
      purposes: ['chat-analysis', 'model-training', 'newsletter'],
      fields: [],
    });
    await register('other-llm', { purposes: ['newsletter'], fields: [] });
    await register('paused-llm', { purposes: ['chat-analysis'], fields: [] });
    expect(
      (await as.admin.post('/v1/connectors/paused-llm/suspend', { reason: 'vendor review' }))
        .status,
    ).toBeLessThan(300);
    subjectId = await newSubject();
  });
  let restarted: TestApp | undefined;
  afterAll(async () => {
    if (!restarted) return t.close();
    await restarted.close();
    rmSync(t.dataDir, { recursive: true, force: true });
  });

  it('replaces the customer’s own values and records counts, the purpose and the connector, never the text', async () => {
    const before = (await log()).length;
    const res = await redact({
      text: textAbout,
      subjectId,
      purposeId: 'chat-analysis',
      connectorId: 'llm-vendor',
    });
    expect(res.status).toBe(201);
    const { redactionId, text, counts, reversible, expiresAt } = res.body;
    expect(text).not.toContain(PROFILE.email);
    expect(text).not.toContain('845-39-71');
    expect(text).not.toContain('Иванова');
    expect(text).toMatch(/\[EMAIL_1\]/);
    expect(counts).toMatchObject({ EMAIL: 1, PHONE: 1 });
    expect(counts.NAME).toBeGreaterThanOrEqual(1);
    expect(reversible).toBe(true);
    expect(expiresAt).toBe('2026-12-01T09:00:00.000Z');

    // The customer's values were decrypted against an access record appended for it.
    const entries = await log();
    expect(entries).toHaveLength(before + 1);
    expect(entries.at(-1)).toMatchObject({
      outcome: 'read',
      via: 'redaction',
      purposeId: 'chat-analysis',
      role: 'service',
      fields: expect.arrayContaining([{ name: 'email', mask: 'full' }]),
    });

    const [recorded] = await events.readStream(`redaction-${redactionId}`);
    expect(recorded.type).toBe('TextRedacted');
    expect(recorded.data).toMatchObject({
      redactionId,
      purposeId: 'chat-analysis',
      connectorId: 'llm-vendor',
      subjectId,
      counts,
      expiresAt,
      mapping: { keyId: expect.any(String), sealed: expect.any(String) },
    });
    const stored = JSON.stringify({ data: recorded.data, metadata: recorded.metadata });
    for (const value of [PROFILE.email, 'Иванова', '845-39-71', 'заказ не пришёл'])
      expect(stored).not.toContain(value);
  });

  it('restores the values into a model’s answer for an allowed role, audited as a read', async () => {
    const { redactionId, text } = (
      await redact({
        text: textAbout,
        subjectId,
        purposeId: 'chat-analysis',
        connectorId: 'llm-vendor',
      })
    ).body;
    const before = (await log()).length;
    const res = await restore(redactionId, `Ответ модели: ${text}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ redactionId, text: `Ответ модели: ${textAbout}` });
    // Sales may declare the purpose, but sees an email only partially: the restore masks it too.
    const sales = await restore(redactionId, text, as.sales);
    expect(sales.status).toBe(200);
    expect(sales.body.text).not.toContain(PROFILE.email);
    expect(sales.body.text).not.toContain('[EMAIL_1]');
    expect(sales.body.text).toContain('8 (912) 845-39-71');
    const entries = await log();
    expect(entries).toHaveLength(before + 2);
    expect(entries.at(-2)).toMatchObject({
      outcome: 'read',
      via: 'restore',
      role: 'service',
      purposeId: 'chat-analysis',
      fields: [{ name: 'redactionMapping', mask: 'full' }],
    });
  });

  it('refuses the restore to a role the purpose does not allow, and audits the refusal', async () => {
    const { redactionId, text } = (
      await redact({
        text: textAbout,
        subjectId,
        purposeId: 'chat-analysis',
        connectorId: 'llm-vendor',
      })
    ).body;
    const before = (await log()).length;
    const refused = await restore(redactionId, text, as.marketing);
    expect(refused.status).toBe(403);
    expect(refused.body.details).toEqual([
      { field: 'purposeId', problem: 'role_may_not_declare_purpose' },
    ]);
    expect(JSON.stringify(refused.body)).not.toContain(PROFILE.email);
    const entries = await log();
    expect(entries).toHaveLength(before + 1);
    expect(entries.at(-1)).toMatchObject({
      outcome: 'refused',
      role: 'marketing',
      purposeId: 'chat-analysis',
      reason: 'role_may_not_declare_purpose',
    });
    // The audit index shows it too, by route.
    const audit = await as.dpo.get(`/v1/audit/reads?subjectId=${subjectId}&via=restore`);
    expect(audit.status).toBe(200);
  });

  it('refuses a consent-based training purpose without the customer’s consent, then allows it with one', async () => {
    const customer = await newSubject({ name: 'Пётр Сидоров', email: 'petr@example.org' });
    const body = {
      text: 'Пётр Сидоров просит вернуть деньги.',
      subjectId: customer,
      purposeId: 'model-training',
      connectorId: 'llm-vendor',
    };
    const before = (await log(customer)).length;
    const refused = await redact(body);
    expect(refused.status).toBe(403);
    expect(refused.body.details).toEqual([
      { field: 'purposeId', problem: 'no_consent_for_purpose' },
    ]);
    const entries = await log(customer);
    expect(entries).toHaveLength(before + 1);
    expect(entries.at(-1)).toMatchObject({
      outcome: 'refused',
      purposeId: 'model-training',
      reason: 'no_consent_for_purpose',
    });

    // Without a customer the consent cannot be checked: refused, naming subjectId.
    const anonymous = await scenario.expectNothingWritten(
      () => redact({ ...body, subjectId: undefined }),
      400,
    );
    expect(anonymous.details).toEqual([{ field: 'subjectId', problem: expect.any(String) }]);

    // The DSAR and the answer before and after the consent.
    const aiBefore = (await as.dpo.get(`/v1/subjects/${customer}/dsar`)).body.ai;
    expect(aiBefore.usedForTraining).toBe(false);
    expect(aiBefore.usedForAnalysis).toBe(true);
    expect(
      (await as.service.post(`/v1/subjects/${customer}/consents`, consentBody('model-training')))
        .status,
    ).toBe(201);
    const allowed = await redact(body);
    expect(allowed.status).toBe(201);
    expect(allowed.body.text).not.toContain('Сидоров');
    const aiAfter = (await as.dpo.get(`/v1/subjects/${customer}/dsar`)).body.ai;
    expect(aiAfter.usedForTraining).toBe(true);
    expect(aiAfter.purposes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          purposeId: 'model-training',
          use: 'training',
          consent: 'granted',
          appliesToYou: true,
          connectors: [expect.objectContaining({ connectorId: 'llm-vendor' })],
        }),
      ]),
    );
  });

  it('checks a connector’s declared AI use: text only for a use it declares, and a connector that trains counts in the answer', async () => {
    const register = (id: string, ai: unknown) =>
      as.admin.post(
        '/v1/connectors',
        connectorBody(id, {
          kind: 'ai_vendor',
          purposes: ['chat-analysis', 'model-training'],
          fields: [],
          ai,
        }),
      );
    // Bad flags: a 400 naming the field, nothing registered.
    for (const ai of ['yes', [], { analysis: 'yes', training: false }]) {
      const bad = await scenario.expectNothingWritten(() => register('bad-flags', ai), 400);
      expect(bad.details[0].field).toMatch(/^ai/);
    }
    expect((await register('scorer', { analysis: true, training: false })).status).toBe(201);
    expect((await register('trainer', { analysis: false, training: true })).status).toBe(201);
    const listed = (await as.dpo.get('/v1/connectors?purposeId=chat-analysis')).body
      .items as Array<{
      connectorId: string;
      ai?: unknown;
    }>;
    expect(listed.find((c) => c.connectorId === 'scorer')?.ai).toEqual({
      analysis: true,
      training: false,
    });

    const customer = await newSubject({ name: 'Пётр Сидоров', email: 'p.sidorov@example.net' });
    const text = 'Пётр Сидоров просит перезвонить.';
    const body = (purposeId: string, connectorId: string) => ({
      text,
      subjectId: customer,
      purposeId,
      connectorId,
    });
    // Analysis to a connector that declares analysis only: allowed; training to it: refused.
    expect((await redact(body('chat-analysis', 'scorer'))).status).toBe(201);
    expect(
      (await as.service.post(`/v1/subjects/${customer}/consents`, consentBody('model-training')))
        .status,
    ).toBe(201);
    const refused = await scenario.expectNothingWritten(
      () => redact(body('model-training', 'scorer')),
      409,
    );
    expect(refused.details).toEqual([
      { field: 'connectorId', problem: expect.stringMatching(/AI training/) },
    ]);
    // Analysis to a connector that declares training only: refused.
    await scenario.expectNothingWritten(() => redact(body('chat-analysis', 'trainer')), 409);

    // A customer who never consented to training: the training purpose does not apply, but a
    // connector serving the analysis purpose declares training, so the answer is yes.
    const other = await newSubject({ name: 'Анна Кузнецова' });
    const ai = (await as.dpo.get(`/v1/subjects/${other}/dsar`)).body.ai;
    expect(ai.usedForTraining).toBe(true);
    const analysis = ai.purposes.find(
      (p: { purposeId: string }) => p.purposeId === 'chat-analysis',
    );
    expect(analysis.connectors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          connectorId: 'trainer',
          ai: { analysis: false, training: true },
        }),
      ]),
    );
  });

  it('keeps no mapping without a customer: the restore says so and changes nothing', async () => {
    const res = await redact({
      text: 'Write to anna.k@example.com or call +44 20 7946 0958.',
      purposeId: 'chat-analysis',
      connectorId: 'llm-vendor',
    });
    expect(res.status).toBe(201);
    expect(res.body.text).not.toContain('anna.k@example.com');
    expect(res.body).toMatchObject({ reversible: false, expiresAt: null });
    const [recorded] = await events.readStream(`redaction-${res.body.redactionId}`);
    expect(recorded.data).toMatchObject({ subjectId: null, mapping: null });
    const refused = await scenario.expectNothingWritten(
      () => restore(res.body.redactionId, res.body.text),
      409,
    );
    expect(refused.details).toEqual([{ field: 'redactionId', problem: 'no_mapping_kept' }]);
  });

  it('answers 400/404/409/413 naming the field at fault, and writes nothing', async () => {
    const ok = { text: 'hello', purposeId: 'chat-analysis', connectorId: 'llm-vendor' };
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ ...ok, text: undefined }, 400, 'text'],
      [{ ...ok, text: 42 }, 400, 'text'],
      [{ ...ok, text: '' }, 400, 'text'],
      [{ ...ok, text: 'я'.repeat(MAX_BYTES / 2 + 1) }, 413, 'text'],
      [{ ...ok, subjectId: 'not-a-uuid' }, 400, 'subjectId'],
      [{ ...ok, subjectId: '00000000-0000-4000-8000-000000000000' }, 404, 'subjectId'],
      [{ ...ok, purposeId: 'Bad Id' }, 400, 'purposeId'],
      [{ ...ok, purposeId: 'no-such-purpose' }, 404, 'purposeId'],
      [{ ...ok, purposeId: 'draft-ai' }, 409, 'purposeId'],
      [{ ...ok, purposeId: 'newsletter' }, 409, 'purposeId'],
      [{ ...ok, connectorId: 'no-such-llm' }, 404, 'connectorId'],
      [{ ...ok, connectorId: 'paused-llm' }, 409, 'connectorId'],
      [{ ...ok, connectorId: 'other-llm' }, 409, 'connectorId'],
      [{ ...ok, extra: 1 }, 400, 'extra'],
    ];
    for (const [body, status, field] of cases) {
      const answer = await scenario.expectNothingWritten(() => redact(body), status);
      expect(answer.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    }
    // A purpose that trains models must say it uses AI at all.
    const training = await scenario.expectNothingWritten(
      () =>
        as.admin.post(
          '/v1/purposes',
          purposeBody('bad-training', {
            flags: { ...AI_FLAGS, aiProcessing: false, aiTraining: true },
          }),
        ),
      400,
    );
    expect(training.details).toEqual([{ field: 'flags.aiTraining', problem: expect.any(String) }]);
    const { redactionId } = (await redact({ ...ok, subjectId })).body;
    for (const [id, body, status, field] of [
      ['nope', { text: 'x' }, 400, 'redactionId'],
      ['00000000-0000-4000-8000-000000000000', { text: 'x' }, 404, 'redactionId'],
      [redactionId, {}, 400, 'text'],
      [redactionId, { text: 'я'.repeat(MAX_BYTES) }, 413, 'text'],
    ] as const) {
      const answer = await scenario.expectNothingWritten(() => restore(id, body.text!), status);
      expect(answer.details).toEqual([expect.objectContaining({ field })]);
    }
  });

  it('keeps an insight sealed, shows it by role in the view and in the DSAR bundle', async () => {
    const customer = await newSubject({ name: 'Ольга Смирнова', phone: '+7 903 111-22-33' });
    const { redactionId } = (
      await redact({
        text: 'Ольга Смирнова недовольна доставкой',
        subjectId: customer,
        purposeId: 'chat-analysis',
        connectorId: 'llm-vendor',
      })
    ).body;
    const insight = (body: Record<string, unknown>, id = customer) =>
      as.service.post(`/v1/subjects/${id}/insights`, body);
    const ok = { purposeId: 'chat-analysis', connectorId: 'llm-vendor', redactionId };
    const tag = await insight({ ...ok, kind: 'sentiment', value: 'negative' });
    expect(tag.status).toBe(201);
    expect(tag.body).toMatchObject({ kind: 'sentiment', valueType: 'tag', redactionId });
    expect(tag.body.value).toBeUndefined();
    const score = await insight({ ...ok, kind: 'churn_risk', value: 0.82 });
    expect(score.status).toBe(201);

    const [stored] = await events.readStream(`insights-${customer}`);
    expect(JSON.stringify(stored.data)).not.toContain('negative');

    // The service sees values; sales (whose policy hides other fields) sees no insights.
    const seen = await as.service.get(`/v1/subjects/${customer}/view?purpose=chat-analysis`);
    expect(seen.status).toBe(200);
    expect(seen.body.masks.insights).toBe('full');
    expect(seen.body.insights).toEqual([
      expect.objectContaining({ kind: 'sentiment', value: 'negative', connectorId: 'llm-vendor' }),
      expect.objectContaining({ kind: 'churn_risk', value: 0.82, valueType: 'score' }),
    ]);
    const read = (await log(customer)).at(-1);
    expect(read).toMatchObject({
      via: 'view',
      fields: expect.arrayContaining([{ name: 'insights', mask: 'full' }]),
    });
    const sales = await as.sales.get(`/v1/subjects/${customer}/view?purpose=chat-analysis`);
    expect(sales.status).toBe(200);
    expect(sales.body.insights).toBeUndefined();
    expect(JSON.stringify(sales.body)).not.toContain('negative');

    const dsar = await as.dpo.get(`/v1/subjects/${customer}/dsar`);
    expect(dsar.status).toBe(200);
    expect(dsar.body.insights).toEqual([
      expect.objectContaining({ kind: 'sentiment', value: 'negative', redactionId }),
      expect.objectContaining({ kind: 'churn_risk', value: 0.82 }),
    ]);

    // Bad input: 400 naming the field; a redaction about someone else: 409; nothing written.
    const badCases: Array<[Record<string, unknown>, number, string, string?]> = [
      [{ ...ok, kind: 'Bad Kind!', value: 'x' }, 400, 'kind'],
      [{ ...ok, kind: 'sentiment', value: 'a'.repeat(65) }, 400, 'value'],
      [{ ...ok, kind: 'sentiment', value: 'two words' }, 400, 'value'],
      [{ ...ok, kind: 'sentiment', value: { x: 1 } }, 400, 'value'],
      [{ ...ok, kind: 'sentiment', value: 1e12 }, 400, 'value'],
      [{ ...ok, kind: 'sentiment' }, 400, 'value'],
      [{ ...ok, redactionId: 'nope', kind: 'sentiment', value: 'x' }, 400, 'redactionId'],
      [{ ...ok, kind: 'sentiment', value: 'x' }, 409, 'redactionId', subjectId],
      [{ ...ok, connectorId: 'other-llm', kind: 'sentiment', value: 'x' }, 409, 'connectorId'],
      [{ ...ok, purposeId: 'model-training', kind: 'sentiment', value: 'x' }, 409, 'purposeId'],
    ];
    for (const [body, status, field, id] of badCases) {
      const answer = await scenario.expectNothingWritten(() => insight(body, id), status);
      expect(answer.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    }
    // Roles without the permission: 403.
    await scenario.expectNothingWritten(
      () => as.sales.post(`/v1/subjects/${customer}/insights`, { ...ok, kind: 'x', value: 'y' }),
      403,
    );
  });

  it('after erasure the mapping restores nothing and insights are gone', async () => {
    const customer = await newSubject({ name: 'Анна Кузнецова', email: 'anna.kuz@example.org' });
    const { redactionId, text } = (
      await redact({
        text: 'Анна Кузнецова: anna.kuz@example.org',
        subjectId: customer,
        purposeId: 'chat-analysis',
        connectorId: 'llm-vendor',
      })
    ).body;
    expect(
      (
        await as.service.post(`/v1/subjects/${customer}/insights`, {
          purposeId: 'chat-analysis',
          connectorId: 'llm-vendor',
          redactionId,
          kind: 'sentiment',
          value: 'calm',
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await as.service.post(`/v1/subjects/${customer}/erasure`, {
          reason: 'data_subject_request',
          requestedVia: 'web',
        })
      ).status,
    ).toBe(202);
    // The customer's key is destroyed; the mapping's own key has not expired yet, and still
    // nothing opens: the inner layer was under the customer's key.
    expect(await keyStore.get(customer)).toBeNull();
    expect(await keyStore.get(`redaction-${redactionId}`)).not.toBeNull();
    const gone = await restore(redactionId, text);
    expect(gone.status).toBe(410);
    expect(JSON.stringify(gone.body)).not.toContain('anna.kuz@example.org');
    expect(JSON.stringify(gone.body)).not.toContain('Кузнецова');
    expect(
      (await as.service.get(`/v1/subjects/${customer}/view?purpose=chat-analysis`)).status,
    ).toBe(410);
    expect(
      (
        await as.service.post(`/v1/subjects/${customer}/insights`, {
          purposeId: 'chat-analysis',
          connectorId: 'llm-vendor',
          redactionId,
          kind: 'sentiment',
          value: 'calm',
        })
      ).status,
    ).toBe(410);
    expect(
      (
        await redact({
          text: 'hello',
          subjectId: customer,
          purposeId: 'chat-analysis',
          connectorId: 'llm-vendor',
        })
      ).status,
    ).toBe(410);
  });

  it('lets a mapping restore nothing once it has expired, and the sweep destroys its own key', async () => {
    const { redactionId, text } = (
      await redact({
        text: textAbout,
        subjectId,
        purposeId: 'chat-analysis',
        connectorId: 'llm-vendor',
      })
    ).body;
    const ownKey = `redaction-${redactionId}`;
    // Sealed under a key of its own beside the customer's: it restores while that key lives.
    expect(await keyStore.get(ownKey)).not.toBeNull();
    const [recorded] = await events.readStream(`redaction-${redactionId}`);
    expect(recorded.data).toMatchObject({ mapping: { redactionKeyId: expect.any(String) } });
    const { mapping, expiresAt } = recorded.data as {
      mapping: { redactionKeyId: string };
      expiresAt: string;
    };
    expect((await restore(redactionId, text)).status).toBe(200);

    clock.advance(24 * 3_600_000);
    // Past expiry, before the sweep: the route refuses by the clock.
    const expired = await restore(redactionId, text);
    expect(expired.status).toBe(410);
    expect(expired.body.details).toEqual([{ field: 'redactionId', problem: 'mapping_expired' }]);
    expect(JSON.stringify(expired.body)).not.toContain(PROFILE.email);
    // A mapping made now has not expired: the sweep leaves it.
    const fresh = (
      await redact({
        text: textAbout,
        subjectId,
        purposeId: 'chat-analysis',
        connectorId: 'llm-vendor',
      })
    ).body;

    await t.app.get(ProjectionReader).catchUp('redaction_mappings');
    const sweeper = t.app.get(RedactionExpirySweeper);
    const swept = await sweeper.sweep();
    expect(swept).toContain(redactionId);
    expect(swept).not.toContain(fresh.redactionId);
    expect(await keyStore.get(ownKey)).toBeNull();
    expect(await keyStore.destroyed(ownKey)).toMatchObject({
      keyId: mapping.redactionKeyId,
    });
    // The customer's own key is untouched; the fresh mapping's key too, and it still restores.
    expect(await keyStore.get(subjectId)).not.toBeNull();
    expect(await keyStore.get(`redaction-${fresh.redactionId}`)).not.toBeNull();
    const stillFresh = await restore(fresh.redactionId, fresh.text);
    expect(stillFresh.status).toBe(200);
    expect(stillFresh.body.text).toBe(textAbout);

    // The destruction is recorded once, facts only, however often the sweep runs.
    await t.app.get(ProjectionReader).catchUp('redaction_mappings');
    expect(await sweeper.sweep()).not.toContain(redactionId);
    const stream = await events.readStream(`redaction-${redactionId}`);
    expect(stream.map((e) => e.type)).toEqual(['TextRedacted', 'RedactionMappingShredded']);
    expect(stream[1].data).toEqual({
      redactionId,
      subjectId,
      keyId: mapping.redactionKeyId,
      expiredAt: expiresAt,
      at: clock.now().toISOString(),
    });

    // The customer's timeline shows both as AI processing: facts and counts, never a value.
    const timeline = await as.dpo.get(`/v1/subjects/${subjectId}/timeline?limit=1000`);
    expect(timeline.status).toBe(200);
    const ai = (
      timeline.body.entries as Array<{
        category: string;
        type: string;
        facts: Record<string, unknown>;
      }>
    ).filter((e) => e.facts?.redactionId === redactionId);
    expect(ai.map((e) => [e.category, e.type])).toEqual([
      ['ai', 'TextRedacted'],
      ['ai', 'RedactionMappingShredded'],
    ]);
    expect(ai[0].facts).toMatchObject({
      purposeId: 'chat-analysis',
      connectorId: 'llm-vendor',
      counts: { EMAIL: 1, PHONE: 1 },
      mappingKept: true,
    });
    expect(ai[1].facts).toEqual({
      redactionId,
      keyId: mapping.redactionKeyId,
      expiredAt: expiresAt,
    });
    const shown = JSON.stringify(timeline.body);
    for (const value of [PROFILE.email, 'Иванова', '845-39-71', 'заказ не пришёл'])
      expect(shown).not.toContain(value);
    expect(shown).not.toContain((recorded.data as { mapping: { sealed: string } }).mapping.sealed);

    const after = await restore(redactionId, text);
    expect(after.status).toBe(410);
    expect(after.body.details).toEqual([{ field: 'redactionId', problem: 'mapping_expired' }]);
    // Even with the clock wound back before the expiry, the sealed mapping opens for nobody;
    // the attempt was audited as a read before the decryption failed.
    const now = clock.now();
    clock.set(new Date(now.getTime() - 12 * 3_600_000));
    try {
      const before = (await log()).length;
      const rewound = await restore(redactionId, text);
      expect(rewound.status).toBe(410);
      expect(rewound.body.details).toEqual([{ field: 'redactionId', problem: 'mapping_expired' }]);
      expect(JSON.stringify(rewound.body)).not.toContain(PROFILE.email);
      const entries = await log();
      expect(entries).toHaveLength(before + 1);
      expect(entries.at(-1)).toMatchObject({ outcome: 'read', via: 'restore' });
    } finally {
      clock.set(now);
    }
  });

  it('answers "is my data used to train AI?" in the privacy centre, in Russian and English', async () => {
    const customer = await newSubject({ name: 'Ivan Orlov' });
    const home = async (language: 'ru' | 'en') => {
      const { url } = (
        await as.service.post(`/v1/subjects/${customer}/privacy-links`, { language })
      ).body as { url: string };
      const opened = await fetch(url, { redirect: 'manual' });
      const cookie = opened.headers.get('set-cookie')!.split(';')[0];
      await opened.text();
      const page = await fetch(`${t.baseUrl}/privacy/home?lang=${language}`, {
        headers: { cookie },
      });
      return page.text();
    };
    const en = await home('en');
    expect(en).toContain('Is my data used to train AI?');
    expect(en).toContain('No. Your data is not used to train AI models.');
    expect(en).toMatch(/AI models analyse your data[^<]*<\/p><ul><li>Purpose chat-analysis<\/li>/);
    expect(en).toMatch(/Training AI models<\/dt><dd>Yes/);
    expect(await home('ru')).toContain('Используются ли мои данные для обучения ИИ?');

    expect(
      (await as.service.post(`/v1/subjects/${customer}/consents`, consentBody('model-training')))
        .status,
    ).toBe(201);
    const after = await home('ru');
    expect(after).toMatch(/Да, для целей:<\/strong><\/p><ul><li>Purpose model-training<\/li>/);
  });
  // Last: it stops the app and starts it again on the same files.
  it('shreds mappings that expired while the app was down, at start-up', async () => {
    const { redactionId } = (
      await redact({
        text: textAbout,
        subjectId,
        purposeId: 'chat-analysis',
        connectorId: 'llm-vendor',
      })
    ).body;
    const ownKey = `redaction-${redactionId}`;
    expect(await keyStore.get(ownKey)).not.toBeNull();
    await t.stop();
    clock.advance(25 * 3_600_000);
    restarted = await startTestApp(
      { CUSTODIAN_DATA_DIR: t.dataDir, CUSTODIAN_REDACTION_MAX_BYTES: String(MAX_BYTES) },
      ROLES.map((role) => ({ id: `${role}-1`, roles: [role] })),
      { clock },
    );
    // The process that takes the singleton lease sweeps as it takes it: no request, no timer.
    const keys = restarted.app.get<KeyStore>(KEY_STORE);
    const log = restarted.app.get<EventStore>(EVENT_STORE);
    for (let i = 0; i < 200 && (await log.readStream(`redaction-${redactionId}`)).length < 2; i++)
      await new Promise((resolve) => setTimeout(resolve, 25));
    expect((await log.readStream(`redaction-${redactionId}`)).map((e) => e.type)).toEqual([
      'TextRedacted',
      'RedactionMappingShredded',
    ]);
    expect(await keys.get(ownKey)).toBeNull();
    expect(await keys.get(subjectId)).not.toBeNull();
  });
});
