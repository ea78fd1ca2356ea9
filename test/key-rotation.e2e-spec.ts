import {
  decryptField,
  deriveKey,
  durableKeyAad,
  fieldAad,
  KEY_PURPOSES,
  kekFingerprint,
  readRotationMarker,
  resolveBlindIndexKey,
  SqliteKeyStore,
  unwrapKey,
  keyWrapAad,
  WRAPPED_BLIND_INDEX_KEY,
  type WrappedKeyRecord,
} from '@custodian/crypto';
import { SqliteEventStore } from '@custodian/event-store';
import { CommandBus } from '@nestjs/cqrs';
import {
  ApiClient,
  purposeBody,
  Scenario,
  startTestApp,
  testKey,
  type TestApp,
} from '@test/support';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegisterSubjectCommand } from '../apps/api/src/subjects/register-subject.command';
import { runCli, runCliInProcess, startCli } from './support/cli';

const CUSTOMERS = 10_000;
const ACTORS = [
  { id: 'dpo-1', roles: ['dpo'] },
  { id: 'admin-1', roles: ['admin'] },
  { id: 'crm', roles: ['service'] },
];
const emailOf = (i: number) => `customer.${i}@example.com`;

/**
 * Issue 13 item 5, must show: the master key of a data directory holding 10,000 customers is
 * rotated by the CLI, which is killed with SIGKILL halfway and run again; the app keeps serving
 * with the old key throughout, then runs with the new one; after `--finish` every value still
 * decrypts and the old key opens nothing.
 */
