import { KEY_STORE, SqliteKeyStore, SubjectKeys, type KeyStore } from '@custodian/crypto';
import { SqliteEventStore } from '@custodian/event-store';
import { READ_STORE, type ReadStore } from '@custodian/read-store';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiClient,
  consentBody,
  noticeBody,
  purposeBody,
  Scenario,
  startTestApp,
  testKey,
  waitFor,
  type TestApp,
} from '@test/support';

const ACTORS = [
  { id: 'admin-1', roles: ['admin'] },
  { id: 'dpo-1', roles: ['dpo'] },
  { id: 'crm', roles: ['service'] },
];
const REGISTER_TS = join(__dirname, 'support', 'register-ts.cjs');
const CHILD = join(__dirname, 'crash', 'erasure-crash-child.ts');
const PURPOSE = 'contact-us';
const EMAIL = 'reconcile.me@example.com';

/** A purpose that justifies name and email, active, with notice v1; and one customer with a consent. */
async function customerWithConsent(base: string): Promise<string> {
  const admin = new ApiClient(base, testKey('admin-1'));
  const dpo = new ApiClient(base, testKey('dpo-1'));
  const crm = new ApiClient(base, testKey('crm'));
  const purpose = purposeBody(PURPOSE);
  const body = {
    ...purpose,
    assessment: { ...purpose.assessment, minimumFields: ['name', 'email'] },
  };
  expect((await admin.post('/v1/purposes', body)).status).toBe(201);
  expect((await admin.post(`/v1/purposes/${PURPOSE}/notices`, noticeBody('v1'))).status).toBe(201);
  expect((await dpo.post(`/v1/purposes/${PURPOSE}/activate`)).status).toBe(200);
  const created = await crm.post('/v1/subjects', {
    profile: { name: 'Reconcile Me', email: EMAIL },
    source: 'web-signup',
  });
  expect(created.status).toBe(201);
  const subjectId = created.body.subjectId as string;
  expect((await crm.post(`/v1/subjects/${subjectId}/consents`, consentBody(PURPOSE))).status).toBe(
    201,
  );
  return subjectId;
}

/** Every command and read on an erased customer: 410, nothing written; the lookup finds no one. */
async function expectErased(t: TestApp, subjectId: string): Promise<void> {
  const scenario = new Scenario(t);
  const crm = new ApiClient(t.baseUrl, t.keys.crm);
  const dpo = new ApiClient(t.baseUrl, t.keys['dpo-1']);
  await scenario.expectNothingWritten(
    () => crm.post(`/v1/subjects/${subjectId}/consents`, consentBody(PURPOSE)),
    410,
  );
  await scenario.expectNothingWritten(
    () => crm.request('PATCH', `/v1/subjects/${subjectId}/profile`, { profile: { name: 'Back' } }),
    410,
  );
  expect((await crm.get(`/v1/subjects/${subjectId}/view?purpose=${PURPOSE}`)).status).toBe(410);
  expect((await dpo.get(`/v1/subjects/${subjectId}/dsar`)).status).toBe(410);
  const found = await crm.get(`/v1/subjects?email=${EMAIL}&purpose=${PURPOSE}`);
  expect(found.status).toBe(200);
  expect(found.body.subjects).toEqual([]);
}

async function blindIndexEntries(t: TestApp, subjectId: string): Promise<number> {
  const reads = t.app.get<ReadStore>(READ_STORE);
  return (await reads.find('blind_index', { where: { subjectId }, limit: 10 })).items.length;
}

