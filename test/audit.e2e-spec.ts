import { accessStream, type AccessEvent } from '@custodian/domain';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '@custodian/event-store';
import { CommandExecutor } from '@custodian/platform';
import { auditReadsProjection, ProjectionRunner, untyped } from '@custodian/projections';
import {
  consentBody,
  purposeBody,
  Scenario,
  startTestApp,
  waitFor,
  type ApiClient,
  type TestApp,
} from '@test/support';
import { randomUUID } from 'node:crypto';

const ROLES = ['admin', 'dpo', 'service', 'sales', 'marketing', 'support', 'analyst'];
const PROFILE = (i: number) => ({
  name: `Olga Smirnova${i}`,
  email: `olga${i}@example.com`,
  phone: `+7 912 345-45-${10 + i}`,
});

type Entry = Record<string, unknown> & { eventId: string };
type Filter = Record<string, string>;

/** What the brute force compares: the fields a filter may name, straight from the stored event. */
interface LoggedRead {
  eventId: string;
  actorId: string;
  role: string;
  purposeId: string;
  outcome: 'read' | 'refused';
  via: string | null;
  subjectId: string;
  at: string;
}

describe('audit queries, justifications and re-judging (HTTP, embedded stores)', () => {
  let t: TestApp;
  let scenario: Scenario;
  let store: EventStore;
  const as: Record<string, ApiClient> = {};

  beforeAll(async () => {
    t = await startTestApp(
      {},
      ROLES.map((role) => ({ id: `${role}-1`, roles: [role] })),
    );
    scenario = new Scenario(t);
    store = t.app.get<EventStore>(EVENT_STORE);
    for (const role of ROLES) as[role] = scenario.client(`${role}-1`);
    const assessment = {
      ...purposeBody('x').assessment,
      minimumFields: ['name', 'email', 'phone'],
    };
    await scenario.activePurpose(as.admin, as.dpo, 'newsletter', {
      allowedRoles: ['marketing', 'service'],
      assessment,
    });
    await scenario.activePurpose(as.admin, as.dpo, 'crm-care', {
      legalBasis: 'contract',
      allowedRoles: ['sales', 'support', 'service', 'marketing'],
      flags: { marketing: false, profiling: false, saleOrShare: false, aiProcessing: false },
      assessment,
    });
  });
  afterAll(async () => t.close());

  /** Every page of a list with `limit` 97; fails on a repeated entry. */
  async function pageAll(path: string, filter: Filter, between?: () => Promise<void>) {
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const params = new URLSearchParams({ ...filter, limit: '97', ...(cursor ? { cursor } : {}) });
      const response = await as.dpo.get(`${path}?${params}`);
      expect({
        filter,
        status: response.status,
        body: response.status === 200 ? null : response.body,
      }).toEqual({
        filter,
        status: 200,
        body: null,
      });
      const entries = response.body.entries as Entry[];
      expect(entries.length).toBeLessThanOrEqual(97);
      ids.push(...entries.map((e) => e.eventId));
      cursor = response.body.nextCursor;
      pages++;
      if (between && pages === 2) await between();
    } while (cursor);
    expect(new Set(ids).size).toBe(ids.length);
    return ids;
  }

  /** The reads in the log, in log order, read straight from the event store. */
  async function logged(): Promise<LoggedRead[]> {
    const out: LoggedRead[] = [];
    let after: string | undefined;
    for (;;) {
      const batch: RecordedEvent[] = await store.readAll({ after, maxCount: 1000 });
      if (batch.length === 0) return out;
      for (const e of batch) {
        if (
          e.type !== 'FieldsAccessed' &&
          e.type !== 'AccessDenied' &&
          e.type !== 'SubjectExported'
        )
          continue;
        const d = e.data as Record<string, string>;
        out.push({
          eventId: e.id,
          actorId: d.actorId,
          role: d.role,
          purposeId: d.purposeId,
          outcome: e.type === 'AccessDenied' ? 'refused' : 'read',
          via: e.type === 'FieldsAccessed' ? d.via : e.type === 'SubjectExported' ? 'export' : null,
          subjectId: d.subjectId,
          at: d.at,
        });
      }
      after = batch[batch.length - 1].position;
    }
  }

  const matches = (r: LoggedRead, f: Filter) =>
    (f.actorId === undefined || r.actorId === f.actorId) &&
    (f.role === undefined || r.role === f.role) &&
    (f.purposeId === undefined || r.purposeId === f.purposeId) &&
    (f.outcome === undefined || r.outcome === f.outcome) &&
    (f.via === undefined || r.via === f.via) &&
    (f.subjectId === undefined || r.subjectId === f.subjectId) &&
    (f.from === undefined || r.at >= new Date(f.from).toISOString()) &&
    (f.to === undefined || r.at < new Date(f.to).toISOString());

  describe('filters and paging over thousands of reads', () => {
    const actors = ['clerk-a', 'clerk-b', 'clerk-c', 'clerk-d', 'clerk-e'];
    const roles = ['sales', 'support', 'marketing', 'analyst'];
    const purposes = ['crm-care', 'newsletter', 'billing'];
    const subjects: string[] = Array.from({ length: 40 }, () => randomUUID());
    const START = Date.parse('2026-08-01T00:00:00Z');

    /** The i-th generated record: actors, roles, purposes, outcomes and routes in turn. */
    function generated(i: number): AccessEvent {
      const actorId = actors[i % actors.length];
      const role = roles[(i >> 1) % roles.length];
      const purposeId = purposes[(i * 7) % purposes.length];
      const subjectId = subjects[(i * 13) % subjects.length];
      // Spread over about four months, a little out of step with the log order.
      const at = new Date(START + i * 3_600_000 + ((i * 7919) % 5) * 60_000).toISOString();
      const kind = i % 10;
      if (kind === 9)
        return {
          type: 'AccessDenied',
          data: {
            subjectId,
            actorId,
            role,
            purposeId,
            reason: 'no_consent_for_purpose',
            requestId: `req-${i}`,
            at,
          },
        };
      if (kind === 8)
        return {
          type: 'SubjectExported',
          data: {
            subjectId,
            exportId: randomUUID(),
            actorId,
            role,
            purposeId,
            fields: [{ name: 'email', mask: 'partial' }],
            destination: 'mail-provider',
            at,
          },
        };
      return {
        type: 'FieldsAccessed',
        data: {
          subjectId,
          actorId,
          role,
          purposeId,
          via: kind < 5 ? 'view' : kind < 7 ? 'lookup' : 'dsar',
          fields: [
            { name: 'name', mask: 'partial' },
            { name: 'phone', mask: i % 3 === 0 ? 'full' : 'hidden' },
          ],
          policyVersion: 0,
          requestId: `req-${i}`,
          at,
          ...(kind === 6 ? { withoutConsent: true } : {}),
        },
      };
    }

    /** Appends records through the executor's audit path (as the app records every read). */
    async function record(from: number, to: number) {
      const executor = t.app.get(CommandExecutor);
      for (let i = from; i < to; i += 100) {
        await Promise.all(
          Array.from({ length: Math.min(100, to - i) }, (_, k) => {
            const event = generated(i + k);
            return executor.record(accessStream(event.data.subjectId), [event], {
              actor: { id: event.data.actorId, role: event.data.role },
              requestId: `bulk-${i + k}`,
              causationId: randomUUID(),
              now: new Date(event.data.at),
            });
          }),
        );
      }
    }

    beforeAll(async () => {
      await record(0, 3000);
      // A few real reads through HTTP too: a view, a refusal.
      const subjectId = (
        await as.service.post('/v1/subjects', { profile: PROFILE(0), source: 'shop' })
      ).body.subjectId as string;
      subjects.push(subjectId);
      expect((await as.sales.get(`/v1/subjects/${subjectId}/view?purpose=crm-care`)).status).toBe(
        200,
      );
      expect(
        (await as.marketing.get(`/v1/subjects/${subjectId}/view?purpose=newsletter`)).status,
      ).toBe(403);
      await waitFor(
        async () => (await as.dpo.get('/v1/audit/reads?limit=1')).status === 200,
        20_000,
      );
    }, 120_000);

    it('pages through every filter combination: the union is the brute force over the log, no loss, no repeat', async () => {
      const log = await logged();
      expect(log.length).toBeGreaterThanOrEqual(3002);
      const month = { from: '2026-09-01T00:00:00Z', to: '2026-10-01T00:00:00Z' };
      const filters: Filter[] = [
        {},
        { actorId: 'clerk-c' },
        { role: 'support' },
        { purposeId: 'newsletter' },
        { outcome: 'refused' },
        { outcome: 'read' },
        { via: 'lookup' },
        { via: 'export' },
        { subjectId: subjects[3] },
        { subjectId: subjects[40] },
        month,
        { actorId: 'clerk-b', ...month },
        { subjectId: subjects[7], from: '2026-09-15T12:00:00+03:00' },
        { to: '2026-08-20T00:00:00Z' },
        { role: 'marketing', outcome: 'read', via: 'dsar' },
        {
          actorId: 'clerk-a',
          purposeId: 'billing',
          from: '2026-08-10T00:00:00Z',
          to: '2026-11-01T00:00:00Z',
        },
        { actorId: 'sales-1', via: 'view' },
        { actorId: 'nobody' },
      ];
      for (const filter of filters) {
        const expected = log.filter((r) => matches(r, filter)).map((r) => r.eventId);
        expect({ filter, ids: await pageAll('/v1/audit/reads', filter) }).toEqual({
          filter,
          ids: expected,
        });
      }
      // One customer's access log takes the same filters.
      const subjectId = subjects[5];
      for (const filter of [
        {},
        { actorId: 'clerk-a' },
        { from: '2026-09-01T00:00:00Z', outcome: 'read' },
      ] as Filter[]) {
        const expected = log
          .filter((r) => matches(r, { ...filter, subjectId }))
          .map((r) => r.eventId);
        expect(expected.length).toBeGreaterThan(0);
        expect(await pageAll(`/v1/subjects/${subjectId}/access-log`, filter)).toEqual(expected);
      }
    }, 120_000);

    it('loses and repeats nothing while new reads are appended between pages', async () => {
      const ids = await pageAll('/v1/audit/reads', { actorId: 'clerk-d' }, () =>
        record(3000, 3200),
      );
      const expected = (await logged())
        .filter((r) => r.actorId === 'clerk-d')
        .map((r) => r.eventId);
      expect(ids).toEqual(expected);
    }, 60_000);

    it('shows what each event holds', async () => {
      const byRequest = async (filter: string, requestId: string) =>
        ((await as.dpo.get(`/v1/audit/reads?${filter}&limit=1000`)).body.entries as Entry[]).find(
          (e) => e.requestId === requestId,
        );
      expect(await byRequest('outcome=refused', 'req-9')).toMatchObject({
        outcome: 'refused',
        reason: 'no_consent_for_purpose',
        via: null,
        actorId: actors[9 % 5],
        subjectId: subjects[(9 * 13) % 40],
        eventId: expect.any(String),
        position: expect.any(String),
        at: expect.any(String),
      });
      expect((await byRequest('via=lookup', 'req-6'))?.withoutConsent).toBe(true);
      expect(await byRequest('via=lookup', 'req-5')).toMatchObject({
        withoutConsent: false,
        fields: [
          { name: 'name', mask: 'partial' },
          { name: 'phone', mask: 'hidden' },
        ],
        policyVersion: 0,
        purposeId: purposes[35 % 3],
        role: roles[2 % 4],
        justification: { policy: { version: 0 } },
      });
    });

    it('refuses an unknown or malformed filter with a 400 naming the parameter, never ignoring it', async () => {
      const bad: Array<[string, string]> = [
        ['/v1/audit/reads?actorId=not%20an%20id', 'actorId'],
        ['/v1/audit/reads?role=chef', 'role'],
        ['/v1/audit/reads?purposeId=Bad!', 'purposeId'],
        ['/v1/audit/reads?outcome=granted', 'outcome'],
        ['/v1/audit/reads?via=email', 'via'],
        ['/v1/audit/reads?subjectId=42', 'subjectId'],
        ['/v1/audit/reads?from=yesterday', 'from'],
        ['/v1/audit/reads?to=2026-02-30T00:00:00Z', 'to'],
        ['/v1/audit/reads?from=2026-10-01T00:00:00Z&to=2026-09-01T00:00:00Z', 'to'],
        ['/v1/audit/reads?limit=0', 'limit'],
        ['/v1/audit/reads?limit=1001', 'limit'],
        ['/v1/audit/reads?cursor=%21%21', 'cursor'],
        ['/v1/audit/reads?cursor=bm90LWEtY3Vyc29y', 'cursor'],
        ['/v1/audit/reads?affectedBy=x', 'affectedBy'],
        ['/v1/audit/reads?actor=clerk-a', 'actor'],
        ['/v1/audit/reads?actorId=clerk-a&actorId=clerk-b', 'actorId'],
        [`/v1/subjects/${subjects[0]}/access-log?subjectId=${subjects[1]}`, 'subjectId'],
        [`/v1/subjects/${subjects[0]}/access-log?from=soon`, 'from'],
        [`/v1/subjects/${subjects[0]}/access-log?actorId=a%20b`, 'actorId'],
        ['/v1/exports?status=done', 'status'],
        ['/v1/exports?requester=x', 'requester'],
        ['/v1/exports?approverId=a%20b', 'approverId'],
        ['/v1/audit/reads/not-an-id', 'eventId'],
      ];
      for (const [path, field] of bad) {
        const response = await as.dpo.get(path);
        expect({
          path,
          status: response.status,
          fields: response.body.details?.map((d: { field: string }) => d.field),
        }).toEqual({
          path,
          status: 400,
          fields: [field],
        });
      }
    });

    it('is for DPOs and admins', async () => {
      expect((await as.admin.get('/v1/audit/reads?limit=1')).status).toBe(200);
      for (const role of ['service', 'sales', 'marketing', 'support', 'analyst'])
        expect((await as[role].get('/v1/audit/reads?limit=1')).status).toBe(403);
    });

    it('evaluates a candidate role policy over a period without writing anything', async () => {
      const { body: current } = await as.dpo.get('/v1/policy/roles');
      const roles = structuredClone(current.roles);
      roles.support.fields.phone = 'partial';
      const before = await scenario.head();
      const range = { from: '2026-08-01T00:00:00Z', to: '2026-08-15T00:00:00Z' };
      const response = await as.dpo.post('/v1/policy/roles/evaluate', {
        policy: { roles },
        ...range,
      });
      expect(response.status).toBe(200);
      expect(await scenario.head()).toBe(before);
      // Brute force: every generated read of support in the period whose recorded phone mask differs.
      const inRange = Array.from({ length: 3200 }, (_, i) => [i, generated(i)] as const).filter(
        ([, e]) =>
          e.type !== 'AccessDenied' &&
          e.data.at >= '2026-08-01T00:00:00.000Z' &&
          e.data.at < '2026-08-15T00:00:00.000Z',
      );
      const phone = inRange.filter(
        ([, e]) =>
          e.data.role === 'support' &&
          e.type === 'FieldsAccessed' &&
          e.data.fields.find((f) => f.name === 'phone')!.mask !== 'partial',
      );
      const supportPhone = response.body.changes.filter(
        (c: { role: string; field: string }) => c.role === 'support' && c.field === 'phone',
      );
      const byFrom = (mask: string) =>
        phone.filter(
          ([, e]) =>
            (e as { data: { fields: Array<{ name: string; mask: string }> } }).data.fields[1]
              .mask === mask,
        ).length;
      expect(supportPhone).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ from: 'full', to: 'partial', reads: byFrom('full') }),
          expect.objectContaining({ from: 'hidden', to: 'partial', reads: byFrom('hidden') }),
        ]),
      );
      expect(supportPhone[0].sample.length).toBeLessThanOrEqual(10);
      expect(response.body.readsExamined).toBe(inRange.length);
      expect(JSON.stringify(response.body)).not.toMatch(/olga|@example/i);
      const bad = await as.dpo.post('/v1/policy/roles/evaluate', {
        policy: { roles: { ...roles, support: { ...roles.support, otherFields: 'blurred' } } },
        ...range,
      });
      expect(bad.status).toBe(400);
      expect(bad.body.details[0].field).toBe('policy.roles.support.otherFields');
      const noRange = await as.dpo.post('/v1/policy/roles/evaluate', {
        policy: { roles },
        from: 'x',
        to: range.to,
      });
      expect(noRange.body.details.map((d: { field: string }) => d.field)).toEqual(['from']);
      for (const policy of [[], undefined, 'x']) {
        const odd = await as.dpo.post('/v1/policy/roles/evaluate', { policy, ...range });
        expect([odd.status, odd.body.details?.[0]?.field]).toEqual([400, 'policy']);
      }
      expect(
        (await as.sales.post('/v1/policy/roles/evaluate', { policy: { roles }, ...range })).status,
      ).toBe(403);
    });
  });

  describe('the justification of a read, and invalidating the receipt it relied on', () => {
    const subject: string[] = [];
    const receipts: Record<string, string> = {};
    const grant = async (i: number) => {
      const response = await as.service.post(
        `/v1/subjects/${subject[i]}/consents`,
        consentBody('newsletter'),
      );
      expect(response.status).toBe(201);
      return response.body.receiptId as string;
    };
    const reads = async (filter: Filter) =>
      (await as.dpo.get(`/v1/audit/reads?${new URLSearchParams({ ...filter, limit: '1000' })}`))
        .body.entries as Entry[];

    beforeAll(async () => {
      for (let i = 0; i < 3; i++)
        subject.push(
          (await as.service.post('/v1/subjects', { profile: PROFILE(i + 1), source: 'shop' })).body
            .subjectId,
        );
      receipts.first = await grant(0);
      receipts.other = await grant(1);
      for (const i of [0, 1])
        expect(
          (await as.marketing.get(`/v1/subjects/${subject[i]}/view?purpose=newsletter`)).status,
        ).toBe(200);
      expect((await as.sales.get(`/v1/subjects/${subject[0]}/view?purpose=crm-care`)).status).toBe(
        200,
      );
      expect(
        (await as.marketing.get(`/v1/subjects/${subject[2]}/view?purpose=newsletter`)).status,
      ).toBe(403);
      const exported = await as.marketing.post('/v1/exports', {
        purposeId: 'newsletter',
        justification: 'monthly newsletter send through the mail provider',
        fields: ['name', 'email'],
      });
      expect(exported.status).toBe(202);
      await waitFor(
        async () =>
          (await as.marketing.get(`/v1/exports/${exported.body.exportId}`)).body.status ===
          'completed',
        10_000,
      );
      // The first customer withdraws and gives consent again: a new receipt.
      expect(
        (
          await as.service.post(
            `/v1/subjects/${subject[0]}/consents`,
            consentBody('newsletter', { action: 'revoke', noticeVersion: undefined }),
          )
        ).status,
      ).toBe(201);
      receipts.regrant = await grant(0);
      expect(
        (await as.marketing.get(`/v1/subjects/${subject[0]}/view?purpose=newsletter`)).status,
      ).toBe(200);
    }, 60_000);

    it('names the exact consent receipt, the purpose and its status, the policy and masks, the actor', async () => {
      const [first, contract, later] = await reads({ subjectId: subject[0], via: 'view' });
      expect(first).toMatchObject({
        actorId: 'marketing-1',
        purposeId: 'newsletter',
        receiptId: receipts.first,
      });
      const one = await as.dpo.get(`/v1/audit/reads/${first.eventId}`);
      expect(one.status).toBe(200);
      expect(one.body).toMatchObject({
        eventId: first.eventId,
        outcome: 'read',
        via: 'view',
        receiptId: receipts.first,
        invalidation: null,
        justification: {
          purpose: {
            purposeId: 'newsletter',
            registered: true,
            status: 'active',
            legalBasis: 'consent',
            noticeVersion: 'v1',
          },
          basis: {
            kind: 'consent',
            consent: {
              inForce: true,
              receiptId: receipts.first,
              noticeVersion: 'v1',
              expiresAt: null,
              invalidated: false,
            },
          },
          policy: { version: 0, masks: one.body.fields },
          actor: { suspended: false },
        },
      });
      expect(contract).toMatchObject({
        actorId: 'sales-1',
        receiptId: null,
        justification: { basis: { kind: 'contract', consent: null } },
      });
      expect(later.receiptId).toBe(receipts.regrant);
      const [refused] = await reads({ subjectId: subject[2], outcome: 'refused' });
      expect(refused).toMatchObject({
        reason: 'no_consent_for_purpose',
        receiptId: null,
        justification: { basis: { kind: 'consent', consent: null } },
      });
      const exported = await reads({
        via: 'export',
        purposeId: 'newsletter',
        actorId: 'marketing-1',
      });
      expect(exported.map((e) => [e.subjectId, e.receiptId])).toEqual(
        expect.arrayContaining([
          [subject[0], receipts.first],
          [subject[1], receipts.other],
        ]),
      );
      expect((await as.dpo.get(`/v1/audit/reads/${randomUUID()}`)).status).toBe(404);
    });

    it('lists exactly the reads and exports that relied on an invalidated receipt', async () => {
      const notYet = await as.dpo.get(`/v1/consent-receipts/${receipts.first}/invalidation`);
      expect(notYet.status).toBe(404);
      const before = await scenario.head();
      expect(
        (
          await as.admin.post(`/v1/consent-receipts/${receipts.first}/invalidation`, {
            reason: 'proof was forged',
          })
        ).status,
      ).toBe(403);
      expect(
        (
          await as.dpo.post(`/v1/consent-receipts/${receipts.first}/invalidation`, {
            reason: 'write to ivan@example.com',
          })
        ).body.details[0].field,
      ).toBe('reason');
      expect(
        (
          await as.dpo.post(`/v1/consent-receipts/${randomUUID()}/invalidation`, {
            reason: 'proof was forged',
          })
        ).status,
      ).toBe(404);
      expect(await scenario.head()).toBe(before);

      const invalidated = await as.dpo.post(`/v1/consent-receipts/${receipts.first}/invalidation`, {
        reason: 'the signed proof was forged',
      });
      expect(invalidated.status).toBe(201);
      expect(invalidated.body).toMatchObject({
        receiptId: receipts.first,
        subjectId: subject[0],
        purposeId: 'newsletter',
        reason: 'the signed proof was forged',
        invalidatedBy: 'dpo-1',
        affected: { reads: 1, exports: 1 },
      });
      const again = await as.dpo.post(`/v1/consent-receipts/${receipts.first}/invalidation`, {
        reason: 'second time round',
      });
      expect(again.status).toBe(409);
      expect(
        (await as.dpo.get(`/v1/consent-receipts/${receipts.first}/invalidation`)).body,
      ).toEqual(invalidated.body);

      // Exactly the reads resting on the receipt: brute force over the log's own consent order.
      const log = (await store.readAll({ maxCount: 100_000 })) as RecordedEvent[];
      let inForce: string | null = null;
      const relied: string[] = [];
      for (const e of log) {
        const d = e.data as Record<string, string>;
        if (d.subjectId !== subject[0] || d.purposeId !== 'newsletter') continue;
        if (e.type === 'ConsentGranted') inForce = d.receiptId;
        if (e.type === 'ConsentRevoked') inForce = null;
        if (
          (e.type === 'FieldsAccessed' || e.type === 'SubjectExported') &&
          inForce === receipts.first
        )
          relied.push(e.id);
      }
      expect(relied).toHaveLength(2);
      const affected = await reads({ affectedBy: receipts.first });
      expect(affected.map((e) => e.eventId)).toEqual(relied);
      for (const e of affected)
        expect(e.invalidation).toMatchObject({
          receiptId: receipts.first,
          reason: 'the signed proof was forged',
          by: 'dpo-1',
        });
      expect((await reads({ affectedBy: receipts.other })).map((e) => e.subjectId)).toEqual([
        subject[1],
        subject[1],
      ]);
      const [, , regranted] = await reads({ subjectId: subject[0], via: 'view' });
      expect(regranted.invalidation).toBeNull();
    });

    it('opens an incident from an invalidation: the actors, the customer and the window of the reads that relied on it', async () => {
      const opened = await as.dpo.post('/v1/incidents', {
        title: 'Reads under a forged consent',
        receiptId: receipts.first,
      });
      expect(opened.status).toBe(201);
      const affected = await reads({ affectedBy: receipts.first });
      expect(opened.body).toMatchObject({
        source: { kind: 'receipt-invalidation', receiptId: receipts.first },
        actorIds: ['marketing-1'],
        affected: { count: 1, subjectIds: [subject[0]] },
        window: { from: affected[0].at },
      });
      // marketing-1 read another customer in that window too: not affected by this receipt.
      expect(opened.body.window.to > String(affected.at(-1)!.at)).toBe(true);
      expect(
        (await as.dpo.get(`/v1/incidents/${opened.body.incidentId}`)).body.affected.subjectIds,
      ).toEqual([subject[0]]);
      const before = await scenario.head();
      const notInvalidated = await as.dpo.post('/v1/incidents', {
        title: 'Other receipt',
        receiptId: receipts.other,
      });
      expect(notInvalidated.status).toBe(404);
      const mixed = await as.dpo.post('/v1/incidents', {
        title: 'Mixed sources',
        receiptId: receipts.first,
        from: '2026-01-01T00:00:00Z',
      });
      expect(mixed.status).toBe(400);
      expect(mixed.body.details[0].field).toBe('receiptId');
      expect(
        (await as.dpo.post('/v1/incidents', { title: 'Bad receipt', receiptId: 'x' })).body
          .details[0].field,
      ).toBe('receiptId');
      expect(await scenario.head()).toBe(before);
    });

    it('is a projection: rebuilt from the log, it gives the same entries and justifications', async () => {
      const everything = async () => {
        const all: Entry[] = [];
        let cursor: string | null = null;
        do {
          const params = new URLSearchParams({ limit: '1000', ...(cursor ? { cursor } : {}) });
          const { body } = await as.dpo.get(`/v1/audit/reads?${params}`);
          all.push(...(body.entries as Entry[]));
          cursor = body.nextCursor;
        } while (cursor);
        return all;
      };
      const before = await everything();
      expect(before.length).toBeGreaterThan(3000);
      const runner = t.app.get(ProjectionRunner);
      const collection = runner.collectionFor('audit_reads');
      await runner.replace(untyped({ ...auditReadsProjection, version: 2 }));
      await waitFor(async () => {
        const status = runner.status().find((s) => s.name === 'audit_reads');
        return status?.activeVersion === 2 && status.state === 'live';
      }, 30_000);
      expect(runner.collectionFor('audit_reads')).not.toBe(collection);
      expect(await everything()).toEqual(before);
    }, 60_000);

    it('lists exports with status, requester, approver, purpose, counts and times', async () => {
      const { body, status } = await as.dpo.get(
        '/v1/exports?requesterId=marketing-1&status=completed',
      );
      expect(status).toBe(200);
      expect(body.exports).toEqual([
        expect.objectContaining({
          status: 'completed',
          requesterId: 'marketing-1',
          approverId: null,
          purposeId: 'newsletter',
          rows: 2,
          requestedAt: expect.any(String),
          completedAt: expect.any(String),
        }),
      ]);
      expect((await as.dpo.get('/v1/exports?requesterId=sales-1')).body.exports).toEqual([]);
      expect((await as.dpo.get('/v1/exports?to=2020-01-01T00:00:00Z')).body.exports).toEqual([]);
      expect((await as.marketing.get('/v1/exports')).status).toBe(403);
    });
  });
});