describe('custodian keys rotate-master: 10,000 customers, SIGKILL halfway, resumed', () => {
  jest.setTimeout(300_000);
  const home = mkdtempSync(join(tmpdir(), 'custodian-rotation-'));
  const dataDir = join(home, 'data');
  const actorsFile = join(home, 'actors.json');
  const newKeyFile = join(home, 'new-master.key');
  const oldMaster = randomBytes(32);
  const newMaster = randomBytes(32);
  const oldKek = deriveKey(oldMaster, KEY_PURPOSES.keyWrap);
  const newKek = deriveKey(newMaster, KEY_PURPOSES.keyWrap);
  const env = (master: Buffer) => ({
    CUSTODIAN_DATA_DIR: dataDir,
    CUSTODIAN_ACTORS_FILE: actorsFile,
    CUSTODIAN_MASTER_KEY: master.toString('base64'),
  });
  const subjects: string[] = [];
  let app: TestApp | undefined;
  let dpo: ApiClient;
  let crm: ApiClient;

  const startApp = async (master: Buffer): Promise<TestApp> => {
    const started = await startTestApp(() => env(master));
    app = started;
    dpo = new ApiClient(started.baseUrl, testKey('dpo-1'));
    crm = new ApiClient(started.baseUrl, testKey('crm'));
    return started;
  };
  const stopApp = async () => {
    const running = app;
    app = undefined;
    await running?.stop();
  };
  const opensUnder = (kek: Buffer, record: WrappedKeyRecord): boolean => {
    try {
      unwrapKey(kek, record.wrappedKey, keyWrapAad(record.subjectId, record.keyId));
      return true;
    } catch {
      return false;
    }
  };
  const allKeys = async (): Promise<WrappedKeyRecord[]> => {
    const store = new SqliteKeyStore({ file: join(dataDir, 'keys.sqlite') });
    try {
      const found: WrappedKeyRecord[] = [];
      for (let page = await store.listKeys(null, 5000); page.length > 0;) {
        found.push(...page);
        page = await store.listKeys(page[page.length - 1].subjectId, 5000);
      }
      return found;
    } finally {
      await store.close();
    }
  };
  /** The DSAR read decrypts every field; it must give back the customer's own email. */
  const readsBack = async (i: number) => {
    const response = await dpo.get(`/v1/subjects/${subjects[i]}/dsar`);
    expect(response.status).toBe(200);
    expect(response.body.profile.email.value).toBe(emailOf(i));
  };

  beforeAll(async () => {
    writeFileSync(
      actorsFile,
      JSON.stringify({ actors: ACTORS.map((a) => ({ ...a, apiKey: testKey(a.id) })) }),
      { mode: 0o600 },
    );
    writeFileSync(newKeyFile, `${newMaster.toString('base64')}\n`, { mode: 0o600 });
    const first = await startApp(oldMaster);
    const admin = new ApiClient(first.baseUrl, testKey('admin-1'));
    await new Scenario(first).activePurpose(admin, dpo, 'contact-us', {
      assessment: { ...purposeBody('x').assessment, minimumFields: ['name', 'email'] },
    });
    // 10,000 customers through the command bus in-process (HTTP would only add parsing).
    const bus = first.app.get(CommandBus);
    const started = Date.now();
    for (let from = 0; from < CUSTOMERS; from += 200) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(200, CUSTOMERS - from) }, (_, k) =>
          bus.execute(
            new RegisterSubjectCommand(
              { name: `Customer ${from + k}`, email: emailOf(from + k) },
              'import',
              {
                actor: { id: 'crm', role: 'service' },
                requestId: randomUUID(),
                causationId: randomUUID(),
                now: new Date(),
              },
            ),
          ),
        ),
      );
      subjects.push(...batch.map((r) => r.subjectId));
    }
    console.log(`seeded ${CUSTOMERS} customers in ${Date.now() - started} ms`);
  });
  afterAll(async () => {
    await stopApp();
    rmSync(home, { recursive: true, force: true });
  });

  it('rotates while the app serves, survives SIGKILL, resumes, finishes; the old key opens nothing', async () => {
    const before = await allKeys();
    expect(before).toHaveLength(CUSTOMERS);
    expect(before.every((k) => opensUnder(oldKek, k))).toBe(true);
    const oldWrappings = before.slice(0, 200).map((k) => k.wrappedKey);

    // 1. The rotation starts, slowed down so it can be killed halfway; the app keeps serving.
    let reads = 0;
    let serving = true;
    const reader = (async () => {
      while (serving) {
        await readsBack(reads++ % CUSTOMERS);
      }
    })();
    let killedAt = -1;
    const first = startCli(
      [
        'keys',
        'rotate-master',
        '--new-key-file',
        newKeyFile,
        '--batch-size',
        '100',
        '--pause-ms',
        '40',
      ],
      env(oldMaster),
      (stderr, run) => {
        const percents = [...stderr.matchAll(/(\d+)% \(/g)].map((m) => Number(m[1]));
        const last = percents.at(-1) ?? 0;
        if (killedAt < 0 && last >= 40) {
          killedAt = last;
          run.child.kill('SIGKILL');
        }
      },
    );
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');
    expect(killedAt).toBeGreaterThanOrEqual(40);

    // Halfway indeed: a marker records the rotation; some keys moved, others did not.
    const halfway = await allKeys();
    const moved = halfway.filter((k) => opensUnder(newKek, k)).length;
    expect(moved).toBeGreaterThan(0);
    expect(moved).toBeLessThan(CUSTOMERS);
    expect(halfway.every((k) => opensUnder(newKek, k) || opensUnder(oldKek, k))).toBe(true);
    const store = new SqliteKeyStore({ file: join(dataDir, 'keys.sqlite') });
    const marker = await readRotationMarker(store);
    await store.close();
    expect(marker).toMatchObject({
      phase: 'rewrapping',
      oldFingerprint: kekFingerprint(oldKek),
      newFingerprint: kekFingerprint(newKek),
    });
    expect(JSON.stringify(marker)).not.toContain(newMaster.toString('base64'));

    // 2. The app, still on the old key, reads customers under either key and registers new ones
    //    (wrapped under the new key at once).
    const movedIndex = subjects.findIndex((id) =>
      opensUnder(
        newKek,
        halfway.find((k) => k.subjectId === id)!,
      ),
    );
    const stayedIndex = subjects.findIndex((id) =>
      opensUnder(
        oldKek,
        halfway.find((k) => k.subjectId === id)!,
      ),
    );
    await readsBack(movedIndex);
    await readsBack(stayedIndex);
    const late = await crm.post('/v1/subjects', {
      profile: { name: 'Late Comer', email: 'late.comer@example.com' },
      source: 'web',
    });
    expect(late.status).toBe(201);

    // 3. Resumed: only the rest is re-wrapped; the app serves meanwhile.
    const resumed = await runCli(
      ['keys', 'rotate-master', '--new-key-file', newKeyFile],
      env(oldMaster),
    );
    expect(resumed.stderr).toMatch(/100% \(\d+\/\d+\) done in/);
    expect(resumed.code).toBe(0);
    const summary = JSON.parse(resumed.stdout.slice(0, resumed.stdout.lastIndexOf('}') + 1));
    expect(summary).toMatchObject({ resumed: true, keys: CUSTOMERS + 1 });
    expect(summary.rewrapped).toBeLessThan(CUSTOMERS);
    expect(summary.rewrapped + summary.alreadyUnderNewKey).toBeGreaterThan(0);
    serving = false;
    await reader;
    expect(reads).toBeGreaterThan(0);

    // Finishing is refused while the configured key is the old one.
    const early = await runCliInProcess(['keys', 'rotate-master', '--finish'], env(oldMaster));
    expect(early.code).toBe(1);
    expect(early.stderr).toContain('still the old one');

    // 4. Every process gets the new key (a restart), then the rotation is finished.
    await stopApp();
    await startApp(newMaster);
    for (const i of [0, movedIndex, stayedIndex, CUSTOMERS - 1]) await readsBack(i);
    const finished = await runCliInProcess(['keys', 'rotate-master', '--finish'], env(newMaster));
    expect(finished.code).toBe(0);
    expect(finished.stdout).toContain('"finished": true');

    // 5. The app on the new key: a sample read over HTTP, lookups by the blind index still work.
    for (let i = 0; i < CUSTOMERS; i += 997) await readsBack(i);
    const found = await crm.get(
      `/v1/subjects?email=${encodeURIComponent(emailOf(4242))}&purpose=contact-us`,
    );
    expect(found.status).toBe(200);
    expect(found.body.subjects.map((s: { subjectId: string }) => s.subjectId)).toEqual([
      subjects[4242],
    ]);
    await stopApp();

    // 6. Every key opens under the new KEK and none under the old; no marker, and the stored
    //    blind-index key opens under the new key only.
    const after = await allKeys();
    expect(after).toHaveLength(CUSTOMERS + 1);
    expect(after.filter((k) => opensUnder(oldKek, k))).toEqual([]);
    expect(after.filter((k) => !opensUnder(newKek, k))).toEqual([]);
    const keys = new SqliteKeyStore({ file: join(dataDir, 'keys.sqlite') });
    try {
      expect(await readRotationMarker(keys)).toBeNull();
      const wrappedIndexKey = (await keys.getSetting(WRAPPED_BLIND_INDEX_KEY))!;
      expect(() =>
        unwrapKey(oldKek, wrappedIndexKey, durableKeyAad(KEY_PURPOSES.blindIndex)),
      ).toThrow();
      expect(await resolveBlindIndexKey(keys, newMaster)).toEqual(
        deriveKey(oldMaster, KEY_PURPOSES.blindIndex),
      );
      await expect(resolveBlindIndexKey(keys, oldMaster)).rejects.toThrow(
        /does not open this key store/,
      );
    } finally {
      await keys.close();
    }
    // No old wrapping is left in the key store's files.
    for (const name of ['keys.sqlite', 'keys.sqlite-wal']) {
      const file = join(dataDir, name);
      if (!existsSync(file)) continue;
      const bytes = readFileSync(file).toString('latin1');
      expect(oldWrappings.filter((w) => bytes.includes(w))).toEqual([]);
    }

    // 7. Full check in-process: every customer's email decrypts from the log under the new key.
    const byId = new Map(after.map((k) => [k.subjectId, k]));
    const events = new SqliteEventStore({ file: join(dataDir, 'events.sqlite') });
    try {
      const emails = new Map<string, string>();
      let position: string | undefined;
      for (;;) {
        const batch = await events.readAll({ after: position, maxCount: 5000 });
        if (batch.length === 0) break;
        for (const event of batch) {
          if (event.type !== 'SubjectRegistered') continue;
          const data = event.data as { subjectId: string; fields: Record<string, string> };
          const record = byId.get(data.subjectId)!;
          const dek = unwrapKey(
            newKek,
            record.wrappedKey,
            keyWrapAad(record.subjectId, record.keyId),
          );
          emails.set(
            data.subjectId,
            decryptField(dek, data.fields.email, fieldAad(data.subjectId, 'email')),
          );
        }
        position = batch[batch.length - 1].position;
      }
      expect(emails.size).toBe(CUSTOMERS + 1);
      subjects.forEach((id, i) => {
        if (emails.get(id) !== emailOf(i)) throw new Error(`customer ${i} reads back wrong`);
      });
    } finally {
      await events.close();
    }

    // 8. An app given the old key refuses to start: that key opens nothing here any more.
    await expect(startTestApp(() => env(oldMaster))).rejects.toThrow(
      /does not open this key store/,
    );
  });
});
