import { spawn } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiClient,
  consentBody,
  purposeBody,
  Scenario,
  startTestApp,
  waitFor,
  type TestApp,
} from '@test/support';

/**
 * Issue 11, item 8: the data directory and everything the app creates in it are its own user's
 * alone (directories 0700, files 0600) whatever the umask, looser ones left by an older version
 * are tightened, and start-up refuses a master key or actors file others may read or write.
 */
const REGISTER_TS = join(__dirname, 'support', 'register-ts.cjs');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The real entry point (`apps/api/src/main.ts`) in a child process, under the given umask. */
function startApi(env: Record<string, string>, umask = '022') {
  const child = spawn(
    '/bin/sh',
    [
      '-c',
      `umask ${umask} && exec "$0" -r "$1" apps/api/src/main.ts`,
      process.execPath,
      REGISTER_TS,
    ],
    { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk) => (output.stdout += chunk));
  child.stderr.on('data', (chunk) => (output.stderr += chunk));
  const exit = new Promise<number | null>((resolve) => child.on('exit', resolve));
  /** The exit code, or 'still running' (and the process killed) after `ms`. */
  const exited = (ms = 30_000) =>
    Promise.race([
      exit,
      new Promise<string>((resolve) =>
        setTimeout(() => {
          child.kill('SIGKILL');
          resolve('still running');
        }, ms).unref(),
      ),
    ]);
  return { child, output, exited };
}

/** Every directory and file under `dir` (itself included) with its permission bits, e.g. "0600". */
function modesUnder(dir: string, base = dir): Record<string, string> {
  const modes: Record<string, string> = {
    [dir === base ? '.' : dir.slice(base.length + 1)]: mode(dir),
  };
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) Object.assign(modes, modesUnder(path, base));
    else modes[path.slice(base.length + 1)] = mode(path);
  }
  return modes;
}
const mode = (path: string) => `0${(statSync(path).mode & 0o777).toString(8)}`;
/** Which paths do not have the expected mode: directories 0700, files 0600. */
const notPrivate = (modes: Record<string, string>, dir: string) =>
  Object.entries(modes).filter(
    ([path, m]) => m !== (statSync(join(dir, path)).isDirectory() ? '0700' : '0600'),
  );

describe('file modes of the data directory (the real process, embedded stores)', () => {
  let dataDir: string;
  let actorsDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'custodian-modes-'));
    actorsDir = mkdtempSync(join(tmpdir(), 'custodian-modes-actors-'));
  });
  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(actorsDir, { recursive: true, force: true });
  });

  it('refuses to start with a master key or actors file others may read or write, naming each and the fix; starts once they are 0600, every file 0600 and every directory 0700 under umask 000', async () => {
    const keyFile = join(dataDir, 'master.key');
    writeFileSync(keyFile, `${randomBytes(32).toString('base64')}\n`);
    chmodSync(keyFile, 0o644);
    const actorsFile = join(actorsDir, 'actors.json');
    const apiKey = randomBytes(24).toString('base64url');
    writeFileSync(
      actorsFile,
      JSON.stringify({ actors: [{ id: 'ops', roles: ['admin'], apiKey }] }),
    );
    chmodSync(actorsFile, 0o640);
    const port = await freePort();
    const env = {
      CUSTODIAN_DATA_DIR: dataDir,
      CUSTODIAN_ACTORS_FILE: actorsFile,
      PORT: String(port),
    };

    const refused = startApi(env);
    expect(await refused.exited()).toBe(1);
    const { stderr } = refused.output;
    expect(stderr).toContain('Invalid configuration');
    expect(stderr).toContain(
      `the master key file ${keyFile} may be read or written by group or others (mode 0644); make it owner-only: chmod 600 ${keyFile}`,
    );
    expect(stderr).toContain(
      `the actors file ${actorsFile} may be read or written by group or others (mode 0640); make it owner-only: chmod 600 ${actorsFile}`,
    );
    // One message, not a stack trace, and nothing was opened or created.
    expect(stderr).not.toMatch(/^\s+at /m);
    expect(readdirSync(dataDir)).toEqual(['master.key']);

    // Only the actors file loose: still refused, naming it alone.
    chmodSync(keyFile, 0o600);
    chmodSync(actorsFile, 0o604);
    const stillRefused = startApi(env);
    expect(await stillRefused.exited()).toBe(1);
    expect(stillRefused.output.stderr).toContain(`chmod 600 ${actorsFile}`);
    expect(stillRefused.output.stderr).not.toContain('master key file');

    // Both owner-only: it starts, and creates everything private although the umask is 000.
    // What an older version left open (an empty database, an export) is tightened, and said.
    chmodSync(actorsFile, 0o600);
    chmodSync(dataDir, 0o755);
    writeFileSync(join(dataDir, 'read.sqlite'), '');
    chmodSync(join(dataDir, 'read.sqlite'), 0o644);
    mkdirSync(join(dataDir, 'exports'), { mode: 0o755 });
    writeFileSync(join(dataDir, 'exports', 'old.ndjson.sealed'), 'CSF1', { mode: 0o644 });
    const started = startApi(env, '000');
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitFor(async () => {
        try {
          return (await fetch(`${base}/health`)).status === 200;
        } catch {
          return false;
        }
      }, 30_000);
      const admin = new ApiClient(base, apiKey);
      expect((await admin.post('/v1/purposes', purposeBody('modes-check'))).status).toBe(201);
      const modes = modesUnder(dataDir);
      expect(Object.keys(modes).sort()).toEqual(
        expect.arrayContaining([
          '.',
          'master.key',
          ...['events', 'read', 'keys'].flatMap((store) =>
            ['', '-wal', '-shm'].map((suffix) => `${store}.sqlite${suffix}`),
          ),
        ]),
      );
      expect(notPrivate(modes, dataDir)).toEqual([]);
      expect(mode(actorsFile)).toBe('0600');
      for (const [path, from, to] of [
        [dataDir, '0755', '0700'],
        [join(dataDir, 'read.sqlite'), '0644', '0600'],
        [join(dataDir, 'exports'), '0755', '0700'],
        [join(dataDir, 'exports', 'old.ndjson.sealed'), '0644', '0600'],
      ])
        expect(started.output.stdout).toContain(
          `${path} was open to group or others (mode ${from}); tightened to ${to}`,
        );
      started.child.kill('SIGTERM');
      expect(await started.exited()).toBe(0);
    } finally {
      started.child.kill('SIGKILL');
      if (started.output.stderr) console.error(started.output.stderr);
    }
  }, 90_000);
});

