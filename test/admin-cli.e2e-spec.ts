import { SqliteReadStore } from '@custodian/read-store';
import {
  ApiClient,
  purposeBody,
  Scenario,
  startTestApp,
  testKey,
  waitFor,
  type TestApp,
} from '@test/support';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ActorsFileWatcher } from '../libs/platform/src/auth/actors-file-watcher';
import { runCli, runCliInProcess } from './support/cli';

const ACTORS = [
  { id: 'admin-1', roles: ['admin'] },
  { id: 'dpo-1', roles: ['dpo'] },
  { id: 'crm', roles: ['service'] },
];

/**
 * Issue 13 item 5: the admin CLI (`apps/cli`) against the data directory of a real app: argument
 * errors, `actors` edits the running app follows without a restart, `status`, `projections
 * rebuild`. Most command lines run in-process (`runCliInProcess`: the same `runCli` the entry
 * point exits with); the entry point itself, and the refusal to rebuild while another process
 * holds the stores, run as child processes.
 */
describe('custodian admin CLI (embedded stores)', () => {
  const cli = runCliInProcess;
  let t: TestApp;
  let env: Record<string, string>;
  const metricsAs = (key: string) => new ApiClient(t.baseUrl, key).get('/metrics');
  /** The app polls the actors file: wait until a key gets the expected status. */
  const becomes = (key: string, status: number) =>
    waitFor(async () => (await metricsAs(key)).status === status, 10_000);

  beforeAll(async () => {
    t = await startTestApp({}, ACTORS);
    env = { CUSTODIAN_DATA_DIR: t.dataDir, CUSTODIAN_ACTORS_FILE: t.config.actorsFile };
    const scenario = new Scenario(t);
    await scenario.activePurpose(scenario.client('admin-1'), scenario.client('dpo-1'), 'care', {
      assessment: { ...purposeBody('x').assessment, minimumFields: ['name', 'email'] },
    });
    for (let i = 0; i < 20; i++) {
      const created = await scenario.client('crm').post('/v1/subjects', {
        profile: { name: `N ${i}`, email: `n${i}@example.com` },
        source: 'web',
      });
      expect(created.status).toBe(201);
    }
  });
  let stopped = false;
  afterAll(async () => {
    if (!stopped) await t?.stop();
    rmSync(t.dataDir, { recursive: true, force: true });
  });

  it('answers bad arguments with the reason and exit code 2, --help with 0', async () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /Usage: custodian/],
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['backup'], /missing required argument 'directory'/],
      [['backup', 'a', 'b'], /too many arguments/],
      [['keys', 'rotate-master'], /either --new-key-file <file> .* or --finish/],
      [
        ['keys', 'rotate-master', '--finish', '--batch-size', 'ten'],
        /--batch-size must be a whole number/,
      ],
      [['actors', 'add', 'ops-9'], /give at least one --role/],
      [['actors', 'add', 'ops-9', '--role', 'wizard'], /unknown role "wizard"/],
      [['restore', '/nowhere', '--only', 'events'], /--only takes "keys"/],
    ];
    const results = await Promise.all(cases.map(([args]) => cli(args, env)));
    results.forEach((result, i) => {
      expect({ args: cases[i][0], code: result.code }).toEqual({ args: cases[i][0], code: 2 });
      expect(result.stderr).toMatch(cases[i][1]);
    });
    const help = await cli(['--help'], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/status .*\n[\s\S]*projections[\s\S]*keys[\s\S]*actors/);
  }, 120_000);

  it('the entry point, run as its own process, exits with those codes', async () => {
    const [help, unknown, extra] = await Promise.all([
      runCli(['--help'], env),
      runCli(['frobnicate'], env),
      runCli(['backup', 'a', 'b'], env),
    ]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/status .*\n[\s\S]*projections[\s\S]*keys[\s\S]*actors/);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toMatch(/too many arguments/);
  }, 60_000);

  it('actors add / disable / rotate-key take effect in the running app without a restart', async () => {
    const added = await cli(['actors', 'add', 'ops-1', '--role', 'admin', '--json'], env);
    expect(added.code).toBe(0);
    const { id, apiKey } = JSON.parse(added.stdout) as { id: string; apiKey: string };
    expect(id).toBe('ops-1');
    // Only the key's SHA-256 is written down; the file stays owner-only.
    const file = readFileSync(t.config.actorsFile, 'utf8');
    expect(file).not.toContain(apiKey);
    expect(JSON.parse(file).actors.at(-1)).toEqual({
      id: 'ops-1',
      roles: ['admin'],
      apiKeySha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    await becomes(apiKey, 200);

    const again = await cli(['actors', 'add', 'ops-1', '--role', 'admin'], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('actor "ops-1" exists already');

    const disabled = await cli(['actors', 'disable', 'ops-1'], env);
    expect(disabled.code).toBe(0);
    await becomes(apiKey, 401);

    const oldKey = testKey('admin-1');
    expect((await metricsAs(oldKey)).status).toBe(200);
    const rotated = await cli(['actors', 'rotate-key', 'admin-1', '--json'], env);
    expect(rotated.code).toBe(0);
    const newKey = (JSON.parse(rotated.stdout) as { apiKey: string }).apiKey;
    await becomes(oldKey, 401);
    expect((await metricsAs(newKey)).status).toBe(200);

    // A broken file is not taken up: the actors as last read stay in force.
    // Waits for the app to have read the broken file and refused it, not for a fixed time.
    const reload = jest.spyOn(t.app.get(ActorsFileWatcher), 'reload');
    const good = readFileSync(t.config.actorsFile, 'utf8');
    writeFileSync(t.config.actorsFile, '{ not json', { mode: 0o600 });
    await waitFor(async () => reload.mock.results.some((r) => r.value === false), 10_000);
    reload.mockRestore();
    expect((await metricsAs(newKey)).status).toBe(200);
    const refused = await cli(['actors', 'disable', 'crm'], env);
    expect(refused.code).toBe(1);
    writeFileSync(t.config.actorsFile, good, { mode: 0o600 });
  }, 120_000);

  it('status shows the log, every projection with its lag, processors and actors (text and --json)', async () => {
    const [json, text] = await Promise.all([cli(['status', '--json'], env), cli(['status'], env)]);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report.log.events).toBeGreaterThan(20);
    expect(report.log.head).toEqual(expect.any(String));
    const names = report.projections.map((p: { name: string }) => p.name);
    expect(names).toEqual(expect.arrayContaining(['subjects', 'purposes', 'consent_state']));
    for (const projection of report.projections)
      expect(projection).toMatchObject({
        eventsBehind: expect.any(Number),
        position: expect.anything(),
      });
    expect(report.processors.map((p: { name: string }) => p.name)).toEqual([
      'anomaly-detector',
      'erasure-reconciler',
    ]);
    expect(report.actors).toMatchObject({ keys: expect.any(Number), disabled: expect.any(Number) });
    expect(report.keyRotation).toBeNull();
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^log +\d+ events, head /m);
    expect(text.stdout).toMatch(/^ {2}subjects +v\d+ +applied \d+, behind \d+ events/m);
  }, 60_000);

  it('projections rebuild: refused while the app runs, unknown names listed; rebuilds into a new collection once stopped', async () => {
    // The running app holds the stores: a CLI in its own process is refused.
    const busy = await runCli(['projections', 'rebuild', 'subjects'], env);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(/open in another process: stop the API and the projector/);

    const before = (
      JSON.parse((await cli(['status', '--json'], env)).stdout) as {
        projections: Array<{ name: string; collection: string }>;
      }
    ).projections.find((p) => p.name === 'subjects')!;
    await t.stop();
    stopped = true;
    const reads = () => new SqliteReadStore({ file: join(t.dataDir, 'read.sqlite') });
    const store = reads();
    const documents = await store.count(before.collection);
    await store.close();
    expect(documents).toBe(20);
    const unknown = await cli(['projections', 'rebuild', 'nope'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no projection named "nope"; known: .*subjects/);

    const rebuilt = await cli(['projections', 'rebuild', 'subjects'], env);
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stderr).toMatch(/rebuild subjects 100% \(\d+\/\d+\) done in/);
    const result = JSON.parse(rebuilt.stdout);
    expect(result).toMatchObject({ projection: 'subjects', previousCollection: before.collection });
    expect(result.collection).not.toBe(before.collection);
    const after = reads();
    try {
      expect(await after.count(result.collection)).toBe(20);
      // The previous build is retired, not dropped at the swap: a reader in another process may
      // still hold its name; the next projector start (or a minute later) drops it.
      expect(await after.count(before.collection)).toBe(20);
    } finally {
      await after.close();
    }
  }, 120_000);
});
