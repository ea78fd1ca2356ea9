import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request, waitFor } from '@test/support';

const REGISTER_TS = join(__dirname, 'support/register-ts.cjs');
/** Short, so a dead holder's lease runs out within the test; renewed every third of it. */
const LEASE_TTL_MS = 1500;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Child {
  name: string;
  process: ChildProcess;
  output: () => string;
  exited: Promise<void>;
}

/** One of the real entry points, run from its TypeScript source as its own OS process. */
function start(name: string, entry: string, env: Record<string, string>): Child {
  const child = spawn(process.execPath, ['-r', REGISTER_TS, entry], {
    env: {
      ...process.env,
      LOG_LEVEL: 'info',
      CUSTODIAN_LEASE_TTL_MS: String(LEASE_TTL_MS),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return { name, process: child, output: () => output, exited };
}

async function kill(child: Child, signal: NodeJS.Signals): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill(signal);
  await child.exited;
}

const ready = async (base: string) => request(`${base}/health/ready`);

/**
 * The production-like split on the embedded stores: `apps/projector` and two `apps/api`
 * processes (CUSTODIAN_PROJECTOR=off) share one data directory, each its own OS process.
 * Readiness follows the projector's heartbeat; the singleton sweeps run in exactly one API
 * process and move to the other when that one is killed.
 */
describe('apps/projector and two apps/api as separate processes (embedded stores)', () => {
  const children: Child[] = [];
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'custodian-split-'));
  });
  afterAll(async () => {
    for (const child of children) await kill(child, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is ready only while the projector lives, and moves the singleton work when its holder dies', async () => {
    const env = { CUSTODIAN_DATA_DIR: dataDir };
    const api = (port: number) => ({ ...env, CUSTODIAN_PROJECTOR: 'off', PORT: String(port) });
    const ports = [await freePort(), await freePort()];
    const bases = ports.map((port) => `http://127.0.0.1:${port}`);

    // The first API makes the embedded data directory (master key, actors file); then the rest.
    const apis: Child[] = [start('api-0', 'apps/api/src/main.ts', api(ports[0]))];
    children.push(apis[0]);
    await waitFor(
      async () => (await request(`${bases[0]}/health`).catch(() => null))?.status === 200,
      60_000,
    );
    apis.push(start('api-1', 'apps/api/src/main.ts', api(ports[1])));
    children.push(apis[1]);
    await waitFor(
      async () => (await request(`${bases[1]}/health`).catch(() => null))?.status === 200,
      60_000,
    );

    // No projector yet: neither API is ready, and each says why.
    for (const base of bases) {
      const { status, body } = await ready(base);
      expect(status).toBe(503);
      expect(body.details.leases.problems).toContain(
        'the projector runs in another process and its heartbeat is stale or missing',
      );
    }

    let projector = start('projector', 'apps/projector/src/main.ts', env);
    children.push(projector);
    for (const base of bases) await waitFor(async () => (await ready(base)).status === 200, 60_000);

    // Exactly one API process holds the singleton lease and runs the sweeps; both agree on which.
    const leases = await Promise.all(
      bases.map(async (base) => (await ready(base)).body.details.leases.singleton),
    );
    expect(leases[0].holder).toBe(leases[1].holder);
    expect(leases.map((l) => l.heldHere).sort()).toEqual([false, true]);
    const holderIndex = leases.findIndex((l) => l.heldHere);
    const other = 1 - holderIndex;
    const ranHere = (child: Child) =>
      child.output().includes('singleton work runs in this process');
    expect(ranHere(apis[holderIndex])).toBe(true);
    expect(ranHere(apis[other])).toBe(false);
    expect(apis[holderIndex].output()).toContain('exports: resume unfinished exports');

    // The projector dies without a word: its heartbeat goes stale and readiness fails.
    await kill(projector, 'SIGKILL');
    for (const base of bases)
      await waitFor(async () => (await ready(base)).status === 503, LEASE_TTL_MS * 4);
    const unready = await ready(bases[other]);
    expect(unready.body.details.leases.projector).toMatchObject({ live: false });
    // Liveness is not readiness.
    expect((await request(`${bases[other]}/health`)).status).toBe(200);

    // A new projector: readiness recovers.
    projector = start('projector-2', 'apps/projector/src/main.ts', env);
    children.push(projector);
    for (const base of bases) await waitFor(async () => (await ready(base)).status === 200, 60_000);

    // The API holding the singleton lease is killed: the other takes the lease and the work.
    const deadHolder = leases[holderIndex].holder as string;
    await kill(apis[holderIndex], 'SIGKILL');
    await waitFor(
      async () => (await ready(bases[other])).body.details.leases.singleton.heldHere === true,
      LEASE_TTL_MS * 4,
    );
    const after = await ready(bases[other]);
    expect(after.status).toBe(200);
    expect(after.body.details.leases.singleton.holder).not.toBe(deadHolder);
    await waitFor(async () => ranHere(apis[other]), 5000);
    expect(apis[other].output()).toContain('exports: resume unfinished exports');
  }, 240_000);
});