describe('file modes (HTTP, embedded stores)', () => {
  const ACTORS = [
    { id: 'admin-1', roles: ['admin'] },
    { id: 'dpo-1', roles: ['dpo'] },
    { id: 'crm', roles: ['service'] },
    { id: 'mailer', roles: ['marketing'] },
  ];

  /** A purpose, one consenting customer and a completed export of her: every kind of file. */
  async function exportOne(t: TestApp) {
    const scenario = new Scenario(t);
    const as = (id: string) => scenario.client(id);
    await scenario.activePurpose(as('admin-1'), as('dpo-1'), 'newsletter', {
      allowedRoles: ['marketing', 'service'],
      assessment: { ...purposeBody('x').assessment, minimumFields: ['name', 'email'] },
    });
    const subject = await as('crm').post('/v1/subjects', {
      profile: { name: 'Mode Tester', email: 'mode.tester@example.com' },
      source: 'shop',
    });
    const { subjectId } = subject.body;
    expect(
      (await as('crm').post(`/v1/subjects/${subjectId}/consents`, consentBody('newsletter')))
        .status,
    ).toBe(201);
    const requested = await as('mailer').post('/v1/exports', {
      purposeId: 'newsletter',
      justification: 'monthly newsletter send through the mail provider',
      fields: ['name', 'email'],
    });
    expect(requested.status).toBe(202);
    await waitFor(
      async () =>
        (await as('mailer').get(`/v1/exports/${requested.body.exportId}`)).body.status ===
        'completed',
      10_000,
    );
  }

  it('writes export files 0600 in a 0700 directory, and every store file 0600, under umask 000', async () => {
    const previous = process.umask(0);
    let t: TestApp | undefined;
    try {
      t = await startTestApp({}, ACTORS);
      await exportOne(t);
      const modes = modesUnder(t.dataDir);
      expect(Object.keys(modes)).toEqual(
        expect.arrayContaining(['exports', 'master.key', 'read.sqlite-wal', 'keys.sqlite-shm']),
      );
      // The two sealed files, the ids included, and the directory of pinned selections.
      expect(Object.keys(modes).filter((path) => path.startsWith('exports/')).length).toBe(4);
      expect(Object.keys(modes)).toContain('exports/pinned');
      expect(notPrivate(modes, t.dataDir)).toEqual([]);
    } finally {
      process.umask(previous);
      await t?.close();
    }
  });

  it('tightens a data directory an older version left 0755 with 0644 files, and starts', async () => {
    const first = await startTestApp({}, ACTORS);
    await exportOne(first);
    await first.stop();
    const dir = first.dataDir;
    // As an older version under umask 022 left them (keys and actors were already 0600).
    for (const path of Object.keys(modesUnder(dir))) {
      if (path === 'master.key' || path === 'test-actors.json') continue;
      chmodSync(join(dir, path), statSync(join(dir, path)).isDirectory() ? 0o755 : 0o644);
    }
    // A WAL left behind by a crash of that version.
    writeFileSync(join(dir, 'read.sqlite-wal'), '');
    chmodSync(join(dir, 'read.sqlite-wal'), 0o644);
    expect(mode(dir)).toBe('0755');
    expect(mode(join(dir, 'events.sqlite'))).toBe('0644');

    const second = await startTestApp({ CUSTODIAN_DATA_DIR: dir }, ACTORS);
    try {
      expect(notPrivate(modesUnder(dir), dir)).toEqual([]);
      expect(
        (await new ApiClient(second.baseUrl, second.keys['admin-1']).get('/health')).status,
      ).toBe(200);
    } finally {
      await second.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