/** Runs the API in a child whose key destruction never finishes; kills it with SIGKILL once one began. */
async function eraseAndKillBeforeDestruction(dataDir: string): Promise<string> {
  const actorsFile = join(dataDir, 'crash-actors.json');
  writeFileSync(
    actorsFile,
    JSON.stringify({ actors: ACTORS.map((a) => ({ ...a, apiKey: testKey(a.id) })) }),
    // Owner-only: start-up refuses an actors file group or others may read or write.
    { mode: 0o600 },
  );
  const child = spawn(process.execPath, ['-r', REGISTER_TS, CHILD, dataDir, actorsFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_code, signal) => resolve(signal)),
  );
  const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  let buffered = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    lines.push(...parts);
    waiters.splice(0).forEach((wake) => wake());
  });
  const line = async (tag: string): Promise<string> => {
    const deadline = Date.now() + 40_000;
    for (;;) {
      const found = lines.find((l) => l.startsWith(`${tag} `));
      if (found) return found.slice(tag.length + 1);
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`the child never printed ${tag}: ${stderr}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  };
  try {
    const base = `http://127.0.0.1:${await line('READY')}`;
    const subjectId = await customerWithConsent(base);
    const crm = new ApiClient(base, testKey('crm'));
    // Never answered: the destruction hangs, and the process dies under it.
    void crm
      .post(`/v1/subjects/${subjectId}/erasure`, {
        reason: 'data_subject_request',
        requestedVia: 'email',
      })
      .catch(() => undefined);
    expect(await line('DESTROYING')).toBe(subjectId);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    return subjectId;
  } finally {
    clearTimeout(guard);
    child.kill('SIGKILL');
  }
}

describe('erasure reconciler: the log decides, the key follows', () => {
  it('a process killed between SubjectErased and the key destruction: the restart destroys the key before serving, and every command answers 410', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'custodian-erasure-crash-'));
    try {
      const subjectId = await eraseAndKillBeforeDestruction(dataDir);

      // The crash left exactly the broken state: erased in the log, key alive.
      const events = new SqliteEventStore({ file: join(dataDir, 'events.sqlite') });
      const [last] = await events.readStream(`subject-${subjectId}`, {
        direction: 'backwards',
        maxCount: 1,
      });
      await events.close();
      expect(last.type).toBe('SubjectErased');
      const keys = new SqliteKeyStore({ file: join(dataDir, 'keys.sqlite') });
      expect(await keys.get(subjectId)).not.toBeNull();
      expect(await keys.destroyed(subjectId)).toBeNull();
      await keys.close();

      const t = await startTestApp({ CUSTODIAN_DATA_DIR: dataDir }, ACTORS);
      try {
        // Checked at once: the reconciliation ran before the app listened.
        const keyStore = t.app.get<KeyStore>(KEY_STORE);
        expect(await keyStore.get(subjectId)).toBeNull();
        expect(await keyStore.destroyed(subjectId)).toMatchObject({ keyId: last.data.keyId });
        expect(await blindIndexEntries(t, subjectId)).toBe(0);
        await expectErased(t, subjectId);
        const receipt = await new ApiClient(t.baseUrl, t.keys['dpo-1']).get(
          `/v1/subjects/${subjectId}/erasure`,
        );
        expect(receipt.body.keyDestroyedAt).toEqual(expect.any(String));
      } finally {
        await t.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);

  it('while the key cannot be destroyed, the erasure is still recorded and answered, every command answers 410, and the processor destroys the key once it can', async () => {
    const t = await startTestApp({}, ACTORS);
    try {
      const subjectId = await customerWithConsent(t.baseUrl);
      const keyStore = t.app.get<KeyStore>(KEY_STORE);
      const failing = jest
        .spyOn(t.app.get(SubjectKeys), 'destroy')
        .mockRejectedValue(new Error('key store unavailable'));
      const crm = new ApiClient(t.baseUrl, t.keys.crm);
      const erased = await crm.post(`/v1/subjects/${subjectId}/erasure`, {
        reason: 'data_subject_request',
        requestedVia: 'email',
      });
      expect(erased.status).toBe(202);
      expect(erased.body.keyDestroyedAt).toBeNull();

      // The key is still there, and the subject is erased all the same.
      expect(await keyStore.get(subjectId)).not.toBeNull();
      await expectErased(t, subjectId);
      expect(failing).toHaveBeenCalled();

      failing.mockRestore();
      await waitFor(async () => (await keyStore.destroyed(subjectId)) !== null, 30_000);
      expect(await keyStore.get(subjectId)).toBeNull();
      await waitFor(async () => (await blindIndexEntries(t, subjectId)) === 0, 5_000);
    } finally {
      await t.close();
    }
  }, 60_000);
});
