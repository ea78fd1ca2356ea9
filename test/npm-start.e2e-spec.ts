import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient, consentBody, noticeBody, purposeBody, request, waitFor } from '@test/support';

const REGISTER_TS = join(__dirname, 'support/register-ts.cjs');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Whether a process with this pid is alive (signal 0 only checks). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * `npm start`'s entry (apps/api/src/start.ts) run from source as its own OS process, on an empty
 * data directory: the API in this process, the projections and processors in a forked
 * apps/projector beside it.
 */
interface Launched {
  process: ChildProcess;
  base: string;
  projectorPid: number;
  output: () => string;
  exited: Promise<{ code: number | null; signal: string | null }>;
}

const launched: Launched[] = [];

/** Starts the launcher with no CUSTODIAN_* setting but the data dir; resolves once ready. */
async function launch(dataDir: string): Promise<Launched> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'info', PORT: String(port) };
  for (const name of Object.keys(env)) if (name.startsWith('CUSTODIAN_')) delete env[name];
  env.CUSTODIAN_DATA_DIR = dataDir;
  const child = spawn(process.execPath, ['-r', REGISTER_TS, 'apps/api/src/start.ts'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const entry: Launched = { process: child, base, projectorPid: -1, output: () => output, exited };
  launched.push(entry);
  await waitFor(
    async () => (await request(`${base}/health/ready`).catch(() => null))?.status === 200,
    90_000,
  );
  const pidLine = /in the projector process, pid (\d+)/.exec(output);
  expect(pidLine).not.toBeNull();
  entry.projectorPid = Number(pidLine![1]);
  expect(entry.projectorPid).not.toBe(child.pid);
  expect(alive(entry.projectorPid)).toBe(true);
  return entry;
}

describe('npm start: the API with its projector beside it, two processes', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'custodian-start-'));
  });
  afterAll(() => {
    for (const { process: child, projectorPid } of launched) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      if (projectorPid > 0 && alive(projectorPid)) process.kill(projectorPid, 'SIGKILL');
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('makes the data dir once, serves its own writes at once, and stops both on SIGTERM', async () => {
    const { process: launcher, base, projectorPid, output, exited } = await launch(dataDir);

    // The first start made the master key and the actors file, once, before the projector ran.
    const actors = JSON.parse(readFileSync(join(dataDir, 'actors.json'), 'utf8')).actors;
    expect(actors).toHaveLength(1);
    expect(statSync(join(dataDir, 'master.key')).mode & 0o777).toBe(0o600);
    expect(output().match(/created .*actors\.json/g)).toHaveLength(1);
    // The projector found the key the API made (it runs the keyed processors) and made none.
    expect(output()).not.toContain('no master key');
    const admin = new ApiClient(base, actors[0].apiKey);
    const dpo = admin.as('dpo');
    expect((await admin.post('/v1/purposes', purposeBody('newsletter'))).status).toBe(201);
    expect((await admin.post('/v1/purposes/newsletter/notices', noticeBody('v1'))).status).toBe(
      201,
    );
    expect((await dpo.post('/v1/purposes/newsletter/activate')).status).toBe(200);

    const registered = await admin.post('/v1/subjects', {
      profile: { email: 'start@example.com' },
      source: 'web-signup',
    });
    expect(registered.status).toBe(201);
    const subjectId: string = registered.body.subjectId;
    const granted = await admin.post(
      `/v1/subjects/${subjectId}/consents`,
      consentBody('newsletter'),
    );
    expect(granted.status).toBe(201);

    // Read your writes, at once: the state, and the receipt the other process projects.
    const state = await admin.get(`/v1/subjects/${subjectId}/consents`);
    expect(state.status).toBe(200);
    expect(JSON.stringify(state.body.purposes)).toContain('granted');
    const receipt = await admin.get(`/v1/consent-receipts/${granted.body.receiptId}`);
    expect(receipt.status).toBe(200);
    expect(JSON.stringify(receipt.body)).toContain(subjectId);

    // SIGTERM stops both, cleanly: exit 0, and no orphan projector left behind.
    launcher.kill('SIGTERM');
    expect(await exited).toEqual({ code: 0, signal: null });
    await waitFor(async () => !alive(projectorPid), 10_000);
    expect(output()).toContain('SIGTERM: stopping the API and the projector');
  }, 180_000);

  it('starts again on the same data dir making nothing new, and stops (exit 3) when the projector dies', async () => {
    const key = readFileSync(join(dataDir, 'master.key'));
    const actorsFile = readFileSync(join(dataDir, 'actors.json'));
    const { process: launcher, base, projectorPid, output, exited } = await launch(dataDir);
    expect(readFileSync(join(dataDir, 'master.key'))).toEqual(key);
    expect(readFileSync(join(dataDir, 'actors.json'))).toEqual(actorsFile);
    expect(output()).not.toMatch(/created .*actors\.json/);
    expect((await request(`${base}/health/ready`)).status).toBe(200);

    // The projector is killed outright: the service does not limp on without it.
    process.kill(projectorPid, 'SIGKILL');
    expect(await exited).toEqual({ code: 3, signal: null });
    expect(launcher.exitCode).toBe(3);
    expect(output()).toMatch(/the projector process \(pid \d+\) exited on its own \(SIGKILL\)/);
  }, 180_000);
});
