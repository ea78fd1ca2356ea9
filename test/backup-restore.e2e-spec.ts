import { KEY_STORE, SqliteKeyStore, type KeyStore } from '@custodian/crypto';
import { EVENT_STORE, type EventStore } from '@custodian/event-store';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiClient,
  consentBody,
  noticeBody,
  purposeBody,
  startTestApp,
  waitFor,
  type TestApp,
} from '@test/support';

const ACTORS = [
  { id: 'admin-1', roles: ['admin'] },
  { id: 'dpo-1', roles: ['dpo'] },
  { id: 'crm', roles: ['service'] },
];
const REGISTER_TS = join(__dirname, 'support', 'register-ts.cjs');
const CLI = join(__dirname, '..', 'apps', 'cli', 'src', 'main.ts');
const PURPOSE = 'contact-us';

/** `npm run backup|restore -- …` as the scripts run it, from the sources, on `dataDir`. */
function cli(
  args: string[],
  dataDir: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', REGISTER_TS, CLI, ...args], {
      env: { ...process.env, CUSTODIAN_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const clients = (t: TestApp) => ({
  admin: new ApiClient(t.baseUrl, t.keys['admin-1']),
  dpo: new ApiClient(t.baseUrl, t.keys['dpo-1']),
  crm: new ApiClient(t.baseUrl, t.keys.crm),
});

async function activePurpose(t: TestApp): Promise<void> {
  const { admin, dpo } = clients(t);
  const purpose = purposeBody(PURPOSE);
  const body = { ...purpose, assessment: { ...purpose.assessment, minimumFields: ['name'] } };
  expect((await admin.post('/v1/purposes', body)).status).toBe(201);
  expect((await admin.post(`/v1/purposes/${PURPOSE}/notices`, noticeBody('v1'))).status).toBe(201);
  expect((await dpo.post(`/v1/purposes/${PURPOSE}/activate`)).status).toBe(200);
}

async function register(t: TestApp, name: string): Promise<string> {
  const created = await clients(t).crm.post('/v1/subjects', { profile: { name }, source: 'web' });
  expect(created.status).toBe(201);
  return created.body.subjectId as string;
}

const view = (t: TestApp, subjectId: string) =>
  clients(t).crm.get(`/v1/subjects/${subjectId}/view?purpose=${PURPOSE}`);

/** Erased: key destroyed at once (before the app served), consent and view refused with 410. */
async function expectErased(t: TestApp, subjectId: string): Promise<void> {
  const keyStore = t.app.get<KeyStore>(KEY_STORE);
  expect(await keyStore.get(subjectId)).toBeNull();
  expect(await keyStore.destroyed(subjectId)).not.toBeNull();
  const grant = await clients(t).crm.post(
    `/v1/subjects/${subjectId}/consents`,
    consentBody(PURPOSE),
  );
  expect(grant.status).toBe(410);
  expect((await view(t, subjectId)).status).toBe(410);
}

/** Readable: the view (once the projections caught up with the restored log) shows the name. */
async function expectReadable(t: TestApp, subjectId: string, name: string): Promise<void> {
  await waitFor(async () => (await view(t, subjectId)).status === 200, 10_000);
  expect((await view(t, subjectId)).body.fields.name).toBe(name);
}

describe('backup and restore of the embedded stores (npm run backup / restore)', () => {
  it('a key store restored from before an erasure, alone or with the whole backup, does not bring the customer back', async () => {
    const first = await startTestApp({}, ACTORS);
    const dataDir = first.dataDir;
    const backupDir = join(mkdtempSync(join(tmpdir(), 'custodian-backup-')), 'copy');
    try {
      await activePurpose(first);
      const erased = await register(first, 'Gone Later');
      const kept = await register(first, 'Stays Here');
      for (const id of [erased, kept])
        expect(
          (await clients(first).crm.post(`/v1/subjects/${id}/consents`, consentBody(PURPOSE)))
            .status,
        ).toBe(201);

      const backup = await cli(['backup', backupDir], dataDir);
      expect(backup).toMatchObject({ code: 0 });
      const manifest = JSON.parse(readFileSync(join(backupDir, 'manifest.json'), 'utf8'));
      expect(manifest.files.map((f: { name: string }) => f.name)).toEqual([
        'read.sqlite',
        'events.sqlite',
        'keys.sqlite',
      ]);
      expect(existsSync(join(backupDir, 'master.key'))).toBe(false);

      // Refused while the app has the stores open; nothing is written.
      const refused = await cli(['restore', backupDir, '--only', 'keys'], dataDir);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/open in another process: stop the API and the projector/);
      expect(existsSync(join(dataDir, 'keys.sqlite.restoring'))).toBe(false);

      const erasure = await clients(first).crm.post(`/v1/subjects/${erased}/erasure`, {
        reason: 'data_subject_request',
        requestedVia: 'email',
      });
      expect(erasure.status).toBe(202);
      expect(erasure.body.keyDestroyedAt).toEqual(expect.any(String));
      await first.stop();

      // The scenario: the older key store under the current log.
      expect(await cli(['restore', backupDir, '--only', 'keys'], dataDir)).toMatchObject({
        code: 0,
      });
      const restoredKeys = new SqliteKeyStore({ file: join(dataDir, 'keys.sqlite') });
      expect(await restoredKeys.get(erased)).not.toBeNull(); // the old copy still holds the key
      await restoredKeys.close();
      const second = await startTestApp({ CUSTODIAN_DATA_DIR: dataDir }, ACTORS);
      try {
        await expectErased(second, erased);
        await expectReadable(second, kept, 'Stays Here');
      } finally {
        await second.stop();
      }

      // The whole backup: the log loses what came after it, but not the erasure.
      const full = await cli(['restore', backupDir], dataDir);
      expect(full.code).toBe(0);
      expect(JSON.parse(full.stdout.slice(0, full.stdout.lastIndexOf('}') + 1))).toMatchObject({
        restored: ['read.sqlite', 'events.sqlite', 'keys.sqlite'],
        erasuresCarriedOver: 1,
        currentLogFound: true,
      });
      const third = await startTestApp({ CUSTODIAN_DATA_DIR: dataDir }, ACTORS);
      try {
        await expectErased(third, erased);
        await expectReadable(third, kept, 'Stays Here');
        const [last] = await third.app
          .get<EventStore>(EVENT_STORE)
          .readStream(`subject-${erased}`, { direction: 'backwards', maxCount: 1 });
        expect(last.type).toBe('SubjectErased');
      } finally {
        await third.close();
      }
    } finally {
      rmSync(join(backupDir, '..'), { recursive: true, force: true });
    }
  }, 120_000);

  it('a backup taken during live writes restores into a fresh directory and starts: every customer in the log copy has its key', async () => {
    const live = await startTestApp({}, ACTORS);
    const backupDir = join(mkdtempSync(join(tmpdir(), 'custodian-backup-')), 'copy');
    const fresh = mkdtempSync(join(tmpdir(), 'custodian-restored-'));
    let writing = true;
    let written = 0;
    try {
      await activePurpose(live);
      const writers = Array.from({ length: 4 }, async (_, w) => {
        for (let n = 0; writing; n++) {
          const id = await register(live, `Writer ${w} Customer ${n}`);
          const grant = await clients(live).crm.post(
            `/v1/subjects/${id}/consents`,
            consentBody(PURPOSE),
          );
          expect(grant.status).toBe(201);
          written++;
        }
      });
      await waitFor(async () => written >= 20, 20_000);
      const backup = await cli(['backup', backupDir], live.dataDir);
      const during = written;
      writing = false;
      await Promise.all(writers);
      expect(backup.code).toBe(0);
      expect(written).toBeGreaterThan(during - 1);

      // The master key is kept apart from the backup; the operator brings it.
      copyFileSync(join(live.dataDir, 'master.key'), join(fresh, 'master.key'));
      const restore = await cli(['restore', backupDir], fresh);
      expect(restore.code).toBe(0);
      expect(restore.stderr).toMatch(/no current event log to carry erasures from/);

      const restored = await startTestApp({ CUSTODIAN_DATA_DIR: fresh }, ACTORS);
      try {
        const events = restored.app.get<EventStore>(EVENT_STORE);
        const manifest = JSON.parse(readFileSync(join(backupDir, 'manifest.json'), 'utf8'));
        expect((await events.readLastEvent())?.id).toBe(manifest.eventLogHead.eventId);
        const log = await events.readAll({ maxCount: 100_000 });
        const registered = log.filter((e) => e.type === 'SubjectRegistered');
        expect(registered.length).toBeGreaterThanOrEqual(20);
        const keyStore = restored.app.get<KeyStore>(KEY_STORE);
        for (const event of registered)
          expect(await keyStore.get(String(event.data.subjectId))).not.toBeNull();
        // The newest customer whose consent (the purpose rests on it) made it into the copy.
        const consented = new Set(log.map((e) => e.stream));
        const lastOne = registered
          .filter((e) => consented.has(`consent-${String(e.data.subjectId)}`))
          .at(-1)!;
        await waitFor(
          async () => (await view(restored, String(lastOne.data.subjectId))).status === 200,
          10_000,
        );
        expect((await view(restored, String(lastOne.data.subjectId))).body.fields.name).toMatch(
          /^Writer \d Customer \d+$/,
        );
      } finally {
        await restored.close();
      }
    } finally {
      writing = false;
      await live.close();
      rmSync(join(backupDir, '..'), { recursive: true, force: true });
      rmSync(fresh, { recursive: true, force: true });
    }
  }, 120_000);
});
