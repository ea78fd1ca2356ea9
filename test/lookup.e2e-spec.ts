import { blindIndex, deriveKey, KEY_PURPOSES, loadMasterKey } from '@custodian/crypto';
import { subjectStream } from '@custodian/domain';
import { EVENT_STORE, type EventStore } from '@custodian/event-store';
import { READ_STORE, type ReadStore } from '@custodian/read-store';
import {
  ApiClient,
  purposeBody,
  Scenario,
  startTestApp,
  testKey,
  type JsonResponse,
  type TestApp,
} from '@test/support';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const REGISTER_TS = join(__dirname, 'support', 'register-ts.cjs');
const CHILD = join(__dirname, 'crash', 'api-child.ts');
const ACTORS = [
  { id: 'dpo-1', roles: ['dpo'] },
  { id: 'admin-1', roles: ['admin'] },
  { id: 'crm', roles: ['service'] },
];

/** A second API process on the same data directory; resolves with its port once listening. */
async function startChild(dataDir: string): Promise<{ child: ChildProcess; port: number }> {
  const actorsFile = join(dataDir, 'child-actors.json');
  writeFileSync(
    actorsFile,
    JSON.stringify({ actors: ACTORS.map((a) => ({ ...a, apiKey: testKey(a.id) })) }),
    // Owner-only: start-up refuses an actors file group or others may read or write.
    { mode: 0o600 },
  );
  const child = spawn(process.execPath, ['-r', REGISTER_TS, CHILD, dataDir, actorsFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`child never listened: ${stderr}`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /READY (\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.on('exit', () => reject(new Error(`child exited: ${stderr}`)));
  });
  return { child, port };
}

/**
 * Issue 12, items 3, 9 and 11: the blind index follows the log's order under concurrent
 * updates, lookups normalise (NFKC, invisible characters, phones to E.164) and still find
 * entries indexed the old way, and a second customer with the same email or phone is refused
 * unless asked for on purpose.
 */
describe('customer lookups: index order, normalisation, duplicates (HTTP, embedded stores)', () => {
  let t: TestApp;
  let admin: ApiClient;
  let crm: ApiClient;
  let scenario: Scenario;
  let events: EventStore;

  beforeAll(async () => {
    t = await startTestApp({}, ACTORS);
    admin = new ApiClient(t.baseUrl, t.keys['admin-1']);
    crm = new ApiClient(t.baseUrl, t.keys.crm);
    scenario = new Scenario(t);
    events = t.app.get<EventStore>(EVENT_STORE);
    await scenario.activePurpose(admin, new ApiClient(t.baseUrl, t.keys['dpo-1']), 'contact-us', {
      assessment: { ...purposeBody('x').assessment, minimumFields: ['name', 'email', 'phone'] },
    });
  });
  afterAll(async () => t.close());

  let serial = 0;
  /** A fresh address for each use, so tests do not collide on the duplicate check. */
  const unique = (label: string) => `${label}.${Date.now().toString(36)}.${serial++}@example.com`;
  const register = (profile: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    crm.post('/v1/subjects', { profile, source: 'web-signup', ...extra });
  const patch = (subjectId: string, profile: Record<string, unknown>, extra = {}) =>
    crm.request('PATCH', `/v1/subjects/${subjectId}/profile`, { profile, ...extra });
  const find = async (field: 'email' | 'phone', value: string): Promise<string[]> => {
    const response = await crm.get(
      `/v1/subjects?${field}=${encodeURIComponent(value)}&purpose=contact-us`,
    );
    expect(response.status).toBe(200);
    return (response.body.subjects as Array<{ subjectId: string }>).map((s) => s.subjectId);
  };
  const registered = async (profile: Record<string, unknown>): Promise<string> => {
    const created = await register(profile);
    expect(created.status).toBe(201);
    return created.body.subjectId as string;
  };

  describe('item 3: the index follows the committed events in order', () => {
    it('after 4 parallel email changes, repeated 10 times, only the last committed email finds the customer', async () => {
      const subjectId = await registered({ name: 'Race Runner', email: unique('race-start') });
      const former: string[] = [];
      for (let trial = 0; trial < 10; trial++) {
        const emails = [0, 1, 2, 3].map((i) => unique(`race-${trial}-${i}`));
        const responses = await Promise.all(emails.map((email) => patch(subjectId, { email })));
        for (const response of responses) expect(response.status).toBe(200);
        const revisions = responses.map((r) => Number(r.body.revision));
        expect(new Set(revisions).size).toBe(4);
        const last = emails[revisions.indexOf(Math.max(...revisions))];
        expect(await find('email', last)).toEqual([subjectId]);
        former.push(...emails.filter((email) => email !== last));
        for (const email of former) expect(await find('email', email)).toEqual([]);
        former.push(last);
      }
    });

    it('the same with the updates spread over two API processes sharing the stores', async () => {
      const { child, port } = await startChild(t.dataDir);
      try {
        const other = new ApiClient(`http://127.0.0.1:${port}`, t.keys.crm);
        const subjectId = await registered({ name: 'Two Processes', email: unique('procs') });
        const former: string[] = [];
        for (let trial = 0; trial < 10; trial++) {
          const emails = [0, 1, 2, 3].map((i) => unique(`procs-${trial}-${i}`));
          const responses = await Promise.all(
            emails.map((email, i) =>
              (i % 2 ? other : crm).request('PATCH', `/v1/subjects/${subjectId}/profile`, {
                profile: { email },
              }),
            ),
          );
          const done = responses.filter((r) => r.status === 200);
          for (const response of responses) expect([200, 409]).toContain(response.status);
          const revisions = done.map((r) => Number(r.body.revision));
          const last = emails[responses.indexOf(done[revisions.indexOf(Math.max(...revisions))])];
          expect(await find('email', last)).toEqual([subjectId]);
          former.push(...emails.filter((email) => email !== last));
          for (const email of former) expect(await find('email', email)).toEqual([]);
          former.push(last);
        }
      } finally {
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      }
    }, 90_000);

    it('a removed email finds nobody, and a later one does', async () => {
      const email = unique('removed');
      const subjectId = await registered({ email });
      expect((await patch(subjectId, { email: null })).status).toBe(200);
      expect(await find('email', email)).toEqual([]);
      expect((await patch(subjectId, { email })).status).toBe(200);
      expect(await find('email', email)).toEqual([subjectId]);
    });
  });

  describe('item 9: lookup normalisation', () => {
    it('finds an email written with zero-width characters, full-width letters or another case', async () => {
      const stem = `unicode${Date.now().toString(36)}`;
      const subjectId = await registered({ email: `${stem}@example.com` });
      const fullWidth = (text: string) =>
        [...text]
          .map((c) => (/[a-z0-9]/.test(c) ? String.fromCodePoint(c.codePointAt(0)! + 0xfee0) : c))
          .join('');
      for (const variant of [
        `${stem.slice(0, 3)}\u200b${stem.slice(3)}@example.com`,
        `\u2060${stem}@exam\u200dple.com\ufeff`,
        `${fullWidth(stem)}＠ｅｘａｍｐｌｅ.ｃｏｍ`,
        `${stem.toUpperCase()}@EXAMPLE.COM`,
      ])
        expect(await find('email', variant)).toEqual([subjectId]);
      // And registered with an invisible character, it is found without.
      const hidden = `hid\u200bden${Date.now().toString(36)}@example.com`;
      const other = await registered({ email: hidden });
      expect(await find('email', hidden.replace('\u200b', ''))).toEqual([other]);
    });

    it('refuses a domain that mixes alphabets, naming the field and writing nothing', async () => {
      for (const email of ['user@ex\u0430mple.com', 'user@xn--exmple-4nf.com']) {
        const body = await scenario.expectNothingWritten(() => register({ email }), 400);
        expect(body.details).toEqual([
          { field: 'profile.email', problem: expect.stringMatching(/mixes alphabets/) },
        ]);
        expect(JSON.stringify(body)).not.toContain('ex\u0430mple');
      }
      // A domain in one script of its own is an address like any other.
      const subjectId = await registered({ email: `ivan${Date.now().toString(36)}@пример.рф` });
      expect(subjectId).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('finds a Russian mobile however it is written: +7, 7, 8, with separators', async () => {
      const subjectId = await registered({ phone: '+7 916 555-12-34' });
      for (const variant of [
        '+79165551234',
        '79165551234',
        '89165551234',
        '8 (916) 555-12-34',
        '+7\u200b916 555 12 34',
        '＋７９１６５５５１２３４',
      ])
        expect(await find('phone', variant)).toEqual([subjectId]);
    });

    it('reads 0044 as +44', async () => {
      const subjectId = await registered({ phone: '0044 20 7946 0958' });
      expect(await find('phone', '+44 20 7946 0958')).toEqual([subjectId]);
      expect(await find('phone', '00442079460958')).toEqual([subjectId]);
    });

    it('still finds entries indexed under the old normal form, and replaces them on the next change', async () => {
      // What the previous version wrote for a customer registered with "8 (916) 777-12-34" and
      // "Old.Style@Example.com": one entry per (field, hash, subject), hashed from the old forms.
      const subjectId = await registered({ name: 'Legacy Customer' });
      const reads = t.app.get<ReadStore>(READ_STORE);
      const indexKey = deriveKey(
        loadMasterKey({ dataDir: t.dataDir, embedded: true }).key,
        KEY_PURPOSES.blindIndex,
      );
      const legacy = (field: string, form: string) => {
        const hash = blindIndex(indexKey, field, form);
        return {
          collection: 'blind_index',
          id: `${field}:${hash}:${subjectId}`,
          doc: { field, hash, subjectId },
        };
      };
      await reads.commit({
        writes: [legacy('phone', '89167771234'), legacy('email', 'old.style@example.com')],
      });
      for (const variant of ['+79167771234', '79167771234', '8 (916) 777-12-34'])
        expect(await find('phone', variant)).toEqual([subjectId]);
      expect(await find('email', 'OLD.STYLE@example.com')).toEqual([subjectId]);
      // The old entry is a holder for the duplicate check too.
      const duplicate = await register({ phone: '+7 916 777 12 34' });
      expect(duplicate.status).toBe(409);
      expect(duplicate.body.subjectId).toBe(subjectId);
      // A change of the phone drops the old entry: the former number finds nobody.
      expect((await patch(subjectId, { phone: '+7 916 777-99-99' })).status).toBe(200);
      expect(await find('phone', '89167771234')).toEqual([]);
      expect(await find('phone', '89167779999')).toEqual([subjectId]);
      expect(await find('email', 'old.style@example.com')).toEqual([subjectId]);
    });

    it('refuses a lookup value that is no email or phone in any form', async () => {
      for (const path of ['email=not-an-address', 'phone=12ab'])
        expect((await crm.get(`/v1/subjects?${path}&purpose=contact-us`)).status).toBe(400);
    });
  });

  describe('item 11: duplicate customers', () => {
    const reason = 'twins sharing one family mailbox, confirmed by phone';

    it('refuses a second customer with the same email or phone with 409 and the existing id', async () => {
      const email = unique('dup');
      const first = await registered({ name: 'First', email, phone: '+7 916 321-00-01' });
      const byEmail = await scenario.expectNothingWritten(
        () => register({ name: 'Second', email: email.toUpperCase() }),
        409,
      );
      expect(byEmail).toMatchObject({
        subjectId: first,
        details: [{ field: 'profile.email', problem: 'is held by another customer' }],
      });
      expect(JSON.stringify(byEmail)).not.toContain(email);
      const byPhone = await scenario.expectNothingWritten(
        () => register({ name: 'Third', phone: '89163210001' }),
        409,
      );
      expect(byPhone).toMatchObject({
        subjectId: first,
        details: [{ field: 'profile.phone', problem: 'is held by another customer' }],
      });
      expect(await find('email', email)).toEqual([first]);
    });

    it('registers a separate record when asked on purpose, keeping the reason in the event', async () => {
      const email = unique('twin');
      const first = await registered({ email });
      const created = await register({ email }, { duplicateOf: { subjectId: first, reason } });
      expect(created.status).toBe(201);
      const second = created.body.subjectId as string;
      const [registeredEvent] = await events.readStream(subjectStream(second));
      expect(registeredEvent.type).toBe('SubjectRegistered');
      expect(registeredEvent.data).toMatchObject({ duplicateOf: { subjectId: first, reason } });
      expect((await find('email', email)).sort()).toEqual([first, second].sort());
    });

    it('refuses a duplicateOf that names no holder, or whose reason holds an email or phone', async () => {
      const email = unique('claim');
      const first = await registered({ email });
      const stranger = await registered({ email: unique('stranger') });
      const wrong = await scenario.expectNothingWritten(
        () => register({ email }, { duplicateOf: { subjectId: stranger, reason } }),
        400,
      );
      expect(wrong.details).toEqual([
        { field: 'duplicateOf.subjectId', problem: expect.any(String) },
      ]);
      for (const badReason of [`same as ${email}`, 'call +7 916 555 12 34 first', 'short'])
        expect(
          (
            await scenario.expectNothingWritten(
              () => register({ email }, { duplicateOf: { subjectId: first, reason: badReason } }),
              400,
            )
          ).details,
        ).toEqual([expect.objectContaining({ field: expect.stringMatching(/reason/) })]);
      await scenario.expectNothingWritten(
        () => register({ email }, { duplicateOf: { subjectId: 'nobody', reason } }),
        400,
      );
    });

    it('lets an erased customer’s email be registered again', async () => {
      const email = unique('erased');
      const first = await registered({ email });
      expect(
        (
          await crm.post(`/v1/subjects/${first}/erasure`, {
            reason: 'data_subject_request',
            requestedVia: 'web',
          })
        ).status,
      ).toBe(202);
      const again = await registered({ email });
      expect(await find('email', email)).toEqual([again]);
    });

    it('refuses a profile update that takes another customer’s email, unless asked on purpose', async () => {
      const email = unique('taken');
      const holder = await registered({ email });
      const other = await registered({ email: unique('other') });
      const refused: JsonResponse['body'] = await scenario.expectNothingWritten(
        () => patch(other, { email }),
        409,
      );
      expect(refused).toMatchObject({
        subjectId: holder,
        details: [{ field: 'profile.email', problem: 'is held by another customer' }],
      });
      // Its own email again is no duplicate.
      expect((await patch(holder, { email: email.toUpperCase() })).status).toBe(200);
      const taken = await patch(other, { email }, { duplicateOf: { subjectId: holder, reason } });
      expect(taken.status).toBe(200);
      const history = await events.readStream(subjectStream(other));
      expect(history[history.length - 1].data).toMatchObject({
        duplicateOf: { subjectId: holder, reason },
      });
    });
  });
});
